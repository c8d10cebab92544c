"""The ``texsandwich`` command line.

Every error a user can cause ends as one line on stderr and an exit code: 2 for a wrong invocation,
1 for bad data, 130 for an interrupt. Outputs are written to a temporary file and renamed, inputs
are never overwritten, and existing outputs are only replaced with ``--force``.
"""

from __future__ import annotations

import json
import math
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from texsandwich import __version__
from texsandwich.adapters import ADAPTERS
from texsandwich.assets import is_material_folder
from texsandwich.codecs import CODECS, HEIC_TUNINGS, tuning_text
from texsandwich.container import HEADER_BYTES, Tsw
from texsandwich.decoding import Decoder, read_manifest_file, read_tsw_file
from texsandwich.encoder_opt import check_supported
from texsandwich.errors import InputError, TexsandwichError, UsageError, environment_failure
from texsandwich.files import compress_file, decompress_file
from texsandwich.fsutil import atomic_write
from texsandwich.gltf import (
    GLTF_SUFFIXES,
    compressed_tsw_files,
    decoded_suffix,
    write_decompressed_gltf,
)
from texsandwich.gltf_compress import COLOUR_RECIPES, MATERIAL_RECIPE, MaterialReport, ModelCache, compress_gltf
from texsandwich.hdr.io import HDR_SUFFIXES, is_16bit_file
from texsandwich.heads import head_length
from texsandwich.images import IMAGE_SUFFIXES, LOSSLESS_SUFFIXES, profile_name
from texsandwich.library import (
    Job,
    Result,
    asset_bytes,
    find_assets,
    images_left_out,
    run_jobs,
    summary_line,
    write_index,
)
from texsandwich.models import NONE, default_model, load_model
from texsandwich.outputs import OutputPath, check_outputs, decoded_output, output_done, output_is_folder, plan_sources
from texsandwich.pipeline import ALPHA_LOSSLESS, codec_settings
from texsandwich.progress import MODES, TERMINAL, Progress
from texsandwich.rdo import SizeTarget
from texsandwich.recipes import RECIPES, Recipe, get_recipe
from texsandwich.sources import list_sources
from texsandwich.stdio import with_stdio
from texsandwich.zoo import ZOO, ZooEntry, zoo_tuning

TSW_SUFFIX = ".tsw"

_dry_run = click.option("--dry-run", "-n", is_flag=True,
                        help="Say what would be written (each source, its output and recipe, and what a rerun "
                             "would skip as done) after every check, and write nothing.")
_force = click.option("--force", "-f", is_flag=True, help="Replace existing output files (never inputs).")
_quiet = click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
_progress = click.option("--progress", "progress_mode", type=click.Choice(MODES), default="human", show_default=True,
                         help="'json': one JSON event per line on stdout for programs (see texsandwich.progress).")


def network_costs(recipe: Recipe) -> dict[str, dict[str, float]]:
    """Parameters and MACs per pixel of each preset's pre- and post-processor for ``recipe``."""
    from texsandwich.nets import PRESETS, Processor, macs_per_pixel, parameter_count

    planes, channels = recipe.layout.planes, len(recipe.channels)
    positional = ADAPTERS[recipe.plain].positional
    out = {}
    for name, preset in PRESETS.items():
        pre = Processor(channels, planes, preset, lambda x: x, positional=positional)
        post = Processor(planes, channels, preset, lambda x: x, positional=positional)
        out[name] = {
            "pre_params": parameter_count(pre), "post_params": parameter_count(post),
            "pre_macs_per_pixel": macs_per_pixel(pre, channels), "post_macs_per_pixel": macs_per_pixel(post, planes),
            "total_macs_per_pixel": macs_per_pixel(pre, channels) + macs_per_pixel(post, planes),
        }
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="texsandwich")
def cli() -> None:
    """Sandwiched compression: neural pre/post-processors around standard HEIC and JPEG codecs.

    Compressed files (.tsw) hold ordinary HEIC/JPEG images ('unpack' extracts them) plus a manifest
    saying how to turn them back into the source.
    """


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def recipes(as_json: bool) -> None:
    """List the recipes: what each carries, through which codec images, with which networks.

    --json adds, per preset, the parameter count and multiply-accumulates per pixel of the pre- and
    post-processor, and the zoo models of each recipe.
    """
    if as_json:
        rows = []
        for r in RECIPES.values():
            zoo = {z: {"preset": e.preset, "lambda": e.lmbda, "available": e.available}
                   for z, e in ZOO.items() if e.recipe == r.id}
            rows.append({**r.to_json(), "networks": network_costs(r), "zoo": zoo, "default_model": default_model(r),
                         "default_model_by_codec": {c: default_model(r, c) for c in sorted(CODECS)}})
        click.echo(json.dumps(rows, indent=2))
        return
    images = {r.id: _images_text([g.chroma for g in r.layout.groups]) for r in RECIPES.values()}
    models = {r.id: default_model(r) for r in RECIPES.values()}
    iw, mw = max(map(len, images.values())), max(map(len, models.values()))  # columns fit the longest entry
    for r in RECIPES.values():
        click.echo(f"{r.id:10s} {r.layout.planes} plane(s) as {images[r.id]:{iw}s} default model "
                   f"{models[r.id]:{mw}s} {r.summary}")


def _images_text(chromas: list[str]) -> str:
    """The codec images of a layout in a few characters: '444', '8x400', '444+400'."""
    return f"{len(chromas)}x{chromas[0]}" if len(chromas) > 1 and len(set(chromas)) == 1 else "+".join(chromas)


def _recipe_pair(spec: str, model_spec: str | None) -> tuple[Recipe, Recipe]:
    """``8-bit,16-bit`` image recipes from ``--recipe a,b`` (in either order): what a mixed library needs."""
    ids = [x.strip() for x in spec.split(",")]
    recipes = [get_recipe(x) for x in ids]
    kinds = sorted(r.source_kind for r in recipes)
    if len(recipes) != 2 or kinds != ["rgb16", "rgb8"]:
        raise UsageError(f"--recipe {spec}: a pair is one 8-bit and one 16-bit image recipe, e.g. rgb-hr2,hdr-444")
    if model_spec not in (None, NONE):
        raise UsageError("--model takes one recipe's weights; with a recipe pair each uses its default model")
    eight, sixteen = sorted(recipes, key=lambda r: r.source_kind == "rgb16")
    return eight, sixteen


