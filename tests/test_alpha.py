"""Transparency: coded as the side map ``alpha`` (one raw 4:0:0 stream at the colour's quality; a 16-bit
or float alpha at 8 bits) and written back as the decoded file's alpha channel; files that hold it are
format version 5 (an 8-bit image's) or 6 (a 16-bit image's, which 0.6.6 would have decoded without it)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.test_cli import run
from texsandwich.container import read_tsw
from texsandwich.errors import InputError
from texsandwich.images import read_image8, read_image8_alpha


def _rgba(photo: np.ndarray) -> np.ndarray:
    """A photo crop with a soft round alpha (0 outside, 255 inside, a ramp between)."""
    h, w = 48, 64
    yy, xx = np.mgrid[:h, :w]
    alpha = (255 * np.clip(1.5 - np.hypot(yy - h / 2, xx - w / 2) / 14, 0, 1)).astype(np.uint8)
    return np.dstack([photo[:h, :w], alpha])


def test_transparency_is_coded_and_written_back_in_every_format_that_holds_it(capsys, tmp_path, photo):
    rgba = _rgba(photo)
    Image.fromarray(rgba).save(tmp_path / "leaf.png")
    Image.fromarray(np.dstack([rgba[..., 0], rgba[..., 3]])).save(tmp_path / "mask.png")  # gray + alpha
    for src in ("leaf", "mask"):
        code, out, err = run(capsys, "compress", str(tmp_path / f"{src}.png"), "-o", str(tmp_path / f"{src}.tsw"),
                             "--recipe", "rgb-444", "--model", "none", "--quality", "90")
        assert code == 0, err
        assert ", alpha PSNR " in out
    tsw = read_tsw((tmp_path / "leaf.tsw").read_bytes())
    assert tsw.manifest.side == ("alpha",) and (tmp_path / "leaf.tsw").read_bytes()[8:10] == b"\0\5"
    for suffix, mode in ((".png", "RGBA"), (".tif", "RGBA"), (".webp", "RGBA"), (".tga", "RGBA")):
        code, _, err = run(capsys, "decompress", str(tmp_path / "leaf.tsw"), "-o", str(tmp_path / f"back{suffix}"))
        assert code == 0 and err == "", err
        back = np.asarray(Image.open(tmp_path / f"back{suffix}"))
        assert Image.open(tmp_path / f"back{suffix}").mode == mode
        assert np.abs(back[..., 3].astype(int) - rgba[..., 3]).mean() < 2, suffix
        assert back[..., 3].min() == 0 and back[..., 3].max() == 255
    for suffix, mode in ((".png", "LA"), (".tif", "LA"), (".webp", "RGBA")):
        assert run(capsys, "decompress", str(tmp_path / "mask.tsw"), "-o", str(tmp_path / f"m{suffix}"))[0] == 0
        assert Image.open(tmp_path / f"m{suffix}").mode == mode
    code, _, err = run(capsys, "decompress", str(tmp_path / "leaf.tsw"), "-o", str(tmp_path / "back.bmp"))
    assert code == 0 and "BMP cannot hold the source's alpha channel; not written" in err
    assert Image.open(tmp_path / "back.bmp").mode == "RGB"


def test_an_opaque_image_stays_as_before_and_training_still_refuses_transparency(capsys, tmp_path, photo):
    rgba = _rgba(photo)
    Image.fromarray(rgba).save(tmp_path / "leaf.png")
    with pytest.raises(InputError, match="has transparency"):
        read_image8(tmp_path / "leaf.png")  # eval and training measure colour only: they skip such files
    image, alpha, _ = read_image8_alpha(tmp_path / "leaf.png")
    assert np.array_equal(image, rgba[..., :3]) and np.array_equal(alpha[..., 0], rgba[..., 3])
    Image.fromarray(rgba[..., :3]).save(tmp_path / "plain.png")
    assert read_image8_alpha(tmp_path / "plain.png")[1] is None
    code, _, err = run(capsys, "compress", str(tmp_path / "plain.png"), str(tmp_path / "leaf.png"), "-o",
                       str(tmp_path / "c"), "--recipe", "rgb-hr2", "--quality", "60")
    assert code == 0, err
    assert (tmp_path / "c" / "plain.tsw").read_bytes()[8:10] == b"\0\3", "no alpha: the version 0.6.4 reads"
    assert read_tsw((tmp_path / "c" / "plain.tsw").read_bytes()).manifest.side == ()
    index = {a["source"]: a for a in json.loads((tmp_path / "c" / "library.json").read_text())["assets"]}
    assert "alpha_psnr" not in index["plain"] and index["leaf"]["alpha_psnr"] > 35


def test_a_cut_out_is_kept_exact_when_that_costs_no_more_and_jpeg_codes_it_lossy(capsys, tmp_path, photo):
    h, w = 48, 64
    yy, xx = np.mgrid[:h, :w]
    cut = np.where(np.hypot(yy - h / 2, xx - w / 2) < 18, 255, 0).astype(np.uint8)  # a hard-edged decal
    Image.fromarray(np.dstack([photo[:h, :w], cut])).save(tmp_path / "decal.png")
    for codec, exact in (("heic", True), ("jpeg", False)):
        code, out, err = run(capsys, "compress", str(tmp_path / "decal.png"), "-o", str(tmp_path / f"{codec}.tsw"),
                             "--recipe", "rgb-444", "--model", "none", "--quality", "90", "--codec", codec)
        assert code == 0, err
        assert ("alpha PSNR inf dB" in out) == exact, out
        assert run(capsys, "decompress", str(tmp_path / f"{codec}.tsw"), "-o", str(tmp_path / f"{codec}.png"))[0] == 0
        back = np.asarray(Image.open(tmp_path / f"{codec}.png"))[..., 3]
        assert np.array_equal(back, cut) == exact
        assert ((back >= 128) == (cut >= 128)).mean() > 0.99, "a cut-out's shape survives either way"


def test_alpha_quality_sets_the_alphas_own_rate_or_makes_it_exact(capsys, tmp_path, photo):
    rgba = _rgba(photo)
    Image.fromarray(rgba).save(tmp_path / "soft.png")
    sizes = {}
    for q in (None, "20", "lossless"):
        args = ["--alpha-quality", q] if q else []
        code, _, err = run(capsys, "compress", str(tmp_path / "soft.png"), "-o", str(tmp_path / f"{q}.tsw"),
                           "--recipe", "rgb-444", "--model", "none", "--quality", "60", *args)
        assert code == 0, err
        tsw = read_tsw((tmp_path / f"{q}.tsw").read_bytes())
        sizes[q] = len(tsw.streams[-1])
        assert tsw.streams[:-1] == read_tsw((tmp_path / "None.tsw").read_bytes()).streams[:-1], "colour untouched"
    assert sizes["20"] < sizes[None] < sizes["lossless"]
    assert run(capsys, "decompress", str(tmp_path / "lossless.tsw"), "-o", str(tmp_path / "exact.png"))[0] == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "exact.png"))[..., 3], rgba[..., 3])
    code, _, err = run(capsys, "compress", str(tmp_path / "soft.png"), "-o", str(tmp_path / "j.tsw"), "--recipe",
                       "rgb-444", "--codec", "jpeg", "--alpha-quality", "lossless")
    assert code == 2 and "needs HEIC" in err
    code, _, err = run(capsys, "compress", str(tmp_path / "soft.png"), "-o", str(tmp_path / "j.tsw"), "--recipe",
                       "rgb-444", "--alpha-quality", "best")
    assert code == 2 and "neither a quality from 0 to 100 nor 'lossless'" in err


def test_rgb_hr2_codes_the_alpha_at_half_resolution_like_its_colour(capsys, tmp_path, photo):
    import io

    import pillow_heif

    h, w = 48, 64
    yy, xx = np.mgrid[:h, :w]
    cut = np.where(np.hypot(yy - h / 2, xx - w / 2) < 18, 255, 0).astype(np.uint8)
    Image.fromarray(np.dstack([photo[:h, :w], cut])).save(tmp_path / "decal.png")
    code, _, err = run(capsys, "compress", str(tmp_path / "decal.png"), "-o", str(tmp_path / "d.tsw"),
                       "--recipe", "rgb-hr2", "--quality", "70")
    assert code == 0, err
    tsw = read_tsw((tmp_path / "d.tsw").read_bytes())
    sizes = [pillow_heif.open_heif(io.BytesIO(s)).size for s in tsw.streams]
    assert sizes == [(w // 2, h // 2)] * 2, "no codec image larger than the recipe promises"
    assert run(capsys, "decompress", str(tmp_path / "d.tsw"), "-o", str(tmp_path / "d.png"))[0] == 0
    back = np.asarray(Image.open(tmp_path / "d.png"))[..., 3]
    assert back.shape == (h, w) and ((back >= 128) == (cut >= 128)).mean() > 0.99


def _ramp_and_disc(h: int = 40, w: int = 56) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[:h, :w]
    disc = (np.hypot(yy - h / 2, xx - w / 2) < 14).astype(np.float32)
    return disc, np.clip(xx / (w - 1), 0, 1).astype(np.float32)


def test_16bit_and_exr_alpha_rides_at_8_bits_and_comes_back_in_the_sources_kind(capsys, tmp_path):
    import OpenEXR
    import png
    import tifffile

    from texsandwich.hdr.io import encode_png16, read_hdr
    from texsandwich.hdr.transfer import linear_to_pq16
    from texsandwich.procedural import hdr_scene

    linear = hdr_scene(40, 56, seed=3)
    disc, ramp = _ramp_and_disc()
    signal = linear_to_pq16(linear)
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    bad = ramp.copy()
    bad[0, :3] = (np.nan, -0.5, 2.0)  # sanitised like the colour, each counted
    with OpenEXR.File(header, {"RGBA": np.dstack([linear, bad]).astype(np.float32)}) as f:
        f.write(str(tmp_path / "ramp.exr"))
    disc16 = (disc * 65535).astype(np.uint16)[..., None]
    (tmp_path / "mask.png").write_bytes(encode_png16(signal[..., :1], None, disc16))
    tifffile.imwrite(tmp_path / "decal.tif", np.dstack([signal, (disc * 65535).astype(np.uint16)]), photometric="rgb",
                     extrasamples=["unassalpha"])
    with pytest.warns(UserWarning, match="alpha channel dropped"):  # evaluation and training: the colour only
        read_hdr(tmp_path / "decal.tif")
    for name in ("ramp.exr", "mask.png", "decal.tif"):
        code, out, err = run(capsys, "compress", str(tmp_path / name), "-o", str(tmp_path / f"{name}.tsw"),
                             "--recipe", "hdr-444", "--alpha-quality", "lossless")
        assert code == 0 and ", alpha PSNR inf dB" in out, err
        assert (tmp_path / f"{name}.tsw").read_bytes()[8:10] == b"\0\6"  # 0.6.6 read 5 and dropped it
        if name == "ramp.exr":
            assert "1 NaN alpha sample(s) clamped to 0" in err and "1 negative alpha" in err and "1 above 1" in err
            assert "alpha carried at 8 bits" in err  # a float ramp is not on 8-bit steps
        else:
            assert "alpha carried at 8 bits" not in err  # 0 and 65535 are
        code, _, err = run(capsys, "decompress", str(tmp_path / f"{name}.tsw"), "-o", str(tmp_path / f"dec_{name}"))
        assert code == 0, err
    with OpenEXR.File(str(tmp_path / "dec_ramp.exr"), separate_channels=True) as f:
        a = np.asarray(f.parts[0].channels["A"].pixels, np.float32)
    want = np.clip(np.nan_to_num(bad, nan=0.0), 0, 1)
    assert np.abs(a - want).max() <= 0.5 / 255 + 1e-3 and a[0, 0] == 0 and a[0, 2] == 1
    w, h, rows, info = png.Reader(filename=str(tmp_path / "dec_mask.png")).asDirect()
    back = np.vstack([np.asarray(r) for r in rows]).reshape(h, w, 2)  # gray + alpha, 16-bit
    assert info["bitdepth"] == 16 and np.array_equal(back[..., 1], (disc * 65535).astype(np.uint16))
    tif = tifffile.imread(tmp_path / "dec_decal.tif")
    assert tif.shape == (40, 56, 4) and np.array_equal(tif[..., 3], (disc * 65535).astype(np.uint16))


def test_a_fully_opaque_16bit_alpha_is_dropped_with_a_word(capsys, tmp_path):
    from texsandwich.hdr.io import encode_png16
    from texsandwich.hdr.transfer import linear_to_pq16
    from texsandwich.procedural import hdr_scene

    signal = linear_to_pq16(hdr_scene(16, 24, seed=1))
    (tmp_path / "o.png").write_bytes(encode_png16(signal, None, np.full((16, 24, 1), 65535, np.uint16)))
    code, out, err = run(capsys, "compress", str(tmp_path / "o.png"), "-o", str(tmp_path / "o.tsw"),
                         "--recipe", "hdr-444")
    assert code == 0 and "dropped a fully opaque alpha channel" in err and "alpha PSNR" not in out
    assert (tmp_path / "o.tsw").read_bytes()[8:10] == b"\0\3"


def test_a_luminance_exr_comes_back_as_y_with_its_alpha_and_chromaticities(capsys, tmp_path):
    """A Y EXR (a height, mask or light map) is coded as gray RGB and written back as Y (+ A), not as RGB;
    its bad samples are counted once, as the file has them (they were counted once per widened channel)."""
    import OpenEXR

    from texsandwich.procedural import hdr_scene

    y = hdr_scene(24, 32, seed=2)[..., 1].astype(np.float32)
    y[0, 0] = np.nan
    disc, _ = _ramp_and_disc()
    primaries = (0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.077, 0.32168, 0.33767)  # ACES AP0
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage, "chromaticities": primaries}
    with OpenEXR.File(header, {"Y": y, "A": disc[:24, :32].astype(np.float32)}) as f:
        f.write(str(tmp_path / "height.exr"))
    code, _, err = run(capsys, "compress", str(tmp_path / "height.exr"), "-o", str(tmp_path / "h.tsw"),
                         "--recipe", "hdr-444", "--quality", "90", "--alpha-quality", "lossless")
    assert code == 0 and "decoded back to Y" in err and "1 NaN sample(s)" in err, err
    data = (tmp_path / "h.tsw").read_bytes()
    assert data[8:10] == b"\0\6" and read_tsw(data).manifest.source_format == "exr-gray"
    code, _, err = run(capsys, "decompress", str(tmp_path / "h.tsw"), "-o", str(tmp_path / "back.exr"))
    assert code == 0, err
    with OpenEXR.File(str(tmp_path / "back.exr"), separate_channels=True) as f:
        channels = {k: np.asarray(v.pixels, np.float32) for k, v in f.parts[0].channels.items()}
        written = f.parts[0].header["chromaticities"]
    assert sorted(channels) == ["A", "Y"]
    assert np.allclose(np.asarray(written, np.float32), np.asarray(primaries, np.float32))
    ok = ~np.isnan(y)
    assert np.abs(channels["Y"][ok] - y[ok]).max() < 0.05 * max(1.0, float(y[ok].max()))
    assert np.array_equal(np.rint(channels["A"] * 255), np.rint(disc[:24, :32] * 255))
