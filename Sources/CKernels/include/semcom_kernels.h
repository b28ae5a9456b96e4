// Element-wise kernels of the tensor engine's norms, in C so that they are vectorised in every build
// (Swift's debug builds are not, and its release builds do not vectorise expf or reductions): the
// package builds this target with -O3 whatever the configuration, and each kernel is compiled for
// AVX-512, AVX2 and baseline x86-64, the CPU choosing at load time (target_clones).
#ifndef SEMCOM_KERNELS_H
#define SEMCOM_KERNELS_H

#include <stddef.h>

/// The activation fused into a kernel: 0 none, 1 ReLU, 2 SiLU (x·σ(x)).
enum { SEMCOM_ACTIVATION_NONE = 0, SEMCOM_ACTIVATION_RELU = 1, SEMCOM_ACTIVATION_SILU = 2 };

/// p[i] = act(p[i]·a + b) for i < count.
void semcom_affine(float *p, ptrdiff_t count, float a, float b, int activation);

/// SPADE modulation of one (sample, channel) plane: p[i] = act((((p[i] − mean)·inv)·(1 + gamma[i]) + beta[i])·k + t).
void semcom_spade(float *p, const float *gamma, const float *beta, ptrdiff_t count, float mean, float inv, float k,
                  float t, int activation);

/// The mean of p[0..<count] and the sum of squared deviations from it, in double, two passes.
void semcom_moments(const float *p, ptrdiff_t count, double *mean, double *squares);

/// Channel-blocked (nChw16c) planes: `p` is pixels × 16 floats, one (sample, 16-channel block) of a tensor;
/// per-channel coefficients are 16-lane arrays.

/// sums[l] = Σ p and squares[l] = Σ p² over the plane's pixels, per channel, in double (one pass: a float32
/// activation's mean² / variance is far from double's 1e16, so Σp²/n − mean² keeps float precision).
void semcom_block_moments(const float *p, ptrdiff_t pixels, double *sums, double *squares);

/// p = act(p·a[l] + b[l]).
void semcom_block_affine(float *p, ptrdiff_t pixels, const float *a, const float *b, int activation);

/// SPADE modulation: p = act((((p − mean[l])·inv[l])·(1 + gamma) + beta)·k[l] + t[l]); gamma and beta are planes
/// of the same shape as p.
void semcom_block_spade(float *p, const float *gamma, const float *beta, ptrdiff_t pixels, const float *mean,
                        const float *inv, const float *k, const float *t, int activation);

/// Nearest ×2 of a height × width plane into a 2·height × 2·width one.
void semcom_block_upsample2x(const float *src, float *dst, ptrdiff_t height, ptrdiff_t width);

/// 2×2 average pooling, stride 2, of a height × width plane (odd last row / column dropped).
void semcom_block_average_pool2x2(const float *src, float *dst, ptrdiff_t height, ptrdiff_t width);

/// One sample between row-major [channels][pixels] and blocked [channels/16][pixels][16] (channels divisible
/// by 16).
void semcom_to_blocked(const float *planar, float *blocked, ptrdiff_t channels, ptrdiff_t pixels);
void semcom_to_planar(const float *blocked, float *planar, ptrdiff_t channels, ptrdiff_t pixels);

/// Softmax of each of `rows` rows of `columns` floats, in place (the exponential of `semcom_affine`'s SiLU).
void semcom_softmax_rows(float *p, ptrdiff_t rows, ptrdiff_t columns);

/// a[i] += b[i].
void semcom_accumulate(float *a, const float *b, ptrdiff_t count);

#endif
