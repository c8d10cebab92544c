"""Encoder-side optimisation of the coded planes: real HEIC in the loop, never worse than plain encoding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from texsandwich.container import read_tsw
from texsandwich.errors import UsageError
from texsandwich.metrics import psnr
from texsandwich.models import load_model
from texsandwich.pipeline import compress, reconstruct
from texsandwich.recipes import get_recipe
from texsandwich.tiling import tiled_backward


def test_tiled_backward_matches_whole_image_gradient():
    """Tile by tile, the error and its gradient are those of the whole image (halo wider than the net)."""
    torch.manual_seed(0)
    conv = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(8, 3, 3, padding=1))
    x = torch.rand(1, 3, 70, 90, requires_grad=True)
    target = torch.rand(1, 3, 70, 90)
    whole = ((conv(x) - target) ** 2).sum()
    (g_whole,) = torch.autograd.grad(0.5 * whole, x)
    x2 = x.detach().clone().requires_grad_(True)
    y = x2 * 1.0  # a graph in front of the tiles, as Layout.merge is
    total = tiled_backward(conv, y, target, weight=0.5, tile=32, halo=8)
    assert total == pytest.approx(float(whole.detach()), rel=1e-5)
    assert torch.allclose(x2.grad, g_whole, atol=1e-6)
    with torch.no_grad():  # no gradient asked: the same error, nothing accumulated
        again = tiled_backward(conv, x.detach(), target, tile=32, halo=8)
    assert again == pytest.approx(float(whole.detach()), rel=1e-5)


def test_optimised_planes_lower_the_measured_objective(photo):
    """rgb-hr2's default model on a real photo at q40: a few steps of real-HEIC optimisation lower
    MSE + λ·bpp as measured through the real codec and post-net, and the file decodes to exactly the
    reconstruction the encoder reported."""
    r = get_recipe("rgb-hr2")
    model = load_model(None, r, "heic")
    plain = compress(photo, r, model, "heic", 40)
    c = compress(photo, r, model, "heic", 40, encoder_steps=4)
    o = c.optimised
    assert o is not None and plain.optimised is None
    assert o.lmbda > 0  # finer quality: more bits, less error
    j_before, j_after = o.before[1] + o.lmbda * o.before[0], o.after[1] + o.lmbda * o.after[0]
    assert j_after <= j_before
    assert o.best_step > 0, "four steps found nothing better than the pre-net's planes"
    assert len(o.history) == 5 and o.history[0] == o.before and o.history[o.best_step] == o.after
    np.testing.assert_array_equal(reconstruct(read_tsw(c.data), model), c.reconstruction)
    # the plain file is what the optimisation started from (its rate is the raw HEIC files', whose
    # heads the container packs, so only the error is compared)
    assert abs(10 * np.log10(255**2 / o.before[1]) - psnr(plain.reconstruction, photo)) < 0.1


def test_refuses_recipes_and_settings_without_an_objective(photo):
    pbr = get_recipe("pbr8-400")
    with pytest.raises(UsageError, match="pbr8-400"):
        compress(np.zeros((32, 32, 8), np.uint8), pbr, load_model("none", pbr, "heic"), "heic", 50, encoder_steps=2)
    r = get_recipe("rgb-444")
    with pytest.raises(UsageError, match="--quality"):
        compress(photo, r, load_model("none", r, "jpeg"), "jpeg", step=8, encoder_steps=2)
