"""Compressing a glTF's textures: which recipe codes each material, and what it saved and cost.

A material with the full PBR set (base colour, normal and metallic-roughness textures; occlusion
optional) is coded whole by the material recipe, ``pbr8-400`` by default, on the shaded-surface
loss. A material missing part of that set has each texture coded on its own by the recipe for its
role (:data:`RECIPE_BY_ROLE`), so nothing is invented for it. ``--recipe pbr8-*`` forces the material
recipe on every material, filling missing maps with the glTF defaults (decided in docs/DECISIONS.md).
A colour recipe (``--recipe rgb-hr2``, ``rgb-444``, ``rgb-420``) instead codes every material per texture
with that recipe for the base colour: ``rgb-hr2`` is how a 4K base colour travels through a decoder
limited to 2K (issue 7), the other maps keep their roles' recipes.

Every material is reported with its bytes per texture before, the ``.tsw`` bytes after, and the PSNR
of its shaded surface in texture space (the distortion the material recipes train on), decoded
exactly as ``decompress`` will.
"""

from __future__ import annotations

import io
import math
import threading
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from texsandwich.assets import PBR8, Material, assemble, decode_map
from texsandwich.container import read_tsw
from texsandwich.errors import UsageError
from texsandwich.fsutil import atomic_write
from texsandwich.gltf import FULL_SET, GltfMaterial, image_bytes, read_gltf, role_maps, tsw_name, write_compressed_gltf
from texsandwich.images import ALPHA
from texsandwich.models import SandwichModel
from texsandwich.pipeline import compress as compress_image
from texsandwich.pipeline import decode_side
from texsandwich.rdo import SizeTarget, search_quality, search_size
from texsandwich.recipes import Recipe, get_recipe
from texsandwich.shading.distortion import ShadedDistortion
from texsandwich.sources import from_material

MATERIAL_RECIPE = "pbr8-400"

RECIPE_BY_ROLE = {"albedo": "rgb-420", "normal": "normal-444", "orm": "rgb-444", "mr": "rgb-444",
                  "occlusion": "rgb-400"}
"""How each texture of an incomplete material is coded on its own: colour through the usual 4:2:0
recipe, normals through their own, packed channel maps through 4:4:4 (the channels are unrelated, so
no chroma subsampling), a lone occlusion map through the grayscale recipe."""


@dataclass
class TextureReport:
    image: int
    name: str
    role: str
    bytes_in: int
    tsw: str


@dataclass
class MaterialReport:
    name: str
    recipe: str
    """The material recipe, or 'per-texture' (each texture's own recipe is in ``recipes``)."""
    tsw: list[str]
    bytes_in: int
    bytes_out: int
    shaded_psnr: float | None
    """None when not measured (``compress --no-measure``)."""
    textures: list[TextureReport] = field(default_factory=list)
    recipes: dict[str, str] = field(default_factory=dict)
    tsw_bytes: dict[str, int] = field(default_factory=dict)
    quality: int | None = None
    """The codec quality used (None: the codec's default; chosen per material with a PSNR target)."""

    def to_json(self) -> dict[str, object]:
        return asdict(self)


COLOUR_RECIPES = ("rgb-420", "rgb-444", "rgb-hr2")
"""Image recipes ``--recipe`` may name for a glTF: the base colour textures' recipe (the rest per role)."""


def material_recipe(gm: GltfMaterial, forced: Recipe | None) -> str | None:
    """The recipe coding ``gm`` whole, or None when its textures are coded one by one."""
    if forced is not None and forced.id in COLOUR_RECIPES:
        return None
    if forced is not None:
        return forced.id
    return MATERIAL_RECIPE if all(n in gm.material.present for n in FULL_SET) else None


def role_recipes(forced: Recipe | None) -> dict[str, str]:
    """Each texture role's recipe when a material is coded per texture (a forced colour recipe takes the
    base colour)."""
    if forced is not None and forced.id in COLOUR_RECIPES:
        return RECIPE_BY_ROLE | {"albedo": forced.id}
    return dict(RECIPE_BY_ROLE)


