"""Layout: grouping, padding, subsampling and their inverses."""

from __future__ import annotations

import pytest
import torch

from texsandwich.errors import UsageError
from texsandwich.layout import Layout
from texsandwich.resample import chroma_up, downscale2, upscale2


@pytest.mark.parametrize(
    ("chroma", "planes", "groups"),
    [
        ("444", 3, ["444"]),
        ("444", 8, ["444", "444", "400", "400"]),
        ("420", 3, ["420"]),
        ("420", 4, ["420", "400"]),
        ("400", 8, ["400"] * 8),
    ],
)
def test_groups(chroma, planes, groups):
    lay = Layout(chroma, planes)
    assert [g.chroma for g in lay.groups] == groups
    assert sorted(p for g in lay.groups for p in g.planes) == list(range(planes))


def test_444_and_400_split_merge_is_identity_at_odd_sizes():
    x = torch.rand(2, 5, 37, 41) * 255
    lay = Layout("444", 5)
    images = lay.split(x)
    assert [len(i) for i in images] == [3, 1, 1]
    assert torch.equal(lay.merge(images, 37, 41), x)


def test_420_pads_to_even_and_halves_chroma():
    x = torch.rand(1, 3, 33, 47) * 255
    lay = Layout("420", 3)
    assert lay.coded_size(33, 47) == (34, 48)
    images = lay.split(x)
    assert [tuple(p.shape[-2:]) for p in images[0]] == [(34, 48), (17, 24), (17, 24)]
    y = lay.merge(images, 33, 47)
    assert y.shape == x.shape
    assert torch.equal(y[:, 0], x[:, 0])


def test_420_recovers_chroma_that_is_smooth():
    ramp = torch.linspace(0, 255, 64).view(1, 1, 1, 64).expand(1, 3, 32, 64).contiguous()
    lay = Layout("420", 3)
    y = lay.merge(lay.split(ramp), 32, 64)
    assert (y - ramp)[..., 1:-1].abs().max() < 1e-3  # bilinear reproduces a ramp except at the edges


def test_scale2_codes_half_resolution():
    x = torch.rand(1, 3, 31, 40) * 255
    lay = Layout("444", 3, scale=2)
    images = lay.split(x)
    assert tuple(images[0][0].shape[-2:]) == (16, 20)
    assert lay.merge(images, 31, 40).shape == x.shape


def test_resamplers_keep_constants_and_undo_each_other_on_smooth_signals():
    c = torch.full((1, 1, 8, 10), 77.0)
    assert torch.allclose(upscale2(c), torch.full((1, 1, 16, 20), 77.0))
    assert torch.allclose(chroma_up(c), torch.full((1, 1, 16, 20), 77.0))
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    smooth = (100 + 50 * torch.sin(xx / 9) * torch.cos(yy / 11)).view(1, 1, 64, 64)
    err = (upscale2(downscale2(smooth)) - smooth)[..., 4:-4, 4:-4].abs().max()
    assert err < 1.0


def test_upscale2_plane_by_plane_decoding_equals_the_differentiable_path(monkeypatch):
    # decoding upsamples one plane at a time, band by band (bounded memory on 8K); training keeps the
    # batched graph; the bands (here 4 input rows, the last one short) give the very same values
    from texsandwich import resample

    monkeypatch.setattr(resample, "BAND", 4)
    x = torch.rand(2, 3, 9, 14) * 255
    decoded = upscale2(x)
    xg = x.clone().requires_grad_(True)
    trained = upscale2(xg)
    assert trained.requires_grad and torch.equal(decoded, trained.detach())
    trained.sum().backward()
    assert xg.grad is not None and xg.grad.shape == x.shape


def test_bad_layouts_are_refused():
    with pytest.raises(UsageError):
        Layout("422", 3)
    with pytest.raises(UsageError):
        Layout("444", 0)
    with pytest.raises(UsageError):
        Layout("444", 3).split(torch.zeros(1, 2, 8, 8))


def test_least_squares_chroma_beats_the_2x2_mean_through_the_420_layout(photos):
    """``ycbcr420ls`` hands the layout chroma in equal 2x2 blocks (the layout's mean returns it exactly)
    and its 4:2:0 round trip is closer to the source than the plain YCbCr one, at odd sizes too."""
    from texsandwich.adapters import rgb_to_ycbcr, rgb_to_ycbcr420_ls, ycbcr_to_rgb
    from texsandwich.resample import chroma_down

    layout = Layout("420", 3)
    x = torch.from_numpy(photos["chelsea"][:151, :201].astype("float32")).permute(2, 0, 1)[None]
    y = rgb_to_ycbcr420_ls(x)
    assert y.shape == x.shape
    assert torch.equal(y[:, :1], rgb_to_ycbcr(x)[:, :1])
    half = layout.split(y)[0][1]
    assert torch.allclose(chroma_down(y[:, 1:2, :150, :200])[:, 0], half[:, :75, :100], atol=1e-4)

    def err(bottleneck: torch.Tensor) -> float:
        return float(((ycbcr_to_rgb(layout.merge(layout.split(bottleneck), 151, 201)) - x) ** 2).mean())

    plain, ls = err(rgb_to_ycbcr(x)), err(y)
    assert ls < 0.75 * plain, (ls, plain)
    flat = torch.full((1, 3, 5, 7), 90.0)
    assert torch.allclose(rgb_to_ycbcr420_ls(flat), rgb_to_ycbcr(flat), atol=1e-4)


def test_least_squares_chroma_is_differentiable():
    from texsandwich.adapters import rgb_to_ycbcr420_ls

    x = (torch.rand(1, 3, 6, 8, dtype=torch.float64) * 255).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: rgb_to_ycbcr420_ls(t).sum(dim=(2, 3)), (x,), eps=1e-3, atol=1e-4)
