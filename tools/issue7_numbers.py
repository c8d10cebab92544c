"""Issue 7's numbers, recomputed from the stored evaluation reports in seconds (no re-encoding).

Every number the issue asks for (``rgb-hr2`` against its baseline and its post-only control, on the
held-out photos and the held-out glTF base colours; ``hdr-444`` against top-8 and the LDR-saturation
line) is a BD figure or a point of curves that ``texsandwich eval`` measured with real encodes and
stored under ``docs/results/``. This prints them as one table with the targets, so a reader can check
the claims in docs/ZOO.md and the issue notes without the 13-90 minutes each evaluation takes; the
commands that re-encode are in docs/ZOO.md next to each report.

    .venv/bin/python tools/issue7_numbers.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cross_report_bd import compare

from texsandwich.evaluate import Curve

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results"
WINDOW = (0.2, 1.0)
"""The issue's BD window for ``rgb-hr2``: 0.2-1.0 bits per full-resolution pixel."""
DEFAULT = "rgb-hr2-ycc-c19-medium-gpu2-nlf-aq0"
CONTROL = "rgb-hr2-ycc-post-only-c19-medium-gpu2"
STEPS = " (encoder 10 steps)"


@dataclass(frozen=True)
class Row:
    """One comparison: ``test`` against ``anchor`` (``REPORT:SELECTOR``, as tools/cross_report_bd.py)."""

    data: str
    label: str
    anchor: str
    test: str
    metric: str
    """'bd_psnr_db' (at least ``target``) or 'bd_rate_percent' (at most ``target``)"""
    target: float | None
    window: tuple[float, float] | None = WINDOW


ROWS = (
    Row("30 photos", "default vs bicubic↓–HEIC–Lanczos3↑", "rgb-hr2-heic-nlf-aq0:baseline",
        f"rgb-hr2-heic-nlf-aq0:{DEFAULT}", "bd_psnr_db", 4.0),
    Row("30 photos", "default vs post-only control (same x265 tuning)",
        "rgb-hr2-heic-control-nlf-aq0:post-only-gpu2-nlf-aq0", f"rgb-hr2-heic-nlf-aq0:{DEFAULT}", "bd_psnr_db", 2.0),
    Row("13 glTF base colours", "default vs bicubic↓–HEIC–Lanczos3↑",
        "rgb-hr2-heic-textures-encoder-opt-nlf-aq0:baseline", f"rgb-hr2-heic-textures-encoder-opt-nlf-aq0:{DEFAULT}",
        "bd_psnr_db", 4.0),
    Row("13 glTF base colours", "default, 10 encoder steps vs the baseline",
        "rgb-hr2-heic-textures-encoder-opt-nlf-aq0:baseline",
        f"rgb-hr2-heic-textures-encoder-opt-nlf-aq0:{DEFAULT}{STEPS}", "bd_psnr_db", 4.0),
    Row("13 glTF base colours", "default vs post-only control, both plain",
        f"rgb-hr2-heic-textures-nlf:{CONTROL}", f"rgb-hr2-heic-textures-encoder-opt-nlf-aq0:{DEFAULT}",
        "bd_psnr_db", 2.0),
    Row("13 glTF base colours", "default vs post-only control, both with 10 encoder steps",
        f"rgb-hr2-heic-textures-control-encoder-opt:{CONTROL}{STEPS}",
        f"rgb-hr2-heic-textures-encoder-opt-nlf-aq0:{DEFAULT}{STEPS}", "bd_psnr_db", 2.0),
    Row("10 photos, JPEG", "-gpu2 (same networks, no retraining) vs bicubic↓–JPEG–Lanczos3↑",
        "rgb-hr2-jpeg-gpu:baseline", "rgb-hr2-jpeg-gpu:rgb-hr2-ycc-c19-medium-gpu2", "bd_psnr_db", None),
    Row("10 photos, JPEG", "-gpu2 vs its post-only control", f"rgb-hr2-jpeg-gpu:{CONTROL}",
        "rgb-hr2-jpeg-gpu:rgb-hr2-ycc-c19-medium-gpu2", "bd_psnr_db", None),
    Row("13 glTF base colours, JPEG", "-gpu2 vs bicubic↓–JPEG–Lanczos3↑", "rgb-hr2-jpeg-textures:baseline",
        "rgb-hr2-jpeg-textures:rgb-hr2-ycc-c19-medium-gpu2", "bd_psnr_db", None),
    Row("13 glTF base colours, JPEG", "-gpu2 vs its post-only control", f"rgb-hr2-jpeg-textures:{CONTROL}",
        "rgb-hr2-jpeg-textures:rgb-hr2-ycc-c19-medium-gpu2", "bd_psnr_db", None),
    Row("4 HDR EXRs", "hdr-444 (8-bit HEIC) vs top-8 → HEIC (raw and YCbCr front)", "hdr-444-heic:baseline",
        "hdr-444-heic:hdr-444-ycc", "bd_rate_percent", -20.0, None),
    Row("4 HDR EXRs", "hdr-444, 10-bit HEIC bottleneck (option) vs top-8 → 8-bit HEIC", "hdr-444-heic-10bit:baseline",
        "hdr-444-heic-10bit:hdr-444-ycc", "bd_rate_percent", None, None),
    Row("4 HDR EXRs", "hdr-444 through JPEG (same model) vs top-8 → JPEG", "hdr-444-jpeg:baseline",
        "hdr-444-jpeg:hdr-444-ycc", "bd_rate_percent", None, None),
)


