"""Seconds per encoder-optimisation step, and peak memory, against image size (a benchmark).

    .venv/bin/python tools/bench_encoder_opt.py [--sizes 512 1024 2048] [--steps 5]
        [--recipe rgb-hr2] [--model ID] [--quality 50]

Why: ``--encoder-steps`` makes encoding many times slower, and users pick N from what a step costs on
their textures. A step is a real HEIC encode and decode plus the post-net's forward and backward pass
at full resolution, tile by tile, so its time should grow with the pixel count, and its peak memory only
with the image-sized buffers (source, planes, gradient, the codec's own), not with the network's
activations.
Each size runs in a fresh subprocess so its peak RSS is its own. The image is scikit-image's astronaut
(512x512, in ``examples/images``) mirrored up to the size: no data needed. Reported: the plain encode,
the encode with N steps, the time from the first step to the last divided by N (s/step), that per
megapixel, and the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np


def image(size: int) -> np.ndarray:
    """astronaut mirrored out (so the copies meet without seams) or cropped to ``size`` x ``size``."""
    from PIL import Image

    from texsandwich.data import EXAMPLE_IMAGES

    a = np.asarray(Image.open(EXAMPLE_IMAGES / "astronaut.png").convert("RGB"))[:size, :size]
    return np.pad(a, ((0, size - a.shape[0]), (0, size - a.shape[1]), (0, 0)), mode="symmetric")


def one(size: int, recipe_id: str, model_spec: str | None, quality: int, steps: int) -> dict[str, float]:
    from texsandwich.models import load_model
    from texsandwich.pipeline import compress
    from texsandwich.recipes import RECIPES

    recipe = RECIPES[recipe_id]
    model = load_model(model_spec, recipe, "heic")
    img = image(size)
    t0 = time.perf_counter()
    compress(img, recipe, model, "heic", quality)
    plain = time.perf_counter() - t0
    stamps: list[float] = []
    t0 = time.perf_counter()
    c = compress(img, recipe, model, "heic", quality, encoder_steps=steps,
                 on_step=lambda k, n: stamps.append(time.perf_counter()))
    total = time.perf_counter() - t0
    per_step = (stamps[-1] - stamps[0]) / steps
    assert c.optimised is not None
    return {"plain_s": plain, "optimised_s": total, "s_per_step": per_step,
            "s_per_step_per_mp": per_step / (size * size / 1e6), "best_step": c.optimised.best_step,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--recipe", default="rgb-hr2")
    ap.add_argument("--model", default=None, help="zoo id or .safetensors [default: the recipe's zoo model]")
    ap.add_argument("--quality", type=int, default=50)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.recipe, args.model, args.quality, args.steps)))
        return
    print(f"{'size':>6s} {'plain s':>8s} {f'{args.steps} steps s':>11s} {'s/step':>7s} {'s/step/MP':>10s} "
          f"{'peak RSS MiB':>13s}")
    for s in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(s), "--recipe", args.recipe, "--quality", str(args.quality),
               "--steps", str(args.steps)] + (["--model", args.model] if args.model else [])
        r = subprocess.run(cmd, capture_output=True, text=True, check=True)
        d = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"{s:>6d} {d['plain_s']:>8.1f} {d['optimised_s']:>11.1f} {d['s_per_step']:>7.2f} "
              f"{d['s_per_step_per_mp']:>10.2f} {d['peak_rss_mib']:>13.0f}", flush=True)


if __name__ == "__main__":
    main()
