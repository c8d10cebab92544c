"""How much of the room a recipe's constraint leaves does the sandwich win back, image by image.

A recipe with *references* (a plain coding outside its constraint, e.g. ``rgb-hr2``'s full-resolution
HEIC) gives every image a **headroom**: the BD-PSNR of the reference over the recipe's baseline, i.e.
what the constraint (half resolution) costs that image with a plain codec. The sandwich's **gain** is
its BD-PSNR over the same baseline. Why this is in the report: the mean gain depends mostly on how much
the test images lose to the constraint -- dense texture and aliasing-prone patterns lose many dB, smooth
photos little -- so a mean alone cannot say whether a model is good or the data is easy. The capture
(gain / headroom) and the gains of the high-headroom images can. Per-image BD numbers are averaged
here; the report's headline BD compares the mean curves, so the two differ slightly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from texsandwich.fsutil import write_figure
from texsandwich.metrics import Point, bd_psnr

THRESHOLDS_DB = (2.0, 4.0, 6.0)
"""Headroom levels at which the report gives the mean gain of the images at or above them."""


class _Curve(Protocol):
    kind: str
    per_image: dict[str, list[tuple[float, float]]]


def _bd(anchor: Sequence[Sequence[Point]], test: Sequence[Sequence[Point]],
        bpp_range: tuple[float, float] | None) -> float | None:
    try:
        return bd_psnr(anchor, test, bpp_range)
    except ValueError:  # no overlap in the window, or a curve with fewer than two front points
        return None


def per_image_bd(anchor: Sequence[_Curve], test: Sequence[_Curve],
                 bpp_range: tuple[float, float] | None) -> dict[str, float]:
    """Each image's BD-PSNR (dB) of the front of ``test``'s curves over the front of ``anchor``'s, in the
    anchor's image order; images without overlap (all their points outside the window) are left out.

    What a user coding one image gets: the mean curves mix images at equal *quality*, which weighs them
    differently when the two sides spend their bits differently (tools/cross_report_bd.py --per-image).
    """
    out = {}
    for name in anchor[0].per_image:
        bd = _bd([c.per_image[name] for c in anchor], [c.per_image[name] for c in test], bpp_range)
        if bd is not None:
            out[name] = bd
    return out


def headroom(curves: Sequence[_Curve], bpp_range: tuple[float, float] | None) -> dict[str, Any] | None:
    """Per-image gain (sandwich front vs baseline front) and headroom (reference front vs baseline
    front), in BD-PSNR dB over ``bpp_range``; None when the report has no reference curves."""
    kinds = {k: [c for c in curves if c.kind == k] for k in ("sandwich", "baseline", "reference")}
    if not all(kinds.values()):
        return None
    gains = per_image_bd(kinds["baseline"], kinds["sandwich"], bpp_range)
    rooms = per_image_bd(kinds["baseline"], kinds["reference"], bpp_range)
    images = {name: {"gain_db": g, "headroom_db": rooms[name]} for name, g in gains.items() if name in rooms}
    if not images:
        return None
    g = np.array([v["gain_db"] for v in images.values()])
    h = np.array([v["headroom_db"] for v in images.values()])
    slope, intercept = np.polyfit(h, g, 1) if len(images) > 1 else (float("nan"), float("nan"))
    subsets = {}
    for t in THRESHOLDS_DB:
        sel = h >= t
        subsets[f">={t:g}dB"] = {"images": int(sel.sum()),
                                 "mean_gain_db": float(g[sel].mean()) if sel.any() else None,
                                 "mean_headroom_db": float(h[sel].mean()) if sel.any() else None}
    return {
        "mean_gain_db": float(g.mean()), "mean_headroom_db": float(h.mean()),
        "capture": float(g.mean() / h.mean()) if h.mean() > 0 else None,
        "fit": {"slope": float(slope), "intercept_db": float(intercept)},
        "by_headroom": subsets,
        "images": images,
    }


def format_headroom(h: dict[str, Any]) -> list[str]:
    """Report lines: the capture and the gain where the constraint costs the most."""
    lines = [f"  headroom (reference vs baseline, per image): mean {h['mean_headroom_db']:+.2f} dB; sandwich "
             f"gain {h['mean_gain_db']:+.2f} dB = {100 * (h['capture'] or float('nan')):.0f} % captured "
             f"(fit: gain = {h['fit']['slope']:.2f} x headroom {h['fit']['intercept_db']:+.2f} dB)"]
    for level, s in h["by_headroom"].items():
        if s["images"]:
            lines.append(f"    images with headroom {level}: {s['images']}, mean gain {s['mean_gain_db']:+.2f} dB "
                         f"of {s['mean_headroom_db']:+.2f} dB")
    return lines


def plot_headroom(report: dict[str, Any], path: Path) -> None:
    """Scatter of gain vs headroom, one point per image, with the line gain = headroom."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = report["headroom"]
    xs = [v["headroom_db"] for v in h["images"].values()]
    ys = [v["gain_db"] for v in h["images"].values()]
    fig, ax = plt.subplots(figsize=(6, 5), dpi=120)
    top = max(max(xs), max(ys), 1.0) * 1.08
    ax.plot([0, top], [0, top], ":", color="0.4", lw=1, label="gain = headroom (full-resolution codec)")
    ax.scatter(xs, ys, s=16)
    s, b = h["fit"]["slope"], h["fit"]["intercept_db"]
    if np.isfinite(s):
        ax.plot([0, top], [b, b + s * top], "-", lw=1, label=f"fit: {s:.2f} x headroom {b:+.2f} dB")
    window = f" over {report['bpp_range'][0]}-{report['bpp_range'][1]} bpp" if report.get("bpp_range") else ""
    ax.set(xlabel=f"headroom: reference vs baseline (BD-PSNR dB{window})",
           ylabel="sandwich vs baseline (BD-PSNR dB)", xlim=(min(0, min(xs)), top), ylim=(min(0, min(ys)), top),
           title=f"{report['recipe']} over {report['codec']}: {len(xs)} images, "
                 f"{100 * (h['capture'] or float('nan')):.0f} % of the headroom captured")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    write_figure(fig, path)
    plt.close(fig)
