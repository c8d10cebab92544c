"""One asset in, one file out: what ``compress`` and ``decompress`` do to each file, for the CLI and Python.

Why a module of its own: the CLI's batch machinery (jobs, ``--force``, library trees, progress) is about
many files, but what happens to one -- its metadata kept, its PSNR measured as it will be decoded, the
decode written in its source's kind -- is the same for a script that calls it directly, and must not
drift between the two::

    from texsandwich.files import compress_file, decompress_file

    done = compress_file("albedo.png", "albedo.tsw", "rgb-hr2", quality=60)
    print(done.bpp, done.psnr)
    decompress_file("albedo.tsw", "albedo_decoded.png")

glTF models (several materials, a JSON to rewrite) go through :mod:`texsandwich.gltf_compress`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from texsandwich.assets import PBR8, Material, write_material_folder
from texsandwich.container import Manifest, read_tsw
from texsandwich.decoding import Decoder, image_meta, read_tsw_file
from texsandwich.errors import UsageError
from texsandwich.fsutil import atomic_write
from texsandwich.gltf_compress import shaded_psnr
from texsandwich.hdr.io import HdrSource, default_suffix, write_hdr
from texsandwich.images import ALPHA, LOSSLESS_SUFFIXES, ImageMeta, gray_mean, write_image
from texsandwich.metrics import psnr
from texsandwich.models import SandwichModel, load_model
from texsandwich.pipeline import compress, decode_side, reconstruct
from texsandwich.rdo import SizeTarget, search_quality, search_size
from texsandwich.recipes import Recipe, get_recipe
from texsandwich.sources import read_source

if TYPE_CHECKING:
    import numpy as np

    from texsandwich.encoder_opt import Outcome

HDR_WRITERS = {".exr": "exr", ".hdr": "hdr", ".png": "png16", ".tif": "tiff16", ".tiff": "tiff16"}
"""What a 16-bit reconstruction can be written as, by suffix (a float TIFF source's ``.tif`` is float again:
:func:`output_kind`)."""
KEEPS_CHROMATICITIES = ("exr",)
KEEPS_PROFILE = ("png16", "tiff16")
"""Which kinds of 16-bit output have a place for an EXR's chromaticities, which for an ICC profile."""


@dataclass(frozen=True)
class Encoded:
    """What :func:`compress_file` wrote and measured."""

    output: Path
    bytes: int
    """The ``.tsw`` file's size: everything a reader needs, the rate every number here is measured at."""
    pixels: int
    psnr: float | None
    """Of the reconstruction ``decompress`` will write (a gray source's as gray), against the source; for a
    material, of its shaded surface (the recipe's distortion, as for glTF materials). None: not measured
    (``measure=False``)."""
    measure: str = "PSNR"
    """What ``psnr`` is: 'PSNR', or 'shaded PSNR' for a material."""
    quality: int | None = None
    """The codec quality used (the chosen one with a target; None with a flat JPEG ``step``)."""
    reached: bool = True
    """With a PSNR target: whether some quality reached it (if not, quality 100 was used)."""
    optimised: Outcome | None = None
    """What the encoder-side optimisation measured, when it ran."""
    alpha_psnr: float | None = None
    """Of the decoded alpha channel, when the source had transparency (coded at the colour's quality)."""

    @property
    def bpp(self) -> float:
        return 8.0 * self.bytes / self.pixels


@dataclass(frozen=True)
class Decoded:
    """What :func:`decompress_file` wrote."""

    output: Path
    """The file, or for a material the folder of its maps."""
    bytes: int
    manifest: Manifest
    maps: int = 0
    """Maps written for a material (0 for an image)."""


@dataclass(frozen=True)
class _Try:
    """One encode at one quality, and what it measured (what the quality search compares)."""

    data: bytes
    psnr: float | None
    quality: int | None
    """The quality the file was coded at (None: a flat JPEG step)."""
    optimised: Outcome | None


