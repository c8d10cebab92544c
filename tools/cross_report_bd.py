"""BD-rate / BD-PSNR between curves of two stored evaluation reports (no re-encoding).

Answers questions one report cannot, e.g. how far the plain full-resolution codec (the ``rgb-444``
report's baselines) is above ``rgb-hr2``'s half-resolution baseline on the same held-out photos:

    .venv/bin/python tools/cross_report_bd.py --anchor docs/results/rgb-hr2-heic:baseline \\
        --test docs/results/rgb-444-heic:baseline --bpp-range 0.2 1.0

A side is ``REPORT_DIR:SELECTOR``: ``baseline`` or ``sandwich`` (every curve of that kind, compared
through their Pareto front, as ``eval`` does) or one curve's name. Both reports must cover the same images.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from texsandwich.metrics import bd_psnr, bd_rate

Curve = list[tuple[float, float]]


def load_side(spec: str) -> tuple[list[Curve], set[str], list[str]]:
    """The curves a ``REPORT_DIR:SELECTOR`` names, the images they cover, and their names."""
    folder, _, selector = spec.rpartition(":")
    if not folder:
        raise SystemExit(f"error: {spec!r}: expected REPORT_DIR:SELECTOR")
    path = Path(folder) / "report.json"
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise SystemExit(f"error: {path}: {e}") from None
    chosen = [c for c in report["curves"] if selector in (c["kind"], c["name"])]
    if not chosen:
        names = ", ".join(c["name"] for c in report["curves"])
        raise SystemExit(f"error: {path}: no curve {selector!r} (kinds: baseline, sandwich; names: {names})")
    images = set().union(*(c["images"] for c in chosen))
    return [[(m["bpp"], m["psnr"]) for m in c["mean"]] for c in chosen], images, [c["name"] for c in chosen]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--anchor", required=True, help="REPORT_DIR:SELECTOR the test side is measured against")
    ap.add_argument("--test", required=True, help="REPORT_DIR:SELECTOR")
    ap.add_argument("--bpp-range", nargs=2, type=float, default=None, metavar=("LO", "HI"))
    args = ap.parse_args()
    anchor, a_images, a_names = load_side(args.anchor)
    test, t_images, t_names = load_side(args.test)
    if a_images != t_images:
        raise SystemExit(f"error: the reports cover different images ({len(a_images ^ t_images)} differ)")
    window = tuple(args.bpp_range) if args.bpp_range else None
    out = {"anchor": a_names, "test": t_names, "images": len(a_images), "bpp_range": window}
    for key, fn in (("bd_rate_percent", bd_rate), ("bd_psnr_db", bd_psnr)):
        try:
            out[key] = round(fn(anchor, test, bpp_range=window), 3)
        except ValueError as e:  # no overlap in quality or in rate
            out[key] = str(e)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
