"""Recompute the BD numbers and fronts of existing ``report.json`` files from their stored points.

The points are real encodes and stay valid when only the scoring changes (as in 0.2.2, when the
envelope of several curves became the Pareto front it was documented to be): this rewrites each
report's ``summary`` / ``per_model`` / ``pairwise`` / render summary and its ``rd.png`` without
encoding anything, and prints the old and new headline number.

    .venv/bin/python tools/rescore_reports.py docs/results/*/
    .venv/bin/python tools/rescore_reports.py REPORT/ --exclude NAME   # drop an image from every curve

``--exclude`` is for an image that should not weigh in a mean at all (a 32x32 swatch, whose file heads
make its bpp several times everyone else's), decided after the encodes: the report keeps the name under
``excluded``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from texsandwich.evaluate import rescore, write_report


def exclude(report: dict, names: list[str]) -> dict:
    """The report without the images ``names`` (each must be in it), listed under ``excluded``."""
    missing = set(names) - set(report["images"])
    if missing:
        raise SystemExit(f"not in the report: {', '.join(sorted(missing))}")
    curves = []
    for c in report["curves"]:
        c = {**c, "images": {k: v for k, v in c["images"].items() if k not in names}}
        c.pop("mean", None)
        curves.append(c)
    return {**report, "images": [n for n in report["images"] if n not in names], "curves": curves,
            "excluded": sorted(set(report.get("excluded", [])) | set(names))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reports", nargs="+", type=Path, help="report folders (holding report.json)")
    ap.add_argument("--exclude", nargs="*", default=[], metavar="NAME", help="image names to drop from every curve")
    args = ap.parse_args()
    for folder in args.reports:
        old = json.loads((folder / "report.json").read_text())
        new = rescore(exclude(old, args.exclude) if args.exclude else old)
        write_report(new, folder)

        def fmt(r: dict) -> str:
            v = r["summary"]["bd_rate_percent"]
            return "n/a" if v is None else f"{v:+.2f} %"

        print(f"{folder}: BD-rate {fmt(old)} -> {fmt(new)}")


if __name__ == "__main__":
    main()
