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

#endif
