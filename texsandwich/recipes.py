"""The registry of recipes: every sandwich configuration is data here, not a branch in the code.

A recipe fixes what the source is, how many bottleneck planes the pre-processor makes and how the
layout groups them into codec images, what distortion training and evaluation measure, the fixed
adapter used when no networks are loaded (``--model none``) and the plain-codec baselines the
sandwich is measured against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from texsandwich.adapters import ADAPTERS
from texsandwich.errors import UsageError
from texsandwich.layout import Layout
from texsandwich.rdo import Allocation


def sample_unit(bit_depth: int) -> float:
    """Source code values per unit of the 0..255 scale networks and adapters work on (257 for 16-bit)."""
    return ((1 << bit_depth) - 1) / 255.0


@dataclass(frozen=True)
class Part:
    """Some source channels coded as their own file(s) by the plain codec."""

    channels: tuple[int, ...]
    chroma: str
    adapter: str
    """Fixed map from these channels to the planes the codec codes ('identity', 'luma', 'normal_xy')."""
    mode: str = "native"
    """'native': the codec's own YCbCr / gray path (what a user would do); 'raw': planes as they are
    (no colour conversion), through the same layout code as the sandwich's bottleneck."""
    scale: int = 1
    """2: antialiased bicubic down by 2 before the codec, Lanczos3 up by 2 after (the HR recipes' bar)."""

    def to_json(self) -> dict[str, Any]:
        return {"channels": list(self.channels), "chroma": self.chroma, "adapter": self.adapter, "mode": self.mode,
                "scale": self.scale}


@dataclass(frozen=True)
class Baseline:
    """The plain codec on the source, what a user would do instead: one file per part, sizes summed."""

    name: str
    parts: tuple[Part, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "parts": [p.to_json() for p in self.parts]}


@dataclass(frozen=True)
class Recipe:
    id: str
    summary: str
    source_kind: str
    channels: tuple[str, ...]
    bit_depth: int
    layout: Layout
    distortion: str
    """'mse' (PSNR of the source's samples), 'shaded' (texture-space shaded PSNR), 'normal' (PSNR of the
    map, with the mean angular error reported too): see :mod:`texsandwich.distortion`."""
    plain: str
    baselines: tuple[Baseline, ...]
    ceiling: str | None = None
    """An adapter whose lossless round trip bounds every 8-bit transport (reported as a line, not a curve)."""
    tone: tuple[tuple[int, float], ...] = ()
    """16-bit recipes: ``(from quality, strength)`` steps of the per-image tone curve
    (:mod:`texsandwich.hdr.tone`); empty = the linear map everywhere."""
    normal_at: int | None = None
    """Index of the source's normal.x channel (normal.y, normal.z follow) for recipes that carry a
    tangent-space normal map: the encoder fits the integrability post-filter on it
    (:mod:`texsandwich.postfilter`). None: no normal map, no post-filter."""
    allocation: Allocation | None = None
    """The encoder's per-file search for quality offsets between groups of codec images
    (:mod:`texsandwich.rdo`); None: every image at the nominal quality."""
    references: tuple[Baseline, ...] = ()
    """Plain codings outside the recipe's constraint (e.g. the full-resolution codec for ``rgb-hr2``),
    measured and drawn by ``eval`` for context: the question a user asks next ("is the half-resolution
    path worth it at all?"). Never part of the baseline front the recipe's numbers are scored against."""

    @property
    def unit(self) -> float:
        """Source code values per unit of the 0..255 scale networks and adapters work on (257 for 16-bit)."""
        return sample_unit(self.bit_depth)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "summary": self.summary,
            "source": {"kind": self.source_kind, "channels": list(self.channels), "bit_depth": self.bit_depth},
            "bottleneck": {**self.layout.to_json(), "codec_images": [g.chroma for g in self.layout.groups]},
            "distortion": self.distortion,
            **({"postfilter": {"kind": "integrable", "normal_at": self.normal_at}}
               if self.normal_at is not None else {}),
            "plain_adapter": self.plain,
            "baselines": [b.to_json() for b in self.baselines],
            **({"ceiling": self.ceiling} if self.ceiling else {}),
            **({"allocation": self.allocation.to_json()} if self.allocation else {}),
            **({"references": [b.to_json() for b in self.references]} if self.references else {}),
        }


_RGB = ("R", "G", "B")
_NORMAL = ("normal.x", "normal.y", "normal.z")
_PBR8 = ("albedo.r", "albedo.g", "albedo.b", *_NORMAL, "roughness", "occlusion")
_RGB_PARTS = (0, 1, 2)
_YCBCR_BASELINES = (Baseline("ycbcr-420", (Part(_RGB_PARTS, "420", "identity"),)),
                    Baseline("ycbcr-444", (Part(_RGB_PARTS, "444", "identity"),)))
_HR2_BASELINES = (Baseline("bicubic-ycbcr-420", (Part(_RGB_PARTS, "420", "identity", scale=2),)),
                  Baseline("bicubic-ycbcr-444", (Part(_RGB_PARTS, "444", "identity", scale=2),)))
