"""Container overhead and pixel identity of `.tsw` vs a plain pillow-heif file of the same planes.

    .venv/bin/python tools/bench_overhead.py [--data DIR] [--recipe rgb-444] [--quality 50] [--limit N]

For every photo: the `.tsw` size with ``--model none``, the size of a plain HEIC written directly with
pillow-heif from the same bottleneck planes, the overhead (bytes and %), whether the decoded planes are
identical, and the PSNR of the reconstruction. The foundation's acceptance bound is
``tsw <= 1.01 * plain + 300`` bytes with identical pixels.
"""

from __future__ import annotations

import argparse
import io
import statistics
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image

from texsandwich.container import read_tsw
from texsandwich.data import photos_dir
from texsandwich.metrics import psnr
from texsandwich.models import load_model
from texsandwich.pipeline import compress, decode_bottleneck, to_tensor
from texsandwich.proxy.quant import clip_round
from texsandwich.recipes import get_recipe


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=photos_dir())
    ap.add_argument("--recipe", default="rgb-444")
    ap.add_argument("--quality", type=int, default=50)
    ap.add_argument("--limit", type=int, default=1000)
    args = ap.parse_args()
    recipe = get_recipe(args.recipe)
    if recipe.layout.chroma != "444":
        ap.error("the plain-file comparison is written for 4:4:4 recipes")
    model = load_model("none", recipe)
    over, worst, identical = [], 0.0, True
    files = sorted(args.data.glob("*.png"))[: args.limit]
    for f in files:
        image = np.asarray(Image.open(f).convert("RGB"))
        c = compress(image, recipe, model, "heic", args.quality)
        planes = clip_round(model.pre(to_tensor(image)), 255.0)[0].permute(1, 2, 0).numpy().astype(np.uint8)
        planes = planes[..., [2, 0, 1]]  # plane 0 on G = HEVC luma under the identity matrix
        h, w = image.shape[:2]
        buf = io.BytesIO()
        pillow_heif.from_bytes("RGB", (w, h), np.ascontiguousarray(planes).tobytes()).save(
            buf, quality=args.quality, chroma="444", matrix_coefficients=0)
        plain = buf.getvalue()
        same = np.array_equal(np.stack(decode_bottleneck(read_tsw(c.data))[0], -1),
                              np.asarray(pillow_heif.open_heif(io.BytesIO(plain))[0])[..., [1, 2, 0]])
        identical &= same
        extra = len(c.data) - len(plain)
        over.append(extra)
        worst = max(worst, extra / (0.01 * len(plain) + 300))
        pct = 100 * extra / len(plain)
        print(f"{f.name:24s} tsw {len(c.data):8d}  plain {len(plain):8d}  {extra:+5d} B ({pct:+.2f}%)"
              f"  identical={same}  PSNR {psnr(c.reconstruction, image):.2f} dB")
    print(f"{len(files)} images from {args.data}: overhead median {statistics.median(over)} B, max {max(over)} B; "
          f"worst use of the 1%+300 B allowance {100 * worst:.0f}%; all pixels identical: {identical}")


if __name__ == "__main__":
    main()
