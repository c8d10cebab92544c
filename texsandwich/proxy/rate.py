"""Rate: the smooth proxy, the real JPEG bit count it is refit to, and the refit itself."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from texsandwich.codecs import CodecSettings
from texsandwich.codecs.jpeg import JpegCodec
from texsandwich.errors import CodecError

_JPEG = JpegCodec()


def log_rate(coeffs: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
    """``Σ log(1 + |ĉ| / Δ)`` over all but the first dimension: a smooth count of non-zero coefficients."""
    return torch.log1p(coeffs.abs() / step).flatten(1).sum(dim=1)


def jpeg_scan_bytes(data: bytes) -> int:
    """Bytes of entropy-coded data (from the end of the SOS header to EOI) of a baseline JPEG.

    Markers, tables and headers cost the same whatever the planes hold, so the loss cannot move them;
    fitting the proxy to the scan data alone gives the gradient the right scale at every crop size.
    """
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise CodecError("malformed JPEG marker stream")
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker == 0xDA:
            start = i + 2 + length
            end = len(data) - 2 if data.endswith(b"\xff\xd9") else len(data)
            return end - start
        i += 2 + length
    raise CodecError("JPEG stream has no scan")


def real_bits(
    images: Sequence[tuple[str, Sequence[np.ndarray]]], step: int, count: str = "scan"
) -> int:
    """Bits of real flat-step JPEGs of the given codec images (chroma, planes).

    ``count='scan'`` counts entropy-coded data only, ``'file'`` every byte.
    """
    total = 0
    for chroma, planes in images:
        data = _JPEG.encode(list(planes), CodecSettings(chroma=chroma, mode="raw", quality=None, step=step))
        total += 8 * (jpeg_scan_bytes(data) if count == "scan" else len(data))
    return total


def refit(nats: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """Rate with the proxy's gradient and the real codec's value, per image.

    ``w = R N / (N^2 + 1)`` (held out of the gradient) makes ``w N`` equal to ``R`` up to the ``+1``
    that keeps an all-zero bottleneck finite.
    """
    w = (bits * nats / (nats * nats + 1.0)).detach()
    return w * nats