def compress_file(
    source: str | Path, output: str | Path, recipe: str | Recipe, model: str | SandwichModel | None = None,
    codec: str = "heic", quality: int | None = None, step: int | None = None, bit_depth: int = 8, *,
    target_psnr: float | None = None, normal_filter: bool = True, allocate: bool = True, encoder_steps: int = 0,
    strip: bool = False, on_step: Callable[[int, int], None] | None = None, measure: bool = True,
    alpha_quality: int | str | None = None, target_size: SizeTarget | None = None,
) -> Encoded:
    """Compress an image file or a material folder into the ``.tsw`` file ``output`` (written whole or not
    at all; its folder is made). ``model``: a loaded model, a zoo id or weights file, or None for the
    recipe's default. ``target_psnr``: instead of ``quality``, the lowest quality whose PSNR (shaded,
    for a material) reaches it, found with 4-7 real encodes (:func:`texsandwich.rdo.search_quality`; a
    warning when even quality 100 does not reach it). ``strip``: do not keep the source's colour
    profile, EXIF orientation or EXR chromaticities (a gray source still decodes to gray: that is the
    image, not metadata). ``measure=False``: skip the decode that only measures the PSNR (reported as None;
    the file is the same). ``alpha_quality``: a transparent image's alpha at this quality, or 'lossless'
    (default: the colour's; :func:`texsandwich.pipeline.code_alpha`). ``target_size``: instead of
    ``quality``, the highest quality whose file fits the budget (bytes, or bits per source pixel), found
    with 4-6 real encodes and measured once (:func:`texsandwich.rdo.search_size`; a warning when even the
    coarsest quality does not fit). The other arguments are :func:`texsandwich.pipeline.compress`'s.
    """
    if sum(x is not None for x in (target_psnr, target_size)) + (quality is not None or step is not None) > 1:
        raise UsageError("give one of a PSNR target, a size target and a quality/step")
    if target_psnr is not None and not measure:
        raise UsageError("a PSNR target is found by measuring; it cannot be combined with not measuring")
    source, output = Path(source), Path(output)
    recipe = get_recipe(recipe) if isinstance(recipe, str) else recipe
    if not isinstance(model, SandwichModel):
        model = load_model(model, recipe, codec)
    src = read_source(source, recipe, alpha=True)
    image = src.array
    meta = ImageMeta(gray=src.meta.gray) if strip else src.meta
    hdr = replace(src.hdr, chromaticities=None, icc=None) if strip and src.hdr else src.hdr
    gray = meta.gray or bool(hdr and hdr.format.endswith("-gray"))
    shaded = recipe.distortion == "shaded" and src.material is not None
    searching = target_psnr is not None or target_size is not None
    reuse: dict[object, torch.Tensor] | None = {} if searching else None  # the pre-net runs once per search

    def score(rec: np.ndarray) -> float:
        """The PSNR reported for a reconstruction: shaded for a material, gray for a gray source."""
        if shaded:  # a material is judged lit, as the recipe is trained and a glTF's materials are reported
            assert src.material is not None
            return shaded_psnr(src.material, Material.from_stack(src.name, rec, PBR8).maps())
        if gray:  # measured as decompress will write it
            return psnr(gray_mean(rec), image[..., :1])
        return psnr(rec, image)

    def code(q: int | None, measure: bool = measure) -> _Try:
        c = compress(image, recipe, model, codec, q, step, bit_depth, side=src.side, hdr=hdr,
                     normal_filter=normal_filter, allocate=allocate, encoder_steps=encoder_steps, on_step=on_step,
                     meta=meta, reuse=reuse, measure=measure, alpha_quality=alpha_quality)
        rec = c.reconstruction
        measured = score(rec) if rec is not None and measure else None
        return _Try(c.data, measured, c.manifest.settings.quality, c.optimised)

    reached = True
    if target_size is not None:
        budget = target_size.bytes_for(image.shape[0] * image.shape[1])
        _, done, reached = search_size(lambda q: code(q, measure=False), budget)
        if measure:  # the tries only needed their sizes: the kept file alone is decoded and measured
            done = replace(done, psnr=score(reconstruct(read_tsw(done.data), model)))
        if not reached:
            warnings.warn(f"{source}: {target_size.missed(len(done.data), budget)}", stacklevel=2)
    elif target_psnr is None:
        done = code(quality)
    else:
        _, done, reached = search_quality(code, target_psnr)
        if not reached:
            warnings.warn(f"{source}: {done.psnr:.2f} dB at quality 100, below the target {target_psnr:g} dB",
                          stacklevel=2)
    atomic_write(output, done.data)
    alpha = src.side.get(ALPHA) if src.material is None and measure else None
    alpha_psnr = psnr(decode_side(read_tsw(done.data))[ALPHA], alpha) if alpha is not None else None
    return Encoded(output, len(done.data), image.shape[0] * image.shape[1], done.psnr,
                   "shaded PSNR" if shaded else "PSNR", done.quality, reached, done.optimised, alpha_psnr)


