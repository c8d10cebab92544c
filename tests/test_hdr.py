"""16-bit and HDR sources: the PQ mapping, file I/O in every kind, bad input, and the hdr-444 pipeline."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from texsandwich.errors import InputError
from texsandwich.hdr.io import HdrSource, encode_png16, read_hdr, write_exr, write_hdr
from texsandwich.hdr.transfer import linear_to_pq16, pq16_to_linear, sanitize


def _scene(h: int = 40, w: int = 56) -> np.ndarray:
    """A smooth HDR scene: a ramp over 12 stops and a bright spot (scene-linear, 1.0 = white)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = 2.0 ** (12 * x / w - 8)
    spot = 40.0 * np.exp(-((x - w / 2) ** 2 + (y - h / 2) ** 2) / 30)
    return np.stack([ramp + spot, ramp * 0.5 + spot, ramp * 0.25 + spot], -1)


def test_pq_is_st2084_at_100_nits_white_and_inverts():
    # ST 2084 reference points: 100 cd/m2 -> 0.5081, 10000 -> 1.0, 0 -> 0
    codes = linear_to_pq16(np.array([0.0, 1.0, 100.0]))
    assert codes[0] == 0 and abs(codes[1] / 65535 - 0.50808) < 2e-4 and codes[2] == 65535
    lin = np.geomspace(1e-4, 100, 200)
    back = pq16_to_linear(linear_to_pq16(lin))
    assert np.all(np.abs(back / lin - 1) < 0.01)  # one 16-bit PQ step is < 1% anywhere in the range


def test_transfer_and_tone_curve_in_blocks_give_the_whole_image_values(monkeypatch):
    # big images go through the float64 arithmetic block by block (bounded memory); values unchanged
    import torch

    from texsandwich.hdr import tone, transfer
    from texsandwich.hdr.tone import fit_tone_curve

    lin = _scene(37, 29)
    codes, back = linear_to_pq16(lin), pq16_to_linear(linear_to_pq16(lin))
    curve = fit_tone_curve(codes, 0.5)
    t = torch.from_numpy(codes.astype(np.float32))
    fwd, inv = curve.forward(t), curve.inverse(curve.forward(t))
    monkeypatch.setattr(transfer, "CHUNK", 100)
    monkeypatch.setattr(tone, "CHUNK", 100)
    assert np.array_equal(linear_to_pq16(lin), codes) and np.array_equal(pq16_to_linear(codes), back)
    assert torch.equal(curve.forward(t), fwd) and torch.equal(curve.inverse(fwd), inv)


def test_bad_values_are_clamped_with_counts():
    a = np.array([[[np.nan, -1.0, np.inf], [1.0, 200.0, 0.5]]], np.float32)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = sanitize(a, "x.exr")
    msgs = " | ".join(str(m.message) for m in w)
    assert "1 NaN" in msgs and "1 negative" in msgs and "1 infinite" in msgs and "above 100x" in msgs
    assert out.tolist() == [[[0.0, 0.0, 100.0], [1.0, 100.0, 0.5]]]


def test_exr_png16_tiff16_round_trip_exactly(tmp_path):
    signal = linear_to_pq16(_scene())
    for fmt, name in (("exr", "a.exr"), ("png16", "a.png"), ("tiff16", "a.tif")):
        write_hdr(tmp_path / name, signal, HdrSource(fmt, "pq" if fmt == "exr" else "none"))
        back, src = read_hdr(tmp_path / name)
        assert src.format == fmt
        # EXR is written as half floats (relative precision 2^-11: a few PQ codes near the top)
        assert np.abs(back.astype(int) - signal).max() <= (4 if fmt == "exr" else 0)


def test_exr_channels_alpha_layers_and_luminance(tmp_path):
    import OpenEXR

    rgb = _scene(8, 8)
    hdr = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    chans = {f"diffuse.{c}": np.ascontiguousarray(rgb[..., i % 3]) for i, c in enumerate("RGBA")}
    with OpenEXR.File(hdr, chans) as f:
        f.write(str(tmp_path / "layer.exr"))
    with pytest.warns(UserWarning, match="layer 'diffuse'"):
        a, _ = read_hdr(tmp_path / "layer.exr")
    assert np.array_equal(a, linear_to_pq16(rgb))
    with OpenEXR.File(hdr, {"Y": np.ascontiguousarray(rgb[..., 1])}) as f:
        f.write(str(tmp_path / "y.exr"))
    with pytest.warns(UserWarning, match="luminance-only"):
        a, _ = read_hdr(tmp_path / "y.exr")
    assert np.array_equal(a[..., 0], a[..., 2])
    xyz = {c: np.ascontiguousarray(rgb[..., i]) for i, c in enumerate("XYZ")}
    with OpenEXR.File(hdr, xyz) as f:
        f.write(str(tmp_path / "xyz.exr"))
    with pytest.warns(UserWarning, match="luminance-only.*; channels X, Z not coded"):  # not dropped unsaid
        read_hdr(tmp_path / "xyz.exr")
    with OpenEXR.File(hdr, {"Z": np.ascontiguousarray(rgb[..., 1])}) as f:
        f.write(str(tmp_path / "z.exr"))
    with pytest.raises(InputError, match="no R, G, B or Y"):
        read_hdr(tmp_path / "z.exr")
    # a cropped render pass: the data window is coded, and the user is told its position is not kept
    crop = {**hdr, "dataWindow": (np.array([5, 7], np.int32), np.array([12, 14], np.int32)),
            "displayWindow": (np.array([0, 0], np.int32), np.array([63, 47], np.int32))}
    with OpenEXR.File(crop, {c: np.ascontiguousarray(rgb[..., i]) for i, c in enumerate("RGB")}) as f:
        f.write(str(tmp_path / "crop.exr"))
    with pytest.warns(UserWarning, match=r"data window \(5, 7\)-\(12, 14\) is not the display window"):
        a, _ = read_hdr(tmp_path / "crop.exr")
    assert np.array_equal(a, linear_to_pq16(rgb))


