"""Rate-distortion evaluation with real codecs: the sandwich through the ``.tsw`` path vs the plain codec.

Every point is a real encode and decode: the sandwich's rate is the size of the complete ``.tsw`` file
(header, manifest and streams), the baseline's the size of the plain HEIC/JPEG files. Because the
``.tsw`` stores the box/marker heads of its streams once (:mod:`texsandwich.heads`), every report also
carries a *control*: each baseline with its files' heads packed the same way, and the BD numbers
against those (``summary_packed_baselines``), so a reader sees what packing alone is worth. Curves are the
average over images of bpp and PSNR at each quality setting; several models of a recipe are compared
through their envelope (the best model at every rate), and so are the baseline's variants (best of
YCbCr 4:2:0 and 4:4:4 at every rate); the pooled Pareto points are reported too. BD-rate and BD-PSNR
compare the two envelopes (:mod:`texsandwich.metrics`).
"""

from __future__ import annotations

import json
import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from texsandwich import __version__
from texsandwich.distortion import measure
from texsandwich.errors import InputError, UsageError
from texsandwich.fsutil import atomic_write, write_figure
from texsandwich.headroom import format_headroom, headroom, plot_headroom
from texsandwich.heads import packed_size
from texsandwich.metrics import Point, bd_psnr, bd_rate, pareto
from texsandwich.models import SandwichModel
from texsandwich.pipeline import allocated_baseline, baseline_files, compress, lossless
from texsandwich.recipes import Recipe
from texsandwich.renders import RenderedQuality, RenderOptions
from texsandwich.sources import Source, read_sources

DEFAULT_QUALITIES = {"heic": [10, 20, 30, 40, 50, 60, 70, 80, 90], "jpeg": [10, 20, 30, 40, 50, 60, 70, 80, 90]}


@dataclass
class Curve:
    name: str
    kind: str
    """'sandwich', 'baseline', 'control' (a baseline's points with its heads packed), 'allocated' (a baseline
    with the per-file search) or 'reference' (a plain coding outside the recipe's constraint,
    :attr:`Recipe.references`); only the first two make fronts"""
    qualities: list[int]
    per_image: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """image -> [(bpp, psnr)] in quality order"""
    per_image_render: dict[str, list[float | None]] = field(default_factory=dict)
    """asset material -> rendered PSNR per quality (``eval --render``; None: identical renders)"""

    def mean(self) -> list[Point]:
        rows = np.array(list(self.per_image.values()))  # [images, qualities, 2]
        return [(float(r), float(d)) for r, d in rows.mean(axis=0)]

    def mean_render(self) -> list[Point]:
        """(bpp, rendered PSNR) averaged over the sources that have a mesh."""
        names = [n for n, v in self.per_image_render.items() if all(x is not None for x in v)]
        if not names:
            return []
        bpp = np.array([[p[0] for p in self.per_image[n]] for n in names]).mean(axis=0)
        psnr = np.array([self.per_image_render[n] for n in names], dtype=float).mean(axis=0)
        return [(float(r), float(d)) for r, d in zip(bpp, psnr, strict=True)]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Curve:
        """A curve as :meth:`to_json` wrote it into ``report.json`` (to rescore a report without re-encoding)."""
        c = cls(d["name"], d["kind"], list(d["qualities"]))
        c.per_image = {k: [(float(p["bpp"]), float(p["psnr"])) for p in v] for k, v in d["images"].items()}
        c.per_image_render = {k: list(v) for k, v in d.get("render_images", {}).items()}
        return c

    def to_json(self) -> dict[str, Any]:
        out = {
            "name": self.name, "kind": self.kind, "qualities": self.qualities,
            "mean": [{"quality": q, "bpp": r, "psnr": d}
                     for q, (r, d) in zip(self.qualities, self.mean(), strict=True)],
            "images": {k: [{"bpp": r, "psnr": d} for r, d in v] for k, v in self.per_image.items()},
        }
        if self.per_image_render:
            out["render_mean"] = [{"quality": q, "bpp": r, "psnr": d}
                                  for q, (r, d) in zip(self.qualities, self.mean_render(), strict=False)]
            out["render_images"] = self.per_image_render
        return out


