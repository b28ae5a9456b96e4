"""Independent reference for EvaluationTests' SSIM value (run once; the result is hard-coded there).

SSIM per Wang, Bovik, Sheikh & Simoncelli (2004): 11x11 Gaussian window, sigma 1.5, normalised to sum 1;
K1 = 0.01, K2 = 0.03, L = 255; "valid" windows only; mean over the map. Computed on BT.601 luminance
Y = 0.299 R + 0.587 G + 0.114 B, with a 2-D convolution (scipy.signal.convolve2d), not the separable
filtering of the Swift code.

The test pair (width 40, height 24), pixel (x, y), channel c in 0..2:
  a = (x * 7 + y * 13 + c * 50) % 256
  b = clip(a + ((x * y + 3 * c) % 31) - 15, 0, 255)

    python3 Tests/EvaluationTests/ssim_reference.py
"""
import numpy as np
from scipy.signal import convolve2d

W, H = 40, 24
y, x = np.mgrid[0:H, 0:W]
a = np.stack([(x * 7 + y * 13 + c * 50) % 256 for c in range(3)], axis=-1).astype(np.float64)
b = np.stack([np.clip(a[..., c] + ((x * y + 3 * c) % 31) - 15, 0, 255) for c in range(3)], axis=-1)


def luma(img):
    return 0.299 * img[..., 0] + 0.587 * img[..., 1] + 0.114 * img[..., 2]


g = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5**2))
win = np.outer(g, g)
win /= win.sum()


def filt(v):
    return convolve2d(v, win, mode="valid")


X, Y = luma(a), luma(b)
mx, my = filt(X), filt(Y)
sxx = filt(X * X) - mx * mx
syy = filt(Y * Y) - my * my
sxy = filt(X * Y) - mx * my
C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
ssim = ((2 * mx * my + C1) * (2 * sxy + C2)) / ((mx**2 + my**2 + C1) * (sxx + syy + C2))
mse = np.mean((a - b) ** 2)
print(f"ssim {ssim.mean():.10f}")
print(f"psnr {10 * np.log10(255**2 / mse):.10f}")
