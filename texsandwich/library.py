"""Library mode: a directory tree of assets in, the same tree of ``.tsw`` files out.

``plan_library`` walks a tree and pairs every asset the recipe takes (glTF models and material folders
for ``pbr8-*``, image files otherwise, and glTF models too for a colour recipe such as ``rgb-hr2``) with
its output path under the mirrored tree; ``run_jobs`` does
the work with a progress bar (or a JSON event stream, :mod:`texsandwich.progress`), ``--jobs N``
threads (torch and the codecs release the GIL), skips outputs that already exist and parse (so a
killed run resumes where it stopped: every output is written to a temporary file and renamed, so
none is ever half-written), and collects per-asset bytes for the summary and ``library.json``.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from texsandwich.assets import is_material_folder
from texsandwich.errors import TexsandwichError, environment_failure
from texsandwich.fsutil import atomic_write
from texsandwich.gltf import GLTF_SUFFIXES, load_gltf
from texsandwich.images import IMAGE_SUFFIXES
from texsandwich.progress import Progress


@dataclass
class Job:
    source: Path
    output: Path
    name: str
    """Path of the asset relative to the library root (what the index and the summary show)."""


@dataclass
class Result:
    job: Job
    bytes_in: int
    bytes_out: int
    line: str
    skipped: bool = False
    error: str | None = None
    details: dict[str, object] = field(default_factory=dict)
    """Extra per-asset facts for library.json and the progress stream (a glTF's materials)."""


def asset_bytes(path: Path) -> int:
    """Size of an asset on disk: a file, or every file of a material folder (not recursive)."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return path.stat().st_size


def gltf_images(path: Path) -> set[Path]:
    """The image files a glTF's ``images`` point at (resolved; data URIs and a .glb's own chunk are not
    files), or none when it cannot be read (its job reports that)."""
    try:
        uris = [i.uri for i in load_gltf(path).images or []]
    except TexsandwichError:  # a broken model: its own job says why, the tree is still planned
        return set()
    return {(path.parent / urllib.parse.unquote(u)).resolve() for u in uris if u and not u.startswith("data:")}


def find_assets(root: Path, materials: bool, suffixes: tuple[str, ...] = IMAGE_SUFFIXES,
                gltf: bool = False) -> list[Path]:
    """The assets under ``root``, sorted, recursively: glTF models and material folders (``materials``),
    or files with ``suffixes``, and with ``gltf`` glTF models too, whose own texture files are then theirs,
    not assets of their own.

    Why a folder holding a glTF is not a material folder: a model's folder is full of base colour and
    normal maps, and coding it as one material (0.6.9 did) loses the model, its material assignments and
    every texture the naming rules do not recognise; the glTF is the asset.
    """
    tree: list[tuple[Path, list[str]]] = []  # one walk, in sorted order: (folder, its file names)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        tree.append((Path(dirpath), sorted(filenames)))
    models = {d: [d / f for f in files if Path(f).suffix.lower() in GLTF_SUFFIXES] for d, files in tree}
    owned = {p for ms in models.values() for m in ms for p in gltf_images(m)}
    out: list[Path] = []
    chosen: list[Path] = []  # material folders: their subfolders are not more materials
    for d, files in tree:
        if materials:
            if any(d.is_relative_to(c) for c in chosen):
                continue
            if models[d]:
                out += models[d]
            elif is_material_folder(d) and not any(p.resolve() in owned for p in d.iterdir() if p.is_file()):
                out.append(d)
                chosen.append(d)
        else:
            out += models[d] if gltf else []
            out += [d / f for f in files if Path(f).suffix.lower() in suffixes
                    and not (gltf and (d / f).resolve() in owned)]
    return out


def images_left_out(root: Path, assets: list[Path]) -> int:
    """How many image files under ``root`` no asset of a materials library codes: not in a material folder
    of ``assets`` and not a texture of one of its glTF models (what an image recipe would code instead)."""
    covered = {p.resolve() for a in assets if a.is_dir() for p in a.iterdir()}
    for a in assets:
        if a.suffix.lower() in GLTF_SUFFIXES:
            covered |= gltf_images(a)
    return sum(1 for dirpath, _, files in os.walk(root) for f in files
               if Path(f).suffix.lower() in IMAGE_SUFFIXES and (Path(dirpath) / f).resolve() not in covered)


def plan_library(root: Path, dst: Path, materials: bool, suffix: str,
                 suffixes: tuple[str, ...] = IMAGE_SUFFIXES, gltf: bool = False) -> list[Job]:
    """Every asset of the tree with its output in the mirrored tree under ``dst`` (``gltf``: see
    :func:`find_assets`)."""
    jobs = []
    for src in find_assets(root, materials, suffixes, gltf):
        rel = src.relative_to(root)
        if src.suffix.lower() in (".gltf", ".glb"):  # a glTF keeps its name; its textures become .tsw beside it
            out = dst / rel.with_suffix(".gltf")
        else:
            out = dst / (rel.with_name(rel.name + suffix) if src.is_dir() else rel.with_suffix(suffix))
        if src == root:  # the root itself is one material
            out = dst / (root.name + suffix)
            rel = Path(root.name)
        jobs.append(Job(src, out, rel.as_posix()))
    return jobs


def run_jobs(jobs: list[Job], work: Callable[[Job], Result], jobs_n: int = 1, progress: Progress | None = None,
             done: Callable[[Job], bool] | None = None) -> list[Result]:
    """Run ``work`` over ``jobs`` on ``jobs_n`` threads; jobs whose output is ``done`` are skipped.

    A failing asset is reported and the others go on; the caller decides the exit code.
    """
    progress = progress or Progress()
    results: list[Result] = []
    todo = []
    for j in jobs:
        if done is not None and done(j):
            results.append(Result(j, asset_bytes(j.source), j.output.stat().st_size, f"{j.name}: done, skipped",
                                  skipped=True))
        else:
            todo.append(j)
    progress.start(len(todo), skipped=len(results))
    for r in results:
        progress.asset_done(**_fields(r))
    if jobs_n > 1:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // jobs_n))

    def guarded(j: Job) -> Result:
        try:
            return work(j)
        except TexsandwichError as e:
            return Result(j, 0, 0, "", error=str(e))
        except (OSError, MemoryError, RuntimeError) as e:  # the machine's refusal, one asset's error
            said = environment_failure(e)
            if said is None:
                raise
            return Result(j, 0, 0, "", error=said)

    with ThreadPoolExecutor(max_workers=max(1, jobs_n)) as pool:
        futures = [pool.submit(guarded, j) for j in todo]
        for f in as_completed(futures):
            r = f.result()
            results.append(r)
            if r.error:
                progress.event("error", asset=r.job.name, message=r.error)
                if len(jobs) > 1 and not progress.json:  # a lone job's error is said once by the caller
                    progress.warn_line(f"texsandwich: error: {r.error}")
            else:
                progress.line(r.line)
            progress.asset_done(**_fields(r))
    progress.close()
    results.sort(key=lambda r: r.job.name)
    ok = [r for r in results if not r.error]
    progress.event("done", assets=len(results), failed=len(results) - len(ok),
                   bytes_in=sum(r.bytes_in for r in ok), bytes_out=sum(r.bytes_out for r in ok))
    return results


def _fields(r: Result) -> dict[str, object]:
    return {"name": r.job.name, "source": r.job.source, "output": r.job.output, "bytes_in": r.bytes_in,
            "bytes_out": r.bytes_out, "skipped": r.skipped, "error": r.error, **r.details}


def summary_line(results: list[Result]) -> str:
    ok = [r for r in results if not r.error]
    before, after = sum(r.bytes_in for r in ok), sum(r.bytes_out for r in ok)
    skipped = sum(r.skipped for r in ok)
    ratio = f", {before / after:.1f}x smaller" if after else ""
    return (f"total: {len(ok)} asset(s) ({skipped} already done), {before:,} -> {after:,} bytes{ratio}"
            + (f"; {len(results) - len(ok)} failed" if len(ok) < len(results) else ""))


_SIZES = ("source", "output", "bytes_in", "bytes_out")


def write_index(path: Path, results: list[Result], extra: dict[str, object]) -> None:
    """``library.json``: every asset with its output and sizes (what a pipeline loads to find files), and
    what its compression measured. An asset a rerun skipped as done keeps what the index that run found
    said of it (its PSNR, quality, materials): a resumed library is indexed like one done in one go."""
    before = _previous_details(path)
    index = {
        **extra,
        "assets": [{"source": r.job.name, "output": r.job.output.relative_to(path.parent).as_posix(),
                    "bytes_in": r.bytes_in, "bytes_out": r.bytes_out,
                    **(before.get(r.job.output.relative_to(path.parent).as_posix(), {}) if r.skipped else {}),
                    **r.details} for r in results if not r.error],
    }
    atomic_write(path, (json.dumps(index, indent=2) + "\n").encode())


def _previous_details(path: Path) -> dict[str, dict[str, object]]:
    """Output -> the measured facts an existing index records (nothing when there is none or it cannot be
    read: the sizes are measured again anyway)."""
    try:
        assets = json.loads(path.read_text())["assets"]
        return {a["output"]: {k: v for k, v in a.items() if k not in _SIZES} for a in assets}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
