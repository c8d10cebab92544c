"""Wall time and peak memory of compressing and decompressing big textures (a benchmark).

    .venv/bin/python tools/bench_textures.py [--sizes 2048 4096] [--recipe pbr8-400] [--model ID] [--quality 50]

``--recipe``: ``pbr8-400`` (an 8-channel procedural material folder), ``rgb-hr2`` (its albedo as an
8-bit PNG: a 4K master through a half-resolution codec) or ``hdr-444`` (a procedural HDR scene as a
float EXR, or with ``--hdr-format hdr|tif`` a Radiance RGBE file or a float32 TIFF: a light or environment
map). ``--model`` defaults to the recipe's default model. The source is
made in one process, and compress and decompress each run in a fresh one, so each peak RSS
(``ru_maxrss``) is that command's own; sources are procedural (no data needed). Tiled inference keeps
the networks' activations bounded; what grows with the texture is the source, the bottleneck and the
codec's own buffers.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _source(recipe: str, size: int, folder: Path, hdr_format: str = "exr") -> Path:
    """A procedural source of ``recipe`` at ``size``², written in the recipe's input format."""
    from texsandwich.procedural import hdr_scene, procedural_material

    if recipe == "hdr-444":
        from texsandwich.hdr.io import HdrSource, write_hdr
        from texsandwich.hdr.transfer import linear_to_pq16

        path = folder / f"big.{hdr_format}"
        fmt = {"exr": "exr", "hdr": "hdr", "tif": "tiff-float"}[hdr_format]
        write_hdr(path, linear_to_pq16(hdr_scene(size, size, seed=1)), HdrSource(fmt, "pq"))
        return path
    material = procedural_material(size, size, seed=1, name="big")
    if recipe == "rgb-hr2":
        from PIL import Image

        Image.fromarray(material.map("albedo")).save(folder / "big.png")
        return folder / "big.png"
    from texsandwich.assets import PBR8, write_material_folder

    write_material_folder(material, folder / "big", PBR8)
    return folder / "big"


def _run(args: list[str]) -> dict[str, float]:
    """One CLI command in this (fresh) process: its wall time and this process's peak RSS."""
    from texsandwich.cli import main

    t0 = time.perf_counter()
    try:
        main(args)
    except SystemExit as e:
        if e.code:
            raise
    return {"s": time.perf_counter() - t0, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(*args: str) -> dict:
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {}


def measure(size: int, recipe: str, model: str | None, quality: int, no_measure: bool = False,
            hdr_format: str = "exr") -> dict[str, float]:
    """Compress and decompress one procedural source, each in its own fresh process (its own peak RSS;
    the source is made in a third, so making it is not counted)."""
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        source = Path(_child("--make", str(size), "--recipe", recipe, "--into", tmp, "--hdr-format", hdr_format)
                      ["source"])
        c = _child("--run", "compress", str(source), "-o", str(t / "big.tsw"), "--recipe", recipe,
                   *(["--model", model] if model else []), "--quality", str(quality), "--quiet",
                   *(["--no-measure"] if no_measure else []))
        d = _child("--run", "decompress", str(t / "big.tsw"), "-o", str(t / "dec"), "--quiet")
        return {"compress_s": c["s"], "decompress_s": d["s"], "compress_rss_mib": c["peak_rss_mib"],
                "decompress_rss_mib": d["peak_rss_mib"], "tsw_bytes": (t / "big.tsw").stat().st_size}


def main() -> None:
    if sys.argv[1:2] == ["--run"]:  # child: one CLI command
        print(json.dumps(_run(sys.argv[2:])))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2048, 4096])
    ap.add_argument("--recipe", default="pbr8-400", choices=["pbr8-400", "rgb-hr2", "hdr-444"])
    ap.add_argument("--model", help="a zoo id or weights file (default: the recipe's default model)")
    ap.add_argument("--quality", type=int, default=50)
    ap.add_argument("--no-measure", action="store_true", help="compress --no-measure (no decode for the PSNR)")
    ap.add_argument("--hdr-format", default="exr", choices=["exr", "hdr", "tif"],
                    help="hdr-444's source file: half-float EXR, Radiance RGBE or float32 TIFF")
    ap.add_argument("--make", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--into", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make:  # child: write the source
        print(json.dumps({"source": str(_source(args.recipe, args.make, Path(args.into), args.hdr_format))}))
        return
    print(f"{'size':>6s} {'compress s':>11s} {'peak RSS MiB':>13s} {'decompress s':>13s} {'peak RSS MiB':>13s} "
          f"{'.tsw bytes':>12s}")
    for s in args.sizes:
        d = measure(s, args.recipe, args.model, args.quality, args.no_measure, args.hdr_format)
        print(f"{s:>6d} {d['compress_s']:>11.1f} {d['compress_rss_mib']:>13.0f} {d['decompress_s']:>13.1f} "
              f"{d['decompress_rss_mib']:>13.0f} {d['tsw_bytes']:>12,d}", flush=True)


if __name__ == "__main__":
    main()
