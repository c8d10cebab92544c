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

    def pre(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def post(self, y: torch.Tensor) -> torch.Tensor:
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

    def post(self, y: torch.Tensor) -> torch.Tensor:
        return self.adapter.post(y)


def load_model(spec: str, recipe: Recipe) -> SandwichModel:
    """Resolve ``--model``: ``none`` (the plain adaptation), later a zoo id or a weights file."""
    if spec == NONE:
        return PlainModel(recipe)
    raise UsageError(f"unknown model {spec!r} for recipe {recipe.id}; available: {NONE}")
