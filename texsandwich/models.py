"""Sandwich models: the pre-processor and post-processor around the codec.

Every model offers the same two maps on float tensors (0..255 scale), so the pipeline does not care
whether it holds networks or the recipe's fixed adapter:

* ``pre``:  source ``[B, C_src, H, W]`` -> bottleneck ``[B, C_bottleneck, H, W]`` (code scale);
* ``post``: decoded bottleneck -> reconstruction ``[B, C_src, H, W]``.

``--model none`` is :class:`PlainModel`, the recipe's plain-codec adaptation. Learned models (loaded
from the zoo or a ``.safetensors`` file) plug in here with an id and the SHA-256 of their weights,
which the ``.tsw`` manifest records so a file is never decoded with the wrong networks.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from texsandwich.adapters import ADAPTERS
from texsandwich.errors import UsageError
from texsandwich.recipes import Recipe

NONE = "none"


class SandwichModel(nn.Module):
    """Interface of every model; ``model_id`` and ``sha256`` identify it in ``.tsw`` manifests."""

    model_id: str
    sha256: str
    recipe: Recipe
    heic_chroma_qp: tuple[int, int] = (0, 0)
    """Cb, Cr QP offsets the encoder sets when this model codes through HEIC (``CodecSettings.chroma_qp``)."""
    heic_tuning: str = "default"
    """The x265 tuning this model codes HEIC with (``CodecSettings.tuning``): a bottleneck may want other
    encoder settings than a photo, and a post-net refined on such decodes should get them."""

    def pre(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def post(self, y: torch.Tensor, codec: str | None = None, quality: int | None = None) -> torch.Tensor:
        """``codec`` / ``quality`` (from the manifest when decoding) let a model adapt to the setting."""
        raise NotImplementedError


class PlainModel(SandwichModel):
    """No networks: the recipe's fixed adapter (e.g. RGB <-> YCbCr, RGB -> luma -> gray RGB)."""

    def __init__(self, recipe: Recipe) -> None:
        super().__init__()
        self.recipe = recipe
        self.model_id = NONE
        self.sha256 = NONE
        self.adapter = ADAPTERS[recipe.plain]

    def pre(self, x: torch.Tensor) -> torch.Tensor:
        return self.adapter.pre(x)

    def post(self, y: torch.Tensor, codec: str | None = None, quality: int | None = None) -> torch.Tensor:
        return self.adapter.post(y)


def default_model(recipe: Recipe, codec: str | None = None) -> str:
    """The zoo model a recipe uses when ``--model`` is not given (``none`` if it has none).

    A recipe may name another default for one codec (``zoo.CODEC_DEFAULTS``): one set of weights
    serves every codec, but plane gains that suit HEIC can cost bits with JPEG's flat tables.
    """
    from texsandwich.zoo import CODEC_DEFAULTS, DEFAULTS, ZOO

    zid = CODEC_DEFAULTS.get((recipe.id, codec or "")) or DEFAULTS.get(recipe.id)
    return zid if zid and ZOO[zid].available else NONE


def load_model(spec: str | None, recipe: Recipe, codec: str | None = None) -> SandwichModel:
    """Resolve ``--model``: ``none`` (the plain adaptation), a zoo id, or a ``.safetensors`` file.

    ``None`` means the recipe's default zoo model for ``codec``. A model made for another recipe is
    refused with a message naming both.
    """
    from texsandwich.sandwich import load_sandwich
    from texsandwich.zoo import ZOO

    spec = spec or default_model(recipe, codec)
    if spec == NONE:
        return PlainModel(recipe)
    if spec in ZOO:
        entry = ZOO[spec]
        if entry.recipe != recipe.id:
            raise UsageError(f"zoo model {spec} is for recipe {entry.recipe}, not {recipe.id}")
        if not entry.available:
            raise UsageError(f"zoo model {spec} has no weights in this installation ({entry.path})")
        return load_sandwich(entry.path, recipe, model_id=spec)
    path = Path(spec)
    if path.suffix == ".safetensors" or path.exists():
        return load_sandwich(path, recipe)
    known = ", ".join([NONE] + [z for z, e in ZOO.items() if e.recipe == recipe.id])
    raise UsageError(f"unknown model {spec!r} for recipe {recipe.id}; known: {known}, or a .safetensors file")