class ModelCache:
    """One model per recipe, loaded on first use (threads share it)."""

    def __init__(self, load: Callable[[Recipe], SandwichModel]) -> None:
        self._load = load
        self._models: dict[str, SandwichModel] = {}
        self._lock = threading.Lock()

    def __call__(self, recipe: Recipe) -> SandwichModel:
        with self._lock:
            if recipe.id not in self._models:
                self._models[recipe.id] = self._load(recipe)
            return self._models[recipe.id]


def _image_name(gltf, i: int) -> str:
    img = gltf.images[i]
    if img.uri and not img.uri.startswith("data:"):
        return img.uri
    return img.name or f"image{i}"


@dataclass
class _Coded:
    """One material coded at one quality, not yet written."""

    files: dict[str, bytes]
    covered: dict[int, tuple[str, str]]
    decoded_images: dict[int, np.ndarray]
    psnr: float | None
    recipes: dict[str, str]


class _Coder:
    """Codes a glTF's materials; keeps what per-texture materials share (an image is coded once)."""

    def __init__(self, gltf, src: Path, stem: str, models: Callable[[Recipe], SandwichModel], codec: str,
                 step: int | None, bit_depth: int, allocate: bool = True, search: bool = False,
                 alpha_quality: int | str | None = None, measure: bool = True,
                 roles: dict[str, str] | None = None) -> None:
        self.gltf, self.src, self.stem, self.models = gltf, src, stem, models
        self.roles = roles or dict(RECIPE_BY_ROLE)
        self.measure = measure  # False: no decode only to report the shaded PSNR (the files are the same)
        self.alpha_quality = alpha_quality
        self.codec, self.step, self.bit_depth, self.allocate = codec, step, bit_depth, allocate
        self.covered: dict[int, tuple[str, str]] = {}
        self.decoded_images: dict[int, np.ndarray] = {}
        self.search = search  # a quality search codes each material several times: keep its pre-net output
        self._kept: dict[object, dict] = {}
        self._kept_for: int | None = None

    def _reuse(self, k: int, key: object) -> dict | None:
        """The ``pipeline.compress(reuse=)`` dict of one image of material ``k`` while it is searched
        (those of earlier materials are let go: a search does not come back to them)."""
        if not self.search:
            return None
        if self._kept_for != k:
            self._kept, self._kept_for = {}, k
        return self._kept.setdefault(key, {})

    def code(self, k: int, gm: GltfMaterial, rid: str | None, quality: int | None) -> _Coded:
        if rid is not None:
            recipe = get_recipe(rid)
            s = from_material(gm.material, recipe)
            side = s.side | ({ALPHA: gm.alpha} if gm.alpha is not None else {})
            c = compress_image(s.array, recipe, self.models(recipe), self.codec, quality, self.step,
                               self.bit_depth, side=side, allocate=self.allocate, reuse=self._reuse(k, rid),
                               alpha_quality=self.alpha_quality, measure=self.measure)
            name = tsw_name(self.stem, k, gm)
            covered = {i: (name, role) for i, role in gm.images.items()}
            if not self.measure:  # (a material with a normal post-filter was decoded anyway, to fit it)
                return _Coded({name: c.data}, covered, {}, None, {})
            decoded = Material.from_stack(gm.name, c.reconstruction, PBR8).maps() | decode_side(read_tsw(c.data))
            return _Coded({name: c.data}, covered, {}, shaded_psnr(gm.material, decoded), {})
        files, covered, images, recipes = {}, {}, {}, {}
        for i, role in gm.images.items():
            recipe = get_recipe(self.roles[role])
            recipes[role] = recipe.id
            if i in self.decoded_images:  # coded for an earlier material: shared, not coded again
                images[i] = self.decoded_images[i]
                continue
            image = _channels_for(decode_map(image_bytes(self.gltf, self.src, i), f"{self.src}: image {i}"), recipe)
            side = {ALPHA: gm.alpha} if role == "albedo" and gm.alpha is not None else None
            c = compress_image(image, recipe, self.models(recipe), self.codec, quality, self.step, self.bit_depth,
                               side=side, reuse=self._reuse(k, i), alpha_quality=self.alpha_quality,
                               measure=self.measure)
            name = tsw_name(self.stem, k, gm, role)
            files[name], covered[i], images[i] = c.data, (name, role), c.reconstruction
        if not self.measure:
            return _Coded(files, covered, images, None, recipes)
        decoded = role_maps(gm.images, lambda i: images[i])
        return _Coded(files, covered, images, shaded_psnr(gm.material, decoded), recipes)

    def keep(self, coded: _Coded, out_dir: Path) -> None:
        for name, data in coded.files.items():
            atomic_write(out_dir / name, data)
        self.covered.update(coded.covered)
        self.decoded_images.update(coded.decoded_images)