def test_truncated_exr_is_one_error_with_the_librarys_reason_and_nothing_on_stderr(tmp_path, capfd):
    # OpenEXR prints a corrupt chunk's error to the process's stderr and returns a file with no parts
    write_exr(tmp_path / "a.exr", _scene(48, 32))
    data = (tmp_path / "a.exr").read_bytes()
    (tmp_path / "cut.exr").write_bytes(data[: len(data) // 2])
    capfd.readouterr()
    with pytest.raises(InputError, match=r"cut\.exr: truncated or corrupt OpenEXR file \(.+\)"):
        read_hdr(tmp_path / "cut.exr")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    with pytest.warns(UserWarning, match="1 NaN"):  # warnings of a good file still reach the user
        bad = _scene(8, 8)
        bad[0, 0, 0] = np.nan
        write_exr(tmp_path / "nan.exr", bad)
        read_hdr(tmp_path / "nan.exr")


def test_catching_openexrs_output_loses_no_other_threads_line(tmp_path):
    # the capture takes the process's stdout over; with --jobs another thread's lines must wait, not vanish
    import subprocess
    import sys

    write_exr(tmp_path / "a.exr", _scene(48, 32))
    data = (tmp_path / "a.exr").read_bytes()
    (tmp_path / "cut.exr").write_bytes(data[: len(data) // 2])
    code = f"""
import threading, time
from pathlib import Path
from texsandwich.errors import InputError
from texsandwich.hdr.io import read_exr
from texsandwich.progress import Progress
p = Progress("human")
def talk():
    for i in range(200):
        p.line(f"line {{i}}")
        time.sleep(0.001)
t = threading.Thread(target=talk)
t.start()
for _ in range(200):
    try:
        read_exr(Path({str(tmp_path / "cut.exr")!r}))
    except InputError:
        pass
t.join()
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.splitlines() == [f"line {i}" for i in range(200)] and r.stderr == ""


def test_gray16_is_expanded_and_8bit_png_is_refused_for_16bit_recipes(tmp_path):
    import png

    gray = (np.arange(64 * 48) * 20 % 65536).astype(np.uint16).reshape(48, 64)
    with open(tmp_path / "g.png", "wb") as f:
        png.Writer(64, 48, bitdepth=16, greyscale=True).write(f, gray.tolist())
    with pytest.warns(UserWarning, match="16-bit grayscale"):
        a, src = read_hdr(tmp_path / "g.png")
    assert a.shape == (48, 64, 3) and np.array_equal(a[..., 1], gray) and src.format == "png16-gray"
    # written back as one gray channel (the rounded mean of the three coded ones), PNG and TIFF alike
    import tifffile

    noisy = a.astype(np.int64) + np.array([0, 1, 2])  # what coding leaves: channels a little apart
    for fmt, name in (("png16-gray", "back.png"), ("tiff16-gray", "back.tif")):
        write_hdr(tmp_path / name, noisy.astype(np.uint16), HdrSource(fmt, "none"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the gray warning again
            back, again = read_hdr(tmp_path / name)
        assert again.format == fmt and np.array_equal(back[..., 0], gray + 1)  # (3g + 3 + 1) // 3
    assert tifffile.imread(tmp_path / "back.tif").shape == (48, 64)
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "e.png")
    with pytest.raises(InputError, match="8-bit PNG"):
        read_hdr(tmp_path / "e.png")


def _cli(*args: str) -> int:
    from texsandwich.cli import main

    with pytest.raises(SystemExit) as e:
        main(list(args))
    return int(e.value.code)


def test_hdr_cli_round_trip_writes_the_source_kind_and_beats_top8(tmp_path, capsys):
    from texsandwich.metrics import psnr
    from texsandwich.pipeline import lossless

    signal = linear_to_pq16(_scene(64, 80))
    write_exr(tmp_path / "s.exr", pq16_to_linear(signal))
    (tmp_path / "p.png").write_bytes(encode_png16(signal))
    assert _cli("compress", str(tmp_path / "s.exr"), str(tmp_path / "p.png"), "-o", str(tmp_path / "t"),
                "--recipe", "hdr-444", "--model", "none", "--quality", "95", "--quiet") == 0
    assert _cli("decompress", str(tmp_path / "t"), "-o", str(tmp_path / "d"), "--quiet") == 0
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["p.png", "s.exr"]
    capsys.readouterr()
    assert _cli("info", str(tmp_path / "t" / "s.tsw")) == 0
    shown = capsys.readouterr().out
    assert "transfer pq, exr" in shown and "per-image curve, 65 knots" in shown  # q95: the tone curve is on
    back, src = read_hdr(tmp_path / "d" / "s.exr")
    assert src.format == "exr" and back.shape == signal.shape
    assert psnr(back, signal) > 45
    # one file to an EXR in a folder that does not exist yet: made, and nothing else left there
    assert _cli("decompress", str(tmp_path / "t" / "s.tsw"), "-o", str(tmp_path / "new" / "deeper" / "s.exr"),
                "--quiet") == 0
    assert [p.name for p in (tmp_path / "new" / "deeper").iterdir()] == ["s.exr"]
    assert np.array_equal(read_hdr(tmp_path / "new" / "deeper" / "s.exr")[0], back)
    # one file into an existing folder: the source's own kind (the name there is ours, not the user's)
    (tmp_path / "into").mkdir()
    assert _cli("decompress", str(tmp_path / "t" / "s.tsw"), "-o", str(tmp_path / "into"), "--quiet") == 0
    assert [p.name for p in (tmp_path / "into").iterdir()] == ["s.exr"]
    # a name of another kind is refused (it was silently renamed to .exr, replacing a file of that name)
    (tmp_path / "x.exr").write_bytes(b"precious")
    assert _cli("decompress", str(tmp_path / "t" / "s.tsw"), "-o", str(tmp_path / "x.jpg")) == 2
    assert "holds a 16-bit image" in capsys.readouterr().err
    assert _cli("decompress", str(tmp_path / "t" / "s.tsw"), "-o", str(tmp_path / "x")) == 2  # x -> x.exr: exists
    assert "x.exr exists" in capsys.readouterr().err and (tmp_path / "x.exr").read_bytes() == b"precious"
    # an 8-bit recipe refuses the EXR and names the one to use
    assert _cli("compress", str(tmp_path / "s.exr"), "-o", str(tmp_path / "x.tsw"), "--recipe", "rgb-444") == 1
    assert "hdr-444" in capsys.readouterr().err
    # the LDR-saturation ceiling is what it says: top 8 bits, midpoint back
    top = lossless(signal, "top8")
    assert np.array_equal(top, (signal >> 8).astype(np.uint16) * 256 + 128)


def test_a_mixed_library_takes_a_recipe_pair_and_a_single_recipe_names_it(tmp_path, capsys):
    import json

    from PIL import Image

    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    write_exr(tree / "sub" / "env.exr", _scene(24, 32))
    (tree / "sub" / "h16.png").write_bytes(encode_png16(linear_to_pq16(_scene(16, 24))))
    Image.fromarray((np.arange(24 * 32 * 3) % 251).astype(np.uint8).reshape(24, 32, 3)).save(tree / "a.png")
    # one 8-bit recipe: the EXR is found too (not skipped without a word) and refused, naming the pair
    assert _cli("compress", str(tree), "-o", str(tmp_path / "one"), "--recipe", "rgb-444", "--model", "none",
                "--quiet") == 1
    err = capsys.readouterr().err
    assert "env.exr: an OpenEXR (HDR) file" in err and "--recipe rgb-444,hdr-444" in err
    assert "h16.png: has more than 8 bits" in err
    # the pair: every image through the recipe of its bit depth, recorded in the index
    assert _cli("compress", str(tree), "-o", str(tmp_path / "both"), "--recipe", "rgb-444,hdr-444",
                "--model", "none", "--quiet") == 0
    index = json.loads((tmp_path / "both" / "library.json").read_text())
    assert {a["source"]: a["recipe"] for a in index["assets"]} == {
        "a.png": "rgb-444", "sub/env.exr": "hdr-444", "sub/h16.png": "hdr-444"}
    assert index["recipe"] == "rgb-444,hdr-444" and set(index["model"]) == {"rgb-444", "hdr-444"}
    assert _cli("decompress", str(tmp_path / "both"), "-o", str(tmp_path / "dec"), "--quiet") == 0
    assert sorted(p.relative_to(tmp_path / "dec").as_posix() for p in (tmp_path / "dec").rglob("*.*")) == [
        "a.png", "sub/env.exr", "sub/h16.png"]
    # a pair is one 8-bit and one 16-bit image recipe, with default weights
    capsys.readouterr()
    assert _cli("compress", str(tree), "-o", str(tmp_path / "x"), "--recipe", "rgb-444,rgb-hr2") == 2
    assert "one 8-bit and one 16-bit" in capsys.readouterr().err
    assert _cli("compress", str(tree), "-o", str(tmp_path / "x"), "--recipe", "rgb-444,hdr-444",
                "--model", "rgb-444-slim") == 2
    # and a 16-bit recipe names the 8-bit ones for an 8-bit image
    assert _cli("compress", str(tree / "a.png"), "-o", str(tmp_path / "a.tsw"), "--recipe", "hdr-444") == 1
    assert "use an 8-bit recipe (--recipe rgb-444" in capsys.readouterr().err


def test_16bit_tsw_manifest_records_transfer_and_format():
    from texsandwich.container import read_tsw
    from texsandwich.models import load_model
    from texsandwich.pipeline import compress
    from texsandwich.recipes import get_recipe

    r = get_recipe("hdr-444")
    c = compress(linear_to_pq16(_scene()), r, load_model("none", r), "heic", 80, hdr=HdrSource("exr", "pq"))
    m = read_tsw(c.data).manifest
    assert (m.bit_depth, m.transfer, m.source_format) == (16, "pq", "exr")
    assert c.reconstruction.dtype == np.uint16


AP0 = (0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.077, 0.32168, 0.33767)
"""ACES 2065-1 primaries and white, as an ACES EXR's chromaticities attribute holds them."""


def test_exr_chromaticities_are_written_back_shown_and_stripped(tmp_path, capsys):
    import OpenEXR

    from texsandwich.container import CorruptError, read_tsw, write_tsw

    def primaries(path):
        with OpenEXR.File(str(path)) as f:
            return f.parts[0].header.get("chromaticities")

    write_exr(tmp_path / "aces.exr", _scene(32, 48), AP0)
    stored = primaries(tmp_path / "aces.exr")
    assert stored is not None and np.allclose(stored, AP0, atol=1e-7)
    read_back = read_hdr(tmp_path / "aces.exr")[1].chromaticities
    assert read_back is not None and np.array_equal(np.float32(read_back), np.float32(stored))
    assert _cli("compress", str(tmp_path / "aces.exr"), "-o", str(tmp_path / "a.tsw"), "--recipe", "hdr-444",
                "--model", "none", "--quality", "60", "--quiet") == 0
    assert _cli("decompress", str(tmp_path / "a.tsw"), "-o", str(tmp_path / "back.exr"), "--quiet") == 0
    assert primaries(tmp_path / "back.exr") == stored, "the same float32 values"
    capsys.readouterr()
    assert _cli("info", str(tmp_path / "a.tsw")) == 0
    assert "EXR chromaticities (x, y): R 0.7347 0.2653, G 0 1, B 0.0001 -0.077, W 0.32168 0.33767" in \
        capsys.readouterr().out
    # a 16-bit PNG has no place for them; --strip drops them; a file without them stays version 3
    assert _cli("decompress", str(tmp_path / "a.tsw"), "-o", str(tmp_path / "back.png"), "--quiet") == 0
    assert _cli("compress", str(tmp_path / "aces.exr"), "-o", str(tmp_path / "s.tsw"), "--recipe", "hdr-444",
                "--model", "none", "--quality", "60", "--quiet", "--strip") == 0
    kept, stripped = read_tsw((tmp_path / "a.tsw").read_bytes()), read_tsw((tmp_path / "s.tsw").read_bytes())
    assert stripped.manifest.chromaticities is None and stripped.streams == kept.streams
    assert (tmp_path / "a.tsw").read_bytes()[8:10] == b"\0\4" and (tmp_path / "s.tsw").read_bytes()[8:10] == b"\0\3"
    from dataclasses import replace
    with pytest.raises(CorruptError, match="chromaticities belong to EXR"):
        read_tsw(write_tsw(replace(kept.manifest, source_format="png16"), kept.streams))
    with pytest.raises(CorruptError, match="8 numbers"):
        read_tsw(write_tsw(replace(kept.manifest, chromaticities=AP0[:6]), kept.streams))


def test_hdr_data_split_lists_exr_files(tmp_path):
    from texsandwich.recipes import get_recipe
    from texsandwich.sources import list_sources

    for i in range(6):
        write_exr(tmp_path / f"{i}.exr", _scene(8, 8))
    (tmp_path / "ldr.png").write_bytes(b"")  # not a 16-bit file: not a source
    assert [p.name for p in list_sources(tmp_path, get_recipe("hdr-444"), "eval")] == ["0.exr", "5.exr"]
    assert len(list_sources(Path(tmp_path), get_recipe("hdr-444"), "train")) == 4


def test_tone_curve_at_strength_0_is_the_linear_map_and_inverts():
    import torch

    from texsandwich.hdr.tone import fit_tone_curve

    signal = linear_to_pq16(_scene())
    flat = fit_tone_curve(signal, 0.0)
    v = torch.arange(0, 65536, 37, dtype=torch.float64)
    assert torch.allclose(flat.forward(v), v / 257.0, atol=1e-9)
    steep = fit_tone_curve(signal, 1 / 3)
    assert torch.allclose(steep.inverse(steep.forward(v)), v, atol=1e-6)
    assert bool((steep.forward(v).diff() > 0).all())  # strictly monotone: every code stays distinct


def test_tone_curve_gives_a_narrow_histogram_more_levels_than_top8():
    import torch

    from texsandwich.hdr.tone import fit_tone_curve
    from texsandwich.metrics import psnr
    from texsandwich.pipeline import lossless

    signal = linear_to_pq16(_scene() * 0.05)  # a dim scene: its PQ codes fill a small part of 0..65535
    tone = fit_tone_curve(signal, 1 / 3)
    back = tone.inverse(tone.forward(torch.tensor(signal, dtype=torch.float64)).round())
    rounded = np.clip(back.round().numpy(), 0, 65535).astype(np.uint16)
    assert psnr(rounded, signal) > psnr(lossless(signal, "top8"), signal) + 4


def test_tone_curve_json_round_trip_and_validation():
    from texsandwich.container import CorruptError, Manifest
    from texsandwich.hdr.tone import SEGMENTS, ToneCurve, fit_tone_curve

    tone = fit_tone_curve(linear_to_pq16(_scene()), 0.25)
    assert ToneCurve.from_json(tone.to_json()) == tone
    with pytest.raises(ValueError, match="strictly increasing"):
        ToneCurve.from_json([0] + [255] * (SEGMENTS - 1))
    from texsandwich.models import load_model
    from texsandwich.pipeline import compress
    from texsandwich.recipes import get_recipe

    r = get_recipe("rgb-444")
    d = compress(np.zeros((16, 16, 3), np.uint8), r, load_model("none", r), "heic", 50).manifest.to_json()
    d["source"]["tone"] = tone.to_json()
    with pytest.raises(CorruptError, match="16-bit"):
        Manifest.from_json(d)
    d = compress(linear_to_pq16(_scene()), get_recipe("hdr-444"), load_model("none", get_recipe("hdr-444")),
                 "heic", 50).manifest.to_json()
    d["source"]["tone"] = [1, 2, 3]
    with pytest.raises(CorruptError, match="tone curve"):
        Manifest.from_json(d)


def test_hdr_training_augmentation_reexposes_and_compands_crops():
    import torch

    from texsandwich.hdr.tone import fit_tone_curve
    from texsandwich.train import hdr_augment

    codes = linear_to_pq16(_scene(32, 32)).astype(np.float32)
    batch = torch.from_numpy(np.stack([codes, codes])).permute(0, 3, 1, 2).contiguous()
    rng = np.random.default_rng(0)
    darker = hdr_augment(batch, rng, (-2.0, -2.0), ())
    expected = linear_to_pq16(pq16_to_linear(batch[0].numpy()) / 4)
    assert np.array_equal(darker[0].numpy(), expected.astype(np.float32))
    toned = hdr_augment(batch, rng, None, (0.25,))
    curve = fit_tone_curve(batch[1].numpy(), 0.25)
    assert torch.allclose(toned[1], curve.forward(batch[1]) * 257.0)
    assert float(toned.min()) >= 0 and float(toned.max()) <= 65535


def test_hdr444_compands_at_high_quality_and_beats_the_ldr_saturation_line():
    from texsandwich.container import read_tsw
    from texsandwich.metrics import psnr
    from texsandwich.models import load_model
    from texsandwich.pipeline import compress, lossless
    from texsandwich.recipes import get_recipe

    r = get_recipe("hdr-444")
    model = load_model("none", r)
    signal = linear_to_pq16(_scene(64, 96) * 0.05)  # a dim scene, as most HDR photographs are in PQ
    high = compress(signal, r, model, "heic", 95)
    assert read_tsw(high.data).manifest.tone is not None  # the curve travels with the file
    # above the fixed top-8-bit transport even after a real (lossy) HEIC encode
    assert psnr(high.reconstruction, signal) > psnr(lossless(signal, "top8"), signal) + 1
    assert read_tsw(compress(signal, r, model, "heic", 30).data).manifest.tone is None  # codec-limited: linear
    assert read_tsw(compress(signal, r, model, "heic", 95, bit_depth=10).data).manifest.tone is None


def test_hdr444_default_codes_ycbcr_with_finer_chroma_and_both_top8_baselines_run():
    import torch

    from texsandwich.adapters import rgb_to_ycbcr
    from texsandwich.metrics import psnr
    from texsandwich.models import default_model, load_model
    from texsandwich.pipeline import baseline, compress
    from texsandwich.recipes import get_recipe
    from texsandwich.sandwich import knee_gain

    r = get_recipe("hdr-444")
    assert default_model(r) == "hdr-444-ycc"
    ycc, plain = load_model(None, r), load_model("none", r)
    x = torch.rand(1, 3, 8, 12, dtype=torch.float32) * 255
    expect = rgb_to_ycbcr(x)
    expect[:, 1:] = knee_gain(expect[:, 1:], torch.tensor([1.5, 1.5]).view(1, 2, 1, 1))  # chroma x1.5, luma as is
    with torch.no_grad():
        assert torch.allclose(ycc.pre(x), expect, atol=1e-3)
        assert torch.allclose(ycc.post(ycc.pre(x)), x, atol=1e-3)  # identity networks: exact inverse
    signal = linear_to_pq16(_scene(64, 96) * 0.05)
    a, b = compress(signal, r, ycc, "heic", 30), compress(signal, r, plain, "heic", 30)
    # decorrelated colour: better at about the same size than the RGB planes as they are
    assert psnr(a.reconstruction, signal) > psnr(b.reconstruction, signal) + 1 and len(a.data) < 1.1 * len(b.data)
    assert [base.name for base in r.baselines] == ["top8", "top8-ycbcr"]
    for base in r.baselines:
        data, rec = baseline(signal, base, "heic", 30)
        assert rec.dtype == np.uint16 and psnr(rec, signal) > 40 and len(data) > 0


def test_a_16bit_png_or_tiff_colour_profile_is_written_back_and_an_srgb_one_is_not_stored(tmp_path, capfd):
    from PIL import Image

    from tests.test_metadata import other_profile, srgb_profile
    from texsandwich.container import read_tsw
    from texsandwich.hdr.io import _png_icc, _tiff_icc

    signal = linear_to_pq16(_scene(24, 40))
    wide, srgb = other_profile(), srgb_profile()
    import tifffile

    (tmp_path / "w.png").write_bytes(encode_png16(signal, wide))
    (tmp_path / "s.png").write_bytes(encode_png16(signal, srgb))
    tifffile.imwrite(tmp_path / "w.tif", signal, photometric="rgb", iccprofile=wide)
    with Image.open(tmp_path / "w.png") as im:  # another reader finds the chunk where the PNG spec puts it
        assert im.info["icc_profile"] == wide
    assert np.array_equal(read_hdr(tmp_path / "w.png")[0], signal), "the pixels are untouched by the chunk"
    assert read_hdr(tmp_path / "w.png")[1].icc == wide and read_hdr(tmp_path / "w.tif")[1].icc == wide
    assert read_hdr(tmp_path / "s.png")[1].icc is None, "an sRGB profile says what no profile says"
    for name in ("w.png", "w.tif", "s.png"):
        assert _cli("compress", str(tmp_path / name), "-o", str(tmp_path / f"{name}.tsw"), "--recipe", "hdr-444",
                    "--model", "none", "--quality", "60", "--quiet") == 0
    assert read_tsw((tmp_path / "w.png.tsw").read_bytes()).icc == wide
    assert read_tsw((tmp_path / "s.png.tsw").read_bytes()).icc is None
    assert (tmp_path / "s.png.tsw").read_bytes()[8:10] == b"\0\3", "no metadata: the version 0.6.4 reads"
    for src, out in (("w.png", "b.png"), ("w.tif", "b.tif"), ("w.png", "c.tif"), ("w.tif", "c.png")):
        assert _cli("decompress", str(tmp_path / f"{src}.tsw"), "-o", str(tmp_path / out), "--quiet") == 0
    assert _png_icc(tmp_path / "b.png") == wide and _png_icc(tmp_path / "c.png") == wide
    assert _tiff_icc(tmp_path / "b.tif") == wide and _tiff_icc(tmp_path / "c.tif") == wide
    back = read_hdr(tmp_path / "b.png")[0]
    assert np.array_equal(back, read_hdr(tmp_path / "b.tif")[0]) and np.abs(back.astype(int) - signal).mean() < 2000
    capfd.readouterr()
    assert _cli("decompress", str(tmp_path / "w.png.tsw"), "-o", str(tmp_path / "b.exr")) == 0
    assert "EXR files have no place for the source's colour profile; not written (write .png to keep it)" in \
        capfd.readouterr().err
    assert _cli("compress", str(tmp_path / "w.png"), "-o", str(tmp_path / "x.tsw"), "--recipe", "hdr-444",
                "--model", "none", "--quality", "60", "--quiet", "--strip") == 0
    assert read_tsw((tmp_path / "x.tsw").read_bytes()).icc is None


def test_a_damaged_16bit_png_profile_is_ignored_with_a_warning(tmp_path):
    import struct
    import zlib

    data = encode_png16(linear_to_pq16(_scene(8, 8)))
    body = b"ICC Profile\0\0" + b"not zlib data"
    chunk = struct.pack(">I", len(body)) + b"iCCP" + body + struct.pack(">I", zlib.crc32(b"iCCP" + body))
    (tmp_path / "d.png").write_bytes(data[:33] + chunk + data[33:])
    with pytest.warns(UserWarning, match="ignored a damaged colour profile"):
        image, src = read_hdr(tmp_path / "d.png")
    assert src.icc is None and image.shape == (8, 8, 3)


def _heif10(path: Path, values10: np.ndarray, **save) -> None:
    """A 10-bit HEIF of ``values10`` (``[H, W, 3]`` 0..1023), as a camera writes one."""
    import pillow_heif

    h, w, _ = values10.shape
    pillow_heif.from_bytes(mode="RGB;16", size=(w, h), data=(values10.astype(np.uint16) << 6).tobytes()).save(
        str(path), **save)


def test_a_10bit_heif_is_a_16bit_source_and_an_8bit_recipe_names_the_one_that_takes_it(tmp_path, capfd):
    ramp = np.broadcast_to(np.linspace(0, 1023, 64).round()[None, :, None], (16, 64, 3)).astype(np.uint16)
    _heif10(tmp_path / "cam.heic", ramp, quality=-1, chroma=444)  # lossless: the values read are the values written
    image, src = read_hdr(tmp_path / "cam.heic")
    assert src.format == "png16" and src.transfer == "none"
    assert image[0, 0, 0] == 0 and image[0, -1, 0] == 65535, "10-bit white is 16-bit white (bit replication)"
    assert np.array_equal(image, (ramp << 6) | (ramp >> 4))
    assert _cli("compress", str(tmp_path / "cam.heic"), "-o", str(tmp_path / "c.tsw"), "--recipe", "rgb-444",
                "--model", "none") == 1
    assert "cam.heic: has more than 8 bits per sample; recipe rgb-444 takes 8-bit images, use --recipe hdr-444" in \
        capfd.readouterr().err
    assert _cli("compress", str(tmp_path / "cam.heic"), "-o", str(tmp_path / "c.tsw"), "--recipe", "rgb-444,hdr-444",
                "--model", "none", "--quality", "90", "--quiet") == 0
    assert _cli("decompress", str(tmp_path / "c.tsw"), "-o", str(tmp_path / "out"), "--quiet") == 0
    back, again = read_hdr(tmp_path / "out.png")
    assert again.format == "png16" and np.abs(back.astype(int) - image).mean() < 200
    _heif10(tmp_path / "pq.heic", ramp, quality=90, transfer_characteristics=16, color_primaries=9,
            matrix_coefficients=9)
    with pytest.warns(UserWarning, match=r"PQ \(SMPTE ST 2084\) HEIF; coded as its code values"):
        read_hdr(tmp_path / "pq.heic")
    from PIL import Image
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "eight.heic")
    with pytest.raises(InputError, match="an 8-bit HEIF; 16-bit recipes take"):
        read_hdr(tmp_path / "eight.heic")


def test_radiance_hdr_round_trips_through_the_cli_as_hdr_and_says_its_version(tmp_path, capsys):
    import cv2

    from texsandwich.container import LINEAR_VERSION, read_tsw
    from texsandwich.hdr.radiance import encode_radiance, read_radiance
    from texsandwich.metrics import psnr

    linear = _scene(48, 72)
    (tmp_path / "env.hdr").write_bytes(encode_radiance(linear))
    stored = read_radiance(tmp_path / "env.hdr")  # RGBE: ~1 % steps on the brightest channel
    assert stored.shape == (48, 72, 3) and np.all(np.abs(stored - linear) <= 0.01 * linear.max(-1, keepdims=True))
    assert _cli("compress", str(tmp_path / "env.hdr"), "-o", str(tmp_path / "env.tsw"), "--recipe", "hdr-444",
                "--model", "none", "--quality", "95", "--quiet") == 0
    tsw = read_tsw((tmp_path / "env.tsw").read_bytes())
    assert (tsw.manifest.source_format, tsw.manifest.transfer, tsw.manifest.version) == ("hdr", "pq", LINEAR_VERSION)
    (tmp_path / "d").mkdir()
    assert _cli("decompress", str(tmp_path / "env.tsw"), "-o", str(tmp_path / "d"), "--quiet") == 0
    out = tmp_path / "d" / "env.hdr"  # the source's own kind by default, read by another RGBE reader
    back = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)[..., ::-1]
    assert psnr(linear_to_pq16(back), linear_to_pq16(stored)) > 40
    # and as an EXR on request: the same radiance within half-float and RGBE steps
    assert _cli("decompress", str(tmp_path / "env.tsw"), "-o", str(tmp_path / "e.exr"), "--quiet") == 0
    assert psnr(read_hdr(tmp_path / "e.exr")[0], linear_to_pq16(back)) > 50
    # an 8-bit recipe refuses it and names the one that takes it
    assert _cli("compress", str(tmp_path / "env.hdr"), "-o", str(tmp_path / "x.tsw"), "--recipe", "rgb-hr2") == 1
    assert "hdr-444" in capsys.readouterr().err


def test_radiance_files_it_cannot_read_get_one_line_each(tmp_path):
    from texsandwich.hdr.radiance import encode_radiance

    good = encode_radiance(_scene(20, 30))
    cases = {
        "flipped.hdr": (good.replace(b"-Y 20 +X 30", b"+Y 20 +X 30"), "scanline order"),
        "xyze.hdr": (good.replace(b"32-bit_rle_rgbe", b"32-bit_rle_xyze"), "32-bit_rle_xyze"),
        "cut.hdr": (good[: len(good) // 2], "truncated or corrupt Radiance HDR pixels"),
        "text.hdr": (b"P3 1 1 255 0 0 0", "not a Radiance HDR file"),
        "nores.hdr": (b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\nsome junk\n", "resolution line"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InputError, match=message):
            read_hdr(tmp_path / name)
    end = good.index(b"\n\n")
    (tmp_path / "exposed.hdr").write_bytes(good[:end] + b"\nEXPOSURE=2.5" + good[end:])
    with pytest.warns(UserWarning, match="EXPOSURE=2.5 in the header; pixel values coded as stored"):
        signal, src = read_hdr(tmp_path / "exposed.hdr")
    assert src.format == "hdr" and np.array_equal(signal, read_hdr(_write(tmp_path / "plain.hdr", good))[0])


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_float_tiff_is_scene_linear_and_comes_back_as_float_tiff(tmp_path):
    import tifffile

    from texsandwich.files import compress_file, decompress_file
    from texsandwich.metrics import psnr

    linear = _scene(40, 56)
    alpha = np.linspace(0, 1, 40 * 56, dtype=np.float32).reshape(40, 56, 1)
    tifffile.imwrite(tmp_path / "rgb.tif", linear, photometric="rgb")
    tifffile.imwrite(tmp_path / "rgba.tif", np.concatenate([linear, alpha], -1), photometric="rgb")
    tifffile.imwrite(tmp_path / "gray.tif", linear[..., 0].astype(np.float16))
    bad = linear.copy()
    bad[0, 0] = [np.nan, -1.0, np.inf]
    tifffile.imwrite(tmp_path / "bad.tif", bad, photometric="rgb")
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        signal, src = read_hdr(tmp_path / "bad.tif")
    messages = " | ".join(str(w.message) for w in said)
    assert all(f"1 {what} sample" in messages for what in ("NaN", "negative", "infinite"))
    assert src == HdrSource("tiff-float", "pq") and signal[0, 0].tolist() == [0, 0, 65535]
    assert np.array_equal(read_hdr(tmp_path / "rgb.tif")[0], linear_to_pq16(linear))
    for name, channels in (("rgb.tif", 3), ("rgba.tif", 4), ("gray.tif", 1)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gray and alpha notes
            compress_file(tmp_path / name, tmp_path / f"{name}.tsw", "hdr-444", model="none", quality=95)
        decompress_file(tmp_path / f"{name}.tsw", tmp_path / f"out-{name}")
        back = tifffile.imread(tmp_path / f"out-{name}")
        assert back.dtype == np.float32 and (back.shape[-1] if back.ndim == 3 else 1) == channels, name
        ref = linear[..., :1] if channels == 1 else linear
        got = back[..., None] if back.ndim == 2 else back[..., :3]
        assert psnr(linear_to_pq16(got), linear_to_pq16(ref)) > 40, name  # q95, measured as hdr-444 measures
        if channels == 4:
            assert np.abs(back[..., 3:] - alpha).max() <= 1 / 255
    # the same coded file as a 16-bit PNG holds PQ code values, as an EXR's does
    decompress_file(tmp_path / "rgb.tif.tsw", tmp_path / "pq.png")
    assert read_hdr(tmp_path / "pq.png")[1].format == "png16"


def _write_yca_exr(path: Path, y: np.ndarray, ry: np.ndarray, by: np.ndarray) -> None:
    """An uncompressed scanline EXR with Y at full resolution and RY/BY sampled 2×2, byte by byte as the
    OpenEXR file-layout document has it: the Python binding cannot write subsampled channels."""
    import struct

    def attr(name: str, kind: str, data: bytes) -> bytes:
        return name.encode() + b"\0" + kind.encode() + b"\0" + struct.pack("<i", len(data)) + data

    h, w = y.shape
    chans = [("BY", by, 2), ("RY", ry, 2), ("Y", y, 1)]  # sorted by name, as the format requires
    chlist = b"".join(n.encode() + b"\0" + struct.pack("<iB3xii", 1, 0, s, s) for n, _, s in chans) + b"\0"
    box = struct.pack("<iiii", 0, 0, w - 1, h - 1)
    header = (attr("channels", "chlist", chlist) + attr("compression", "compression", b"\0")
              + attr("dataWindow", "box2i", box) + attr("displayWindow", "box2i", box)
              + attr("lineOrder", "lineOrder", b"\0") + attr("pixelAspectRatio", "float", struct.pack("<f", 1))
              + attr("screenWindowCenter", "v2f", struct.pack("<ff", 0, 0))
              + attr("screenWindowWidth", "float", struct.pack("<f", 1)) + b"\0")
    head = struct.pack("<II", 20000630, 2) + header
    lines = []
    for row in range(h):
        data = b"".join(a[row // s].astype("<f2").tobytes() for _, a, s in chans if row % s == 0)
        lines.append(struct.pack("<ii", row, len(data)) + data)
    offsets = np.cumsum([len(head) + 8 * h] + [len(c) for c in lines[:-1]]).astype("<u8").tobytes()
    path.write_bytes(head + offsets + b"".join(lines))


def test_a_luminance_chroma_exr_is_read_as_rgb_not_as_gray(tmp_path):
    # OpenEXR's own sample images store Y plus 2x2-subsampled RY, BY; coding only Y dropped the colour
    rng = np.random.default_rng(3)
    y = rng.uniform(0.1, 4.0, (12, 18)).astype(np.float16)
    ry = np.full((6, 9), 0.5, np.float16)  # constant chroma: upsampling is exact, so the RGB is known
    by = np.full((6, 9), -0.25, np.float16)
    _write_yca_exr(tmp_path / "yc.exr", y, ry, by)
    with pytest.warns(UserWarning, match=r"luminance/chroma \(Y, RY, BY\) image, converted to RGB"):
        signal, source = read_hdr(tmp_path / "yc.exr")
    assert source.format == "exr"  # decoded as RGB, not as a gray Y image
    rgb = pq16_to_linear(signal)
    y32 = y.astype(np.float32)
    expect_r, expect_b = 1.5 * y32, 0.75 * y32
    expect_g = (y32 - 0.2126 * expect_r - 0.0722 * expect_b) / 0.7152
    np.testing.assert_allclose(rgb, np.stack([expect_r, expect_g, expect_b], -1), rtol=2e-3)


def test_yca_chroma_is_interpolated_between_its_samples():
    from texsandwich.hdr.yca import yca_to_rgb

    y = np.ones((4, 4), np.float32)
    ry = np.array([[0.0, 1.0], [0.0, 1.0]], np.float32)  # samples at columns 0 and 2
    rgb = yca_to_rgb(y, ry, np.zeros((2, 2), np.float32), (2, 2), (2, 2))
    assert np.allclose(rgb[0, :, 0], [1.0, 1.5, 2.0, 2.0])  # halfway between samples, the last repeated
