"""Tiled inference gives the untiled result: no seams at tile borders."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from texsandwich.assets import PBR8
from texsandwich.metrics import psnr
from texsandwich.procedural import procedural_material
from texsandwich.recipes import get_recipe
from texsandwich.sandwich import Sandwich
from texsandwich.tiling import tiled


def _trained_like(recipe_id: str) -> Sandwich:
    """A slim sandwich with random (non-zero) U-Net weights switched on, so context really matters."""
    torch.manual_seed(0)
    m = Sandwich(get_recipe(recipe_id), "slim")
    with torch.no_grad():
        for net in (m.pre_net, m.post_net):
            net.s.fill_(0.05)
    return m.eval()


@torch.no_grad()
def test_tiled_equals_untiled_without_border_peaks():
    m = _trained_like("pbr8-400")
    x = torch.from_numpy(procedural_material(200, 232, seed=1).stack(PBR8)).permute(2, 0, 1)[None].float()
    for fn in (m.pre, lambda t: m.post(m.pre(t))):
        whole = fn(x)
        parts = tiled(fn, x, tile=64, halo=32, multiple=m.pre_net.multiple)
        a, b = whole[0].permute(1, 2, 0).numpy(), parts[0].permute(1, 2, 0).numpy()
        assert psnr(a, b) > 60  # far below the 0.1 dB the issue allows; float rounding only
        err = np.abs(a - b).max(axis=-1)
        # no error peak on the tile grid (rows/columns at multiples of 64): every texel, those included,
        # is within 1/100 of a code value of the untiled result
        grid = np.concatenate([err[63:65].ravel(), err[127:129].ravel(),
                               err[:, 63:65].ravel(), err[:, 127:129].ravel()])
        assert grid.max() < 1e-2 and err.max() < 1e-2


def test_small_inputs_are_not_tiled():
    calls = []

    def fn(t: torch.Tensor) -> torch.Tensor:
        calls.append(t.shape)
        return t

    tiled(fn, torch.zeros(1, 3, 100, 100), tile=512)
    assert len(calls) == 1


@pytest.mark.parametrize("shape", [(1300, 700), (600, 1700), (1025, 1025), (2000, 40)])
def test_in_place_tiling_gives_the_same_result_in_the_input_buffer(shape):
    """The decoder writes the post-net's output over its input (a 4K material's second 0.5 GB copy):
    each row of tiles is held back until the row below has read its halo, so nothing changes."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 4, 5, padding=2))
    x = torch.rand(1, 4, *shape)
    with torch.no_grad():
        apart = tiled(net, x.clone(), multiple=4)
        y = x.clone()
        inside = tiled(net, y, multiple=4, inplace=True)
    assert inside.data_ptr() == y.data_ptr() and torch.equal(inside, apart)
    # a function that gives back its input (an identity adapter) is left as it was
    z = x.clone()
    assert torch.equal(tiled(lambda t: t, z, inplace=True), x)
    # other channel counts cannot go in place: a fresh tensor, the input untouched
    w = x.clone()
    assert tiled(lambda t: t[:, :3] * 2, w, inplace=True).shape[1] == 3 and torch.equal(w, x)
