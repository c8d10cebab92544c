"""A recipe's source, from a path: RGB images, normal-map images, or PBR materials.

Every recipe names a ``source_kind``; this module is the one place that turns files into the
``[H, W, C]`` uint8 array the pipeline codes (plus side information the distortion needs, such as a
material's metallic map), and lists a dataset folder's sources on either side of the fixed split.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from texsandwich.assets import (
    PBR8,
    Material,
    albedo_file,
    decode_exr_map,
    is_material_folder,
    list_materials,
    read_material_folder,
    rebuild_normal_z,
)
from texsandwich.data import list_images, split_items
from texsandwich.errors import InputError
from texsandwich.hdr.io import HDR_SUFFIXES, HdrSource, is_16bit_file, read_hdr, read_hdr_alpha, sixteen_to_8
from texsandwich.images import ALPHA, NO_META, ImageMeta, dds_two_channel, read_image8, read_image8_alpha
from texsandwich.recipes import Recipe


@dataclass
class Source:
    name: str
    array: np.ndarray
    """``[H, W, C]`` uint8 in the recipe's channel order."""
    side: dict[str, np.ndarray] = field(default_factory=dict)
    """Side information for the distortion (``metallic`` ``[H, W, 1]`` for materials that have one)."""
    material: Material | None = None
    asset: Path | None = None
    """The glTF this source is a material of (it has a mesh to render), else None."""
    material_indices: tuple[int, ...] = ()
    """The glTF material indices that use this source's maps."""
    hdr: HdrSource | None = None
    """16-bit sources: the file kind and transfer function (written back by ``decompress``)."""
    meta: ImageMeta = NO_META
    """8-bit image files: gray or not, colour profile, EXIF orientation (written back by ``decompress``)."""


def from_material(m: Material, recipe: Recipe) -> Source:
    if recipe.source_kind == "normal":
        if "normal" not in m.present:
            raise InputError(f"{m.name}: has no normal map for recipe {recipe.id}")
        return Source(m.name, np.ascontiguousarray(m.map("normal")), {}, m)
    side = {"metallic": m.map("metallic")} if "metallic" in m.present else {}
    return Source(m.name, m.stack(PBR8), side, m)


def read_source(path: Path, recipe: Recipe, alpha: bool = False) -> Source:
    """One source for ``recipe`` from ``path`` (an image file, or a material folder). ``alpha``: an
    image's transparency rides along as the side map ``alpha`` (``compress``; a 16-bit or float alpha at
    8 bits), instead of being refused (8-bit images) or dropped with a warning (16-bit ones) for training
    and evaluation, which measure and price the colour planes only."""
    path = Path(path)
    if path.suffix.lower() == ".tsw":
        raise InputError(f"{path}: already a compressed .tsw file (texsandwich decompress turns it back into an image)")
    if recipe.source_kind == "rgb16":
        if not alpha:
            image, hdr = read_hdr(path)
            return Source(path.stem, image, hdr=hdr, meta=ImageMeta(icc=hdr.icc))  # the .tsw stores meta's profile
        image, hdr, transparency = read_hdr_alpha(path)
        return Source(path.stem, image, {} if transparency is None else {ALPHA: transparency}, hdr=hdr,
                      meta=ImageMeta(icc=hdr.icc))
    if recipe.source_kind == "rgb8" and is_16bit_file(path):
        kind = "an OpenEXR (HDR) file" if path.suffix.lower() == ".exr" else "has more than 8 bits per sample"
        raise InputError(f"{path}: {kind}; recipe {recipe.id} takes 8-bit images, use --recipe hdr-444 "
                         f"(a folder of both kinds: --recipe {recipe.id},hdr-444)")
    if recipe.source_kind == "material":
        if not path.is_dir():
            raise InputError(f"{path}: recipe {recipe.id} takes a material folder (albedo, normal, roughness, ao maps)")
        return from_material(read_material_folder(path), recipe)
    if recipe.source_kind == "normal" and path.is_dir():
        return from_material(read_material_folder(path), recipe)
    if recipe.source_kind == "normal" and is_16bit_file(path):
        return Source(path.stem, _wide_normal_map(path), meta=NO_META)
    side: dict[str, np.ndarray] = {}
    if not alpha:
        image, meta = read_image8(path)
    else:
        image, transparency, meta = read_image8_alpha(path)
        side = {} if transparency is None else {ALPHA: transparency}
    if recipe.source_kind == "normal" and dds_two_channel(path):
        image = rebuild_normal_z(image)
    return Source(path.stem, image, side, meta=meta)