def compress_gltf(src: Path, out: Path, forced: Recipe | None, models: Callable[[Recipe], SandwichModel],
                  codec: str, quality: int | None, step: int | None, bit_depth: int,
                  on_material: Callable[[int, int, MaterialReport], None] | None = None,
                  target_psnr: float | None = None, allocate: bool = True,
                  alpha_quality: int | str | None = None,
                  measure: bool = True, target_size: SizeTarget | None = None) -> tuple[int, int, list[MaterialReport]]:
    """Compress every textured material of ``src`` into ``.tsw`` files beside ``out`` and write ``out``.

    With ``target_psnr`` each material gets the lowest quality whose shaded PSNR reaches it (a
    warning names materials that cannot reach it even at quality 100). With ``target_size`` the model's
    ``.tsw`` files together get the highest quality, one for all, that fits the budget (bits per pixel:
    per pixel of the coded textures; :func:`model_quality_for_size`). ``out`` is written last, so
    its presence means the asset is done. ``measure=False`` skips the decode that only reports each
    material's shaded PSNR (None in its report; not with ``target_psnr``). Returns (bytes before,
    bytes after, one report per material); ``on_material(i, n, report)`` is called as each finishes.
    """
    gltf, mats = read_gltf(src, warn_fill=forced is not None)
    out.parent.mkdir(parents=True, exist_ok=True)
    if target_psnr is not None and not measure:
        raise UsageError("--target-psnr is found by measuring each material; it cannot go with --no-measure")
    if target_size is not None:
        quality = model_quality_for_size(gltf, src, mats, forced, target_size, lambda: _Coder(
            gltf, src, out.stem, models, codec, step, bit_depth, allocate, alpha_quality=alpha_quality,
            measure=False, roles=role_recipes(forced)))
    coder = _Coder(gltf, src, out.stem, models, codec, step, bit_depth, allocate, search=target_psnr is not None,
                   alpha_quality=alpha_quality, measure=measure, roles=role_recipes(forced))
    sizes = {i: len(image_bytes(gltf, src, i)) for gm in mats for i in gm.images}
    reports = []
    for k, gm in enumerate(mats):
        rid = material_recipe(gm, forced)
        if target_psnr is None:
            q, coded = quality, coder.code(k, gm, rid, quality)
        else:
            q, coded, reached = search_quality(lambda q, k=k, gm=gm, rid=rid: coder.code(k, gm, rid, q), target_psnr)
            if not reached:
                warnings.warn(f"{src.name}: material {gm.name} reaches {coded.psnr:.2f} dB at quality 100, below "
                              f"the target {target_psnr:g} dB", stacklevel=2)
        coder.keep(coded, out.parent)
        textures = [TextureReport(i, _image_name(gltf, i), role, sizes[i], coder.covered[i][0])
                    for i, role in gm.images.items()]
        tsw_bytes = {n: len(d) for n, d in coded.files.items()}
        report = MaterialReport(gm.name, rid or "per-texture", list(coded.files), sum(t.bytes_in for t in textures),
                                sum(tsw_bytes.values()), coded.psnr, textures, coded.recipes, tsw_bytes, q)
        reports.append(report)
        if on_material is not None:
            on_material(k, len(mats), report)
    before = sum(sizes.values())
    write_compressed_gltf(gltf, src, out, coder.covered)  # last: its presence means 'done'
    return before, sum(r.bytes_out for r in reports), reports


