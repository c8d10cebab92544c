"""Wall time and peak memory of compressing and decompressing big 8-channel materials (a benchmark).

    .venv/bin/python tools/bench_textures.py [--sizes 2048 4096] [--model pbr8-400-slim] [--quality 50]

Each size runs in a fresh subprocess so its peak RSS (``ru_maxrss``) is its own; the material is
procedural (no data needed). Tiled inference keeps the networks' activations bounded; what grows
with the texture is the source, the bottleneck and the codec's own buffers.
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


def one(size: int, model: str, quality: int) -> dict[str, float]:
    from texsandwich.assets import PBR8, write_material_folder
    from texsandwich.cli import main
    from texsandwich.procedural import procedural_material

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        write_material_folder(procedural_material(size, size, seed=1, name="big"), t / "big", PBR8)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = {}
        for name, args in (("compress", ["compress", str(t / "big"), "-o", str(t / "big.tsw"), "--recipe", "pbr8-400",
                                         "--model", model, "--quality", str(quality), "--quiet"]),
                           ("decompress", ["decompress", str(t / "big.tsw"), "-o", str(t / "dec"), "--quiet"])):
            t0 = time.perf_counter()
            try:
                main(args)
            except SystemExit as e:
                if e.code:
                    raise
            out[f"{name}_s"] = time.perf_counter() - t0
        out["tsw_bytes"] = (t / "big.tsw").stat().st_size
        out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out["rss_before_mib"] = base / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2048, 4096])
    ap.add_argument("--model", default="pbr8-400-slim")
    ap.add_argument("--quality", type=int, default=50)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.model, args.quality)))
        return
    print(f"{'size':>6s} {'compress s':>11s} {'decompress s':>13s} {'peak RSS MiB':>13s} {'.tsw bytes':>12s}")
    for s in args.sizes:
        r = subprocess.run([sys.executable, __file__, "--one", str(s), "--model", args.model, "--quality",
                            str(args.quality)], capture_output=True, text=True, check=True)
        d = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"{s:>6d} {d['compress_s']:>11.1f} {d['decompress_s']:>13.1f} {d['peak_rss_mib']:>13.0f} "
              f"{d['tsw_bytes']:>12,d}", flush=True)


if __name__ == "__main__":
    main()
