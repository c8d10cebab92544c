"""Straight-through rounding and the learnable quantiser step."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def ste_round(x: torch.Tensor) -> torch.Tensor:
    """Round forward, identity backward: the codec's integer grid without killing the gradient."""
    return x + (torch.round(x) - x).detach()


def clip_round(x: torch.Tensor, peak: float) -> torch.Tensor:
    """Clip to the code range ``[0, peak]`` and round with a straight-through estimator.

    Clipping is a hard clamp (zero gradient outside the range): values the codec cannot carry
    should not be rewarded for moving further out.
    """
    return ste_round(x.clamp(0.0, peak))


def quantise(coeffs: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
    """Uniform quantise-dequantise with a straight-through round on ``coeffs / step``.

    Written as ``step * (u + sg(round(u) - u))`` with ``u = coeffs / step`` so that the step gets the
    learned-step-size gradient ``round(u) - u`` from the distortion, not only from the rate.
    """
    u = coeffs / step
    return step * (u + (torch.round(u) - u).detach())


class StepSize(nn.Module):
    """A positive quantiser step Δ >= 1, parameterised as ``elu(q, 0.01) + 1`` (as the authors do).

    Steps below 1 are meaningless for an integer codec (JPEG cannot tell 0 from 1); the elu keeps a
    small gradient below the floor so the step can come back up.
    """

    def __init__(self, init: float = 8.0, trainable: bool = True) -> None:
        super().__init__()
        if init < 1:
            raise ValueError("the initial step must be >= 1")
        self.q = nn.Parameter(torch.tensor(float(init) - 1.0), requires_grad=trainable)

    def forward(self) -> torch.Tensor:
        return F.elu(self.q, alpha=0.01) + 1.0

    def set(self, value: float) -> None:
        """Set Δ (>= 1) without touching the autograd graph, e.g. for an evaluation sweep."""
        with torch.no_grad():
            self.q.fill_(float(value) - 1.0)
