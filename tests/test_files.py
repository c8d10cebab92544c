"""The file-level API the CLI is built on: one asset in, one file out, usable from Python directly."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from texsandwich.assets import PBR8, write_material_folder
from texsandwich.errors import UsageError
from texsandwich.files import compress_file, decompress_file
from texsandwich.images import read_image8
from texsandwich.metrics import psnr
from texsandwich.procedural import procedural_material
from texsandwich.recipes import get_recipe


def test_an_image_file_round_trip_reports_what_decompress_writes(tmp_path, photo):
    img = photo[:48, :64]
    Image.fromarray(img).save(tmp_path / "a.png")
    done = compress_file(tmp_path / "a.png", tmp_path / "out" / "a.tsw", "rgb-444", "none", "jpeg", 70)
    assert done.output.read_bytes()[:4] == b"\x89TSW" and done.bytes == done.output.stat().st_size
    assert done.bpp == pytest.approx(8 * done.bytes / (48 * 64))
    back = decompress_file(done.output, tmp_path / "a.webp")
    assert back.manifest.recipe == "rgb-444" and back.maps == 0
    decoded = read_image8(back.output)[0]
    assert psnr(decoded, img) == pytest.approx(done.psnr, abs=1e-9), "the PSNR compress reports is the file's"
    with pytest.raises(UsageError, match=r"holds an 8-bit image \(rgb-444\); write it as \.png.*second loss"):
        decompress_file(done.output, tmp_path / "a.jpg")


def test_a_material_folder_round_trip_writes_its_maps(tmp_path):
    write_material_folder(procedural_material(64, 64, seed=3, name="m"), tmp_path / "m", PBR8)
    done = compress_file(tmp_path / "m", tmp_path / "m.tsw", "pbr8-400", "none", quality=60, allocate=False)
    back = decompress_file(done.output, tmp_path / "decoded")
    assert back.maps == 4 and sorted(p.name for p in back.output.iterdir()) == [
        "albedo.png", "normal.png", "occlusion.png", "roughness.png"]
    assert back.bytes == sum(p.stat().st_size for p in back.output.iterdir())
    assert np.asarray(Image.open(back.output / "roughness.png")).ndim == 2


def test_a_psnr_target_picks_a_quality_that_reaches_it_and_says_when_none_does(tmp_path, photo):
    from texsandwich.container import read_tsw

    Image.fromarray(photo[:48, :64]).save(tmp_path / "a.png")
    done = compress_file(tmp_path / "a.png", tmp_path / "a.tsw", "rgb-444", "none", "jpeg", target_psnr=33.0)
    assert done.reached and done.psnr >= 33.0 and done.quality is not None and 1 <= done.quality < 100
    assert read_tsw(done.output.read_bytes()).manifest.settings.quality == done.quality
    lower = compress_file(tmp_path / "a.png", tmp_path / "b.tsw", "rgb-444", "none", "jpeg", done.quality - 1)
    assert lower.psnr < done.psnr, "a lower quality than the one chosen gives less"
    # the search keeps the pre-net's output between tries: the file is the one a plain compress writes
    # (the zoo's trained networks here, not the identity of 'none')
    found = compress_file(tmp_path / "a.png", tmp_path / "n.tsw", "rgb-444", None, "heic", target_psnr=36.0)
    plain = compress_file(tmp_path / "a.png", tmp_path / "p.tsw", "rgb-444", None, "heic", found.quality)
    assert plain.output.read_bytes() == found.output.read_bytes() and plain.psnr == found.psnr
    with pytest.warns(UserWarning, match="at quality 100, below the target 79 dB"):
        top = compress_file(tmp_path / "a.png", tmp_path / "c.tsw", "rgb-444", "none", "jpeg", target_psnr=79.0)
    assert not top.reached and top.quality == 100
    with pytest.raises(UsageError, match="give one of"):
        compress_file(tmp_path / "a.png", tmp_path / "d.tsw", "rgb-444", "none", "jpeg", 50, target_psnr=30.0)


def test_a_size_target_picks_the_highest_quality_that_fits_and_says_when_none_does(tmp_path, photo):
    from texsandwich.rdo import SizeTarget

    Image.fromarray(photo[:96, :128]).save(tmp_path / "a.png")
    budget = SizeTarget.parse("2.5K")
    done = compress_file(tmp_path / "a.png", tmp_path / "a.tsw", "rgb-hr2", None, "heic", target_size=budget)
    assert done.reached and done.bytes <= 2500 and done.output.stat().st_size == done.bytes
    assert done.quality is not None and 1 <= done.quality < 100
    higher = compress_file(tmp_path / "a.png", tmp_path / "h.tsw", "rgb-hr2", None, "heic", done.quality + 1)
    assert higher.bytes > 2500, "one quality more would not fit"
    # only the kept file is measured, by decoding its bytes: the same PSNR as a plain compress of it
    plain = compress_file(tmp_path / "a.png", tmp_path / "p.tsw", "rgb-hr2", None, "heic", done.quality)
    assert plain.output.read_bytes() == done.output.read_bytes() and plain.psnr == pytest.approx(done.psnr)
    per_pixel = compress_file(tmp_path / "a.png", tmp_path / "b.tsw", "rgb-hr2", None, "heic",
                              target_size=SizeTarget(bpp=1.0))
    assert per_pixel.bpp <= 1.0 and per_pixel.reached
    with pytest.warns(UserWarning, match="at quality 0, the coarsest, above the target 100 bytes"):
        small = compress_file(tmp_path / "a.png", tmp_path / "s.tsw", "rgb-hr2", None, "heic",
                              target_size=SizeTarget(bytes=100), measure=False)
    assert not small.reached and small.quality == 0 and small.psnr is None


def test_a_material_folder_is_measured_shaded_like_a_gltf_material(tmp_path):
    from texsandwich.gltf_compress import shaded_psnr
    from texsandwich.sources import read_source

    write_material_folder(procedural_material(48, 48, seed=5, name="m"), tmp_path / "m", PBR8)
    done = compress_file(tmp_path / "m", tmp_path / "m.tsw", "pbr8-400", "none", quality=40, allocate=False)
    assert done.measure == "shaded PSNR"
    back = decompress_file(done.output, tmp_path / "decoded")
    decoded = {p.stem: np.asarray(Image.open(p)) for p in back.output.iterdir()}
    source = read_source(tmp_path / "m", get_recipe("pbr8-400")).material
    assert done.psnr == pytest.approx(shaded_psnr(source, {k: v if v.ndim == 3 else v[..., None]
                                                            for k, v in decoded.items()}), abs=1e-6)
