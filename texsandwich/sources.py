"""A recipe's source, from a path: RGB images, normal-map images, or PBR materials.

Every recipe names a ``source_kind``; this module is the one place that turns files into the
``[H, W, C]`` uint8 array the pipeline codes (plus side information the distortion needs, such as a
material's metallic map), and lists a dataset folder's sources on either side of the fixed split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from texsandwich.assets import PBR8, Material, is_material_folder, list_materials, read_material_folder
from texsandwich.data import list_images
from texsandwich.errors import InputError
from texsandwich.images import read_rgb8
from texsandwich.recipes import Recipe


@dataclass
class Source:
    name: str
    array: np.ndarray
    """``[H, W, C]`` uint8 in the recipe's channel order."""
    side: dict[str, np.ndarray] = field(default_factory=dict)
    """Side information for the distortion (``metallic`` ``[H, W, 1]`` for materials that have one)."""
    material: Material | None = None


def from_material(m: Material, recipe: Recipe) -> Source:
    if recipe.source_kind == "normal":
        if "normal" not in m.present:
            raise InputError(f"{m.name}: has no normal map for recipe {recipe.id}")
        return Source(m.name, np.ascontiguousarray(m.map("normal")), {}, m)
    side = {"metallic": m.map("metallic")} if "metallic" in m.present else {}
    return Source(m.name, m.stack(PBR8), side, m)


def read_source(path: Path, recipe: Recipe) -> Source:
    """One source for ``recipe`` from ``path`` (an image file, or a material folder)."""
    path = Path(path)
    if recipe.source_kind == "material":
        if not path.is_dir():
            raise InputError(f"{path}: recipe {recipe.id} takes a material folder (albedo, normal, roughness, ao maps)")
        return from_material(read_material_folder(path), recipe)
    if recipe.source_kind == "normal" and path.is_dir():
        return from_material(read_material_folder(path), recipe)
    return Source(path.stem, read_rgb8(path))


def list_sources(folder: Path, recipe: Recipe, split: str = "all") -> list[Path]:
    """Sources of ``recipe`` in a dataset folder, one side of the fixed split (every 5th held out).

    Material recipes take the material folders directly under ``folder``; normal-map recipes take
    those too when there are any (their normal maps), else image files; RGB recipes take image files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    if recipe.source_kind == "material":
        return list_materials(folder, split)
    if recipe.source_kind == "normal" and any(is_material_folder(p) for p in folder.iterdir()):
        return list_materials(folder, split)
    return list_images(folder, split)