def _finish(results: list[Result], progress: Progress, library: bool) -> None:
    if library:
        progress.line(summary_line(results))
    failed = sum(1 for r in results if r.error)
    if failed:
        if len(results) == 1:
            raise TexsandwichError(results[0].error)
        raise TexsandwichError(f"{failed} of {len(results)} assets failed")


_jobs = click.option("--jobs", "-j", "jobs_n", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Assets processed in parallel.")


def _size_target(ctx: click.Context, param: click.Parameter, value: str | None) -> SizeTarget | None:
    """``--target-size``: bytes with an optional unit, or bits per pixel."""
    try:
        return None if value is None else SizeTarget.parse(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def _plan(jobs: list[Job], done: Callable[[Job], bool] | None, what: Callable[[Job], str]) -> None:
    """``--dry-run``: one line per job (source -> output, and how it would be coded or that it is done),
    then the count; nothing is written, every check has already run."""
    skipped = 0
    for j in jobs:
        if done is not None and done(j):
            skipped += 1
            click.echo(f"{j.source} -> {j.output}: done, would be skipped")
        else:
            click.echo(f"{j.source} -> {j.output} ({what(j)})")
    click.echo(f"dry run: {len(jobs) - skipped} to write, {skipped} already done; nothing written")


def _alpha_quality(ctx: click.Context, param: click.Parameter, value: str | None) -> int | str | None:
    """``--alpha-quality``: an integer quality 0-100 or 'lossless'."""
    if value is None or value == ALPHA_LOSSLESS:
        return value
    if value.isdigit() and 0 <= int(value) <= 100:
        return int(value)
    raise click.BadParameter(f"{value!r} is neither a quality from 0 to 100 nor 'lossless'")


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--output", "dst", required=True, type=OutputPath(),
              help="Output .tsw file, or directory for several inputs or a library tree.")
@click.option("--recipe", "recipe_id", default=None,
              help="Recipe id (see 'texsandwich recipes') [default: pbr8-400 when every source is a glTF or a "
                   "material folder; required otherwise]. For a mixed image library, one 8-bit and one 16-bit "
                   "recipe joined by a comma (e.g. rgb-hr2,hdr-444): each image goes to the one that takes "
                   "its bit depth. For a glTF, a colour recipe (rgb-hr2, rgb-444, rgb-420) codes its base "
                   "colour textures, the other maps by role.")
@click.option("--codec", type=click.Choice(sorted(CODECS)), default="heic", show_default=True)
@click.option("--quality", type=click.IntRange(0, 100), default=None, help="Codec quality 0-100 [default: 50].")
@click.option("--step", type=click.IntRange(1, 255), default=None,
              help="Flat quantiser step instead of a quality (JPEG only).")
@click.option("--target-psnr", type=click.FloatRange(10, 80), default=None, metavar="DB",
              help="Instead of --quality: per file the lowest quality whose PSNR reaches DB (shaded PSNR for "
                   "material folders and for each glTF material), found with 4-7 real encodes.")
@click.option("--target-size", default=None, metavar="SIZE", callback=_size_target,
              help="Instead of --quality: per file the highest quality whose .tsw fits SIZE, in bytes (150000, "
                   "150K, 1.5M, 150KiB) or bits per source pixel (0.5bpp, the same budget per pixel for every "
                   "image of a tree), found with 4-6 real encodes. A glTF model's .tsw files fit it together, "
                   "at one quality for all its materials.")
@click.option("--bit-depth", type=click.Choice(["8", "10"]), default="8", show_default=True,
              help="Bits per coded sample (10: HEIC only).")
@click.option("--normal-filter/--no-normal-filter", default=True, show_default=True,
              help="Normal-map and material recipes: fit the integrability post-filter and send its gains "
                   "(about 75 bytes); off gives the networks' output as it is.")
@click.option("--allocate/--no-allocate", default=True, show_default=True,
              help="Material recipes: choose per-map quality offsets for each file by measuring the shaded "
                   "error of real encodes (slower encoding; decoding is unchanged).")
@click.option("--model", "model_spec", default=None,
              help="Zoo id, a .safetensors file, or 'none' (the plain-codec adaptation) "
                   "[default: the recipe's zoo model].")
@click.option("--encoder-steps", type=click.IntRange(0, 1000), default=0, show_default=True, metavar="N",
              help="Image and normal-map recipes: tune the coded planes of each image for N steps against the "
                   "real codec and the post-net (slower encoding, ~4 s per step per megapixel on 2 cores; "
                   "decoding is unchanged). 20 is a good value.")
@click.option("--strip", is_flag=True,
              help="Image files: do not keep the source's colour profile and EXIF orientation, or an EXR's "
                   "chromaticities (kept by default and written back by decompress; an sRGB profile is never "
                   "stored, it says what no profile says).")
@click.option("--alpha-quality", "alpha_quality", default=None, metavar="Q|lossless", callback=_alpha_quality,
              help="Images with transparency and glTF cut-outs: code the alpha at quality Q (0-100) or exactly "
                   "('lossless', HEIC only) [default: the colour's quality; kept exact anyway where that is not "
                   "larger].")
@click.option("--measure/--no-measure", default=True, show_default=True,
              help="Decode each file (each glTF material) to report its PSNR (shaded PSNR for materials). "
                   "--no-measure skips that decode (image recipes encode ~40 % faster; the files are the same); "
                   "not with --target-psnr.")
@_dry_run
@_jobs
@_force
@_quiet
@_progress
@with_stdio("compress")
def compress(sources: tuple[str, ...], dst: Path, recipe_id: str | None, codec: str, quality: int | None,
             step: int | None, target_psnr: float | None, target_size: SizeTarget | None, bit_depth: str,
             normal_filter: bool, allocate: bool,
             model_spec: str | None, encoder_steps: int, strip: bool, alpha_quality: int | str | None, measure: bool,
             dry_run: bool, jobs_n: int, force: bool, quiet: bool, progress_mode: str) -> None:
    """Compress images, normal maps or materials into .tsw files.

    SOURCES are image files, material folders (albedo/normal/roughness/ao maps, for pbr8-400) or
    directory trees (library mode: the tree is mirrored under -o, finished outputs are skipped so an
    interrupted run resumes, and a library.json index lists every asset with its sizes).
    """
    if sum(x is not None for x in (quality, step, target_psnr, target_size)) > 1:
        raise UsageError("give one of --quality, --step, --target-psnr and --target-size")
    if alpha_quality == ALPHA_LOSSLESS and codec != "heic":
        raise UsageError(f"--alpha-quality lossless needs HEIC ({codec} has no lossless mode); give a quality")
    if target_psnr is not None and not measure:
        raise UsageError("--target-psnr is found by measuring each file; it cannot go with --no-measure")
    explicit = recipe_id is not None
    if recipe_id is None:
        if not all(Path(s).suffix.lower() in GLTF_SUFFIXES or is_material_folder(Path(s))
                   or (Path(s).is_dir() and find_assets(Path(s), materials=True)) for s in sources):
            raise UsageError("give --recipe (the default, pbr8-400, is only for glTF files and material folders, "
                             "or trees of them)")
        recipe_id = MATERIAL_RECIPE
    pair = _recipe_pair(recipe_id, model_spec) if "," in recipe_id else None
    recipe = pair[0] if pair else get_recipe(recipe_id)
    forced = recipe if explicit else None  # glTF: None = a recipe per material (gltf_compress)
    if not explicit and model_spec not in (None, NONE) and any(Path(s).suffix.lower() in GLTF_SUFFIXES
                                                                 for s in sources):
        raise UsageError("--model with a glTF needs --recipe (without it each material gets its own recipe)")
    progress = Progress(progress_mode, quiet, "compress")
    settings = codec_settings(codec, quality, step, int(bit_depth))  # refuse bad combinations before touching files
    if encoder_steps:
        for r in pair or (recipe,):
            check_supported(r, settings)
    materials = recipe.source_kind == "material"

    def is_unit(p: Path) -> bool:
        return is_material_folder(p) if recipe.source_kind in ("material", "normal") else False

    # image recipes walk a tree for 8-bit and 16-bit files alike: an image of the other kind is named
    # with the recipe to use (or goes to the pair's other recipe), never skipped without a word
    suffixes = IMAGE_SUFFIXES + HDR_SUFFIXES if recipe.source_kind in ("rgb8", "rgb16") else IMAGE_SUFFIXES
    colour = (pair[0] if pair else recipe).id in COLOUR_RECIPES  # a tree's glTF models go through it too
    jobs, batch = plan_sources(sources, dst, TSW_SUFFIX, is_unit, materials, tuple(dict.fromkeys(suffixes)),
                               as_folder=output_is_folder(), gltf=colour)
    if materials and batch:  # a materials library codes models and material folders: say what it leaves
        for s in (Path(s) for s in sources if Path(s).is_dir() and not is_material_folder(Path(s))):
            left = images_left_out(s, [j.source for j in jobs])
            if left:
                warnings.warn(f"{s}: {left} image file(s) outside glTF models and material folders are not coded "
                              "(an image recipe codes them, e.g. --recipe rgb-420)", stacklevel=2)
    if any(j.output.suffix.lower() == ".glb" for j in jobs):
        raise UsageError(f"{dst}: a compressed glTF is a .gltf beside its .tsw files; give a folder or a .gltf "
                         "name (decompress writes a .glb)")
    check_outputs(jobs, batch, dst, force)
    model = load_model(model_spec, recipe, codec)
    # a glTF coded per texture meets other recipes than the one named: they get their default models
    # (--model names the named recipe's), or all the plain adaptation with --model none
    models = ModelCache(lambda r: model if r.id == recipe.id else load_model(
        model_spec if model_spec == NONE or not explicit or materials else None, r, codec))

    def recipe_for(path: Path) -> Recipe:
        """The recipe of one source: the one given, or the pair's member that takes its bit depth."""
        if pair is None:
            return recipe
        return pair[1] if is_16bit_file(path) else pair[0]

    def work_gltf(j: Job) -> Result:
        if forced is not None and not materials and forced.id not in COLOUR_RECIPES:
            raise UsageError(f"{j.source}: a glTF takes a material recipe (pbr8-400), or a colour recipe for its base "
                             f"colour textures ({', '.join(COLOUR_RECIPES)}), not {recipe.id}")

        def on_material(k: int, n: int, r: MaterialReport) -> None:
            progress.event("material", asset=j.name, **r.to_json())
            progress.event("step", asset=j.name, done=k + 1, total=n, what=r.name)

        before, after, reports = compress_gltf(j.source, j.output, forced, models, codec, quality, step,
                                               int(bit_depth), on_material, target_psnr, allocate, alpha_quality,
                                               measure, target_size)
        psnrs = ", ".join(f"{r.name} {r.shaded_psnr:.2f} dB" + (f" (q{r.quality})" if target_psnr else "")
                          for r in reports if r.shaded_psnr is not None)
        at = f" at q{reports[0].quality}" if target_size is not None and reports else ""
        return Result(j, before, after, f"{j.source} -> {j.output}: {len(reports)} material(s), "
                                        f"textures {before:,} -> {after:,} bytes{at}; "
                                        + (f"shaded PSNR {psnrs}" if measure else "shaded PSNR not measured"),
                      details={"materials": [r.to_json() for r in reports]})

    def work(j: Job) -> Result:
        if j.source.suffix.lower() in GLTF_SUFFIXES:
            return work_gltf(j)
        r = recipe_for(j.source)
        e = compress_file(j.source, j.output, r, models(r), codec, quality, step, int(bit_depth),
                          target_psnr=target_psnr, target_size=target_size, normal_filter=normal_filter,
                          allocate=allocate,
                          encoder_steps=encoder_steps, strip=strip, measure=measure, alpha_quality=alpha_quality,
                          on_step=lambda k, n: progress.event("step", asset=j.name, done=k, total=n,
                                                              what="encoder step"))
        before = asset_bytes(j.source)
        facts = {"bpp": e.bpp, "psnr": e.psnr if e.psnr is not None and math.isfinite(e.psnr) else None,
                 "measure": e.measure if e.psnr is not None else "not measured",
                 **({"quality": e.quality} if e.quality is not None else {}),
                 **({"alpha_psnr": e.alpha_psnr if math.isfinite(e.alpha_psnr) else None}
                    if e.alpha_psnr is not None else {})}
        return Result(j, before, e.bytes,
                      f"{j.source} -> {j.output}: {before:,} -> {e.bytes:,} bytes, {e.bpp:.3f} bpp, "
                      + (f"{e.measure} {e.psnr:.2f} dB" if e.psnr is not None else f"{e.measure} not measured")
                      + (f" (q{e.quality})" if target_psnr is not None or target_size is not None else "")
                      + (f", alpha PSNR {e.alpha_psnr:.2f} dB" if e.alpha_psnr is not None else "")
                      + (f" (encoder optimisation: step {e.optimised.best_step} of {e.optimised.steps} kept)"
                         if e.optimised else ""), details=facts)

    done = None if force or not batch else output_done
    if dry_run:
        def what(j: Job) -> str:
            if j.source.suffix.lower() not in GLTF_SUFFIXES:
                return recipe_for(j.source).id
            if forced is None:
                return "glTF: a recipe per material"
            return f"glTF: base colours {forced.id}, other maps by role" if colour else f"glTF: {forced.id}"

        _plan(jobs, done, what)
        return
    results = run_jobs(jobs, work, jobs_n, progress, done=done)
    if pair is not None:  # the index says which recipe and model each image went through
        for res in results:
            r = recipe_for(res.job.source)
            res.details.update(recipe=r.id, model=models(r).model_id)
    if dst.is_dir() and (batch or any(j.source.suffix.lower() in GLTF_SUFFIXES for j in jobs)):
        write_index(dst / "library.json", results, {"recipe": recipe_id if explicit or not any(
            j.source.suffix.lower() in GLTF_SUFFIXES for j in jobs) else "auto", "codec": codec,
            "quality": quality, **({"target_psnr": target_psnr} if target_psnr is not None else {}),
            **({"target_size": str(target_size)} if target_size is not None else {}),
            "model": {r.id: models(r).model_id for r in pair} if pair else model.model_id})
    _finish(results, progress, batch)


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--output", "dst", required=True, type=OutputPath(),
              help="Output PNG (or material folder), or directory for several inputs or a tree of .tsw files.")
