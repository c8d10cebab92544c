"""Fit a model's residual-scale table: per codec and quality, how much of the post-net's residual to apply.

Validation images are neither the model's training photos nor the held-out evaluation photos: the
albedo maps of the *train* split of ``<data root>/materials`` (center crops), real encodes at each
quality. For each quality the weight in {0, 0.25, 0.5, 0.75, 1} with the best mean PSNR is kept, and
the table switches halfway between measured qualities. Prints the table as the ``residual_scale`` of
a ``ZooEntry`` (see ``Sandwich.residual_scale``).

    .venv/bin/python tools/fit_residual_scale.py --model rgb-420-slim-ls2 --recipe rgb-420
"""

from __future__ import annotations

import argparse
import json
import warnings
from itertools import pairwise
from pathlib import Path

import numpy as np
import torch

from texsandwich.data import data_root, split_items
from texsandwich.images import read_rgb8
from texsandwich.metrics import psnr
from texsandwich.models import load_model
from texsandwich.pipeline import code_bottleneck, codec_settings, to_image, to_tensor
from texsandwich.recipes import get_recipe

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--recipe", required=True)
    ap.add_argument("--codecs", default="heic,jpeg")
    ap.add_argument("--qualities", default="10,20,30,40,50,60,70,80,90")
    ap.add_argument("--data", type=Path, default=None, help="materials folder (default: <data root>/materials)")
    ap.add_argument("--images", type=int, default=12)
    ap.add_argument("--crop", type=int, default=384)
    ap.add_argument("--weights", default=",".join(f"{a:g}" for a in WEIGHTS),
                    help="candidate residual weights (comma-separated; >1 amplifies the residual)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    recipe = get_recipe(args.recipe)
    model = load_model(args.model, recipe)
    if not hasattr(model, "post_net"):
        ap.error("--model none has no post-net")
    model.eval()
    folder = args.data or ((data_root() or Path(".")) / "materials")
    albedos = [d / "albedo.png" for d in split_items(sorted(p for p in folder.iterdir() if p.is_dir()), "train")
               if (d / "albedo.png").is_file()][: args.images]
    if not albedos:
        ap.error(f"{folder}: no albedo.png in the train split")
    crops = []
    for f in albedos:
        a = read_rgb8(f)
        h, w, c = a.shape[0], a.shape[1], min(args.crop, *a.shape[:2])
        crops.append(np.ascontiguousarray(a[(h - c) // 2 : (h + c) // 2, (w - c) // 2 : (w + c) // 2]))
    qualities = [int(q) for q in args.qualities.split(",")]
    weights = tuple(float(a) for a in args.weights.split(","))
    table: dict[str, list[list[float]]] = {}
    for codec in args.codecs.split(","):
        best = []
        for q in qualities:
            scores = np.zeros(len(weights))
            for img in crops:
                with torch.no_grad():
                    y = model.pre(to_tensor(img))
                    settings = codec_settings(codec, q, None, 8, recipe.layout.chroma)
                    d = code_bottleneck(y, recipe.layout, codec, settings)
                    base, res = model.post_parts(d, codec, q)
                scores += [psnr(to_image(base + a * res), img) for a in weights]
            scores /= len(crops)
            best.append(weights[int(np.argmax(scores))])
            print(f"{codec} q{q}: " + "  ".join(f"a={a:g} {s:.2f}" for a, s in zip(weights, scores, strict=True)),
                  flush=True)
        steps = [[0, best[0]]]
        for (q0, q1), a in zip(pairwise(qualities), best[1:], strict=True):
            if a != steps[-1][1]:
                steps.append([(q0 + q1) // 2, a])
        table[codec] = steps
    print(json.dumps(table))


if __name__ == "__main__":
    main()
