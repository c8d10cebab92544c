"""Measure bits per nat of the proxy's log-rate against real flat-step JPEG (for ``rate='fixed'``).

    .venv/bin/python tools/calibrate_rate.py [--data DIR] [--steps 2 4 8 16 32]

Reads PNG photos from DIR (default ``$TEXSANDWICH_DATA/photos`` or ``../shared/data/photos``, else the
bundled examples) and prints, per step, the ratio of real JPEG scan bits to the proxy's
``Σ log(1 + |ĉ|/Δ)`` over 4:0:0, 4:2:0 and 4:4:4 bottlenecks, plus the overall median: the value
behind ``DEFAULT_BITS_PER_NAT``.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from texsandwich.data import photos_dir
from texsandwich.layout import Layout
from texsandwich.pipeline import to_tensor
from texsandwich.proxy import ImageCodecProxy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=photos_dir())
    ap.add_argument("--steps", type=int, nargs="+", default=[2, 4, 8, 16, 32])
    ap.add_argument("--limit", type=int, default=40, help="photos to use")
    args = ap.parse_args()
    files = sorted(args.data.glob("*.png"))[: args.limit]
    ratios: dict[int, list[float]] = {s: [] for s in args.steps}
    with torch.no_grad():
        for f in files:
            x = to_tensor(np.asarray(Image.open(f).convert("RGB")))
            for chroma, planes in (("400", 1), ("420", 3), ("444", 3)):
                for s in args.steps:
                    out = ImageCodecProxy(Layout(chroma, planes), step=s)(x[:, :planes])
                    ratios[s].append(out["real_bits"].item() / out["nats"].item())
    print(f"{len(files)} photos from {args.data}")
    for s, r in ratios.items():
        print(f"step {s:3d}: bits/nat median {statistics.median(r):.2f}  (min {min(r):.2f}, max {max(r):.2f})")
    print(f"overall median: {statistics.median([v for r in ratios.values() for v in r]):.2f}")


if __name__ == "__main__":
    main()
