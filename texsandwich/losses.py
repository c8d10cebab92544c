"""Rate-distortion losses as modules returning dicts (the CompressAI way)."""

from __future__ import annotations

import math

import torch
from torch import nn


class RateDistortionLoss(nn.Module):
    """``MSE + λ · bits per pixel`` on the 0..255 scale, with PSNR and bpp reported alongside.

    ``bits`` come from the proxy (refit to the real JPEG count), per image; the pixel count is the
    source's, so bpp here means the same as the bpp of a ``.tsw`` file.
    """

    def __init__(self, lmbda: float) -> None:
        super().__init__()
        self.lmbda = float(lmbda)

    def forward(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> dict[str, torch.Tensor]:
        mse = torch.mean((out["x_hat"] - x) ** 2)
        bpp = torch.mean(out["bits"]) / (x.shape[-2] * x.shape[-1])
        loss = mse + self.lmbda * bpp
        psnr = 10 * torch.log10(255.0**2 / mse.detach().clamp_min(1e-10))
        return {"loss": loss, "mse": mse.detach(), "bpp": bpp.detach(), "psnr": psnr,
                "step": out["step"].detach() if "step" in out else torch.tensor(math.nan)}