@click.option("--model", "model_spec", default=None,
              help="Model to decode with [default: the one named in each file].")
@click.option("--format", "image_format", type=click.Choice([s[1:] for s in LOSSLESS_SUFFIXES if s != ".tiff"]),
              default=None, help="File format of 8-bit images whose names decompress chooses (a folder or several "
              "inputs; -o without a suffix) and of material maps [default: png]. 16-bit images keep their source's "
              "kind (EXR for EXR).")
@_dry_run
@_jobs
@_force
@_quiet
@_progress
@with_stdio("decompress")
def decompress(sources: tuple[str, ...], dst: Path, model_spec: str | None, image_format: str | None,
               dry_run: bool, jobs_n: int, force: bool, quiet: bool, progress_mode: str) -> None:
    """Decode .tsw files: images and normal maps to PNG (or --format), materials to folders of maps.

    A material becomes OUT/NAME/albedo.png normal.png roughness.png occlusion.png.
    """
    # outputs: NAME.png, or the folder NAME/ for materials (decided once each file is read)
    as_folder = output_is_folder()
    jobs, batch = plan_sources(sources, dst, ".png", lambda p: False, materials=False,
                                suffixes=(TSW_SUFFIX, ".gltf"), as_folder=as_folder)
    owned = set()  # .tsw files a compressed glTF refers to are decoded with it, not on their own
    for j in jobs:
        if j.source.suffix == ".gltf":  # -o X.glb / X.gltf says the kind; else the source's (.glb for a .glb)
            if j.output != dst:
                j.output = j.output.with_suffix(decoded_suffix(j.source))
            owned |= {(j.source.parent / f).resolve() for f in compressed_tsw_files(j.source)}
    jobs = [j for j in jobs if j.source.resolve() not in owned]
    named = not batch and not as_folder and not dst.is_dir()  # -o names the output file itself (else ours)
    if image_format and named and dst.suffix and dst.suffix.lower() != f".{image_format}":
        raise UsageError(f"--format {image_format}, but -o names a {dst.suffix} file (give one or the other)")
    image_suffix = f".{image_format or 'png'}"  # 8-bit images and material maps whose names are ours
    for j in jobs:  # the real output name (kind, suffix) before anything is checked or written
        if j.source.suffix != ".gltf":
            j.output = decoded_output(j, named, image_suffix)
    check_outputs(jobs, batch, dst, force)
    decoder = Decoder(model_spec)
    progress = Progress(progress_mode, quiet, "decompress")

    def work(j: Job) -> Result:
        if j.source.suffix == ".gltf":
            if not compressed_tsw_files(j.source):
                raise InputError(f"{j.source}: not a compressed glTF (no texture points at a .tsw)")
            n = write_decompressed_gltf(j.source, j.output, decoder.maps)
            return Result(j, j.source.stat().st_size, j.output.stat().st_size,
                          f"{j.source} -> {j.output}: {n} PNG texture(s)")
        d = decompress_file(j.source, j.output, decoder, image_suffix)  # kind fixed by decoded_output
        m = d.manifest
        return Result(j, j.source.stat().st_size, d.bytes,
                      f"{j.source} -> {j.output}" + (f"/: {m.width}x{m.height} {m.recipe}, {d.maps} maps" if d.maps
                                                     else f": {m.width}x{m.height} {m.recipe}"))

    # a batch skips outputs that exist (a rerun resumes, and nothing already there is replaced) unless --force
    done = None if force or not batch else (lambda j: j.output.exists())
    if dry_run:
        _plan(jobs, done, lambda j: "a compressed glTF" if j.source.suffix == ".gltf"
              else read_manifest_file(j.source).recipe)
        return
    results = run_jobs(jobs, work, jobs_n, progress, done=done)
    skipped = sum(r.skipped for r in results)
    if skipped:
        progress.line(f"{skipped} of {len(results)} output(s) already there, left as they are (--force replaces them)")
    _finish(results, progress, False)


