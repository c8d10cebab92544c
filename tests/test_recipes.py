"""Recipe registry and the fixed adapters behind --model none."""

from __future__ import annotations

import pytest
import torch

from texsandwich.adapters import ADAPTERS
from texsandwich.errors import UsageError
from texsandwich.recipes import RECIPES, get_recipe


def test_rgb_recipes_exist_with_their_layouts():
    assert {r: (RECIPES[r].layout.chroma, RECIPES[r].layout.planes) for r in ("rgb-400", "rgb-420", "rgb-444")} == {
        "rgb-400": ("400", 1), "rgb-420": ("420", 3), "rgb-444": ("444", 3),
    }
    assert [b.name for b in RECIPES["rgb-420"].baselines] == ["ycbcr-420", "ycbcr-444"]
    assert [b.name for b in RECIPES["rgb-400"].baselines] == ["gray"]
    with pytest.raises(UsageError):
        get_recipe("rgb-422")


def test_recipe_json_is_serialisable():
    import json

    for r in RECIPES.values():
        assert json.loads(json.dumps(r.to_json()))["id"] == r.id


def test_ycbcr_adapter_is_invertible_and_matches_jfif():
    x = torch.rand(2, 3, 5, 7, dtype=torch.float64) * 255
    a = ADAPTERS["ycbcr"]
    assert torch.allclose(a.post(a.pre(x)), x, atol=1e-9)
    white = torch.full((1, 3, 1, 1), 255.0, dtype=torch.float64)
    assert torch.allclose(a.pre(white).flatten(), torch.tensor([255.0, 128.0, 128.0], dtype=torch.float64), atol=1e-3)


def test_luma_adapter_shows_gray_as_rgb():
    x = torch.rand(1, 3, 4, 4) * 255
    a = ADAPTERS["luma"]
    y = a.pre(x)
    assert y.shape == (1, 1, 4, 4)
    assert torch.equal(a.post(y)[:, 0], a.post(y)[:, 2])


def test_composite_adapter_carries_colour_in_one_plane():
    """Smooth colour survives modulation onto Nyquist carriers and demodulation almost exactly."""
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(48.0), indexing="ij")
    x = torch.stack([100 + 60 * torch.sin(xx / 15), 120 + 50 * torch.cos(yy / 13), 90 + 40 * torch.sin((xx + yy) / 17)])
    x = x.unsqueeze(0).double()
    a = ADAPTERS["composite"]
    g = a.pre(x)
    assert g.shape == (1, 1, 32, 48)
    err = (a.post(g) - x)[..., 2:-2, 2:-2].abs().max()
    assert err < 3.0
    gray = ADAPTERS["luma"]
    assert (gray.post(gray.pre(x)) - x).abs().max() > 30, "the gray image alone loses the colour"


def test_texture_recipes_and_their_baselines():
    pbr = RECIPES["pbr8-400"]
    assert (pbr.layout.chroma, pbr.layout.planes, len(pbr.layout.groups)) == ("400", 8, 8)
    assert pbr.distortion == "shaded" and pbr.source_kind == "material"
    assert [b.name for b in pbr.baselines] == ["per-component", "per-component-444", "per-component-xy"]
    # every baseline codes each of the 8 channels exactly once
    for b in pbr.baselines:
        assert sorted(c for p in b.parts for c in p.channels) == list(range(8))
    assert {r: RECIPES[r].layout.chroma for r in ("normal-444", "normal-420", "normal-400")} == {
        "normal-444": "444", "normal-420": "420", "normal-400": "400"}
    assert [b.name for b in RECIPES["normal-444"].baselines] == ["rgb-444", "ycbcr-420", "ycbcr-444", "xy"]


def test_xy_adapter_rebuilds_unit_normals():
    n = torch.randn(1, 3, 6, 6, dtype=torch.float64)
    n[:, 2] = n[:, 2].abs() + 0.1
    n = n / n.norm(dim=1, keepdim=True)
    enc = n * 127.5 + 127.5
    a = ADAPTERS["normal_xy"]
    assert a.pre(enc).shape[1] == 2
    assert torch.allclose(a.post(a.pre(enc)), enc, atol=1e-9)
