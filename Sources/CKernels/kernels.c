#include "semcom_kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)
#define SEMCOM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SEMCOM_CLONES
#endif

// e^x to about 2e-7 relative (float32 is 6e-8), vectorisable: x = k·ln2 + r with |r| ≤ ln2/2 (ln2 split
// in two parts, Cody–Waite), e^r by its Taylor polynomial of degree 7, 2^k written into the exponent bits.
// Clamped to [−87, 88] so that 2^k stays a normal float; SiLU only needs the clamp's far ends to saturate.
static inline float fast_exp(float x) {
    x = fminf(fmaxf(x, -87.0f), 88.0f);
    float k = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - k * 0.693145751953125f;
    r = r - k * 1.428606765330187045e-06f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = ((int32_t)k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline float activate(float v, int activation) {
    switch (activation) {
    case SEMCOM_ACTIVATION_RELU: return v > 0 ? v : 0;
    case SEMCOM_ACTIVATION_SILU: return v / (1.0f + fast_exp(-v));
    default: return v;
    }
}

SEMCOM_CLONES
void semcom_affine(float *p, ptrdiff_t count, float a, float b, int activation) {
    // One loop per activation: the switch hoisted out of the loop lets each one vectorise.
    if (activation == SEMCOM_ACTIVATION_SILU) {
        for (ptrdiff_t i = 0; i < count; i++) p[i] = activate(p[i] * a + b, SEMCOM_ACTIVATION_SILU);
    } else if (activation == SEMCOM_ACTIVATION_RELU) {
        for (ptrdiff_t i = 0; i < count; i++) p[i] = activate(p[i] * a + b, SEMCOM_ACTIVATION_RELU);
    } else {
        for (ptrdiff_t i = 0; i < count; i++) p[i] = p[i] * a + b;
    }
}

SEMCOM_CLONES
void semcom_spade(float *p, const float *gamma, const float *beta, ptrdiff_t count, float mean, float inv, float k,
                  float t, int activation) {
    if (activation == SEMCOM_ACTIVATION_SILU) {
        for (ptrdiff_t i = 0; i < count; i++)
            p[i] = activate(((p[i] - mean) * inv * (1 + gamma[i]) + beta[i]) * k + t, SEMCOM_ACTIVATION_SILU);
    } else if (activation == SEMCOM_ACTIVATION_RELU) {
        for (ptrdiff_t i = 0; i < count; i++)
            p[i] = activate(((p[i] - mean) * inv * (1 + gamma[i]) + beta[i]) * k + t, SEMCOM_ACTIVATION_RELU);
    } else {
        for (ptrdiff_t i = 0; i < count; i++) p[i] = ((p[i] - mean) * inv * (1 + gamma[i]) + beta[i]) * k + t;
    }
}

SEMCOM_CLONES
void semcom_moments(const float *p, ptrdiff_t count, double *mean, double *squares) {
    // Eight explicit partial sums: the compiler may not reorder a floating-point reduction, but it
    // vectorises independent lanes.
    enum { LANES = 8 };
    double lane[LANES] = {0};
    ptrdiff_t whole = count / LANES * LANES;
    for (ptrdiff_t i = 0; i < whole; i += LANES)
        for (int j = 0; j < LANES; j++) lane[j] += p[i + j];
    double sum = 0;
    for (int j = 0; j < LANES; j++) sum += lane[j];
    for (ptrdiff_t i = whole; i < count; i++) sum += p[i];
    double m = count > 0 ? sum / (double)count : 0;
    for (int j = 0; j < LANES; j++) lane[j] = 0;
    for (ptrdiff_t i = 0; i < whole; i += LANES)
        for (int j = 0; j < LANES; j++) {
            double d = p[i + j] - m;
            lane[j] += d * d;
        }
    double sq = 0;
    for (int j = 0; j < LANES; j++) sq += lane[j];
    for (ptrdiff_t i = whole; i < count; i++) {
        double d = p[i] - m;
        sq += d * d;
    }
    *mean = m;
    *squares = sq;
}

// ---- Channel-blocked planes (nChw16c): one (sample, block) plane is pixels × 16 channels, channel
// fastest. Each kernel takes 16-lane per-channel coefficients; the lane loop is the vector.

enum { BLOCK = 16 };

SEMCOM_CLONES
void semcom_block_moments(const float *p, ptrdiff_t pixels, double *sums, double *squares) {
    // Two pixels per step into two sets of accumulators: two independent dependency chains.
    double s0[BLOCK] = {0}, q0[BLOCK] = {0}, s1[BLOCK] = {0}, q1[BLOCK] = {0};
    ptrdiff_t i = 0;
    for (; i + 1 < pixels; i += 2)
        for (int l = 0; l < BLOCK; l++) {
            double a = p[i * BLOCK + l], b = p[(i + 1) * BLOCK + l];
            s0[l] += a;
            q0[l] += a * a;
            s1[l] += b;
            q1[l] += b * b;
        }
    for (; i < pixels; i++)
        for (int l = 0; l < BLOCK; l++) {
            double a = p[i * BLOCK + l];
            s0[l] += a;
            q0[l] += a * a;
        }
    for (int l = 0; l < BLOCK; l++) {
        sums[l] = s0[l] + s1[l];
        squares[l] = q0[l] + q1[l];
    }
}

SEMCOM_CLONES
void semcom_block_affine(float *p, ptrdiff_t pixels, const float *a, const float *b, int activation) {
    if (activation == SEMCOM_ACTIVATION_SILU) {
        for (ptrdiff_t i = 0; i < pixels; i++)
            for (int l = 0; l < BLOCK; l++)
                p[i * BLOCK + l] = activate(p[i * BLOCK + l] * a[l] + b[l], SEMCOM_ACTIVATION_SILU);
    } else if (activation == SEMCOM_ACTIVATION_RELU) {
        for (ptrdiff_t i = 0; i < pixels; i++)
            for (int l = 0; l < BLOCK; l++)
                p[i * BLOCK + l] = activate(p[i * BLOCK + l] * a[l] + b[l], SEMCOM_ACTIVATION_RELU);
    } else {
        for (ptrdiff_t i = 0; i < pixels; i++)
            for (int l = 0; l < BLOCK; l++) p[i * BLOCK + l] = p[i * BLOCK + l] * a[l] + b[l];
    }
}

SEMCOM_CLONES
void semcom_block_spade(float *p, const float *gamma, const float *beta, ptrdiff_t pixels, const float *mean,
                        const float *inv, const float *k, const float *t, int activation) {
#define SEMCOM_SPADE_LANE(act)                                                                                   \
    for (ptrdiff_t i = 0; i < pixels; i++)                                                                      \
        for (int l = 0; l < BLOCK; l++) {                                                                       \
            ptrdiff_t j = i * BLOCK + l;                                                                        \
            p[j] = activate(((p[j] - mean[l]) * inv[l] * (1 + gamma[j]) + beta[j]) * k[l] + t[l], act);         \
        }
    if (activation == SEMCOM_ACTIVATION_SILU) {
        SEMCOM_SPADE_LANE(SEMCOM_ACTIVATION_SILU)
    } else if (activation == SEMCOM_ACTIVATION_RELU) {
        SEMCOM_SPADE_LANE(SEMCOM_ACTIVATION_RELU)
    } else {
        SEMCOM_SPADE_LANE(SEMCOM_ACTIVATION_NONE)
    }
#undef SEMCOM_SPADE_LANE
}

void semcom_block_upsample2x(const float *src, float *dst, ptrdiff_t height, ptrdiff_t width) {
    for (ptrdiff_t y = 0; y < height; y++) {
        float *row = dst + 2 * y * 2 * width * BLOCK;
        for (ptrdiff_t x = 0; x < width; x++) {
            const float *pixel = src + (y * width + x) * BLOCK;
            memcpy(row + 2 * x * BLOCK, pixel, BLOCK * sizeof(float));
            memcpy(row + (2 * x + 1) * BLOCK, pixel, BLOCK * sizeof(float));
        }
        memcpy(row + 2 * width * BLOCK, row, 2 * width * BLOCK * sizeof(float));
    }
}

SEMCOM_CLONES
void semcom_block_average_pool2x2(const float *src, float *dst, ptrdiff_t height, ptrdiff_t width) {
    ptrdiff_t oh = height / 2, ow = width / 2;
    for (ptrdiff_t y = 0; y < oh; y++)
        for (ptrdiff_t x = 0; x < ow; x++) {
            const float *a = src + (2 * y * width + 2 * x) * BLOCK, *b = a + width * BLOCK;
            float *o = dst + (y * ow + x) * BLOCK;
            for (int l = 0; l < BLOCK; l++) o[l] = (a[l] + a[BLOCK + l] + b[l] + b[BLOCK + l]) * 0.25f;
        }
}

void semcom_to_blocked(const float *planar, float *blocked, ptrdiff_t channels, ptrdiff_t pixels) {
    for (ptrdiff_t c0 = 0; c0 < channels; c0 += BLOCK) {
        float *plane = blocked + c0 * pixels;
        for (ptrdiff_t i = 0; i < pixels; i++)
            for (int l = 0; l < BLOCK; l++) plane[i * BLOCK + l] = planar[(c0 + l) * pixels + i];
    }
}

void semcom_to_planar(const float *blocked, float *planar, ptrdiff_t channels, ptrdiff_t pixels) {
    for (ptrdiff_t c0 = 0; c0 < channels; c0 += BLOCK) {
        const float *plane = blocked + c0 * pixels;
        for (int l = 0; l < BLOCK; l++)
            for (ptrdiff_t i = 0; i < pixels; i++) planar[(c0 + l) * pixels + i] = plane[i * BLOCK + l];
    }
}

SEMCOM_CLONES
void semcom_softmax_rows(float *p, ptrdiff_t rows, ptrdiff_t columns) {
    // The max and the sum in 16 explicit lanes, and the exponentials in a loop of their own: a reduction in
    // the same loop would keep the compiler from vectorising it.
    ptrdiff_t whole = columns / BLOCK * BLOCK;
    for (ptrdiff_t r = 0; r < rows; r++) {
        float *row = p + r * columns, lane[BLOCK];
        for (int l = 0; l < BLOCK; l++) lane[l] = -INFINITY;
        for (ptrdiff_t j = 0; j < whole; j += BLOCK)
            for (int l = 0; l < BLOCK; l++) lane[l] = row[j + l] > lane[l] ? row[j + l] : lane[l];
        float m = -INFINITY;
        for (int l = 0; l < BLOCK; l++) m = lane[l] > m ? lane[l] : m;
        for (ptrdiff_t j = whole; j < columns; j++) m = row[j] > m ? row[j] : m;
        for (ptrdiff_t j = 0; j < columns; j++) row[j] = fast_exp(row[j] - m);
        for (int l = 0; l < BLOCK; l++) lane[l] = 0;
        for (ptrdiff_t j = 0; j < whole; j += BLOCK)
            for (int l = 0; l < BLOCK; l++) lane[l] += row[j + l];
        float sum = 0;
        for (int l = 0; l < BLOCK; l++) sum += lane[l];
        for (ptrdiff_t j = whole; j < columns; j++) sum += row[j];
        float inv = 1.0f / sum;
        for (ptrdiff_t j = 0; j < columns; j++) row[j] *= inv;
    }
}

SEMCOM_CLONES
void semcom_accumulate(float *a, const float *b, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) a[i] += b[i];
}
