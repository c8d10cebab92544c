"""Does the proxy price a pre-net's bottleneck the way the real codec does? (an analysis, not a test)

    .venv/bin/python tools/proxy_vs_codec.py --model rgb-hr2-ycc-c19-medium-gpu2 \\
        --control rgb-hr2-ycc-post-only-c19-medium-gpu2 [--data DIR] [--every 6]

For every 6th photo of the *train* split: the bits of the model's bottleneck over the bits of the
control's (plain) bottleneck, once through the model's proxy at its trained step and once through real
HEIC at several qualities. Where the two ratios differ, training through the proxy over- or under-prices
what the pre-net adds; the proxy/HEIC ratio on the plain bottleneck says which HEIC quality the proxy's
step stands for.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import torch

from texsandwich.data import data_root
from texsandwich.models import load_model
from texsandwich.pipeline import codec_settings, encode_bottleneck, to_tensor
from texsandwich.recipes import get_recipe
from texsandwich.sources import list_sources, read_source

QUALITIES = (20, 40, 60, 80)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--control", required=True, help="the same recipe's post-only model (its pre-net is the identity)")
    ap.add_argument("--recipe", default="rgb-hr2")
    ap.add_argument("--data", type=Path, default=None, help="image folder (default: <data root>/photos)")
    ap.add_argument("--every", type=int, default=6)
    args = ap.parse_args()
    recipe = get_recipe(args.recipe)
    folder = args.data or (data_root() or Path(".")) / "photos"
    model, control = load_model(args.model, recipe), load_model(args.control, recipe)
    settings = {q: codec_settings("heic", q, None, 8, recipe.layout.chroma, model) for q in QUALITIES}
    totals: dict[str, float] = {}
    files = list_sources(folder, recipe, "train")[:: args.every]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in files:
            a = read_source(f, recipe).array
            x = to_tensor(a[: a.shape[0] // 16 * 16, : a.shape[1] // 16 * 16])
            for kind, y in (("pre", model.pre(x)), ("plain", control.pre(x))):
                totals[f"proxy {kind}"] = totals.get(f"proxy {kind}", 0.0) + float(model.proxy(y)["bits"].sum())
                for q, s in settings.items():  # encode_bottleneck rounds and clips to the code range itself
                    bits = 8 * sum(len(b) for b in encode_bottleneck(y, recipe.layout, "heic", s))
                    totals[f"heic{q} {kind}"] = totals.get(f"heic{q} {kind}", 0.0) + bits
    print(f"{len(files)} training images; the model's proxy step {model.step:.2f}")
    print(f"proxy:   bits(pre-net) / bits(plain) = {totals['proxy pre'] / totals['proxy plain']:.3f}")
    for q in QUALITIES:
        print(f"HEIC q{q}: bits(pre-net) / bits(plain) = {totals[f'heic{q} pre'] / totals[f'heic{q} plain']:.3f}"
              f"   proxy / HEIC bits on the plain bottleneck = {totals['proxy plain'] / totals[f'heic{q} plain']:.2f}")


if __name__ == "__main__":
    main()
