"""The ``texsandwich`` command line.

Every error a user can cause ends as one line on stderr and an exit code: 2 for a wrong invocation,
1 for bad data, 130 for an interrupt. Outputs are written to a temporary file and renamed, inputs
are never overwritten, and existing outputs are only replaced with ``--force``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import click
from tqdm import tqdm

from texsandwich import __version__
from texsandwich.codecs import CODECS
from texsandwich.container import HEADER_BYTES, Tsw, read_tsw
from texsandwich.errors import InputError, TexsandwichError, UsageError
from texsandwich.fsutil import atomic_write
from texsandwich.images import IMAGE_SUFFIXES, read_rgb8, write_png
from texsandwich.models import NONE, SandwichModel, load_model
from texsandwich.pipeline import codec_settings, psnr, reconstruct
from texsandwich.pipeline import compress as compress_image
from texsandwich.recipes import RECIPES, get_recipe

TSW_SUFFIX = ".tsw"


def _collect(sources: Iterable[str], suffixes: tuple[str, ...]) -> tuple[list[Path], bool]:
    """Expand directories (their matching files, sorted, not recursive); say whether this is a batch."""
    sources = list(sources)
    files: list[Path] = []
    batch = len(sources) > 1
    for s in sources:
        p = Path(s)
        if p.is_dir():
            batch = True
            files += sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in suffixes)
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or directory")
    if not files:
        raise InputError(f"no input files with suffix {', '.join(suffixes)} in {', '.join(sources)}")
    return files, batch


def _plan(inputs: list[Path], dst: Path, batch: bool, suffix: str, force: bool) -> list[tuple[Path, Path]]:
    """Pair each input with its output, refusing anything that would lose data."""
    if batch or dst.is_dir():
        if dst.exists() and not dst.is_dir():
            raise UsageError(f"{dst} is a file; with several inputs -o must be a directory")
        outputs = [dst / (src.stem + suffix) for src in inputs]
    else:
        outputs = [dst]
    seen: dict[Path, Path] = {}
    resolved_inputs = {p.resolve() for p in inputs}
    for src, out in zip(inputs, outputs, strict=True):
        key = out.resolve()
        if key in seen:
            raise UsageError(f"{seen[key]} and {src} would both be written to {out}")
        seen[key] = src
        if key in resolved_inputs:
            raise UsageError(f"{out} is an input; refusing to overwrite it")
        if out.exists() and not force:
            raise UsageError(f"{out} exists; pass --force to replace it")
    return list(zip(inputs, outputs, strict=True))


def _run_batch(pairs: list[tuple[Path, Path]], work: Callable[[Path, Path], str], quiet: bool) -> None:
    """Process each pair; a bad file is reported and skipped, and the exit code says some failed."""
    failed = 0
    bar = tqdm(pairs, unit="file", disable=quiet or len(pairs) < 2 or not sys.stderr.isatty(), file=sys.stderr)
    for src, out in bar:
        try:
            line = work(src, out)
        except TexsandwichError as e:
            if len(pairs) == 1:
                raise
            failed += 1
            tqdm.write(f"texsandwich: error: {e}", file=sys.stderr)
            continue
        if not quiet:
            tqdm.write(line)
    if failed:
        raise TexsandwichError(f"{failed} of {len(pairs)} files failed")


def _read_tsw(path: Path) -> Tsw:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    try:
        return read_tsw(data)
    except TexsandwichError as e:
        raise type(e)(f"{path}: {e}") from None


_force = click.option("--force", "-f", is_flag=True, help="Replace existing output files (never inputs).")
_quiet = click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")


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
    """List the recipes: what each carries and through which codec images."""
    if as_json:
        click.echo(json.dumps([r.to_json() for r in RECIPES.values()], indent=2))
        return
    for r in RECIPES.values():
        images = "+".join(g.chroma for g in r.layout.groups)
        click.echo(f"{r.id:10s} {r.layout.planes} plane(s) as {images:12s} {r.summary}")


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--output", "dst", required=True, type=click.Path(path_type=Path),
              help="Output .tsw file, or directory for several inputs.")
@click.option("--recipe", "recipe_id", required=True, help="Recipe id (see 'texsandwich recipes').")
@click.option("--codec", type=click.Choice(sorted(CODECS)), default="heic", show_default=True)
@click.option("--quality", type=click.IntRange(0, 100), default=None, help="Codec quality 0-100 [default: 50].")
@click.option("--step", type=click.IntRange(1, 255), default=None,
              help="Flat quantiser step instead of a quality (JPEG only).")
@click.option("--bit-depth", type=click.Choice(["8", "10"]), default="8", show_default=True,
              help="Bits per coded sample (10: HEIC only).")
@click.option("--model", "model_spec", default=NONE, show_default=True,
              help="'none' (the recipe's plain-codec adaptation), a zoo id or a weights file.")
@_force
@_quiet
def compress(sources: tuple[str, ...], dst: Path, recipe_id: str, codec: str, quality: int | None,
             step: int | None, bit_depth: str, model_spec: str, force: bool, quiet: bool) -> None:
    """Compress images into .tsw files; prints size, bits per pixel and PSNR of each."""
    if quality is not None and step is not None:
        raise UsageError("give --quality or --step, not both")
    recipe = get_recipe(recipe_id)
    codec_settings(codec, quality, step, int(bit_depth))  # refuse bad combinations before touching files
    inputs, batch = _collect(sources, IMAGE_SUFFIXES)
    pairs = _plan(inputs, dst, batch, TSW_SUFFIX, force)
    model = load_model(model_spec, recipe)

    def work(src: Path, out: Path) -> str:
        image = read_rgb8(src)
        c = compress_image(image, recipe, model, codec, quality, step, int(bit_depth))
        atomic_write(out, c.data)
        h, w = image.shape[:2]
        return (f"{src} -> {out}: {len(c.data):,} bytes, {8 * len(c.data) / (h * w):.3f} bpp, "
                f"PSNR {psnr(c.reconstruction, image):.2f} dB")

    _run_batch(pairs, work, quiet)


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--output", "dst", required=True, type=click.Path(path_type=Path),
              help="Output PNG, or directory for several inputs.")
@click.option("--model", "model_spec", default=None,
              help="Model to decode with [default: the one named in each file].")
@_force
@_quiet
def decompress(sources: tuple[str, ...], dst: Path, model_spec: str | None, force: bool, quiet: bool) -> None:
    """Decode .tsw files to 8-bit PNG images."""
    inputs, batch = _collect(sources, (TSW_SUFFIX,))
    pairs = _plan(inputs, dst, batch, ".png", force)
    models: dict[tuple[str, str], SandwichModel] = {}

    def work(src: Path, out: Path) -> str:
        tsw = _read_tsw(src)
        m = tsw.manifest
        key = (m.recipe, model_spec or m.model_id)
        if key not in models:
            models[key] = load_model(key[1], get_recipe(m.recipe))
        write_png(out, reconstruct(tsw, models[key]))
        return f"{src} -> {out}: {m.width}x{m.height} {m.recipe}"

    _run_batch(pairs, work, quiet)


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def info(source: Path, as_json: bool) -> None:
    """Show what a .tsw file holds."""
    tsw = _read_tsw(source)
    m = tsw.manifest
    total = source.stat().st_size
    payload = sum(len(s) for s in tsw.streams)
    if as_json:
        click.echo(json.dumps({"file_bytes": total, "manifest": m.to_json()}, indent=2))
        return
    s = m.settings
    level = f"quality {s.quality}" if s.quality is not None else f"step {s.step}"
    rows = [
        ("file", f"{source} ({total:,} bytes, {8 * total / (m.width * m.height):.3f} bpp)"),
        ("recipe", m.recipe),
        ("model", m.model_id if m.model_sha256 == NONE else f"{m.model_id} (sha256 {m.model_sha256[:16]}…)"),
        ("source", f"{m.width}x{m.height}, {','.join(m.channels)}, {m.bit_depth}-bit"),
        ("codec", f"{m.codec} {s.mode}, {level}, {s.bit_depth}-bit"),
        ("layout", f"{m.layout.planes} plane(s), {m.layout.chroma}, scale 1/{m.layout.scale}"),
    ]
    for i, (g, st) in enumerate(zip(m.layout.groups, m.streams, strict=True)):
        rows.append((f"stream {i}", f"{g.chroma} planes {list(g.planes)}: {st.size:,} bytes, crc32 {st.crc32:08x}"))
    rows.append(("overhead", f"{total - payload:,} bytes (header {HEADER_BYTES} + manifest)"))
    rows.append(("encoder", m.encoder))
    for k, v in rows:
        click.echo(f"{k:10s} {v}")


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", "dst", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Directory for the standard image files.")
@_force
def unpack(source: Path, dst: Path, force: bool) -> None:
    """Write the standard HEIC/JPEG images inside a .tsw as files any viewer opens."""
    tsw = _read_tsw(source)
    m = tsw.manifest
    ext = CODECS[m.codec].extension
    outputs = [dst / f"{source.stem}.{i}.{ext}" for i in range(len(tsw.streams))]
    manifest_path = dst / f"{source.stem}.manifest.json"
    for out in [*outputs, manifest_path]:
        if out.exists() and not force:
            raise UsageError(f"{out} exists; pass --force to replace it")
        if out.resolve() == source.resolve():
            raise UsageError(f"{out} is the input; refusing to overwrite it")
    for out, data in zip(outputs, tsw.streams, strict=True):
        atomic_write(out, data)
        click.echo(str(out))
    atomic_write(manifest_path, (json.dumps(m.to_json(), indent=2) + "\n").encode())
    click.echo(str(manifest_path))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every expected failure into one line and an exit code."""
    try:
        rv = cli.main(args=argv, prog_name="texsandwich", standalone_mode=False)
    except click.exceptions.UsageError as e:
        hint = f" (see 'texsandwich {e.ctx.command.name} --help')" if e.ctx and e.ctx.command.name != "cli" else ""
        click.echo(f"texsandwich: error: {e.format_message()}{hint}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("texsandwich: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        click.echo(f"texsandwich: error: {e.format_message()}", err=True)
        sys.exit(e.exit_code)
    except TexsandwichError as e:
        click.echo(f"texsandwich: error: {e}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("texsandwich: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
