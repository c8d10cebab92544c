"""The headroom analysis: per-image gain vs what the recipe's constraint costs a plain codec."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from texsandwich.headroom import format_headroom, headroom, plot_headroom

RATES = [0.1, 0.2, 0.4, 0.8, 1.6]


def _curve(kind: str, offsets: dict[str, float]) -> SimpleNamespace:
    """Each image's points lie on 20 + 10 log10(bpp) + its offset (constant dB over rate)."""
    return SimpleNamespace(kind=kind, per_image={
        name: [(r, 20 + 10 * np.log10(r) + off) for r in RATES] for name, off in offsets.items()})


def test_gain_and_headroom_are_per_image_bd_psnr_and_their_ratio_is_the_capture(tmp_path):
    curves = [_curve("baseline", {"a": 0.0, "b": 0.0, "c": 0.0}),
              _curve("sandwich", {"a": 1.0, "b": 3.0, "c": 5.0}),
              _curve("reference", {"a": 2.0, "b": 4.0, "c": 6.0})]
    h = headroom(curves, (0.2, 1.0))
    assert h["images"]["b"] == pytest.approx({"gain_db": 3.0, "headroom_db": 4.0})
    assert h["mean_gain_db"] == pytest.approx(3.0) and h["mean_headroom_db"] == pytest.approx(4.0)
    assert h["capture"] == pytest.approx(0.75)
    assert h["fit"]["slope"] == pytest.approx(1.0) and h["fit"]["intercept_db"] == pytest.approx(-1.0)
    assert h["by_headroom"][">=4dB"] == pytest.approx({"images": 2, "mean_gain_db": 4.0, "mean_headroom_db": 5.0})
    assert h["by_headroom"][">=6dB"]["images"] == 1
    assert "75 % captured" in format_headroom(h)[0]
    plot_headroom({"headroom": h, "recipe": "rgb-hr2", "codec": "heic", "bpp_range": [0.2, 1.0]},
                  tmp_path / "headroom.png")
    assert (tmp_path / "headroom.png").stat().st_size > 10_000


def test_the_best_of_several_curves_of_a_kind_is_used_and_no_reference_means_no_analysis():
    curves = [_curve("baseline", {"a": 0.0}), _curve("baseline", {"a": 0.5}),
              _curve("sandwich", {"a": 1.0}), _curve("sandwich", {"a": 2.5}), _curve("reference", {"a": 3.5})]
    h = headroom(curves, None)
    assert h["images"]["a"] == pytest.approx({"gain_db": 2.0, "headroom_db": 3.0})
    assert headroom([c for c in curves if c.kind != "reference"], None) is None


def test_an_image_excluded_after_the_encodes_leaves_every_curve_and_mean(tmp_path):
    """tools/rescore_reports.py --exclude: the stored points of the other images, rescored."""
    import sys
    from pathlib import Path

    from texsandwich.evaluate import Curve, rescore

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tools.rescore_reports import exclude

    curves = []
    for kind, offs in (("sandwich", {"a": 2.0, "tiny": 9.0}), ("baseline", {"a": 0.0, "tiny": 0.0}),
                       ("reference", {"a": 3.0, "tiny": 1.0})):
        c = Curve(kind, kind, [1, 2, 3, 4, 5])
        c.per_image = _curve(kind, offs).per_image
        c.per_image["tiny"] = [(10 * r, p) for r, p in c.per_image["tiny"]]  # heads: ten times the bpp
        curves.append(c)
    report = {"recipe": "rgb-hr2", "codec": "heic", "distortion": "mse", "images": ["a", "tiny"],
              "bpp_range": None, "curves": [c.to_json() for c in curves]}
    out = rescore(exclude(report, ["tiny"]))
    assert out["images"] == ["a"] and out["excluded"] == ["tiny"]
    assert [p["bpp"] for p in out["curves"][0]["mean"]] == pytest.approx(RATES)
    assert out["summary"]["bd_psnr_db"] == pytest.approx(2.0) and out["headroom"]["capture"] == pytest.approx(2 / 3)
    with pytest.raises(SystemExit, match="not in the report: b"):
        exclude(report, ["b"])


def test_issue7_numbers_are_what_the_stored_reports_give():
    """tools/issue7_numbers.py: the table the issue notes quote, from docs/results (real encodes, stored);
    a change to the BD arithmetic or to a stored report shows here, not in a quoted number going stale."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tools.issue7_numbers import table

    rows = {(r["data"], r["comparison"]): r for r in table()}
    photos = rows[("30 photos", "default vs bicubic↓–HEIC–Lanczos3↑")]
    assert photos["bd_psnr_db"] == pytest.approx(2.09, abs=0.005) and photos["margin"] == pytest.approx(-1.91)
    fair = rows[("13 glTF base colours", "default vs post-only control, both with 10 encoder steps")]
    assert fair["bd_psnr_db"] == pytest.approx(1.53, abs=0.005) and fair["per_image_count"] == 13
    hdr = rows[("4 HDR EXRs", "hdr-444 (8-bit HEIC) vs top-8 → HEIC (raw and YCbCr front)")]
    assert hdr["bd_rate_percent"] == pytest.approx(-32.6, abs=0.05) and hdr["margin"] > 0
    line = next(r for r in rows.values() if r["metric"] == "psnr_db")
    assert line["psnr_db"] > line["ceiling_db"]