def bd_row(row: Row, results: Path = RESULTS) -> dict[str, object]:
    """One row's numbers: BD-PSNR and BD-rate on the mean curves, the mean of the images' own BD-PSNR,
    and how far from the target (positive: met by that much)."""
    bd = compare(f"{results}/{row.anchor}", f"{results}/{row.test}", row.window, with_per_image=True)
    value = bd[row.metric]
    margin = None
    if row.target is not None and value is not None:
        margin = value - row.target if row.metric == "bd_psnr_db" else row.target - value
    return {"data": row.data, "comparison": row.label, "anchor": row.anchor, "test": row.test,
            "window_bpp": row.window, **{k: None if bd[k] is None else round(bd[k], 2)
                                         for k in ("bd_rate_percent", "bd_psnr_db")},
            **{k: v for k, v in bd.items() if k.startswith("per_image")}, "metric": row.metric,
            "target": row.target, "margin": None if margin is None else round(margin, 2)}


def ceiling_row(report: str, model: str, results: Path = RESULTS) -> dict[str, object]:
    """``hdr-444``'s other number: its PSNR at the highest rate it reaches against the LDR-saturation line
    (top 8 bits coded losslessly, the best any 8-bit transport of that kind can do)."""
    r = json.loads((results / report / "report.json").read_text())
    curve = next(Curve.from_json(c) for c in r["curves"] if c["name"] == model).mean()
    bpp, psnr = max(curve, key=lambda p: p[0])
    line = float(r["ceiling"]["psnr"])
    return {"data": "4 HDR EXRs", "comparison": f"{model} at its top rate vs the LDR-saturation line ({report})",
            "top_bpp": round(bpp, 2), "psnr_db": round(psnr, 2), "ceiling_db": round(line, 2),
            "metric": "psnr_db", "target": round(line, 2), "margin": round(psnr - line, 2)}


def table(results: Path = RESULTS) -> list[dict[str, object]]:
    return [bd_row(r, results) for r in ROWS] + [ceiling_row("hdr-444-heic", "hdr-444-ycc", results)]


def _cell(v: object, unit: str = "") -> str:
    return "–" if v is None else f"{v:+.2f}{unit}" if isinstance(v, float) else str(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="the rows as JSON")
    args = ap.parse_args()
    rows = table()
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    print("| data | comparison | BD-PSNR | per image | BD-rate | target | margin |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if r["metric"] == "psnr_db":
            print(f"| {r['data']} | {r['comparison']} | {r['psnr_db']:.2f} dB at {r['top_bpp']} bpp | | | "
                  f"> {r['target']:.2f} dB | {_cell(r['margin'], ' dB')} {'✔' if r['margin'] > 0 else '✘'} |")
            continue
        target = "" if r["target"] is None else (f"≥ {r['target']:+.0f} dB" if r["metric"] == "bd_psnr_db"
                                                  else f"≤ {r['target']:.0f} %")
        met = "" if r["margin"] is None else (" ✔" if r["margin"] >= 0 else " ✘")
        unit = " dB" if r["metric"] == "bd_psnr_db" else " %"
        print(f"| {r['data']} | {r['comparison']} | {_cell(r['bd_psnr_db'], ' dB')} | "
              f"{_cell(r.get('per_image_bd_psnr_db'), ' dB')} | {_cell(r['bd_rate_percent'], ' %')} | {target} | "
              f"{_cell(r['margin'], unit)}{met} |")


if __name__ == "__main__":
    main()
