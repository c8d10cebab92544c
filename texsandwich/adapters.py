"""Fixed, network-free maps between a source and its bottleneck planes.

They are the ``--model none`` sandwich of each recipe (the plain-codec adaptation: what a careful
user would do without networks) and the reference a learned model must beat. All work on float
tensors ``[B, C, H, W]`` on the 0..255 scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

# ITU-R BT.601 full-range (JFIF) RGB -> YCbCr, the conversion JPEG and HEIC's default matrix use.
_RGB_TO_YCBCR = torch.tensor(
    [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], dtype=torch.float64
)
_YCBCR_OFFSET = torch.tensor([0.0, 128.0, 128.0], dtype=torch.float64)


def _mix(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    return torch.einsum("oc,bchw->bohw", m.to(x.dtype), x)


def rgb_to_ycbcr(x: torch.Tensor) -> torch.Tensor:
    return _mix(x, _RGB_TO_YCBCR) + _YCBCR_OFFSET.to(x.dtype).view(1, 3, 1, 1)


def ycbcr_to_rgb(y: torch.Tensor) -> torch.Tensor:
    return _mix(y - _YCBCR_OFFSET.to(y.dtype).view(1, 3, 1, 1), torch.linalg.inv(_RGB_TO_YCBCR))


def rgb_to_luma(x: torch.Tensor) -> torch.Tensor:
    return _mix(x, _RGB_TO_YCBCR[:1])


def luma_to_rgb(y: torch.Tensor) -> torch.Tensor:
    return y.expand(-1, 3, -1, -1)


@dataclass(frozen=True)
class Adapter:
    """A fixed pre-processor and its post-processor."""

    name: str
    pre: Callable[[torch.Tensor], torch.Tensor]
    post: Callable[[torch.Tensor], torch.Tensor]
    why: str


ADAPTERS: dict[str, Adapter] = {
    a.name: a
    for a in (
        Adapter("identity", lambda x: x, lambda y: y, "planes are the source channels"),
        Adapter("ycbcr", rgb_to_ycbcr, ycbcr_to_rgb, "BT.601 full-range YCbCr, as the codec itself would"),
        Adapter("luma", rgb_to_luma, luma_to_rgb, "BT.601 luma; the gray image is shown as RGB"),
    )
}
