"""The pre- and post-processor networks: a per-pixel sin-MLP plus a gated U-Net.

``output = base(x) + MLP(x) + s * UNet(x)`` where ``base`` is the recipe's fixed adapter (e.g. RGB ->
YCbCr), ``MLP`` is a stack of 1x1 convolutions with sin activations and a zero-initialised output, and
``s`` is a learned scalar that starts at 0. At initialisation a processor therefore *is* the plain-codec
adaptation, training starts from the plain codec's quality, and spatial context (the U-Net) is grown
in as ``s`` moves -- the authors' MLP + s·UNet, made residual around the adapter so that short CPU
training cannot end below the baseline it started from.

U-Net notation follows the paper: ``(encoder widths; decoder widths)``; each encoder level is two 3x3
ReLU convolutions then decimation by 2; the first decoder width runs at the coarsest level, each further
one after a bilinear x2 upsampling and concatenation with the matching encoder output; a final linear
3x3 convolution gives the output channels. Inputs of any size are padded (replicate) to a multiple of
``2**levels`` and cropped back.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from texsandwich.adapters import carriers


@dataclass(frozen=True)
class Preset:
    name: str
    encoder: tuple[int, ...]
    decoder: tuple[int, ...]
    mlp_hidden: int = 16
    mlp_layers: int = 2

    def __post_init__(self) -> None:
        if len(self.decoder) != len(self.encoder) + 1:
            raise ValueError("a U-Net needs one more decoder width than encoder widths")


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("full", (32, 64, 128, 256), (512, 256, 128, 64, 32)),
        Preset("medium", (32, 64), (128, 64, 32)),
        Preset("slim", (32,), (32, 32)),
        Preset("lite", (4,), (8, 4), mlp_hidden=8),
    )
}


def _conv(cin: int, cout: int, k: int = 3) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, padding=k // 2)  # zero padding: ~20% faster than replicate on CPU


class UNet(nn.Module):
    def __init__(self, cin: int, cout: int, encoder: tuple[int, ...], decoder: tuple[int, ...]) -> None:
        super().__init__()
        self.down = nn.ModuleList()
        c = cin
        for w in encoder:
            self.down.append(nn.Sequential(_conv(c, w), nn.ReLU(inplace=True), _conv(w, w), nn.ReLU(inplace=True)))
            c = w
        self.bottom = nn.Sequential(
            _conv(c, decoder[0]), nn.ReLU(inplace=True), _conv(decoder[0], decoder[0]), nn.ReLU(inplace=True)
        )
        self.up = nn.ModuleList()
        c = decoder[0]
        for skip, w in zip(reversed(encoder), decoder[1:], strict=True):
            self.up.append(nn.Sequential(_conv(c + skip, w), nn.ReLU(inplace=True), _conv(w, w), nn.ReLU(inplace=True)))
            c = w
        self.out = _conv(c, cout)
        self.levels = len(encoder)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = x[..., ::2, ::2]  # decimation, as the authors do
        x = self.bottom(x)
        for block, skip in zip(self.up, reversed(skips), strict=True):
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], dim=1))
        return self.out(x)


class SinMLP(nn.Module):
    """Per-pixel MLP (1x1 convolutions) with sin activations and a zero-initialised linear output."""

    def __init__(self, cin: int, cout: int, hidden: int, layers: int) -> None:
        super().__init__()
        dims = [cin] + [hidden] * layers
        self.hidden = nn.ModuleList(nn.Conv2d(a, b, 1) for a, b in itertools.pairwise(dims))
        self.out = nn.Conv2d(dims[-1], cout, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.hidden:
            x = torch.sin(layer(x))
        return self.out(x)


class Processor(nn.Module):
    """One side of the sandwich: ``base(x) + scale * (MLP(x') + s * UNet(x'))``, ``x' = (x - 127.5) / 127.5``."""

    def __init__(
        self, cin: int, cout: int, preset: Preset, base: Callable[[torch.Tensor], torch.Tensor], scale: float = 127.5,
        positional: bool = False,
    ) -> None:
        super().__init__()
        self.base = base
        self.scale = scale
        self.positional = positional
        extra = 2 if positional else 0  # the carriers of a position-dependent adapter
        self.mlp = SinMLP(cin + extra, cout, preset.mlp_hidden, preset.mlp_layers)
        self.unet = UNet(cin + extra, cout, preset.encoder, preset.decoder)
        self.s = nn.Parameter(torch.zeros(()))
        self.multiple = 1 << len(preset.encoder)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        """What the networks add to ``base(x)``."""
        h, w = x.shape[-2:]
        z = (x - 127.5) / 127.5
        if self.positional:
            z = torch.cat([z, carriers(h, w, z).expand(z.shape[0], -1, -1, -1)], dim=1)
        ph, pw = (-h) % self.multiple, (-w) % self.multiple
        zp = F.pad(z, (0, pw, 0, ph), mode="replicate") if ph or pw else z
        return self.scale * (self.mlp(z) + self.s * self.unet(zp)[..., :h, :w])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.residual(x)


def macs_per_pixel(module: nn.Module, cin: int, size: int = 64) -> float:
    """Multiply-accumulates per input pixel, counted over conv layers on a ``size`` x ``size`` input."""
    total = 0

    def hook(m: nn.Module, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal total
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        total += k * out.shape[1] * out.shape[-2] * out.shape[-1]

    handles = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, nn.Conv2d)]
    try:
        with torch.no_grad():
            module(torch.zeros(1, cin, size, size))
    finally:
        for h in handles:
            h.remove()
    return total / (size * size)


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
