"""Screen x265 tunings: one model (or the recipe's baselines) coded with several, per-image BD against the first.

Why a tool and not ``eval``: a tuning is a model's property (``heic_tuning`` in its weights), and a
report keeps the baselines at libheif's own settings, the "HEIC" a user gets. Whether a tuning is the
pre-net's gain or anyone's -- does the post-only control, do the bicubic↓–HEIC–Lanczos↑ baselines gain as
much? -- needs the *same* networks and baselines under several tunings, including candidates not in
:data:`texsandwich.codecs.HEIC_TUNINGS` yet (``--define``, in this process only, never written to a file).

    .venv/bin/python tools/screen_tunings.py --recipe rgb-hr2 --data ../shared/data/models \\
        --exclude BoomBoxWithAxes:M_Coordinates --qualities 40,50,60,70,80,90 \\
        --curve baseline@default --curve baseline@nlf-aq0 -o baselines.json
    .venv/bin/python tools/screen_tunings.py --recipe rgb-hr2 --data ../shared/data/models --crop 768 \\
        --only M_BoomBox --only ToyCar:ToyCar --only Material_MR --only Avocado --only ClearcoatWicker \\
        --qualities 40,50,60,70,80 --define tskip=deblock=false,sao=0,aq-mode=0,tskip=1 \\
        --curve rgb-hr2-ycc-c19-medium-gpu2@nlf-aq0 --curve rgb-hr2-ycc-c19-medium-gpu2@tskip -o screen.json

A curve is ``SUBJECT@TUNING``: a ``--model`` spec (zoo id, file, ``none``) or ``baseline`` (the front of
the recipe's baselines). Each curve is compared with the first curve of the same subject: the mean over
images of each image's BD-PSNR (in ``--bpp-range`` and over all rates) and BD-PSNR of the mean curves
in the window, the issue's kind of number. Sources are read as ``eval`` reads them (a glTF: its base
colour textures); ``--crop N`` takes a centre crop for a quick screen. 8-bit MSE recipes only.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from texsandwich import pipeline
from texsandwich.codecs import HEIC_TUNINGS
from texsandwich.evaluate import Curve, bd_summary
from texsandwich.headroom import per_image_bd
from texsandwich.metrics import psnr
from texsandwich.models import load_model
from texsandwich.recipes import get_recipe
from texsandwich.sources import list_sources, read_sources


def define(spec: str) -> None:
    """``NAME=k=v,k=v``: an experimental tuning for this process."""
    name, _, params = spec.partition("=")
    if not name or not params or name in HEIC_TUNINGS:
        raise SystemExit(f"error: --define {spec!r}: expected a new NAME=key=value,key=value")
    pairs = [p.split("=", 1) for p in params.split(",")]
    if any(len(p) != 2 for p in pairs):
        raise SystemExit(f"error: --define {spec!r}: each x265 parameter is key=value")
    HEIC_TUNINGS[name] = dict(pairs)  # type: ignore[arg-type]


def centre(a: np.ndarray, size: int) -> np.ndarray:
    """The centre ``size``² of ``a`` (all of it along a side shorter than that)."""
    if not size:
        return a
    y, x = max(0, (a.shape[0] - size) // 2), max(0, (a.shape[1] - size) // 2)
    return a[y:y + size, x:x + size]


def compare(anchor: list[Curve], test: list[Curve], window: tuple[float, float]) -> dict[str, object]:
    """Per-image (:func:`per_image_bd`) and mean-curve BD-PSNR of ``test``'s front vs ``anchor``'s."""
    out: dict[str, object] = {}
    for label, win in (("window", window), ("all_rates", None)):
        scores = list(per_image_bd(anchor, test, win).values())
        out[f"per_image_{label}"] = round(float(np.mean(scores)), 3) if scores else None
        out[f"per_image_{label}_count"] = len(scores)
    mean = bd_summary([c.mean() for c in anchor], [c.mean() for c in test], window)["bd_psnr_db"]
    out["mean_curves_window"] = None if mean is None else round(mean, 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="rgb-hr2")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--split", default="all", choices=("all", "train", "eval"))
    ap.add_argument("--qualities", default="30,40,50,60,70,80")
    ap.add_argument("--curve", action="append", required=True, help="SUBJECT@TUNING (repeat); SUBJECT: a model "
                    "spec or 'baseline'")
    ap.add_argument("--define", action="append", default=[], help="NAME=key=value,key=value: a candidate tuning")
    ap.add_argument("--only", action="append", default=[], help="sources whose name contains this (repeat)")
    ap.add_argument("--exclude", action="append", default=[], help="a source name to leave out (repeat)")
    ap.add_argument("--crop", type=int, default=0, help="centre crop of this size (0: whole images)")
    ap.add_argument("--bpp-range", nargs=2, type=float, default=(0.2, 1.0), metavar=("LO", "HI"))
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args()
    for spec in args.define:
        define(spec)
    recipe = get_recipe(args.recipe)
    if recipe.bit_depth != 8 or recipe.distortion != "mse":
        raise SystemExit(f"error: {recipe.id}: this screen takes 8-bit recipes measured by MSE")
    curves = []
    for spec in args.curve:
        subject, _, tuning = spec.rpartition("@")
        if not subject or tuning not in HEIC_TUNINGS:
            raise SystemExit(f"error: --curve {spec!r}: expected SUBJECT@TUNING, tunings: {', '.join(HEIC_TUNINGS)}")
        curves.append((spec, subject, tuning))
    qualities = [int(q) for q in args.qualities.split(",")]
    sources = [s for p in list_sources(args.data, recipe, args.split) for s in read_sources(p, recipe, frames=False)]
    sources = [s for s in sources if s.name not in args.exclude
               and (not args.only or any(o in s.name for o in args.only))]
    if not sources:
        raise SystemExit("error: no sources left to code")
    models = {}
    points: dict[str, list[Curve]] = {}  # curve -> one Curve per baseline, or the model's one
    t0 = time.monotonic()
    for spec, subject, tuning in curves:
        if subject != "baseline" and subject not in models:
            models[subject] = load_model(subject, recipe, "heic")
        runs = [Curve(b.name, "baseline", qualities) for b in recipe.baselines] if subject == "baseline" \
            else [Curve(spec, "sandwich", qualities)]
        for s in sources:
            image = np.ascontiguousarray(centre(s.array, args.crop))
            pixels = image.shape[0] * image.shape[1]
            if subject == "baseline":
                for b, run in zip(recipe.baselines, runs, strict=True):
                    run.per_image[s.name] = [(8 * len(data) / pixels, psnr(image, rec))
                                             for data, rec in (pipeline.baseline(image, b, "heic", q, tuning)
                                                               for q in qualities)]
            else:
                model = models[subject]
                model.heic_tuning = tuning
                runs[0].per_image[s.name] = [(8 * len(c.data) / pixels, psnr(image, c.reconstruction))
                                             for c in (pipeline.compress(image, recipe, model, "heic", quality=q)
                                                       for q in qualities)]
            print(f"{spec} {s.name}: " + " ".join(f"{r:.3f}/{d:.2f}" for r, d in runs[0].per_image[s.name]),
                  flush=True)
        points[spec] = runs
    window = tuple(args.bpp_range)
    comparisons = {}
    for spec, subject, _ in curves:
        first = next(c for c, sub, _ in curves if sub == subject)
        if first != spec:
            comparisons[f"{spec} vs {first}"] = compare(points[first], points[spec], window)
    report = {"recipe": recipe.id, "data": str(args.data), "split": args.split, "crop": args.crop,
              "qualities": qualities, "bpp_range": window, "sources": [s.name for s in sources],
              "tunings": {t: HEIC_TUNINGS[t] for _, _, t in curves}, "comparisons": comparisons,
              "points": {spec: [c.to_json() for c in runs] for spec, runs in points.items()},
              "seconds": round(time.monotonic() - t0, 1)}
    args.output.write_text(json.dumps(report, indent=1))
    print(json.dumps(comparisons, indent=2))


if __name__ == "__main__":
    main()
