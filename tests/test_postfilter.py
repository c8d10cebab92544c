"""The integrability post-filter: gains fitted by the encoder, sent in the manifest, applied on decode."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from texsandwich import postfilter
from texsandwich.container import CorruptError, read_tsw, write_tsw
from texsandwich.metrics import psnr
from texsandwich.models import load_model
from texsandwich.pipeline import compress, reconstruct, to_tensor
from texsandwich.postfilter import BANDS, GAIN_SCALE, NormalFilter
from texsandwich.procedural import procedural_material
from texsandwich.recipes import get_recipe


def _normal(h: int = 256, w: int = 256, seed: int = 0) -> np.ndarray:
    return procedural_material(h, w, seed=seed).map("normal")


def _noisy(normal: np.ndarray, sigma: float, seed: int = 1) -> torch.Tensor:
    """White noise on n_x, n_y (what a codec adds is not curl-free either), n_z left alone."""
    x = to_tensor(normal)
    noise = torch.from_numpy(np.random.default_rng(seed).normal(0, sigma, (1, 2, *normal.shape[:2]))).float()
    x[:, :2] += noise
    return x


def test_gains_round_trip_through_json_and_bad_ones_are_refused() -> None:
    f = NormalFilter(tuple(range(4 * BANDS)))
    assert NormalFilter.from_json(f.to_json()) == f
    assert NormalFilter((GAIN_SCALE,) * (4 * BANDS)).identity
    for bad in ({"kind": "integrable", "gains": "00"}, {"kind": "other", "gains": f.to_json()["gains"]},
                {"kind": "integrable", "gains": [1] * 4 * BANDS}, {"kind": "integrable", "gains": "ff" * 4 * BANDS},
                {"kind": "integrable", "gains": "zz"}):
        with pytest.raises(ValueError):
            NormalFilter.from_json(bad)


def test_filter_removes_rotational_noise_from_a_gradient_field() -> None:
    """A normal map made from a height field plus white noise: half the noise is divergence-free and
    the fitted gains take most of it (and some of the rest, band by band) away."""
    src = _normal()
    noisy = _noisy(src, 6.0)
    f = postfilter.fit(to_tensor(src), noisy)
    out = postfilter.apply(f, noisy)
    before = psnr(src[..., :2], noisy[0, :2].permute(1, 2, 0).round().clamp(0, 255).numpy().astype(np.uint8))
    after = psnr(src[..., :2], out[0, :2].permute(1, 2, 0).round().clamp(0, 255).numpy().astype(np.uint8))
    assert after > before + 2.0, (before, after)
    rot = f.gains[2 * BANDS:]  # divergence-free part, x then y: above the lowest bands it is mostly noise
    assert max(rot[2:BANDS] + rot[BANDS + 2:]) < GAIN_SCALE // 2, rot


def test_identity_gains_leave_the_decode_alone() -> None:
    x = _noisy(_normal(64, 96), 3.0)
    assert postfilter.apply(NormalFilter((GAIN_SCALE,) * (4 * BANDS)), x) is x
    assert postfilter.apply(None, x) is x


def test_tiled_filtering_matches_the_whole_image(monkeypatch: pytest.MonkeyPatch) -> None:
    """Big maps are filtered tile by tile; the halo keeps tile borders from showing."""
    src = _normal(300, 420, seed=3)
    noisy = _noisy(src, 5.0)
    f = postfilter.fit(to_tensor(src), noisy)
    whole = postfilter.apply(f, noisy)
    monkeypatch.setattr(postfilter, "TILE", 128)
    monkeypatch.setattr(postfilter, "HALO", 48)
    tiles = postfilter.apply(f, noisy)
    diff = (tiles - whole)[0, :2].abs()
    assert 10 * np.log10(255**2 / float((diff**2).mean())) > 45  # far below the noise it removes
    rows, cols = diff.mean(dim=(0, 2)), diff.mean(dim=(0, 1))
    for profile, border in ((rows, 128), (cols, 128)):  # no error peak along the tile seams
        assert float(profile[border - 2 : border + 2].mean()) < 3 * float(profile.mean()) + 0.05


def test_encoder_sends_the_filter_and_the_decoder_applies_it() -> None:
    """Real HEIC: the .tsw carries the gains, decoding it alone gives the encoder's reconstruction,
    and the filtered map is closer to the source than the unfiltered one at the same streams."""
    recipe = get_recipe("normal-444")
    model = load_model("none", recipe)
    src = _normal(192, 160, seed=5)
    on = compress(src, recipe, model, "heic", 30)
    off = compress(src, recipe, model, "heic", 30, normal_filter=False)
    assert on.manifest.postfilter is not None and off.manifest.postfilter is None
    assert on.manifest.streams == off.manifest.streams
    assert 0 < len(on.data) - len(off.data) < 120
    assert np.array_equal(reconstruct(read_tsw(on.data), model), on.reconstruction)
    assert psnr(src, on.reconstruction) > psnr(src, off.reconstruction) + 0.2


def test_a_filter_on_a_recipe_without_normals_is_a_corrupt_file(photo: np.ndarray) -> None:
    recipe = get_recipe("rgb-444")
    c = compress(photo, recipe, load_model("none", recipe), "heic", 50)
    t = read_tsw(c.data)
    bad = write_tsw(replace(t.manifest, postfilter=NormalFilter((GAIN_SCALE,) * (4 * BANDS))), t.streams)
    with pytest.raises(CorruptError, match="no normal map"):
        read_tsw(bad)


def test_cli_sends_the_filter_by_default_and_skips_it_when_asked(tmp_path, capsys) -> None:
    from texsandwich.cli import main

    def run(*argv: str) -> tuple[int, str]:
        with pytest.raises(SystemExit) as e:
            main(list(argv))
        return e.value.code, capsys.readouterr().out

    src = tmp_path / "n.png"
    Image.fromarray(_normal(128, 96, seed=2)).save(src)
    assert run("compress", str(src), "-o", str(tmp_path / "on.tsw"), "--recipe", "normal-444", "--quality", "40",
               "--model", "none")[0] == 0
    assert run("compress", str(src), "-o", str(tmp_path / "off.tsw"), "--recipe", "normal-444", "--quality", "40",
               "--model", "none", "--no-normal-filter")[0] == 0
    code, on = run("info", str(tmp_path / "on.tsw"))
    assert code == 0 and "postfilter" in on and f"{4 * BANDS} band gains" in on
    assert "postfilter" not in run("info", str(tmp_path / "off.tsw"))[1]
    assert run("decompress", str(tmp_path / "on.tsw"), "-o", str(tmp_path / "d.png"))[0] == 0
    decoded = np.asarray(Image.open(tmp_path / "d.png"))
    assert np.array_equal(decoded, reconstruct(read_tsw((tmp_path / "on.tsw").read_bytes()),
                                               load_model("none", get_recipe("normal-444"))))
