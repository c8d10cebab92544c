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


@dataclass(frozen=True)
class Baseline:
    """The plain codec on the source, in its native (YCbCr / gray) mode: what a user would do instead."""

    name: str
    chroma: str
    adapter: str
    """Fixed map from source to what the codec codes natively ('identity': RGB; 'luma': gray)."""


@dataclass(frozen=True)
class Recipe:
    id: str
    summary: str
    source_kind: str
    channels: tuple[str, ...]
    bit_depth: int
    layout: Layout
    distortion: str
    plain: str
    baselines: tuple[Baseline, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "summary": self.summary,
            "source": {"kind": self.source_kind, "channels": list(self.channels), "bit_depth": self.bit_depth},
            "bottleneck": {**self.layout.to_json(), "codec_images": [g.chroma for g in self.layout.groups]},
            "distortion": self.distortion,
            "plain_adapter": self.plain,
            "baselines": [b.__dict__ for b in self.baselines],
        }


_RGB = ("R", "G", "B")
_YCBCR_BASELINES = (Baseline("ycbcr-420", "420", "identity"), Baseline("ycbcr-444", "444", "identity"))

RECIPES: dict[str, Recipe] = {
    r.id: r
    for r in (
        Recipe(
            "rgb-400",
            "RGB image over a grayscale (4:0:0) codec: one bottleneck plane",
            "rgb8", _RGB, 8, Layout("400", 1), "mse", "composite",
            (Baseline("gray", "400", "luma"),),
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
    )
}

assert all(r.plain in ADAPTERS and all(b.adapter in ADAPTERS for b in r.baselines) for r in RECIPES.values())


def get_recipe(recipe_id: str) -> Recipe:
    try:
        return RECIPES[recipe_id]
    except KeyError:
        raise UsageError(f"unknown recipe {recipe_id!r}; known: {', '.join(RECIPES)}") from None
