"""Where each command writes, decided before anything is written, and the rules that keep data safe.

Why a module of its own: ``compress`` and ``decompress`` both turn their arguments (files, material
folders, trees, glTF models) into jobs with an output each, and every rule that protects the user --
an input is never an output, two jobs never share one, an existing file is only replaced with
``--force``, a batch rerun skips finished work -- must see the name that will really be written. For
``decompress`` that name depends on the file (a material folder, an EXR for an EXR source, the lossless
format ``-o`` asks for), so it is fixed here from the manifest, before any check.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import click

from texsandwich.decoding import read_manifest_file, read_tsw_file
from texsandwich.errors import InputError, TexsandwichError, UsageError
from texsandwich.files import check_output_kind, source_suffix
from texsandwich.gltf import GLTF_SUFFIXES, compressed_tsw_files
from texsandwich.images import IMAGE_SUFFIXES
from texsandwich.library import Job, plan_library
from texsandwich.recipes import get_recipe

FILE_SUFFIXES = (".tsw", *GLTF_SUFFIXES, *IMAGE_SUFFIXES, ".exr", ".hdr")
"""Suffixes that make a ``-o`` name a file, which a batch must not turn into a folder."""
AS_FOLDER = "texsandwich.output_is_folder"
"""``click`` context key: the ``-o`` value ended with a path separator (``-o out/``)."""


class OutputPath(click.ParamType):
    """``-o``: a :class:`~pathlib.Path`, remembering (in the context's ``meta``, :data:`AS_FOLDER`) whether
    it ended with a separator. Why: ``Path("out/")`` is ``Path("out")``, so ``compress a.png -o out/`` wrote
    a *file* named ``out`` when no such folder existed yet; a trailing separator says "a folder", as it
    does to ``cp`` and ``rsync``."""

    name = "path"

    def convert(self, value, param, ctx):
        if isinstance(value, Path):
            return value
        if ctx is not None:
            ctx.meta[AS_FOLDER] = value.endswith(("/", os.sep))
        return Path(value)


def output_is_folder() -> bool:
    """Whether the running command's ``-o`` ended with a path separator (False outside a command)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get(AS_FOLDER))


def plan_sources(sources: tuple[str, ...], dst: Path, suffix: str, is_unit: Callable[[Path], bool],
                 materials: bool, suffixes: tuple[str, ...] = IMAGE_SUFFIXES,
                 as_folder: bool = False, gltf: bool = False) -> tuple[list[Job], bool]:
    """Jobs for every input: single files / material folders, or whole trees (library mode). ``as_folder``:
    ``dst`` is a folder even if it does not exist yet (``-o out/``), so one input goes into it. ``gltf``: a
    tree's glTF models are assets too, and their textures theirs (a colour recipe, :func:`plan_library`).

    Returns the jobs and whether this is library mode (a directory of assets was given).
    """
    jobs: list[Job] = []
    library = False
    several = len(sources) > 1
    for s in sources:
        p = Path(s)
        if not p.exists():
            raise InputError(f"{p}: no such file or directory")
        if p.is_dir() and not is_unit(p):
            library = True
            root_dst = dst / p.name if several else dst
            found = plan_library(p, root_dst, materials, suffix, suffixes, gltf)
            if not found:
                what = "material folders" if materials else "files"
                raise InputError(f"{p}: no {what} to process")
            jobs += found
        elif p.suffix.lower() in GLTF_SUFFIXES:
            out = dst if dst.suffix.lower() in GLTF_SUFFIXES and not several else dst / (p.stem + ".gltf")
            jobs.append(Job(p, out, p.stem))
        else:
            name = p.name if p.is_dir() else p.stem
            jobs.append(Job(p, dst / (name + suffix) if several or as_folder or dst.is_dir() else dst, name))
    return jobs, library or several


def check_outputs(jobs: list[Job], batch: bool, dst: Path, force: bool) -> None:
    """Refuse anything that would lose data: an input overwritten, two jobs on one output, a file as -o."""
    if batch and dst.exists() and not dst.is_dir():
        raise UsageError(f"{dst} is a file; with several inputs -o must be a directory")
    if batch and not dst.exists() and not output_is_folder() and dst.suffix.lower() in FILE_SUFFIXES:
        # a folder named "x.tsw" full of outputs is not what anyone typing it meant (cp refuses it too)
        raise UsageError(f"{dst} names a file, but several inputs need a folder for -o (e.g. "
                         f"{dst.with_suffix('')}{os.sep}; a trailing {os.sep} makes any name a folder)")
    seen: dict[Path, Path] = {}
    inputs = {j.source.resolve() for j in jobs}
    for j in jobs:
        key = j.output.resolve()
        if key in seen:
            raise UsageError(f"{seen[key]} and {j.source} would both be written to {j.output}")
        seen[key] = j.source
        if key in inputs:
            raise UsageError(f"{j.output} is an input; refusing to overwrite it")
        if j.output.exists() and not force and not batch:
            raise UsageError(f"{j.output} exists; pass --force to replace it")


def output_done(j: Job) -> bool:
    """An output that exists and parses is finished work (outputs are only ever renamed into place;
    a compressed glTF is written after all its .tsw files)."""
    if not j.output.is_file():
        return False
    try:
        if j.output.suffix == ".gltf":
            return all((j.output.parent / f).is_file() for f in compressed_tsw_files(j.output))
        read_tsw_file(j.output)
    except (TexsandwichError, OSError):
        return False
    return True


def decoded_output(j: Job, named: bool, image_suffix: str = ".png") -> Path:
    """Where ``decompress`` writes ``j``: a material folder, the source's kind of 16-bit file, or an 8-bit
    image -- in the format the ``-o`` name asks for when ``named`` (it names this one file), else
    ``image_suffix`` (``--format``) for 8-bit images and the source's own kind (EXR for EXR) for 16-bit ones.

    Decided from the manifest before anything is checked or written, so that ``--force`` and the
    never-overwrite rule see the name that will really be written. A file that cannot be read keeps its
    planned name; the work reports its error.
    """
    try:
        m = read_manifest_file(j.source)  # the manifest only: the streams are read once, when decoding
        kind = get_recipe(m.recipe).source_kind  # a recipe this version lacks is the work's error too
    except (TexsandwichError, OSError):
        return j.output
    out, suffix = j.output, j.output.suffix.lower()
    if kind == "material":
        return out.with_suffix("") if suffix == ".png" else out
    if not named or not suffix:
        return out.with_suffix(source_suffix(m) if m.bit_depth > 8 else image_suffix)
    check_output_kind(m, j.source, out)
    return out