_NORMAL_BASELINES = (
    Baseline("rgb-444", (Part(_RGB_PARTS, "444", "identity", "raw"),)),
    *_YCBCR_BASELINES,
    Baseline("xy", (Part(_RGB_PARTS, "400", "normal_xy", "raw"),)),
)
_ROUGH_AO = (Part((6,), "400", "identity", "raw"), Part((7,), "400", "identity", "raw"))
_PBR_BASELINES = (
    # the paper's per-component coding: albedo with colour conversion, normal 4:4:4 without, gray maps 4:0:0
    Baseline("per-component", (Part((0, 1, 2), "420", "identity"), Part((3, 4, 5), "444", "identity", "raw"),
                               *_ROUGH_AO)),
    Baseline("per-component-444", (Part((0, 1, 2), "444", "identity"), Part((3, 4, 5), "444", "identity", "raw"),
                                   *_ROUGH_AO)),
    # the best non-neural normal coding: n_x, n_y as two gray images, n_z rebuilt
    Baseline("per-component-xy", (Part((0, 1, 2), "420", "identity"), Part((3, 4, 5), "400", "normal_xy", "raw"),
                                  *_ROUGH_AO)),
)

RECIPES: dict[str, Recipe] = {
    r.id: r
    for r in (
        Recipe(
            "rgb-400",
            "RGB image over a grayscale (4:0:0) codec: one bottleneck plane",
            "rgb8", _RGB, 8, Layout("400", 1), "mse", "composite",
            (Baseline("gray", (Part(_RGB_PARTS, "400", "luma"),)),),
        ),
        Recipe(
            "rgb-420",
            "RGB image over a 4:2:0 codec: one full- and two half-resolution planes",
            "rgb8", _RGB, 8, Layout("420", 3), "mse", "ycbcr", _YCBCR_BASELINES,
        ),
        Recipe(
            "rgb-444",
            "RGB image over a 4:4:4 codec: three full-resolution planes",
            "rgb8", _RGB, 8, Layout("444", 3), "mse", "ycbcr", _YCBCR_BASELINES,
        ),
        Recipe(
            "rgb-hr2",
            "RGB image at twice the codec's resolution: one half-resolution 4:4:4 bottleneck (bicubic down "
            "after the pre-net, Lanczos3 up before the post-net)",
            "rgb8", _RGB, 8, Layout("444", 3, scale=2), "mse", "identity", _HR2_BASELINES,
            # the same codec at full resolution: what a decoder without the half-resolution limit gets
            references=_YCBCR_BASELINES,
        ),
        Recipe(
            "hdr-444",
            "16-bit RGB (HDR through PQ, or 16-bit PNG/TIFF) over an 8-bit 4:4:4 codec: three planes",
            "rgb16", _RGB, 16, Layout("444", 3), "hdr", "identity",
            # top 8 bits through the codec as its planes are (the baseline) and through the codec's
            # own YCbCr 4:4:4 (28 % fewer bits at mid rates on the training EXRs, but its 8-bit YCbCr
            # rounding caps it ~4 dB lower): the sandwich is measured against the front of both
            (Baseline("top8", (Part(_RGB_PARTS, "444", "top8", "raw"),)),
             Baseline("top8-ycbcr", (Part(_RGB_PARTS, "444", "top8", "native"),))), ceiling="top8",
            # per-image tone curve from quality 50 up: strength 0.15 was best of 0.1-0.25 x from-50/60/70/80/90
            # on the 14 training EXRs (docs/ZOO.md)
            tone=((50, 0.15),),
        ),
        Recipe(
            "pbr8-400",
            "PBR material (albedo 3, normal 3, roughness, occlusion) over eight grayscale (4:0:0) images",
            "material", _PBR8, 8, Layout("400", 8), "shaded", "pbr8", _PBR_BASELINES, normal_at=3,
            # albedo (Y, Cb, Cr), the two normal slopes, roughness, occlusion; the flat third normal plane stays
            allocation=Allocation(((0, 1, 2), (3, 4), (6,), (7,))),
        ),
        Recipe(
            "normal-444",
            "tangent-space normal map over a 4:4:4 codec: three full-resolution planes",
            "normal", _NORMAL, 8, Layout("444", 3), "normal", "normal_xy_flat", _NORMAL_BASELINES, normal_at=0,
        ),
        Recipe(
            "normal-420",
            "tangent-space normal map over a 4:2:0 codec: one full- and two half-resolution planes",
            "normal", _NORMAL, 8, Layout("420", 3), "normal", "ycbcr", _NORMAL_BASELINES, normal_at=0,
        ),
        Recipe(
            "normal-400",
            "tangent-space normal map over a grayscale (4:0:0) codec: one plane",
            "normal", _NORMAL, 8, Layout("400", 1), "normal", "composite", _NORMAL_BASELINES, normal_at=0,
        ),
    )
}

assert all(
    r.plain in ADAPTERS and all(p.adapter in ADAPTERS for b in r.baselines for p in b.parts) for r in RECIPES.values()
)


def get_recipe(recipe_id: str) -> Recipe:
    try:
        return RECIPES[recipe_id]
    except KeyError:
        raise UsageError(f"unknown recipe {recipe_id!r}; known: {', '.join(RECIPES)}") from None