def _tsw_files(source: Path) -> list[Path]:
    """``source`` itself, or for a compressed glTF the ``.tsw`` files its textures point at (``info`` and
    ``unpack`` take either: after ``compress model.gltf`` the model is what a user has in hand)."""
    if source.suffix.lower() not in GLTF_SUFFIXES:
        return [source]
    if not source.is_file():
        raise InputError(f"{source}: no such file")
    files = [source.parent / f for f in compressed_tsw_files(source)]
    if not files:
        raise InputError(f"{source}: not a compressed glTF (no texture points at a .tsw)")
    return files


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def info(source: Path, as_json: bool) -> None:
    """Show what a .tsw file holds (for a compressed glTF: each .tsw file its textures point at), or what a
    model is (a .safetensors file or a zoo id): recipe, networks, codec settings, how it was trained."""
    entry = ZOO.get(str(source)) if not source.exists() else None
    if entry is not None or source.suffix.lower() == ".safetensors":
        _model_info(source, entry, as_json)
        return
    files = _tsw_files(source)
    blocks = [(path, read_tsw_file(path)) for path in files]
    if as_json:
        one = [{"file": str(path), "file_bytes": path.stat().st_size, "manifest": tsw.manifest.to_json()}
               for path, tsw in blocks]
        click.echo(json.dumps(one[0] if files == [source] else {"gltf": str(source), "files": one}, indent=2))
        return
    if files != [source]:
        click.echo(f"{source}: a compressed glTF, {len(files)} .tsw file(s)")
    for path, tsw in blocks:
        if files != [source]:
            click.echo("")
        for key, value in _info_rows(path, tsw):
            click.echo(f"{key:10s} {value}")


