"""Encode and decode speed of the sandwich vs the plain codec, in megapixels per second.

    .venv/bin/python tools/bench_codec.py [--image PATH] [--codec heic] [--quality 50] [--repeat 3]

Uses a 768x512 crop (tiled if the image is smaller) of the given image, by default a bundled sample
photo. For every RGB recipe: the zoo model (if installed) and ``--model none`` through the full
``.tsw`` path (pre-net, layout, encode, container / parse, decode, post-net), and the plain codec
in native YCbCr 4:2:0. Reports the best of ``--repeat`` runs, with the thread count.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from texsandwich.codecs import CodecSettings, get_codec
from texsandwich.container import read_tsw
from texsandwich.data import EXAMPLE_IMAGES
from texsandwich.models import NONE, default_model, load_model
from texsandwich.pipeline import compress, reconstruct
from texsandwich.recipes import RECIPES


def best_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", type=Path, default=EXAMPLE_IMAGES / "coffee.png")
    ap.add_argument("--codec", default="heic")
    ap.add_argument("--quality", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    src = np.asarray(Image.open(args.image).convert("RGB"))
    reps = (-(-512 // src.shape[0]), -(-768 // src.shape[1]), 1)
    image = np.ascontiguousarray(np.tile(src, reps)[:512, :768])
    mp = image.shape[0] * image.shape[1] / 1e6
    print(f"{image.shape[1]}x{image.shape[0]} from {args.image.name}, {args.codec} q{args.quality}, "
          f"{torch.get_num_threads()} threads")
    codec = get_codec(args.codec)
    planes = [np.ascontiguousarray(image[..., c]) for c in range(3)]
    s = CodecSettings(chroma="420", mode="native", quality=args.quality)
    data = codec.encode(planes, s)
    enc = best_time(lambda: codec.encode(planes, s), args.repeat)
    dec = best_time(lambda: codec.decode(data, s), args.repeat)
    print(f"{'plain ' + args.codec + ' ycbcr-420':28s} encode {mp / enc:6.2f} MP/s  decode {mp / dec:6.2f} MP/s")
    for recipe in RECIPES.values():
        if recipe.source_kind not in ("rgb8", "rgb16"):
            print(f"{recipe.id:28s} (not an RGB image recipe: see tools/bench_textures.py)")
            continue
        for spec in dict.fromkeys([default_model(recipe), NONE]):
            model = load_model(spec, recipe)
            c = compress(image, recipe, model, args.codec, args.quality)
            tsw = read_tsw(c.data)
            enc = best_time(lambda m=model, r=recipe: compress(image, r, m, args.codec, args.quality), args.repeat)
            dec = best_time(lambda m=model, t=tsw: reconstruct(t, m), args.repeat)
            # compress() also decodes once to report PSNR: subtract that decode from its time
            print(f"{recipe.id + ' ' + spec:28s} encode {mp / max(enc - dec, 1e-9):6.2f} MP/s  "
                  f"decode {mp / dec:6.2f} MP/s")


if __name__ == "__main__":
    main()
