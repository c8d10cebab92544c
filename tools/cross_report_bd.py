"""BD-rate / BD-PSNR between curves of two stored evaluation reports (no re-encoding).

Answers questions one report cannot, e.g. how far the plain full-resolution codec (the ``rgb-444``
report's baselines) is above ``rgb-hr2``'s half-resolution baseline on the same held-out photos:

    .venv/bin/python tools/cross_report_bd.py --anchor docs/results/rgb-hr2-heic:baseline \\
        --test docs/results/rgb-444-heic:baseline --bpp-range 0.2 1.0

A side is ``REPORT_DIR:SELECTOR``: ``baseline`` or ``sandwich`` (every curve of that kind, compared
through their Pareto front, as ``eval`` does) or one curve's name. Both reports must cover the same images.
A number is null where the two sides do not overlap.

``--per-image`` adds the mean of each image's own BD-PSNR (what a user coding one image gets; the
mean curves mix images at equal *quality*, which weighs them differently when one side spends its bits
differently), with how many images overlap and the range:

    .venv/bin/python tools/cross_report_bd.py --anchor docs/results/rgb-hr2-heic-control-nlf-aq0:sandwich \
        --test docs/results/rgb-hr2-heic-nlf-aq0:sandwich --bpp-range 0.2 1.0 --per-image
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from texsandwich.evaluate import Curve, bd_summary
from texsandwich.headroom import per_image_bd


def load_side(spec: str) -> tuple[list[Curve], set[str]]:
    """The curves a ``REPORT_DIR:SELECTOR`` names, and the images they cover."""
    folder, _, selector = spec.rpartition(":")
    if not folder:
        raise SystemExit(f"error: {spec!r}: expected REPORT_DIR:SELECTOR")
    path = Path(folder) / "report.json"
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise SystemExit(f"error: {path}: {e}") from None
    chosen = [Curve.from_json(c) for c in report["curves"] if selector in (c["kind"], c["name"])]
    if not chosen:
        names = ", ".join(c["name"] for c in report["curves"])
        raise SystemExit(f"error: {path}: no curve {selector!r} (kinds: baseline, sandwich; names: {names})")
    return chosen, set().union(*(c.per_image for c in chosen))


def per_image(anchor: list[Curve], test: list[Curve], window: tuple[float, float] | None) -> dict[str, object]:
    """The mean of the images' own BD-PSNR (:func:`texsandwich.headroom.per_image_bd`), count and range."""
    v = np.array(list(per_image_bd(anchor, test, window).values()))
    if not v.size:
        return {"per_image_bd_psnr_db": None, "per_image_count": 0}
    return {"per_image_bd_psnr_db": round(float(v.mean()), 3), "per_image_count": len(v),
            "per_image_min_max": [round(float(v.min()), 3), round(float(v.max()), 3)]}


def compare(anchor_spec: str, test_spec: str, window: tuple[float, float] | None,
            with_per_image: bool = False) -> dict[str, object]:
    """BD-rate and BD-PSNR of ``test_spec``'s mean curves over ``anchor_spec``'s (``REPORT_DIR:SELECTOR``),
    unrounded, with the images' own BD-PSNR when ``with_per_image``; both must cover the same images."""
    anchor, a_images = load_side(anchor_spec)
    test, t_images = load_side(test_spec)
    if a_images != t_images:
        raise SystemExit(f"error: the reports cover different images ({len(a_images ^ t_images)} differ)")
    scores = bd_summary([c.mean() for c in anchor], [c.mean() for c in test], window)
    out = {"anchor": [c.name for c in anchor], "test": [c.name for c in test], "images": len(a_images),
           "bpp_range": window, **scores}
    if with_per_image:
        out.update(per_image(anchor, test, window))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--anchor", required=True, help="REPORT_DIR:SELECTOR the test side is measured against")
    ap.add_argument("--test", required=True, help="REPORT_DIR:SELECTOR")
    ap.add_argument("--bpp-range", nargs=2, type=float, default=None, metavar=("LO", "HI"))
    ap.add_argument("--per-image", action="store_true", help="also the mean of the images' own BD-PSNR")
    args = ap.parse_args()
    window = tuple(args.bpp_range) if args.bpp_range else None
    out = compare(args.anchor, args.test, window, args.per_image)
    out.update({k: None if out[k] is None else round(out[k], 3) for k in ("bd_rate_percent", "bd_psnr_db")})
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
