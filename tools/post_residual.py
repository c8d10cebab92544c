"""How much a model's post-net adds over its own fixed base, per codec quality (a diagnostic, not a test).

A :class:`~texsandwich.nets.Processor` is ``base(y) + residual(y)``. This decodes real encodes of
held-out images and reports, per quality, the PSNR of the base alone (the adapter with the model's
plane gains undone), of base + residual (what ships), and of base + a·residual with ``a`` the
least-squares scale fitted on *training* images at that quality -- how far the residual is from what
that quality needs. It also feeds the post-net an uncoded bottleneck: a post-net that cannot give
that back near-perfectly adds its own error at high qualities (0.2.2: ``rgb-444-slim-v2`` returns
53-56 dB and costs 0.77 dB at HEIC q90; docs/ZOO.md).

    .venv/bin/python tools/post_residual.py --model rgb-444-slim-v2 --recipe rgb-444 --codec heic
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import torch

from texsandwich.data import data_root, list_images
from texsandwich.images import read_rgb8
from texsandwich.metrics import psnr
from texsandwich.models import load_model
from texsandwich.pipeline import code_bottleneck, codec_settings, to_image, to_tensor
from texsandwich.recipes import get_recipe


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="a zoo id or .safetensors of an RGB (8-bit) recipe")
    ap.add_argument("--recipe", required=True)
    ap.add_argument("--codec", default="heic")
    ap.add_argument("--data", type=Path, default=None, help="photo folder (default: <data root>/photos)")
    ap.add_argument("--qualities", default="10,30,50,70,80,90")
    ap.add_argument("--images", type=int, default=10, help="held-out images to measure (and as many to fit on)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    recipe = get_recipe(args.recipe)
    if recipe.source_kind != "rgb8":
        ap.error("this diagnostic reads photos: give an 8-bit RGB recipe")
    folder = args.data or ((data_root() or Path(".")) / "photos")
    model = load_model(args.model, recipe)
    if not hasattr(model, "post_net"):
        ap.error("--model none has no post-net")
    model.eval()

    def parts(img: np.ndarray, q: int | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = to_tensor(img)
        with torch.no_grad():
            y = model.pre(x)
            if q is None:  # the layout without the codec: 8-bit planes (chroma subsampled where it is)
                d = recipe.layout.merge([[p.round().clamp(0, 255) for p in g] for g in recipe.layout.split(y)],
                                        *y.shape[-2:])
            else:
                d = code_bottleneck(y, recipe.layout, args.codec, codec_settings(args.codec, q, None, 8,
                                                                                  recipe.layout.chroma))
            base, residual = model.post_parts(d, args.codec, q)
        return x, base, residual

    train = list_images(folder, "train")[:: max(1, 120 // args.images)][: args.images]
    held = list_images(folder, "eval")[: args.images]
    print(f"{args.model} on {len(held)} held-out photos ({args.codec}); a fitted on {len(train)} training crops")
    print("quality   base   shipped  base+a*res      a")
    for q in [None, *(int(v) for v in args.qualities.split(","))]:
        num = den = 0.0
        for f in train:
            x, base, res = parts(read_rgb8(f)[:256, :256], q)
            num += float(((x - base) * res).sum())
            den += float((res * res).sum())
        a = num / max(den, 1e-12)
        rows = []
        for f in held:
            img = read_rgb8(f)
            _, base, res = parts(img, q)
            rows.append([psnr(to_image(t), img) for t in (base, base + res, base + a * res)])
        b, s, fitted = np.mean(rows, axis=0)
        print(f"{'uncoded' if q is None else q:>7}  {b:6.2f}  {s:7.2f}  {fitted:10.2f}  {a:6.2f}")


if __name__ == "__main__":
    main()