def _wide_normal_map(path: Path) -> np.ndarray:
    """A 16-bit PNG/TIFF or float EXR normal map as the 8-bit ``[H, W, 3]`` the normal recipes code, with
    a warning, as a material folder reads it. Why not refuse: bakers (Substance, Marmoset, xNormal) write
    16-bit normal maps by default, and the 8-bit bottleneck is what a normal recipe is; the HDR recipe a
    colour image would be sent to is no place for unit vectors."""
    if path.suffix.lower() == ".exr":
        a = decode_exr_map(path, "normal")
        if a.shape[2] != 3:
            raise InputError(f"{path}: a one-channel EXR is not a normal map (it needs x, y, z in R, G, B)")
        return a
    signal, source = read_hdr(path)
    if source.transfer != "none":  # Radiance or float TIFF: light, not a stored vector
        kind = {"hdr": "Radiance HDR file", "tiff-float": "float TIFF"}.get(source.format, "light-valued image")
        raise InputError(f"{path}: a {kind} holds light, not a normal map; normal recipes take 8- or 16-bit "
                         "PNG/TIFF or EXR normal maps")
    warnings.warn(f"{path}: 16-bit normal map converted to 8 bits", stacklevel=3)
    return sixteen_to_8(signal)


def read_sources(path: Path, recipe: Recipe, frames: bool = True) -> list[Source]:
    """Every source in ``path``: one, or one per textured material of a glTF (with its mesh frames).

    A glTF material's side information holds ``frame`` (``[H, W, 9]`` tangent frames from the mesh
    rasterised in UV space) and ``mask`` (``[H, W, 1]``, texels that are surface) for the shaded
    distortion, unless ``frames=False``.
    """
    path = Path(path)
    if path.suffix.lower() not in (".gltf", ".glb"):
        return [read_source(path, recipe)]
    from texsandwich.gltf import read_gltf
    from texsandwich.shading.frames import uv_frames

    if recipe.source_kind == "rgb8":
        return _base_colours(path)
    _, mats = read_gltf(path)
    out = []
    for gm in mats:
        src = from_material(gm.material, recipe)
        src.name = f"{path.stem}:{gm.name}"
        src.asset, src.material_indices = path, tuple(gm.material_indices)
        if frames and recipe.distortion == "shaded":
            frame, mask = uv_frames(path, gm.material_indices[0], *src.array.shape[:2])
            src.side["frame"] = np.ascontiguousarray(frame.transpose(1, 2, 0))
            src.side["mask"] = mask[..., None].astype(np.float32)
        out.append(src)
    return out


def list_sources(folder: Path, recipe: Recipe, split: str = "all") -> list[Path]:
    """Sources of ``recipe`` in a dataset folder, one side of the fixed split (every 5th held out).

    A folder holding glTF models (at any depth) gives each model as one item, for every recipe: its
    materials, normal maps, or (RGB recipes, unless the folder has image files of its own) base colour
    textures. Otherwise material recipes take the
    material folders directly under ``folder``; normal-map recipes take those too when there are any
    (their normal maps), else image files; RGB recipes take image files, or in a folder of material
    folders each material's albedo map (a texture library is RGB data too: it is what the resolution
    recipe carries in a texture pipeline).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    images = list_images(folder) if recipe.source_kind == "rgb8" else []
    if images:
        return split_items(images, split)  # a folder's own image files come first for RGB recipes
    if recipe.source_kind in ("material", "normal", "rgb8"):
        gltfs = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".gltf", ".glb"))
        if gltfs:  # a folder of glTF models: each model (all its materials) is one item of the split
            return split_items(gltfs, split)
    if recipe.source_kind == "material":
        return list_materials(folder, split)
    if recipe.source_kind == "normal" and any(is_material_folder(p) for p in folder.iterdir()):
        return list_materials(folder, split)
    if recipe.source_kind == "rgb16":
        return split_items(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in HDR_SUFFIXES
                                  and is_16bit_file(p)), split)
    if recipe.source_kind == "rgb8" and any(is_material_folder(p) for p in folder.iterdir()):
        albedos = [albedo_file(m) for m in list_materials(folder, split)]
        return [a for a in albedos if a is not None]
    return list_images(folder, split)


def training_sources(data: str, recipe: Recipe, split: str) -> list[Path]:
    """Sources of one or more dataset folders (``data`` joined with ``os.pathsep``, like ``PATH``), each
    folder split on its own, so a model can train on photos and a texture library together."""
    return [f for folder in data.split(os.pathsep) if folder for f in list_sources(Path(folder), recipe, split)]


def _base_colours(path: Path) -> list[Source]:
    """An RGB recipe's sources in a glTF: each distinct base colour texture as stored (its own size), named
    ``model:material`` (``#material index`` added where names repeat). The other maps are not even decoded.
    Nothing to render: they are pictures here, and their alpha (cut-outs) is not what an RGB recipe codes."""
    from texsandwich.assets import decode_map
    from texsandwich.gltf import base_colour_images, image_bytes, load_gltf

    gltf = load_gltf(path)
    out: list[Source] = []
    for index, mi, material in base_colour_images(gltf):
        a = decode_map(image_bytes(gltf, path, index), f"{path}: image {index}")
        if a.shape[-1] == 4 and (a[..., 3] != 255).any():
            warnings.warn(f"{path}: base colour image {index} has transparency; only its RGB is coded", stacklevel=3)
        a = np.repeat(a, 3, axis=-1) if a.shape[-1] == 1 else a[..., :3]
        name = f"{path.stem}:{material}"
        if any(s.name == name for s in out):
            name = f"{name}#{mi}"
        out.append(Source(name, np.ascontiguousarray(a)))
    return out
