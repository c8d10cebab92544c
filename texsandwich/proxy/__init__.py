"""Differentiable proxy of a standard image codec (JPEG-like), for training the sandwich networks."""

from texsandwich.proxy.image import DEFAULT_BITS_PER_NAT, ImageCodecProxy
from texsandwich.proxy.quant import StepSize, clip_round, quantise, ste_round
from texsandwich.proxy.rate import jpeg_scan_bytes, log_rate, real_bits, refit

__all__ = [
    "DEFAULT_BITS_PER_NAT",
    "ImageCodecProxy",
    "StepSize",
    "clip_round",
    "jpeg_scan_bytes",
    "log_rate",
    "quantise",
    "real_bits",
    "refit",
    "ste_round",
]
