"""Recompute the BD numbers and fronts of existing ``report.json`` files from their stored points.

The points are real encodes and stay valid when only the scoring changes (as in 0.2.2, when the
envelope of several curves became the Pareto front it was documented to be): this rewrites each
report's ``summary`` / ``per_model`` / ``pairwise`` / render summary and its ``rd.png`` without
encoding anything, and prints the old and new headline number.

    .venv/bin/python tools/rescore_reports.py docs/results/*/
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from texsandwich.evaluate import rescore, write_report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reports", nargs="+", type=Path, help="report folders (holding report.json)")
    args = ap.parse_args()
    for folder in args.reports:
        old = json.loads((folder / "report.json").read_text())
        new = rescore(old)
        write_report(new, folder)

        def fmt(r: dict) -> str:
            v = r["summary"]["bd_rate_percent"]
            return "n/a" if v is None else f"{v:+.2f} %"

        print(f"{folder}: BD-rate {fmt(old)} -> {fmt(new)}")


if __name__ == "__main__":
    main()
