"""Per-plane gains: fitted with real encodes, never worse than where the search started."""

from __future__ import annotations

import torch

from texsandwich.allocation import GAIN_RANGE, fit_plane_gains
from texsandwich.assets import PBR8
from texsandwich.procedural import procedural_material
from texsandwich.recipes import get_recipe
from texsandwich.sandwich import Sandwich, load_sandwich, save_sandwich
from texsandwich.sources import Source


def test_gain_search_only_keeps_improvements_and_round_trips_through_the_file(tmp_path):
    src = [Source("m", procedural_material(48, 48, seed=s).stack(PBR8)) for s in (1, 2)]
    m = Sandwich(get_recipe("pbr8-400"), "slim").eval()
    rec = fit_plane_gains(m, src, "heic", qualities=(30, 60, 85), rounds=1, factors=(1.4,), progress=False)
    scores = [h["bd_rate"] for h in rec["history"]]
    assert scores == sorted(scores, reverse=True) and rec["bd_rate_train"] == scores[-1]
    g = m.plane_gain.detach()
    assert float(g[5]) == 1.0  # the flat n_z plane has nothing to share
    assert bool(((g >= GAIN_RANGE[0]) & (g <= GAIN_RANGE[1])).all())
    save_sandwich(m, tmp_path / "m.safetensors", 30.0, {})
    back = load_sandwich(tmp_path / "m.safetensors")
    assert torch.allclose(back.plane_gain, g.half().float())
    x = torch.from_numpy(src[0].array).permute(2, 0, 1)[None].float()
    assert torch.allclose(back.post(back.pre(x)), m.post(m.pre(x)), atol=0.05)
