"""``-`` as a source (stdin) or as ``-o`` (stdout) for ``compress`` and ``decompress``.

Why: pipelines chain tools through pipes (``magick in.psd png:- | texsandwich compress - -o - | upload``),
as ImageMagick, cwebp and ffmpeg allow. The commands themselves work on files (their readers dispatch on a
file's suffix, their outputs are written to a temporary name and renamed), so this wraps them: stdin is
spooled to a file in a private temporary folder, named by what its first bytes say it is, and the output
is made in that folder and copied to stdout once the command succeeded; a failure writes nothing there.
The command runs in that folder with the spooled file as ``stdin.<kind>``, so its messages name the source
``stdin.png`` rather than a temporary path; ``-o`` and a ``--model`` file are made absolute first.
Human progress lines would mix with the bytes on stdout, so writing to stdout makes the command quiet
(warnings and errors still go to stderr), and ``--progress json`` (also on stdout) is refused with it.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from texsandwich.errors import UsageError

STDIO = "-"
SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89TSW\r\n\x1a\n", 0, ".tsw"), (b"\x89PNG\r\n\x1a\n", 0, ".png"), (b"\xff\xd8\xff", 0, ".jpg"),
    (b"II*\x00", 0, ".tif"), (b"MM\x00*", 0, ".tif"), (b"GIF8", 0, ".gif"), (b"BM", 0, ".bmp"),
    (b"DDS ", 0, ".dds"), (b"v/1\x01", 0, ".exr"), (b"#?RADIANCE", 0, ".hdr"), (b"#?RGBE", 0, ".hdr"),
    (b"WEBP", 8, ".webp"), (b"P6", 0, ".ppm"), (b"P5", 0, ".pgm"),
)
"""Magic bytes (at an offset) of the kinds a source may be; HEIF and AVIF are told by their ``ftyp`` brand."""
HEIF_BRANDS = {b"heic": ".heic", b"heix": ".heic", b"hevc": ".heic", b"mif1": ".heic", b"msf1": ".heic",
               b"avif": ".avif", b"avis": ".avif"}


def sniff(data: bytes) -> str | None:
    """The file suffix of ``data`` from its first bytes, or None (TGA, for one, has no signature)."""
    for magic, at, suffix in SIGNATURES:
        if data[at:at + len(magic)] == magic:
            return suffix
    if data[4:8] == b"ftyp":
        return HEIF_BRANDS.get(data[8:12])
    return None


def _read_stdin(folder: Path, expect_tsw: bool) -> Path:
    """Spool stdin into ``folder`` as ``stdin.<kind>``."""
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("'-' reads from stdin, which is a terminal here: pipe the file in (… | texsandwich …)")
    data = sys.stdin.buffer.read()
    if not data:
        raise UsageError("stdin is empty")
    suffix = sniff(data)
    if expect_tsw and suffix != ".tsw":
        raise UsageError("stdin holds no .tsw file (decompress reads what compress wrote)")
    if suffix is None:
        raise UsageError("cannot tell what kind of image stdin holds (PNG, JPEG, TIFF, WebP, BMP, GIF, PPM, "
                         "HEIC, AVIF, DDS, EXR or Radiance HDR are recognised; give TGA files by name)")
    path = folder / f"stdin{suffix}"
    path.write_bytes(data)
    return path


def with_stdio(command: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate the ``compress`` or ``decompress`` callback (keyword arguments ``sources``, ``dst``,
    ``quiet``, ``progress_mode``) so that ``-`` works as its only source and as its output."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(**kw: Any) -> Any:
            sources, dst = kw["sources"], kw["dst"]
            from_stdin, to_stdout = STDIO in sources, str(dst) == STDIO
            if not from_stdin and not to_stdout:
                return fn(**kw)
            if from_stdin and len(sources) > 1:
                raise UsageError("'-' (stdin) must be the only source")
            if to_stdout and kw["progress_mode"] == "json":
                raise UsageError("--progress json writes to stdout; it cannot go with -o - (the file goes there)")
            with tempfile.TemporaryDirectory(prefix="texsandwich-stdio-") as tmp, contextlib.ExitStack() as stack:
                folder = Path(tmp).resolve()
                if from_stdin:
                    spooled = _read_stdin(folder, expect_tsw=command == "decompress")
                    kw["dst"] = dst if to_stdout else Path(dst).absolute()
                    if kw.get("model_spec") and Path(kw["model_spec"]).exists():
                        kw["model_spec"] = str(Path(kw["model_spec"]).absolute())
                    stack.enter_context(contextlib.chdir(folder))  # messages say "stdin.png", not a temp path
                    kw["sources"] = (spooled.name,)
                if to_stdout:
                    (folder / "out").mkdir()
                    # compress: a file name; decompress: no suffix, so the kind is the decoded image's own
                    # (--format for 8-bit images, the source's kind for 16-bit ones)
                    kw["dst"] = folder / "out" / ("stdout.tsw" if command == "compress" else "stdout")
                    kw["quiet"] = True
                result = fn(**kw)
                if to_stdout:
                    _write_stdout(folder / "out")
                return result

        return run

    return wrap


def _write_stdout(folder: Path) -> None:
    """Copy the one output file in ``folder`` to stdout (a material's folder of maps cannot go there)."""
    made = list(folder.iterdir())
    if len(made) != 1 or not made[0].is_file():
        raise UsageError("this decodes to a folder of maps (a material) or several files; give -o a folder")
    with open(made[0], "rb") as f:
        shutil.copyfileobj(f, sys.stdout.buffer)
    sys.stdout.buffer.flush()