def bd_summary(
    anchor: list[list[Point]], test: list[list[Point]], bpp_range: tuple[float, float] | None
) -> dict[str, float | None]:
    """BD-rate (%) and BD-PSNR (dB) of ``test`` vs ``anchor`` (fronts of several curves); None without overlap."""
    out: dict[str, float | None] = {}
    for key, fn in (("bd_rate_percent", bd_rate), ("bd_psnr_db", bd_psnr)):
        try:
            out[key] = fn(anchor, test, bpp_range)
        except ValueError:
            out[key] = None
    return out


def evaluate(
    recipe: Recipe, files: list[Path], models: list[SandwichModel], codec: str, qualities: list[int],
    bpp_range: tuple[float, float] | None = None, progress: bool = True, render: RenderOptions | None = None,
    bit_depth: int = 8, normal_filter: str = "on", allocate: str = "on", allocated_baselines: tuple[str, ...] = (),
    encoder_steps: int = 0, encoder_models: tuple[str, ...] | None = None, checkpoint: Path | None = None,
) -> dict[str, Any]:
    """Every source x quality x (models + baselines), real encodes; with ``render``, rendered PSNR too
    for sources that are materials of a glTF (the asset is rendered with the reconstruction in place).

    ``normal_filter`` ('on', 'off', 'both'): recipes with a normal map are measured with the encoder's
    integrability post-filter, without it, or both ways (the second as ``ID (no filter)``, the control
    that shows what the filter alone adds). ``allocate`` likewise for recipes with a per-file allocation
    search (:mod:`texsandwich.rdo`); its control is ``ID (uniform)``, every image at the nominal quality.
    ``allocated_baselines``: names of baselines ('all' for every one) to also run with the same search
    over their parts (curves of kind 'allocated', ``summary_allocated_baselines``): what the search is
    worth with no network at all.
    ``encoder_steps``: also code every model (or those whose ids are in ``encoder_models``) with that
    many steps of encoder-side optimisation (:mod:`texsandwich.encoder_opt`), as ``ID (encoder N
    steps)``; the plain curve stays as its control.
    ``checkpoint``: after every source, everything measured so far is written there (atomically), and
    an evaluation started again with the same arguments goes on from it instead of starting over: an
    evaluation with encoder steps runs for hours, and a lost session should cost one image, not all.
    One with different arguments is refused (:class:`UsageError`); the caller deletes the file for a
    fresh start.
    """
    for name, v in (("normal_filter", normal_filter), ("allocate", allocate)):
        if v not in ("on", "off", "both"):
            raise ValueError(f"{name} must be 'on', 'off' or 'both', not {v!r}")
    ways = {"on": (True,), "off": (False,), "both": (True, False)}
    flags = ways[normal_filter] if recipe.normal_at is not None else (True,)
    allocs = ways[allocate] if recipe.allocation is not None else (True,)
    ids = {m.model_id for m in models}
    unknown = sorted(set(encoder_models or ()) - ids)
    if unknown:
        raise UsageError(f"--encoder-models: not among the evaluated models: {', '.join(unknown)}")

    def opt_steps(m: SandwichModel) -> tuple[int, ...]:
        return (0, encoder_steps) if encoder_steps and (encoder_models is None or m.model_id in encoder_models) \
            else (0,)

    runs = [(m, f, a, n) for m in models for f in flags for a in allocs for n in opt_steps(m)]
    curves = [Curve(m.model_id + ("" if f or len(flags) == 1 else " (no filter)")
                    + ("" if a or len(allocs) == 1 else " (uniform)") + (f" (encoder {n} steps)" if n else ""),
                    "sandwich", qualities)
              for m, f, a, n in runs]
    curves += [Curve(f"{codec} {b.name}", "baseline", qualities) for b in recipe.baselines]
    controls = [Curve(f"{codec} {b.name} (packed heads)", "control", qualities) for b in recipe.baselines]
    names = sorted(b.name for b in recipe.baselines)
    if set(allocated_baselines) - set(names) - {"all"}:
        raise UsageError(f"--allocated-baselines: {recipe.id} has the baselines {', '.join(names)} (or 'all')")
    chosen = [b for b in recipe.baselines if "all" in allocated_baselines or b.name in allocated_baselines]
    allocated = [Curve(f"{codec} {b.name} (allocated)", "allocated", qualities) for b in chosen]
    references = [Curve(f"{codec} {b.name} (reference)", "reference", qualities) for b in recipe.references]
    started = time.monotonic()
    extras: dict[str, dict[str, list[float]]] = {}
    names: list[str] = []
    ceiling: dict[str, float] = {}
    every = curves + controls + allocated + references
    fingerprint = {
        "version": __version__, "recipe": recipe.id, "codec": codec, "qualities": qualities,
        "models": [[m.model_id, m.sha256] for m in models], "files": [_key(f) for f in files],
        "bit_depth": bit_depth, "normal_filter": normal_filter, "allocate": allocate,
        "allocated_baselines": sorted(allocated_baselines), "encoder_steps": encoder_steps,
        "encoder_models": sorted(encoder_models) if encoder_models is not None else None,
        "render": asdict(render) if render is not None else None,
    }
    done: list[str] = []
    skipped: dict[str, str] = {}
    before = 0.0
    if checkpoint is not None and checkpoint.exists():
        state = _read_checkpoint(checkpoint, fingerprint)
        done, names, extras, ceiling, before = (state["done"], state["names"], state["extras"], state["ceiling"],
                                                 state["seconds"])
        for curve in every:
            saved = state["curves"][curve.name]
            curve.per_image = {k: [(float(r), float(d)) for r, d in v] for k, v in saved["per_image"].items()}
            curve.per_image_render = saved["per_image_render"]
    finished = {_key(f) for f in done}
    todo = [f for f in files if _key(f) not in finished]
    if finished and progress:  # said once the checkpoint is known to be this evaluation's, not before
        tqdm.write(f"resuming from {checkpoint}: {len(files) - len(todo)} of {len(files)} sources measured "
                   "(eval --fresh starts over)", file=sys.stderr)
    bar = tqdm(todo, unit="image", disable=not progress, total=len(files), initial=len(files) - len(todo))

    rendered = RenderedQuality(recipe, render) if render is not None else None

    def quality(rec: np.ndarray, src: Source, curve: Curve) -> float:
        m = measure(recipe.distortion, rec, src.array, src.side)
        for k, v in m.items():
            if k not in ("mse", "psnr"):
                extras.setdefault(curve.name, {}).setdefault(k, []).append(v)
        if rendered is not None and src.asset is not None:
            curve.per_image_render.setdefault(names[-1], []).append(rendered(rec, src))
        return m["psnr"]

    for f in bar:
        try:
            sources = read_sources(f, recipe)
        except InputError as e:  # one unreadable file does not end an evaluation of hours; the report says.
            skipped[f.name] = str(e)  # not checkpointed as done: a resumed run tries it again (fixed by then?)
            warnings.warn(f"{e} (skipped: not measured, listed in the report)", stacklevel=2)
            continue
        for src in sources:
            name = src.name if f.suffix.lower() in (".gltf", ".glb") else f.name
            names.append(name)
            image = src.array
            pixels = image.shape[0] * image.shape[1]
            for curve, (model, filt, alloc, steps) in zip(curves, runs, strict=False):
                pts = []
                for q in qualities:
                    c = compress(image, recipe, model, codec, q, bit_depth=bit_depth, normal_filter=filt,
                                 allocate=alloc, measure_side=src.side, encoder_steps=steps)
                    pts.append((8 * len(c.data) / pixels, quality(c.reconstruction, src, curve)))
                curve.per_image[name] = pts
            if recipe.ceiling:
                ceiling[name] = measure(recipe.distortion, lossless(image, recipe.ceiling), image, src.side)["psnr"]
            score = partial(quality, src=src)
            for curve, control, base in zip(curves[len(runs):], controls, recipe.baselines, strict=True):
                coded = _sweep(curve, name, pixels, qualities, partial(baseline_files, image, base, codec), score)
                control.per_image[name] = [(8 * packed_size(codec, files) / pixels, p[1])
                                           for files, p in zip(coded, curve.per_image[name], strict=True)]
                control.per_image_render = curve.per_image_render  # the same reconstructions
            for curve, base in zip(allocated, chosen, strict=True):
                _sweep(curve, name, pixels, qualities,
                       partial(allocated_baseline, image, base, codec, kind=recipe.distortion, side=src.side), score)
            for curve, base in zip(references, recipe.references, strict=True):
                _sweep(curve, name, pixels, qualities, partial(baseline_files, image, base, codec), score)
        if checkpoint is not None:
            done.append(_key(f))
            state = {"fingerprint": fingerprint, "done": done, "names": names, "extras": extras, "ceiling": ceiling,
                     "seconds": before + time.monotonic() - started,
                     "curves": {c.name: {"per_image": c.per_image, "per_image_render": c.per_image_render}
                                for c in every}}
            atomic_write(checkpoint, json.dumps(state, default=float).encode())
    curves = every
    if rendered is not None:
        rendered.close()
    if not names:
        first = f"; the first: {next(iter(skipped.values()))}" if skipped else ""
        raise InputError(f"no source to measure ({len(skipped)} file(s) skipped{first})")
    report: dict[str, Any] = {
        "recipe": recipe.id, "codec": codec, "distortion": recipe.distortion, "images": names,
        **({"skipped": skipped} if skipped else {}),
        "qualities": qualities,
        "bpp_range": list(bpp_range) if bpp_range else None,
        "curves": [c.to_json() for c in curves],
        **_scores(curves, bpp_range),
        "extras": {name: {k: float(np.mean(v)) for k, v in d.items()} for name, d in extras.items()},
        "render": _render_summary(curves, bpp_range, render),
        "bottleneck_bit_depth": bit_depth,
        **({"normal_filter": normal_filter} if recipe.normal_at is not None else {}),
        **({"allocate": allocate} if recipe.allocation is not None else {}),
        **({"encoder_steps": encoder_steps} if encoder_steps else {}),
        "ceiling": ({"name": f"{recipe.ceiling} lossless (the best any 8-bit transport of this kind can do)",
                     "psnr": float(np.mean(list(ceiling.values()))), "images": ceiling} if ceiling else None),
        "seconds": before + time.monotonic() - started,
    }
    return report