def _model_info(source: Path, entry: ZooEntry | None, as_json: bool) -> None:
    """``info`` for a model (``entry``: the zoo's, when ``source`` names one): the card a user reads before
    pointing ``--model`` at a file someone trained.

    Everything comes from the file's own metadata (what ``train`` wrote), so a model outside the zoo
    says as much as one in it; a zoo id adds the zoo's one-line summary.
    """
    from texsandwich.nets import parameter_count
    from texsandwich.sandwich import Sandwich, load_sandwich

    if entry is not None:  # load_model: the zoo's own refusals (weights missing from this installation)
        path, model = entry.path, load_model(entry.id, get_recipe(entry.recipe))
        assert isinstance(model, Sandwich)  # a zoo id is always a weights file
    else:
        path, model = source, load_sandwich(source)
    meta = model.metadata
    try:
        config = json.loads(meta.get("config", "{}"))
    except ValueError:
        config = {}
    result = config.get("result") or {}
    card = {
        "model": model.model_id, "file": str(path), "file_bytes": path.stat().st_size, "sha256": model.sha256,
        "recipe": model.recipe.id, "preset": model.preset, "adapter": model.adapter_name,
        "pre_params": parameter_count(model.pre_net), "post_params": parameter_count(model.post_net),
        "lambda": float(meta.get("lambda", "nan")), "heic_tuning": model.heic_tuning,
        "heic_chroma_qp": list(model.heic_chroma_qp),
        "post_bands": {c: [list(t) for t in v] for c, v in model.band_table.items()},
        "training": {k: config.get(k) for k in ("data", "split", "steps", "refine_steps", "crop", "batch", "lr",
                                                 "refine_lr", "seed", "init") if k in config},
        "trained_on": {k: result[k] for k in ("device", "cpu", "train_seconds") if k in result},
        "git_commit": meta.get("git_commit", ""),
        **({"zoo_summary": entry.summary} if entry is not None and entry.summary else {}),
    }
    if as_json:
        click.echo(json.dumps(card, indent=2))
        return
    t = card["training"]
    trained = bool(t.get("steps") or t.get("refine_steps") or model.band_table)  # else packaged (train --steps 0)
    tuning = model.heic_tuning
    rows = [
        ("model", f"{card['model']} ({card['file_bytes']:,} bytes, sha256 {model.sha256[:16]}…)"),
        *([("zoo", entry.summary)] if entry is not None and entry.summary else []),
        ("recipe", f"{card['recipe']} ({model.recipe.summary})"),
        ("networks", f"preset {model.preset}, adapter {model.adapter_name}; pre-net {card['pre_params']:,} "
                     f"parameters, post-net {card['post_params']:,}"),
        ("heic", f"x265 tuning {tuning}" + (f" ({tuning_text(tuning)})" if tuning != "default" else
                                            " (libheif's x265 settings)")
                 + (f", chroma QP offsets Cb {model.heic_chroma_qp[0]:+d} Cr {model.heic_chroma_qp[1]:+d}"
                    if model.heic_chroma_qp != (0, 0) else "")),
        *([("post-nets", ", ".join(f"{c} q{lo}-{hi}" for c, v in model.band_table.items() for lo, hi in v))]
          if model.band_table else []),
        ("training", f"lambda {card['lambda']:g}"
                     + "".join(f", {k.replace('_', ' ')} {t[k]}" for k in ("steps", "refine_steps", "batch", "crop",
                                                                           "lr") if k in t)
                     + (f", from {Path(str(t['init'])).stem}" if t.get("init") else "")
                     if trained else
                     "no steps: the networks of " + (Path(str(t["init"])).stem if t.get("init") else "its adapter")
                     + " with the settings above (see that model for its training)"),
        *([("data", f"{t['data']} (split {t.get('split', '?')})")] if "data" in t and trained else []),
        *([("trained", f"{card['trained_on']['train_seconds'] / 60:.1f} min on "
                       f"{card['trained_on'].get('device', 'cpu')}")]
          if "train_seconds" in card["trained_on"] and trained else []),
        *([("commit", card["git_commit"])] if card["git_commit"] else []),
    ]
    for key, value in rows:
        click.echo(f"{key:10s} {value}")


