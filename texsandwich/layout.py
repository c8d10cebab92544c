"""How C bottleneck planes become codec images, and back.

``split`` and ``merge`` are the only place where planes are grouped, padded, subsampled or resized,
and both the proxy (training) and the real codec path (inference) go through them, so the two paths
see identical geometry:

* ``444`` -- planes in groups of three full-resolution planes per codec image;
* ``420`` -- groups of three: plane 0 at full resolution, planes 1 and 2 at half resolution
  (2x2 mean); on the way back the half-resolution planes are upsampled with libjpeg's fancy
  (bilinear) filter;
* ``400`` -- one plane per (grayscale) codec image.

A last group that is short of three planes is coded as 4:0:0 images, one per plane (e.g. 8 planes
over 4:4:4 = two 4:4:4 images + two 4:0:0 images). ``scale=2`` codes the bottleneck at half
resolution (antialiased bicubic down, Lanczos3 up), for codecs limited to lower resolutions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from texsandwich.codecs.base import CHROMAS, CodecSettings, planes_per_image
from texsandwich.errors import UsageError
from texsandwich.resample import chroma_down, chroma_up, downscale2, pad_to_multiple, upscale2

CodecImage = list[torch.Tensor]
"""The planes of one codec image, each ``[B, h, w]``; plane 0 is full resolution."""


@dataclass(frozen=True)
class Group:
    """One codec image: its chroma format and which bottleneck planes it carries."""

    chroma: str
    planes: tuple[int, ...]


@dataclass(frozen=True)
class Layout:
    chroma: str
    planes: int
    scale: int = 1

    def __post_init__(self) -> None:
        if self.chroma not in CHROMAS:
            raise UsageError(f"layout chroma must be one of {', '.join(CHROMAS)}")
        if self.planes < 1:
            raise UsageError("a layout needs at least one plane")
        if self.scale not in (1, 2):
            raise UsageError("layout scale must be 1 or 2")

    @property
    def groups(self) -> list[Group]:
        """Codec images in coding order."""
        n = planes_per_image(self.chroma)
        out: list[Group] = []
        full = self.planes - self.planes % n
        for start in range(0, full, n):
            out.append(Group(self.chroma, tuple(range(start, start + n))))
        out.extend(Group("400", (p,)) for p in range(full, self.planes))
        return out

    def settings_for(self, settings: CodecSettings, offsets: tuple[int, ...] = ()) -> list[CodecSettings]:
        """Settings of each codec image: ``settings`` with the chroma format of its group, and with
        ``offsets`` (one per codec image, the encoder's per-file bit allocation) added to the quality."""
        groups = self.groups
        if offsets and (len(offsets) != len(groups) or settings.quality is None):
            raise UsageError(f"quality offsets need a quality and one offset per codec image ({len(groups)})")
        offsets = offsets or (0,) * len(groups)
        return [replace(settings, chroma=g.chroma,
                        **({"quality": min(100, max(0, settings.quality + o))} if o else {}))  # type: ignore[operator]
                for g, o in zip(groups, offsets, strict=True)]

    @property
    def block(self) -> int:
        """Padding multiple of the coded size (even sizes when chroma is subsampled)."""
        return 2 if any(g.chroma == "420" for g in self.groups) else 1

    def coded_size(self, height: int, width: int) -> tuple[int, int]:
        """Size of the codec images for a bottleneck of ``height`` x ``width``."""
        h, w = -(-height // self.scale), -(-width // self.scale)
        return h + (-h) % self.block, w + (-w) % self.block

    def split(self, x: torch.Tensor) -> list[CodecImage]:
        """``[B, C, H, W]`` bottleneck -> codec images (padded, resized, subsampled; not rounded)."""
        if x.ndim != 4 or x.shape[1] != self.planes:
            raise UsageError(f"layout expects [B, {self.planes}, H, W], got {list(x.shape)}")
        if self.scale == 2:
            x = downscale2(pad_to_multiple(x, 2))
        x = pad_to_multiple(x, self.block)
        images: list[CodecImage] = []
        for g in self.groups:
            planes = [x[:, g.planes[0]]]
            if g.chroma == "420":
                planes += list(chroma_down(x[:, list(g.planes[1:])]).unbind(1))
            else:
                planes += [x[:, p] for p in g.planes[1:]]
            images.append(planes)
        return images

    def merge(self, images: list[CodecImage], height: int, width: int) -> torch.Tensor:
        """Decoded codec images -> ``[B, C, height, width]`` float bottleneck (inverse of :meth:`split`).

        Planes may be float (the proxy, the encoder's optimisation) or the decoder's integers: a 4K
        material's eight planes as floats are 0.5 GB, which decoding need not hold twice."""
        groups = self.groups
        if len(images) != len(groups):
            raise UsageError(f"layout has {len(groups)} codec images, got {len(images)}")
        planes: list[torch.Tensor] = []
        for g, img in zip(groups, images, strict=True):
            planes.append(img[0])
            if g.chroma == "420":
                planes += list(chroma_up(torch.stack(img[1:], dim=1).float()).unbind(1))
            else:
                planes += img[1:]
        if any(p.requires_grad for p in planes):
            x = torch.stack(planes, dim=1)
        else:  # decoding: integer planes straight into one float buffer, no float copy of each first
            x = torch.empty(planes[0].shape[0], len(planes), *planes[0].shape[-2:])
            for i, p in enumerate(planes):
                x[:, i] = p
        if self.scale == 2:
            h2, w2 = -(-height // 2), -(-width // 2)
            x = upscale2(x[..., :h2, :w2])
        return x[..., :height, :width]

    def to_json(self) -> dict[str, int | str]:
        return {"chroma": self.chroma, "planes": self.planes, "scale": self.scale}

    @classmethod
    def from_json(cls, d: dict) -> Layout:
        if not isinstance(d, dict) or set(d) != {"chroma", "planes", "scale"}:
            raise UsageError("layout must have exactly the keys chroma, planes, scale")
        if not all(isinstance(d[k], int) and not isinstance(d[k], bool) for k in ("planes", "scale")):
            raise UsageError("layout planes and scale must be integers")
        return cls(chroma=d["chroma"], planes=d["planes"], scale=d["scale"])
