"""The differentiable codec proxy against the real JPEG codec it stands in for."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from texsandwich.codecs import CodecSettings, get_codec
from texsandwich.layout import Layout
from texsandwich.metrics import psnr
from texsandwich.pipeline import code_bottleneck, codec_settings, to_tensor
from texsandwich.proxy import ImageCodecProxy, jpeg_scan_bytes, log_rate, quantise, real_bits
from texsandwich.proxy.dct import block_dct, block_idct, dct_matrix, from_blocks, to_blocks
from texsandwich.resample import upscale2

JPEG = get_codec("jpeg")


def real_jpeg_path(x: torch.Tensor, layout: Layout, step: int) -> torch.Tensor:
    """The same bottleneck through the real JPEG codec at a flat step."""
    return code_bottleneck(x, layout, "jpeg", codec_settings("jpeg", None, step, 8, layout.chroma))


@pytest.mark.parametrize(("chroma", "planes"), [("400", 1), ("444", 3), ("420", 3)])
@pytest.mark.parametrize("step", [3, 12, 40])
def test_proxy_matches_real_jpeg_decode(photos, chroma, planes, step):
    """Float transform: >= 45 dB from libjpeg's decode; islow emulation: the same samples exactly."""
    layout = Layout(chroma, planes)
    for name in ("coffee", "chelsea"):
        x = to_tensor(photos[name])[:, :planes]
        real = real_jpeg_path(x, layout, step).numpy()
        approx = ImageCodecProxy(layout, step=step, rate="fixed", transform="float")(x)["x_hat"].detach().numpy()
        assert psnr(approx, real) >= 45.0, name
        exact = ImageCodecProxy(layout, step=step, rate="fixed")(x)["x_hat"].detach().numpy()
        assert np.array_equal(exact, real), name


def test_islow_emulation_is_libjpeg_at_every_step(photo):
    """Bit-exact against the real decoder for steps from 1 to 255, on a gray plane with odd size."""
    gray = photo[:61, :83, 1]
    x = torch.from_numpy(gray.astype(np.float32))[None, None]
    layout = Layout("400", 1)
    for step in (1, 2, 5, 16, 31, 64, 127, 255):
        out = ImageCodecProxy(layout, step=step, rate="fixed")(x)["x_hat"]
        assert torch.equal(out, real_jpeg_path(x, layout, step)), step


def test_refit_rate_equals_real_bits(photos):
    layout = Layout("420", 3)
    x = torch.stack([to_tensor(photos[n][:128, :160])[0] for n in ("astronaut", "coffee", "chelsea")])
    proxy = ImageCodecProxy(layout, step=9.0)
    out = proxy(x)
    for b in range(3):
        images = [(g.chroma, [p[b].round().clamp(0, 255).numpy().astype(np.uint8) for p in img])
                  for g, img in zip(layout.groups, layout.split(x), strict=True)]
        assert out["real_bits"][b].item() == real_bits(images, 9)
    assert torch.allclose(out["bits"].double(), out["real_bits"].double(), rtol=1e-5)


def test_real_bits_strictly_fall_as_step_grows(photos):
    x = to_tensor(photos["coffee"])
    layout = Layout("444", 3)
    bits = [ImageCodecProxy(layout, step=s)(x)["real_bits"].item() for s in (1, 2, 4, 8, 16, 32, 64, 128)]
    assert all(a > b for a, b in itertools.pairwise(bits)), bits


def test_gradients_reach_input_and_step(photo):
    layout = Layout("420", 3)
    x = to_tensor(photo).requires_grad_(True)
    proxy = ImageCodecProxy(layout, step=6.0)
    out = proxy(x * 0.9 + 10)
    target = to_tensor(photo)
    loss = ((out["x_hat"] - target) ** 2).mean() + 0.01 * out["bits"].sum() / x[0, 0].numel()
    loss.backward()
    for g in (x.grad, proxy.step.q.grad):
        assert g is not None and torch.isfinite(g).all() and g.abs().sum() > 0


def test_step_gets_gradient_from_distortion_alone(photo):
    proxy = ImageCodecProxy(Layout("400", 1), step=10.0, rate="fixed")
    x = to_tensor(photo)[:, :1]
    ((proxy(x)["x_hat"] - x) ** 2).mean().backward()
    assert proxy.step.q.grad.item() > 0, "a larger step must raise the distortion"


def test_differentiable_parts_pass_gradcheck():
    torch.manual_seed(0)
    blocks = torch.randn(1, 2, 2, 8, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda b: block_idct(block_dct(b)), (blocks,))
    coeffs = torch.randn(2, 3, 8, 8, dtype=torch.float64, requires_grad=True)
    step = torch.tensor(5.0, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda c, s: log_rate(c, s), (coeffs, step))
    img = torch.randn(1, 1, 6, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(upscale2, (img,))


def test_dct_is_orthonormal_and_blocks_round_trip():
    d = dct_matrix(dtype=torch.float64)
    assert torch.allclose(d @ d.T, torch.eye(8, dtype=torch.float64), atol=1e-12)
    x = torch.rand(2, 13, 21)
    assert torch.equal(from_blocks(to_blocks(x), 13, 21), x)


def test_quantiser_is_uniform_and_straight_through():
    c = torch.tensor([-7.4, -2.6, 0.4, 2.5, 9.9], requires_grad=True)
    q = quantise(c, torch.tensor(5.0))
    assert q.tolist() == [-5.0, -5.0, 0.0, 0.0, 10.0]
    q.sum().backward()
    assert torch.equal(c.grad, torch.ones(5))


def test_scan_bytes_are_the_entropy_coded_part(photo):
    s = CodecSettings(chroma="400", mode="raw", quality=None, step=8)
    data = JPEG.encode([photo[..., 0]], s)
    n = jpeg_scan_bytes(data)
    assert 0 < n < len(data) - 100
    assert data[len(data) - 2 - n - 10 : len(data) - 2 - n][:2] == b"\xff\xda"  # 1-component SOS: 10 bytes