def _info_rows(source: Path, tsw: Tsw) -> list[tuple[str, str]]:
    """``info``'s rows for one ``.tsw`` file."""
    m = tsw.manifest
    total = source.stat().st_size
    s = m.settings
    level = f"quality {s.quality}" if s.quality is not None else f"step {s.step}"
    rows = [
        ("file", f"{source} ({total:,} bytes, {8 * total / (m.width * m.height):.3f} bpp)"),
        ("recipe", m.recipe),
        ("model", m.model_id if m.model_sha256 == NONE else f"{m.model_id} (sha256 {m.model_sha256[:16]}…)"),
        ("source", f"{m.width}x{m.height}, {','.join(m.channels)}, {m.bit_depth}-bit"
                   + (f", transfer {m.transfer}" if m.transfer else "")
                   + (f", {m.source_format}" if m.source_format else "")
                   + (f", EXIF orientation {m.orientation}" if m.orientation != 1 else "")),
        *([("primaries", "EXR chromaticities (x, y): " + ", ".join(
            f"{n} {m.chromaticities[2 * i]:g} {m.chromaticities[2 * i + 1]:g}" for i, n in enumerate("RGBW")))]
          if m.chromaticities else []),
        *([("profile", f"ICC colour profile: {profile_name(tsw.icc)}, {len(tsw.icc):,} bytes stored in "
                       f"{tsw.icc_bytes:,}")] if tsw.icc else []),
        *([("tone", f"per-image curve, {len(m.tone.knots)} knots (16-bit signal -> bottleneck)")] if m.tone else []),
        *([("postfilter", f"normal-map integrability filter, {len(m.postfilter.gains)} band gains")]
          if m.postfilter else []),
        ("codec", f"{m.codec} {s.mode}, {level}, {s.bit_depth}-bit"
                  + (f", chroma QP offsets Cb {s.chroma_qp[0]:+d} Cr {s.chroma_qp[1]:+d}" if s.chroma_qp != (0, 0)
                     else "")
                  + (f", x265 tuning {tuning} ({tuning_text(tuning)}; the model's)"
                     if (tuning := zoo_tuning(m.model_id)) != "default" and m.codec == "heic"
                     else "")
                  + (f", per-image quality offsets {list(m.offsets)}" if m.offsets else "")),
        ("layout", f"{m.layout.planes} plane(s), {m.layout.chroma}, scale 1/{m.layout.scale}"),
    ]
    # the layout's streams, then one 4:0:0 stream per side map (a material's metallic), in the manifest's order
    what = [f"{g.chroma} planes {list(g.planes)}" for g in m.layout.groups] + [f"400 side map {n}" for n in m.side]
    for i, (w, st) in enumerate(zip(what, m.streams, strict=True)):
        rows.append((f"stream {i}", f"{w}: {st.size:,} bytes, crc32 {st.crc32:08x}"))
    heads = sum(head_length(m.codec, st) for st in tsw.streams) if tsw.heads_bytes else 0
    rows.append(("overhead", f"{HEADER_BYTES + tsw.manifest_bytes:,} bytes (header {HEADER_BYTES} + manifest "
                             f"{tsw.manifest_bytes})"))
    if tsw.heads_bytes:
        rows.append(("heads", f"{heads:,} bytes of stream heads (HEIC boxes / JPEG markers) stored in "
                              f"{tsw.heads_bytes:,}; the streams above are the complete files"))
    rows.append(("encoder", m.encoder))
    return rows


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", "dst", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Directory for the standard image files.")
@_force
@_quiet
def unpack(source: Path, dst: Path, force: bool, quiet: bool) -> None:
    """Write the standard HEIC/JPEG images inside a .tsw as files any viewer opens (with the manifest, and
    the source's colour profile as NAME.icc when the file keeps one). A compressed glTF: every .tsw file
    its textures point at."""
    files = [(path, read_tsw_file(path)) for path in _tsw_files(source)]
    planned: list[tuple[Path, bytes]] = []
    for path, tsw in files:  # every name checked before anything is written
        ext = CODECS[tsw.manifest.codec].extension
        planned += [(dst / f"{path.stem}.{i}.{ext}", data) for i, data in enumerate(tsw.streams)]
        planned.append((dst / f"{path.stem}.manifest.json",
                        (json.dumps(tsw.manifest.to_json(), indent=2) + "\n").encode()))
        if tsw.icc:
            planned.append((dst / f"{path.stem}.icc", tsw.icc))
    inputs = {path.resolve() for path, _ in files} | {source.resolve()}
    for out, _ in planned:
        if out.exists() and not force:
            raise UsageError(f"{out} exists; pass --force to replace it")
        if out.resolve() in inputs:
            raise UsageError(f"{out} is the input; refusing to overwrite it")
    for out, data in planned:
        atomic_write(out, data)
        if not quiet:
            click.echo(str(out))


