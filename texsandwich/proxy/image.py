"""The differentiable image codec proxy: a JPEG-like stand-in for a real codec during training."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from texsandwich.layout import CodecImage, Layout
from texsandwich.proxy.dct import block_dct, block_idct, from_blocks, to_blocks
from texsandwich.proxy.islow import fdct_islow, idct_islow, quantise_index
from texsandwich.proxy.quant import StepSize, clip_round, quantise
from texsandwich.proxy.rate import log_rate, real_bits, refit

# Bits per nat of log-rate: real flat-step JPEG scan bits over the proxy's Σ log(1+|ĉ|/Δ). Median over
# 20 photos of ../shared/data/photos, 4:0:0/4:2:0/4:4:4, steps 2-32: 4.25 (3.6 at step 2, 5.0 at step
# 32); `tools/bench_proxy.py` measures it. Only used by the fixed-``a`` rate mode.
DEFAULT_BITS_PER_NAT = 4.25


class ImageCodecProxy(nn.Module):
    """Clip + STE round, 8x8 DCT, STE quantiser with learnable Δ, inverse, and a rate estimate.

    ``rate='refit'`` measures the real JPEG bit count of every image's rounded bottleneck at step
    ``round(Δ)`` on each forward pass and scales the proxy to it (exact value, proxy gradient);
    ``rate='fixed'`` uses ``bits_per_nat · N`` and never calls the codec (faster, less exact).

    ``transform='islow'`` (default for 8 bits) computes forward values with libjpeg's integer DCT,
    quantiser and IDCT, so at an integer step the proxy's decode *is* libjpeg-turbo's, sample for
    sample; gradients always come from the orthonormal float DCT. ``'float'`` uses the float DCT for
    values too (about 44-54 dB from the real decode; the only choice for deeper bottlenecks).
    """

    def __init__(
        self,
        layout: Layout,
        step: float = 8.0,
        bit_depth: int = 8,
        rate: str = "refit",
        bits_per_nat: float = DEFAULT_BITS_PER_NAT,
        learn_step: bool = True,
        count: str = "scan",
        transform: str | None = None,
    ) -> None:
        super().__init__()
        if rate not in ("refit", "fixed"):
            raise ValueError("rate must be 'refit' or 'fixed'")
        transform = transform or ("islow" if bit_depth == 8 else "float")
        if transform not in ("islow", "float") or (transform == "islow" and bit_depth != 8):
            raise ValueError("transform must be 'float', or 'islow' for 8-bit bottlenecks")
        if rate == "refit" and bit_depth != 8:
            raise ValueError("the refit rate needs an 8-bit (JPEG) bottleneck; use rate='fixed'")
        self.layout = layout
        self.step = StepSize(step, trainable=learn_step)
        self.peak = float((1 << bit_depth) - 1)
        self.offset = float(1 << (bit_depth - 1))
        self.rate = rate
        self.bits_per_nat = bits_per_nat
        self.count = count
        self.exact = transform == "islow"

    def code_plane(self, plane: torch.Tensor, step: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Code one ``[B, h, w]`` plane of integers: returns the decoded plane and its log-rate ``[B]``."""
        h, w = plane.shape[-2:]
        blocks = to_blocks(plane - self.offset)
        coeffs = block_dct(blocks)
        q = quantise(coeffs, step)
        if self.exact:  # libjpeg's values, the float transform's gradients
            index = quantise_index(fdct_islow(blocks.detach()), step.detach())
            q = q + (index.to(q.dtype) * step.detach() - q).detach()
            spatial = block_idct(q)
            spatial = spatial + (idct_islow(index * step.detach().double()).to(q.dtype) - spatial).detach()
        else:
            spatial = block_idct(q)
        decoded = from_blocks(spatial, h, w) + self.offset
        return clip_round(decoded, self.peak), log_rate(q, step)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``x``: bottleneck ``[B, C, H, W]`` on the code scale (0..peak).

        Returns ``x_hat`` (decoded bottleneck, same shape), ``bits`` ``[B]`` (differentiable rate),
        ``nats`` ``[B]`` (proxy log-rate), ``step`` (Δ) and, in refit mode, ``real_bits`` ``[B]``.
        """
        height, width = x.shape[-2:]
        step = self.step()
        images = [[clip_round(p, self.peak) for p in img] for img in self.layout.split(x)]
        nats = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        decoded: list[CodecImage] = []
        for img in images:
            planes = []
            for p in img:
                d, n = self.code_plane(p, step)
                planes.append(d)
                nats = nats + n
            decoded.append(planes)
        out = {"x_hat": self.layout.merge(decoded, height, width), "nats": nats, "step": step}
        if self.rate == "refit":
            measured = self.measure(images, round(float(step.detach())))
            out["real_bits"] = measured.to(x.device, x.dtype)
            out["bits"] = refit(nats, out["real_bits"])
        else:
            out["bits"] = self.bits_per_nat * nats
        return out

    @torch.no_grad()
    def measure(self, images: list[CodecImage], step: int) -> torch.Tensor:
        """Real JPEG bits of each batch element's codec images at flat step ``step``."""
        groups = self.layout.groups
        batch = images[0][0].shape[0]
        arrays = [[p.detach().cpu().numpy().astype(np.uint8) for p in img] for img in images]
        step = min(max(step, 1), 255)
        bits = []
        for b in range(batch):
            per_image = [(g.chroma, [p[b] for p in img]) for g, img in zip(groups, arrays, strict=True)]
            bits.append(real_bits(per_image, step, self.count))
        return torch.tensor(bits, dtype=torch.float64)
