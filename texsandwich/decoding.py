"""Decoding ``.tsw`` files back to arrays and materials, with each file's model loaded once.

Shared by ``decompress`` (which writes the results) and ``render`` / ``eval --render`` (which shade
them): one place knows that a material file holds the recipe's channels plus side maps (metallic).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from texsandwich.assets import PBR8, Material
from texsandwich.container import HEADER_BYTES, Manifest, Tsw, manifest_length, read_manifest, read_tsw
from texsandwich.errors import InputError, TexsandwichError
from texsandwich.images import ALPHA, ImageMeta
from texsandwich.models import SandwichModel, load_model
from texsandwich.pipeline import decode_side, reconstruct
from texsandwich.recipes import get_recipe

_T = TypeVar("_T")


def read_tsw_file(path: Path) -> Tsw:
    """A parsed ``.tsw``; unreadable or malformed files become one-line errors naming the file."""
    return _parse_file(Path(path), Path.read_bytes, read_tsw)


def read_manifest_file(path: Path) -> Manifest:
    """The manifest of a ``.tsw`` file, reading only its first bytes (header and manifest; a few hundred):
    for callers that decide what to do with a file before decoding it, so that a batch reads each
    file's streams once. Errors as :func:`read_tsw_file`'s."""
    return _parse_file(Path(path), _head_bytes, read_manifest)


def _head_bytes(path: Path) -> bytes:
    """A ``.tsw`` file's header and manifest bytes (what :func:`~texsandwich.container.read_manifest` takes)."""
    with open(path, "rb") as f:
        head = f.read(HEADER_BYTES)
        return head + f.read(max(manifest_length(head) - len(head), 0))


def _parse_file(path: Path, read: Callable[[Path], bytes], parse: Callable[[bytes], _T]) -> _T:
    """``parse(read(path))``, with what fails said in one line naming the file."""
    try:
        data = read(path)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    try:
        return parse(data)
    except TexsandwichError as e:
        raise type(e)(f"{path}: {e}") from None


def image_meta(tsw: Tsw) -> ImageMeta:
    """What an 8-bit image's decoded file carries besides its pixels, as its source did."""
    m = tsw.manifest
    return ImageMeta(gray=m.source_format == "gray", icc=tsw.icc, orientation=m.orientation)


class Decoder:
    """Reconstructs ``.tsw`` files with the model each names (or one forced model), caching the models."""

    def __init__(self, model_spec: str | None = None) -> None:
        self.model_spec = model_spec
        self._models: dict[tuple[str, str], SandwichModel] = {}

    def array(self, tsw: Tsw) -> np.ndarray:
        """The reconstruction ``[H, W, C]`` uint8 in the recipe's channel order."""
        m = tsw.manifest
        key = (m.recipe, self.model_spec or m.model_id)
        if key not in self._models:
            self._models[key] = load_model(key[1], get_recipe(m.recipe))
        return reconstruct(tsw, self._models[key])

    def material(self, tsw: Tsw, name: str) -> Material:
        """A decoded material: the recipe's channels plus the side maps (metallic) the file carries."""
        recipe = get_recipe(tsw.manifest.recipe)
        if recipe.source_kind == "normal":
            return Material.from_maps(name, {"normal": self.array(tsw)})
        if recipe.source_kind != "material":
            raise InputError(f"{name}: the {recipe.id} file holds an image, not material maps")
        mat = Material.from_stack(name, self.array(tsw), PBR8)
        return Material.from_maps(name, {n: mat.map(n) for n in PBR8} | decode_side(tsw))

    def maps(self, path: Path) -> dict[str, np.ndarray]:
        """``{map name: [H, W, c]}`` of a material ``.tsw``, ``{"image": [H, W, C]}`` of one texture's."""
        tsw = read_tsw_file(path)
        alpha = {ALPHA: decode_side(tsw)[ALPHA]} if ALPHA in tsw.manifest.side else {}  # a base colour's cut-out
        if get_recipe(tsw.manifest.recipe).source_kind in ("material", "normal"):
            return self.material(tsw, Path(path).stem).maps() | alpha
        return {"image": self.array(tsw)} | alpha