def model_quality_for_size(gltf, src: Path, mats: list[GltfMaterial], forced: Recipe | None, target: SizeTarget,
                           new_coder: Callable[[], _Coder]) -> int:
    """The highest quality at which all of a model's ``.tsw`` files together fit ``target``, each try
    every material encoded once (a fresh coder: shared images counted once, nothing written or decoded).

    Why one quality for the whole model and not a budget split by equal slopes: a split needs each
    material's rate-distortion curve (several measured encodes each) and a quality per material in the
    report; one quality is what ``--quality`` gives, found in 4-6 tries, and the encodes are
    deterministic, so the files written afterwards at that quality have the sizes the search saw.
    """
    pixels = 0  # per pixel of the distinct source textures coded (a shared image once), as --target-size says
    for i in {i for gm in mats for i in gm.images}:
        with Image.open(io.BytesIO(image_bytes(gltf, src, i))) as im:  # the header only: no decode
            pixels += im.width * im.height
    budget = target.bytes_for(pixels)

    def total(q: int) -> int:
        coder = new_coder()
        n = 0
        for k, gm in enumerate(mats):
            coded = coder.code(k, gm, material_recipe(gm, forced), q)
            coder.decoded_images.update(coded.decoded_images)  # a shared image is coded (and counted) once
            n += sum(len(d) for d in coded.files.values())
        return n

    q, size, fits = search_size(total, budget, size=lambda n: n)
    if not fits:
        warnings.warn(f"{src.name}: its textures take {target.missed(size, budget)}", stacklevel=3)
    return q


def _channels_for(image: np.ndarray, recipe: Recipe) -> np.ndarray:
    """A decoded texture with as many channels as ``recipe`` takes (gray maps replicated, alpha dropped)."""
    c = len(recipe.channels)
    if image.shape[2] == 1 and c == 3:
        return np.repeat(image, 3, axis=2)
    return np.ascontiguousarray(image[..., :c])


def _band(x: np.ndarray, rows: slice) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x[rows])).permute(2, 0, 1)[None].float()


def shaded_psnr(source: Material, decoded: dict[str, np.ndarray], rows: int = 64) -> float:
    """PSNR of the shaded surface (texture space, the 8 fixed light/view pairs of evaluation) of
    decoded vs source maps: :class:`~texsandwich.shading.distortion.ShadedDistortion` without a mesh.

    Maps the decoded set lacks are the source's (a material coded per texture keeps its fills).
    Computed in float32 over bands of ``rows`` texel rows (the bands' MSEs weighted by their texels:
    the same mean as one pass), without [K, 3, H, W] float64 intermediates over the whole map (a 1K
    material took 9 s that way, 2K 35 s).
    """
    src = source.maps()
    dec = {n: decoded.get(n, v) for n, v in src.items()}
    rec = assemble(source.name, dec, warn_fill=False, warn_resample=False)
    a, b = rec.stack(PBR8), source.stack(PBR8)
    metal = src.get("metallic")
    measure = ShadedDistortion(k=8)
    total, count = 0.0, 0
    with torch.no_grad():
        for y in range(0, a.shape[0], rows):
            band = slice(y, y + rows)
            m = _band(metal, band) if metal is not None else None
            texels = a[band].shape[0] * a.shape[1]
            total += float(measure(_band(a, band), _band(b, band), metallic=m)["mse"]) * texels
            count += texels
    mse = total / max(count, 1)
    return math.inf if mse == 0.0 else 10.0 * math.log10(255.0**2 / mse)