def check_output_kind(m: Manifest, source: Path, output: Path) -> None:
    """Refuse an ``output`` whose suffix cannot hold what ``source`` decodes to: a 16-bit image goes to
    ``HDR_WRITERS``, an 8-bit one to a lossless format only (a JPEG would add a loss compress never
    measured). One message for the CLI, which checks before anything is written, and for Python callers."""
    suffix = output.suffix.lower()
    if get_recipe(m.recipe).source_kind == "material":
        return
    if m.bit_depth > 8:
        if suffix not in HDR_WRITERS:
            raise UsageError(f"{output}: {source} holds a 16-bit image ({m.recipe}); write it as "
                             f"{', '.join(sorted(set(HDR_WRITERS)))} (its source was {source_suffix(m)})")
    elif suffix not in LOSSLESS_SUFFIXES:
        lossy = suffix in (".jpg", ".jpeg", ".heic", ".heif", ".avif")
        raise UsageError(f"{output}: {source} holds an 8-bit image ({m.recipe}); write it as "
                         f"{', '.join(LOSSLESS_SUFFIXES)}" + (f" (a {suffix} would add a second loss to what "
                                                              "compress measured)" if lossy else ""))


def source_suffix(m: Manifest) -> str:
    """The suffix of a 16-bit source's own kind (``.exr`` for an EXR): what ``decompress`` writes by default."""
    return default_suffix(HdrSource(m.source_format or "png16", m.transfer or "none"))


def _warn_colour_lost(m: Manifest, icc: bytes | None, kind: str, output: Path) -> None:
    """Say so when a 16-bit output's kind has no place for what the source said of its colours: EXR holds
    chromaticities but no ICC profile, our PNG/TIFF writers a profile but no chromaticities. The pixels
    are written all the same (the source's own kind keeps both)."""
    lost = ("chromaticities" if kind not in KEEPS_CHROMATICITIES and m.chromaticities
            else "colour profile" if kind not in KEEPS_PROFILE and icc else "")
    if lost:
        name = {"hdr": "Radiance HDR", "tiff-float": "float TIFF"}.get(kind, kind.removesuffix("16").upper())
        warnings.warn(f"{output}: {name} files have no place for the source's {lost}; "
                      f"not written (write {source_suffix(m)} to keep it)", stacklevel=3)


def output_kind(m: Manifest, output: Path) -> str:
    """What a 16-bit ``output`` is written as: by its suffix, except that a float TIFF source's ``.tif`` is a
    float TIFF again (its own kind), where any other source's ``.tif`` is 16-bit."""
    kind = HDR_WRITERS[output.suffix.lower()]
    return "tiff-float" if kind == "tiff16" and (m.source_format or "").startswith("tiff-float") else kind


def decompress_file(source: str | Path, output: str | Path, decoder: Decoder | None = None,
                    map_suffix: str = ".png") -> Decoded:
    """Decode a ``.tsw`` file into ``output``: an image in the kind its suffix names (8-bit: a lossless
    format, with the source's gray, colour profile and orientation; 16-bit: ``.exr`` through inverse PQ
    with the source's chromaticities, or 16-bit ``.png``/``.tif``), or for a material the folder
    ``output`` of its maps (in the lossless format ``map_suffix`` names). ``decoder`` caches models across
    files (default: a fresh one)."""
    source, output = Path(source), Path(output)
    decoder = decoder or Decoder()
    tsw = read_tsw_file(source)
    m = tsw.manifest
    check_output_kind(m, source, output)
    if get_recipe(m.recipe).source_kind == "material":
        if map_suffix not in LOSSLESS_SUFFIXES:
            raise UsageError(f"material maps are written as {', '.join(LOSSLESS_SUFFIXES)}, not {map_suffix}")
        written = write_material_folder(decoder.material(tsw, output.name), output, suffix=map_suffix)
        return Decoded(output, sum(p.stat().st_size for p in written), m, len(written))
    if m.bit_depth > 8:
        kind = output_kind(m, output)
        gray = (m.source_format or "").endswith("-gray")  # a gray source stays gray (an EXR's Y)
        _warn_colour_lost(m, tsw.icc, kind, output)
        fmt = HdrSource(kind + ("-gray" if gray else ""), m.transfer or "none",
                        m.chromaticities if kind in KEEPS_CHROMATICITIES else None,
                        tsw.icc if kind in KEEPS_PROFILE else None)
        alpha = decode_side(tsw).get(ALPHA) if ALPHA in m.side else None
        write_hdr(output, decoder.array(tsw), fmt, alpha)  # a PQ signal written as PNG/TIFF stays PQ-coded
    else:
        alpha = decode_side(tsw).get(ALPHA) if ALPHA in m.side else None
        write_image(output, decoder.array(tsw), image_meta(tsw), alpha)
    return Decoded(output, output.stat().st_size, m)