def _key(path: Path | str) -> str:
    """A source as a checkpoint names it: absolute, so the same command resumes from another folder."""
    return str(Path(path).resolve())


def _read_checkpoint(path: Path, fingerprint: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint of this very evaluation, or a one-line refusal naming what differs."""
    try:
        state = json.loads(path.read_text())
        saved = state["fingerprint"]
        saved["files"] = [_key(f) for f in saved["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(f"{path}: not a readable evaluation checkpoint (--fresh discards it)") from None
    differ = [k for k in fingerprint if saved.get(k) != json.loads(json.dumps(fingerprint[k]))]
    if differ:
        raise UsageError(f"{path}: a checkpoint of an evaluation with other {', '.join(differ)}; "
                         "give another --output, or --fresh to discard it")
    return state


def _sweep(curve: Curve, name: str, pixels: int, qualities: list[int],
           code: Callable[[int], tuple[list[bytes], np.ndarray]],
           score: Callable[..., float]) -> list[list[bytes]]:
    """One plain coding of image ``name`` at every quality: its points go on ``curve`` (``score(rec,
    curve=curve)`` measures a reconstruction); returns each quality's files, for controls built on them."""
    pts, coded = [], []
    for q in qualities:
        files, rec = code(q)
        pts.append((8 * sum(map(len, files)) / pixels, score(rec, curve=curve)))
        coded.append(files)
    curve.per_image[name] = pts
    return coded


def _scores(curves: list[Curve], bpp_range: tuple[float, float] | None) -> dict[str, Any]:
    """Fronts and BD numbers of a report, from its curves."""
    sandwich_curves = [c.mean() for c in curves if c.kind == "sandwich"]
    baseline_curves = [c.mean() for c in curves if c.kind == "baseline"]
    control_curves = [c.mean() for c in curves if c.kind == "control"]
    allocated_curves = [c.mean() for c in curves if c.kind == "allocated"]
    reference_curves = [c.mean() for c in curves if c.kind == "reference"]
    return {
        "sandwich_front": pareto([p for c in sandwich_curves for p in c]),
        "baseline_front": pareto([p for c in baseline_curves for p in c]),
        "summary": bd_summary(baseline_curves, sandwich_curves, bpp_range),
        **({"summary_packed_baselines": bd_summary(control_curves, sandwich_curves, bpp_range)}
           if control_curves else {}),
        **({"summary_allocated_baselines": bd_summary(allocated_curves, sandwich_curves, bpp_range)}
           if allocated_curves else {}),
        # the sandwich (and the baselines) against the references: how far the recipe's constraint costs
        **({"summary_references": bd_summary(reference_curves, sandwich_curves, bpp_range),
            "baselines_vs_references": bd_summary(reference_curves, baseline_curves, bpp_range),
            "headroom": headroom(curves, bpp_range)}
           if reference_curves else {}),
        "per_model": {c.name: bd_summary(baseline_curves, [c.mean()], bpp_range)
                      for c in curves if c.kind == "sandwich"},
        # every model against every other (e.g. a sandwich vs the same post-net trained without its pre-net)
        "pairwise": {f"{a.name} vs {b.name}": bd_summary([b.mean()], [a.mean()], bpp_range)
                     for a in curves for b in curves if a.kind == b.kind == "sandwich" and a is not b},
    }


def rescore(report: dict[str, Any]) -> dict[str, Any]:
    """The report with its fronts and BD numbers recomputed from its stored points (no encoding).

    For when the scoring (``metrics``) changes: the points are real encodes and stay valid.
    """
    curves = [Curve.from_json(c) for c in report["curves"]]
    bpp_range = tuple(report["bpp_range"]) if report.get("bpp_range") else None
    out = {**report, "curves": [c.to_json() for c in curves], **_scores(curves, bpp_range)}  # type: ignore[arg-type]
    if report.get("render"):
        out["render"] = {**report["render"], **(_render_summary(
            curves, bpp_range, RenderOptions(**report["render"]["options"])) or {})}
    return out


def _render_summary(curves: list[Curve], bpp_range: tuple[float, float] | None,
                    options: RenderOptions | None) -> dict[str, Any] | None:
    """BD numbers of the rendered-PSNR curves (same bits, distortion measured on renders)."""
    if options is None:
        return None
    sand = [c.mean_render() for c in curves if c.kind == "sandwich" and c.mean_render()]
    base = [c.mean_render() for c in curves if c.kind == "baseline" and c.mean_render()]
    assets = sorted({n for c in curves for n in c.per_image_render})
    out: dict[str, Any] = {"options": asdict(options), "sources": assets}
    if sand and base:
        out["summary"] = bd_summary(base, sand, bpp_range)
        out["per_model"] = {c.name: bd_summary(base, [c.mean_render()], bpp_range)
                            for c in curves if c.kind == "sandwich" and c.mean_render()}
    return out


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    render = report.get("render") or {}
    ylabel = {"shaded": "PSNR (dB, shaded, texture space)", "hdr": "PSNR (dB, 16-bit signal, peak 65535)"}.get(
        report.get("distortion", "mse"), "PSNR (dB, RGB)")
    panels = [("mean", ylabel,
               report["summary"])]
    if render.get("summary"):
        panels.append(("render_mean", "rendered PSNR (dB, covered pixels)", render["summary"]))
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 5), dpi=120, squeeze=False)
    for ax, (key, ylabel, s) in zip(axes[0], panels, strict=True):
        for c in report["curves"]:
            pts = c.get(key) or []
            if c["kind"] in ("control", "allocated"):
                continue  # numbers only (summary_packed_baselines): the curves sit just left of the baselines
            style = {"sandwich": "-o", "reference": ":^"}.get(c["kind"], "--s")
            ax.plot([p["bpp"] for p in pts], [p["psnr"] for p in pts], style, ms=3, lw=1.2, label=c["name"],
                    **({"alpha": 0.6} if c["kind"] == "reference" else {}))
        n = len(render.get("sources", [])) if key == "render_mean" else len(report["images"])
        what = "rendered materials" if key == "render_mean" else "images"
        title = f"{report['recipe']} over {report['codec']} ({n} {what})"
        if s["bd_rate_percent"] is not None and s["bd_psnr_db"] is not None:
            title += f"\nBD-rate {s['bd_rate_percent']:+.1f}%, BD-PSNR {s['bd_psnr_db']:+.2f} dB vs best baseline"
        if report["bpp_range"]:
            lo, hi = report["bpp_range"]
            ax.axvspan(lo, hi, color="0.92", zorder=0, label=f"BD window {lo}-{hi} bpp")
        if key == "mean" and report.get("ceiling"):
            ax.axhline(report["ceiling"]["psnr"], color="0.3", ls=":", lw=1.2,
                       label=f"{report['ceiling']['name'].split(' (')[0]} (LDR saturation)")
        ax.set(xlabel="bits per pixel (whole file)", ylabel=ylabel, title=title)
        _frame_without_references(ax, report["curves"], key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    write_figure(fig, path)
    plt.close(fig)


def _frame_without_references(ax: Any, curves: list[dict[str, Any]], key: str) -> None:
    """Axes limits from the recipe's own curves: a reference (e.g. the full-resolution codec) runs to
    several times their rates and would squash them into a corner; it is drawn leaving the frame."""
    own = [p for c in curves if c["kind"] in ("sandwich", "baseline") for p in c.get(key) or []]
    if not own or not any(c["kind"] == "reference" for c in curves):
        return
    right = 1.05 * max(p["bpp"] for p in own)
    inside = own + [p for c in curves if c["kind"] == "reference" for p in c.get(key) or [] if p["bpp"] <= right]
    lo, hi = min(p["psnr"] for p in inside), max(p["psnr"] for p in inside)
    pad = 0.05 * (hi - lo) or 1.0
    ax.set_xlim(0.0, right)
    ax.set_ylim(lo - pad, hi + pad)


def write_report(report: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    clean = json.loads(json.dumps(report, default=float), parse_constant=lambda c: None)
    atomic_write(out_dir / "report.json", (json.dumps(clean, indent=1, allow_nan=False) + "\n").encode())
    plot(report, out_dir / "rd.png")
    if report.get("headroom"):
        plot_headroom(report, out_dir / "headroom.png")


def format_summary(report: dict[str, Any]) -> str:
    def f(v: float | None, fmt: str) -> str:
        return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)

    s = report["summary"]
    skipped = report.get("skipped", {})
    lines = [f"{report['recipe']} over {report['codec']}, {len(report['images'])} images"
             + (f" ({len(skipped)} file(s) skipped, unreadable: {', '.join(skipped)})" if skipped else "") + ":"]
    for c in report["curves"]:
        pts = ", ".join(f"{p['bpp']:.2f}/{p['psnr']:.2f}" for p in c["mean"])
        lines.append(f"  {c['name']:24s} bpp/PSNR: {pts}")
    lines.append(f"  BD-rate {f(s['bd_rate_percent'], '+.2f')}%  BD-PSNR {f(s['bd_psnr_db'], '+.2f')} dB"
                 + (f"  (bpp window {report['bpp_range']})" if report["bpp_range"] else ""))
    for key, what in (("summary_packed_baselines", "control, baselines with packed heads"),
                      ("summary_allocated_baselines", "control, baselines with per-file allocation"),
                      ("summary_references", "sandwich vs the references (outside the recipe's constraint)"),
                      ("baselines_vs_references", "baselines vs the references")):
        p = report.get(key)
        if p:
            lines.append(f"  {what}: BD-rate {f(p['bd_rate_percent'], '+.2f')}%  "
                         f"BD-PSNR {f(p['bd_psnr_db'], '+.2f')} dB")
    if report.get("headroom"):
        lines += format_headroom(report["headroom"])
    if report.get("ceiling"):
        lines.append(f"  ceiling ({report['ceiling']['name']}): PSNR {report['ceiling']['psnr']:.2f} dB")
    for pair, v in (report.get("pairwise") or {}).items():
        lines.append(f"  {pair}: BD-rate {f(v['bd_rate_percent'], '+.2f')}%  BD-PSNR {f(v['bd_psnr_db'], '+.2f')} dB")
    r = (report.get("render") or {}).get("summary")
    if r:
        lines.append(f"  rendered ({len(report['render']['sources'])} asset materials): "
                     f"BD-rate {f(r['bd_rate_percent'], '+.2f')}%  BD-PSNR {f(r['bd_psnr_db'], '+.2f')} dB")
    return "\n".join(lines)