def _post_band(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple:
    """Parse ``CODEC:LO-HI:STEPS`` options into ``(codec, lo, hi, steps)``."""
    out = []
    for v in values:
        m = re.fullmatch(r"([a-z0-9]+):(\d{1,3})-(\d{1,3}):(\d+)", v)
        if not m or m[1] not in CODECS or not 0 <= int(m[2]) <= int(m[3]) <= 100:
            raise click.BadParameter(f"{v!r} is not CODEC:LO-HI:STEPS with a known codec and 0 <= LO <= HI <= 100")
        out.append((m[1], int(m[2]), int(m[3]), int(m[4])))
    return tuple(out)


@cli.command("train")
@click.option("--recipe", "recipe_id", required=True)
@click.option("--data", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder of images.")
@click.option("--split", type=click.Choice(["train", "all"]), default="all", show_default=True,
              help="'train' leaves out the fixed evaluation split (every 5th file).")
@click.option("--lambda", "lmbda", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Rate weight: loss = MSE + lambda * bits per pixel.")
@click.option("--preset", type=click.Choice(["full", "medium", "slim", "lite"]), default="slim", show_default=True)
@click.option("--steps", type=click.IntRange(min=0), default=4000, show_default=True,
              help="Steps through the proxy (pre- and post-net together).")
@click.option("--refine-steps", type=click.IntRange(min=0), default=0, show_default=True,
              help="Then steps of the post-net alone on real HEIC/JPEG decodes.")
@click.option("--post-band", "post_bands", multiple=True, callback=_post_band, metavar="CODEC:LO-HI:STEPS",
              help="Then refine a copy of the post-net for STEPS on CODEC's decodes at qualities LO..HI; it decodes "
              "those settings (repeat for several bands, e.g. heic:10-25:2000).")
@click.option("--heic-chroma-qp", type=(click.IntRange(-12, 12), click.IntRange(-12, 12)), default=(0, 0),
              show_default=True, metavar="CB CR",
              help="QP offsets of the bottleneck's planes 1, 2 when the model codes through HEIC (negative: finer).")
@click.option("--heic-tuning", type=click.Choice(list(HEIC_TUNINGS)), default="default", show_default=True,
              help="x265 settings the model codes HEIC with (nlf: no deblocking/SAO; nlf-aq0: and no adaptive "
              "quantisation); its refine steps see such decodes. Standard streams either way.")
@click.option("--crop", type=click.IntRange(min=16), default=128, show_default=True)
@click.option("--batch", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=5e-4, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--resume", is_flag=True, help="Continue from OUTPUT.ckpt when it exists.")
@click.option("--init", "init", default=None, help="Start from this model (zoo id or .safetensors of the same "
              "recipe and preset), e.g. to fine-tune it for another --lambda.")
@click.option("--adapter", type=click.Choice(sorted(ADAPTERS)), default=None,
              help="Fixed maps the networks are residuals of (default: the recipe's plain adapter, or --init's); "
              "e.g. ycbcr420ls for rgb-420.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@_quiet
def train_cmd(recipe_id: str, data: Path, split: str, lmbda: float, preset: str, steps: int, refine_steps: int,
              post_bands: tuple[tuple[str, int, int, int], ...], heic_chroma_qp: tuple[int, int],
              heic_tuning: str, crop: int, batch: int, lr: float, seed: int,
              resume: bool, init: str | None, adapter: str | None, output: Path, quiet: bool) -> None:
    """Train a sandwich through the codec proxy and write fp16 safetensors weights."""
    from texsandwich.train import TrainConfig, train

    get_recipe(recipe_id)
    config = TrainConfig(recipe=recipe_id, data=str(data), split=split, lmbda=lmbda, preset=preset, steps=steps,
                         refine_steps=refine_steps, post_bands=post_bands, heic_chroma_qp=heic_chroma_qp,
                         heic_tuning=heic_tuning, crop=crop, batch=batch, lr=lr, seed=seed,
                         init=str(ZOO[init].path) if init in ZOO else init, adapter=adapter)
    summary = train(config, output, resume=resume, progress=not quiet)
    if quiet:
        return
    if "psnr" not in summary:  # no step ran: a model packaged from --init/--adapter (e.g. a new tuning)
        click.echo(f"{output}: packaged without training steps, {summary['train_seconds'] / 60:.1f} min")
        return
    click.echo(f"{output}: PSNR {summary['psnr']:.2f} dB at {summary['bpp']:.3f} bpp (last batch), "
               f"step {summary['step']:.2f}, {summary['train_seconds'] / 60:.1f} min on {summary['cpu']}")


@cli.command()
@click.argument("asset", type=click.Path(path_type=Path))
@click.option("--textures", type=click.Path(path_type=Path), default=None,
              help="A decoded or compressed version of the asset's textures (glTF, folder, material folder or "
                   ".tsw): renders both and measures rendered PSNR.")
@click.option("--views", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option("--lights", type=click.IntRange(1, 64), default=2, show_default=True, help="Lights per view.")
@click.option("--size", type=click.IntRange(16, 4096), default=512, show_default=True, help="Image width and height.")
@click.option("--backend", type=click.Choice(["auto", "egl", "nvdiffrast"]), default="auto", show_default=True)
@click.option("--ssaa", type=click.IntRange(1, 4), default=2, show_default=True,
              help="Supersampling factor per axis (antialiasing).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fixed views and lights.")
@click.option("--model", "model_spec", default=None, help="Decode .tsw textures with this model instead.")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), required=True)
@_force
@_quiet
def render(asset: Path, textures: Path | None, views: int, lights: int, size: int, backend: str, ssaa: int,
           seed: int, model_spec: str | None, output: Path, force: bool, quiet: bool) -> None:
    """Render ASSET (.gltf/.glb, or a material folder / material .tsw on a sphere) from fixed views and lights.

    Writes one PNG per view and light; with --textures also the decoded version's renders, a contact sheet
    (original | decoded | 10x error) and rendered PSNR over covered pixels in metrics.json.
    """
    from texsandwich.renders import RenderOptions, render_asset

    m = render_asset(asset, textures, output, RenderOptions(views, lights, size, backend, seed, ssaa), force,
                     model_spec)
    if not quiet:
        line = f"{output}: {views} views x {lights} lights at {size}px ({m['backend']}, {m['triangles']} triangles)"
        if textures is not None:
            line += f", rendered PSNR {'inf' if m['psnr'] is None else format(m['psnr'], '.2f')} dB"
        click.echo(line + f", {m['seconds']:.1f} s")


EVAL_CHECKPOINT = "checkpoint.json"
"""What ``eval`` has measured so far, in its output folder until the report is written."""


@cli.command("eval")
@click.option("--recipe", "recipe_id", required=True)
@click.option("--data", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder of images, or of material folders for the pbr8-*/normal-* recipes.")
@click.option("--split", type=click.Choice(["eval", "all"]), default="all", show_default=True,
              help="'eval' keeps only the fixed evaluation split (every 5th file).")
@click.option("--model", "model_specs", multiple=True,
              help="Model(s) to evaluate (repeat); [default: the recipe's zoo model].")
@click.option("--codec", type=click.Choice(sorted(CODECS)), default="heic", show_default=True)
@click.option("--qualities", default=None, help="Comma-separated qualities [default: 10,20,...,90].")
@click.option("--bpp-range", nargs=2, type=float, default=None, help="Restrict BD integration to LO HI bpp.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Use the first N images only.")
@click.option("--bit-depth", type=click.Choice(["8", "10"]), default="8", show_default=True,
              help="Bits per coded sample of the sandwich's bottleneck (10: HEIC only).")
@click.option("--normal-filter", type=click.Choice(["on", "off", "both"]), default="on", show_default=True,
              help="Recipes with a normal map: the encoder's integrability post-filter on, off, or both ways "
                   "(each model twice, the control as 'ID (no filter)').")
@click.option("--allocate", type=click.Choice(["on", "off", "both"]), default="on", show_default=True,
              help="Material recipes: the encoder's per-file quality offsets on, off, or both ways (the control "
                   "as 'ID (uniform)').")
@click.option("--allocated-baselines", default=None, metavar="NAMES",
              help="Comma-separated baseline names (or 'all') to also run with the per-file allocation search "
                   "over their parts: the control that shows what the search is worth without networks (slow).")
@click.option("--encoder-steps", type=click.IntRange(min=0), default=0, show_default=True, metavar="N",
              help="Also code each model with N steps of encoder-side optimisation against the real codec, "
                   "as 'ID (encoder N steps)' next to the plain curve (slow: ~4 s per step per megapixel on 2 cores).")
@click.option("--encoder-models", default=None, metavar="IDS",
              help="Comma-separated model ids that get --encoder-steps [default: every model].")
@click.option("--render", "with_render", is_flag=True,
              help="Also render every point of glTF sources (materials of a mesh) and report rendered PSNR.")
@click.option("--render-views", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option("--render-lights", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--render-size", type=click.IntRange(16, 4096), default=512, show_default=True)
@click.option("--backend", type=click.Choice(["auto", "egl", "nvdiffrast"]), default="auto", show_default=True,
              help="Render backend for --render.")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--fresh", is_flag=True,
              help=f"Discard OUTPUT/{EVAL_CHECKPOINT} instead of going on from it (an interrupted evaluation "
                   "resumes from its last finished image when run again with the same arguments).")
@_quiet
def eval_cmd(recipe_id: str, data: Path, split: str, model_specs: tuple[str, ...], codec: str, qualities: str | None,
             bpp_range: tuple[float, float] | None, limit: int | None, bit_depth: str, normal_filter: str,
             allocate: str, allocated_baselines: str | None, encoder_steps: int, encoder_models: str | None,
             with_render: bool, render_views: int, render_lights: int, render_size: int, backend: str,
             output: Path, fresh: bool, quiet: bool) -> None:
    """Rate-distortion evaluation with real encodes: report.json and rd.png in OUTPUT.

    Progress is saved in OUTPUT after every image; run the same command again to resume.
    """
    from texsandwich.evaluate import DEFAULT_QUALITIES, evaluate, format_summary, write_report
    from texsandwich.renders import RenderOptions

    if bpp_range is not None and not 0 < bpp_range[0] < bpp_range[1]:
        raise UsageError(f"--bpp-range takes LO HI with 0 < LO < HI, not {bpp_range[0]:g} {bpp_range[1]:g}")
    recipe = get_recipe(recipe_id)
    try:
        qs = [int(q) for q in qualities.split(",")] if qualities else DEFAULT_QUALITIES[codec]
    except ValueError:
        raise UsageError(f"--qualities must be comma-separated integers, not {qualities!r}") from None
    qs = sorted(set(qs))  # a curve's points in rate order, each quality coded once
    if len(qs) < 2 or any(not 0 <= q <= 100 for q in qs):
        raise UsageError("--qualities needs at least two different values from 0 to 100")
    codec_settings(codec, qs[0], None, int(bit_depth))  # a bad codec/bit-depth pair before hours of work
    if not data.is_dir():
        raise InputError(f"{data}: no such directory")
    files = list_sources(data, recipe, split)[:limit]
    if not files:
        raise InputError(f"{data}: no sources for recipe {recipe.id} (split {split})")
    models = [load_model(s, recipe, codec) for s in (model_specs or [None])]
    render_opts = RenderOptions(render_views, render_lights, render_size, backend) if with_render else None
    if with_render and recipe.source_kind not in ("material", "normal"):
        raise UsageError(f"--render needs a material or normal-map recipe, not {recipe.id}")
    checkpoint = output / EVAL_CHECKPOINT
    if fresh:
        checkpoint.unlink(missing_ok=True)
    report = evaluate(recipe, files, models, codec, qs, tuple(bpp_range) if bpp_range else None,
                      progress=not quiet, render=render_opts, bit_depth=int(bit_depth), normal_filter=normal_filter,
                      allocate=allocate,
                      allocated_baselines=tuple(allocated_baselines.split(",")) if allocated_baselines else (),
                      encoder_steps=encoder_steps,
                      encoder_models=tuple(encoder_models.split(",")) if encoder_models else None,
                      checkpoint=checkpoint)
    write_report(report, output)
    checkpoint.unlink(missing_ok=True)  # the report holds everything it held
    if not quiet:
        click.echo(format_summary(report))
        click.echo(f"wrote {output / 'report.json'} and {output / 'rd.png'}")


_WARN_JSON = False


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    with TERMINAL:
        click.echo(f"texsandwich: warning: {message}", err=True)
    if _WARN_JSON:
        Progress("json").event("warning", message=str(message))


def _json_progress(argv: list[str]) -> bool:
    pairs = zip(argv, [*argv[1:], ""], strict=True)
    return any(a == "--progress=json" or (a == "--progress" and b == "json") for a, b in pairs)


def _say_error(message: str, code: int, as_json: bool) -> NoReturn:
    """The one error line on stderr (and, for programs reading ``--progress json``, an error event)."""
    click.echo(f"texsandwich: {message}", err=True)
    if as_json:
        Progress("json").event("error", asset=None, message=message.removeprefix("error: "), exit_code=code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every expected failure into one line and an exit code."""
    global _WARN_JSON
    args = sys.argv[1:] if argv is None else argv
    as_json = _WARN_JSON = _json_progress(args)
    warnings.showwarning = _one_line_warning
    try:
        rv = cli.main(args=args, prog_name="texsandwich", standalone_mode=False)
    except click.exceptions.UsageError as e:
        hint = f" (see 'texsandwich {e.ctx.command.name} --help')" if e.ctx and e.ctx.command.name != "cli" else ""
        _say_error(f"error: {e.format_message()}{hint}", 2, as_json)
    except click.exceptions.Abort as e:
        if isinstance(e.__cause__, EOFError):  # click turns any stray EOFError into Abort: it is a cut-short input
            _say_error(f"error: unexpected end of input ({e.__cause__ or 'EOF'})", 1, as_json)
        _say_error("interrupted", 130, as_json)
    except click.ClickException as e:
        _say_error(f"error: {e.format_message()}", e.exit_code, as_json)
    except TexsandwichError as e:
        _say_error(f"error: {e}", e.exit_code, as_json)
    except KeyboardInterrupt:
        _say_error("interrupted", 130, as_json)
    except BrokenPipeError:
        sys.exit(1)
    except (OSError, MemoryError, RuntimeError) as e:
        said = environment_failure(e)
        if said is None:
            raise
        _say_error(f"error: {said}", 1, as_json)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
