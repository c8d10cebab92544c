"""How closely the differentiable proxy follows the real JPEG codec, on a photo folder.

    .venv/bin/python tools/bench_proxy.py [--data DIR] [--steps 2 4 8 16 32] [--limit 20] [--transform islow|float]

For 4:0:0, 4:2:0 and 4:4:4 bottlenecks (the photo's RGB planes) at each flat step: PSNR between the
proxy's decoded bottleneck and the real libjpeg-turbo decode (same layout, same step), and the ratio
of real JPEG scan bits to the proxy's Σ log(1 + |ĉ|/Δ) — the value behind ``DEFAULT_BITS_PER_NAT``
used by the fixed-``a`` rate mode. ``--transform islow`` emulates libjpeg's integer DCT (expected:
identical samples), ``float`` uses the float DCT. Data: ``--data``, else ``$TEXSANDWICH_DATA/photos``
or ``../shared/data/photos``, else the bundled sample photos.
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
from texsandwich.metrics import psnr
from texsandwich.pipeline import code_bottleneck, codec_settings, to_tensor
from texsandwich.proxy import ImageCodecProxy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=photos_dir())
    ap.add_argument("--steps", type=int, nargs="+", default=[2, 4, 8, 16, 32])
    ap.add_argument("--limit", type=int, default=20, help="photos to use")
    ap.add_argument("--transform", choices=["islow", "float"], default="islow",
                    help="proxy transform: libjpeg's integer DCT emulated (exact) or the float DCT")
    args = ap.parse_args()
    files = sorted(args.data.glob("*.png"))[: args.limit]
    ratios: dict[int, list[float]] = {s: [] for s in args.steps}
    match: dict[tuple[str, int], list[float]] = {}
    with torch.no_grad():
        for f in files:
            x = to_tensor(np.asarray(Image.open(f).convert("RGB")))
            for chroma, planes in (("400", 1), ("420", 3), ("444", 3)):
                layout = Layout(chroma, planes)
                for s in args.steps:
                    out = ImageCodecProxy(layout, step=s, transform=args.transform)(x[:, :planes])
                    ratios[s].append(out["real_bits"].item() / out["nats"].item())
                    settings = codec_settings("jpeg", None, s, 8, chroma)
                    real = code_bottleneck(x[:, :planes], layout, "jpeg", settings).numpy()
                    match.setdefault((chroma, s), []).append(psnr(out["x_hat"].numpy(), real))
    print(f"{len(files)} photos from {args.data}, transform {args.transform}")
    print("proxy vs real JPEG decode, PSNR dB (min / median; inf = identical samples):")
    for (chroma, s), v in sorted(match.items()):
        print(f"  {chroma} step {s:3d}: {min(v):6.2f} / {statistics.median(v):6.2f}")
    print("real scan bits per nat of proxy log-rate (median, min, max):")
    for s, r in ratios.items():
        print(f"  step {s:3d}: {statistics.median(r):.2f}  ({min(r):.2f}, {max(r):.2f})")
    print(f"overall median bits/nat: {statistics.median([v for r in ratios.values() for v in r]):.2f}")


if __name__ == "__main__":
    main()
