// General lossless coders at their best settings for size, on 8-bit single-channel images (label maps), for
// `semcom map bench`. Each encoder returns the byte count written into `out` (capacity `cap`), or -1; each
// decoder returns the byte count written into `out` (exactly `n` expected), or -1.
#ifndef SEMCOM_LOSSLESS_CODERS_H
#define SEMCOM_LOSSLESS_CODERS_H
#include <stddef.h>
#include <stdint.h>

// xz (LZMA2, preset 9 extreme, no integrity check: the container's bytes count, the check's would not help).
long semcom_xz_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
long semcom_xz_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
// zstd at level 19.
long semcom_zstd_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
long semcom_zstd_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
// brotli at quality 11, window 24.
long semcom_brotli_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
long semcom_brotli_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
// WebP lossless, preset level 9 (method 6, quality 100), exact; the grey values as R = G = B.
long semcom_webp_lossless_encode(const uint8_t *grey, int width, int height, uint8_t *out, size_t cap);
long semcom_webp_lossless_decode(const uint8_t *in, size_t n, int width, int height, uint8_t *grey);
// JPEG XL lossless, effort 9, bare codestream (no container), one grey channel.
long semcom_jxl_lossless_encode(const uint8_t *grey, int width, int height, uint8_t *out, size_t cap);
long semcom_jxl_lossless_decode(const uint8_t *in, size_t n, int width, int height, uint8_t *grey);
#endif
