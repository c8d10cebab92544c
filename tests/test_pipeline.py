"""End to end on real files with --model none: the acceptance numbers of the foundation."""

from __future__ import annotations

import io

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from texsandwich.assets import PBR8
from texsandwich.codecs import CodecSettings, get_codec
from texsandwich.container import read_tsw
from texsandwich.errors import UsageError
from texsandwich.metrics import psnr
from texsandwich.models import load_model
from texsandwich.pipeline import baseline, compress, decode_bottleneck, reconstruct, to_tensor
from texsandwich.procedural import procedural_material
from texsandwich.proxy.quant import clip_round
from texsandwich.recipes import RECIPES, get_recipe


def test_tsw_is_plain_heic_plus_small_overhead_with_same_pixels(photos):
    """rgb-444, HEIC q50, --model none: at most 1% + 300 bytes over a plain pillow-heif file of the same planes."""
    image = photos["astronaut"]
    r = get_recipe("rgb-444")
    model = load_model("none", r)
    c = compress(image, r, model, "heic", 50)
    planes = clip_round(model.pre(to_tensor(image)), 255.0)[0].permute(1, 2, 0).numpy().astype(np.uint8)
    planes = planes[..., [2, 0, 1]]  # plane 0 on G = HEVC luma (identity matrix)
    heif = pillow_heif.from_bytes("RGB", (image.shape[1], image.shape[0]), np.ascontiguousarray(planes).tobytes())
    buf = io.BytesIO()
    heif.save(buf, quality=50, chroma="444", matrix_coefficients=0)
    plain = buf.getvalue()
    assert len(c.data) <= 1.01 * len(plain) + 300, (len(c.data), len(plain))
    tsw = read_tsw(c.data)
    direct = np.asarray(pillow_heif.open_heif(io.BytesIO(plain))[0])
    assert np.array_equal(np.stack(decode_bottleneck(tsw)[0], -1), direct[..., [1, 2, 0]])
    assert psnr(c.reconstruction, image) > 33


@pytest.mark.parametrize("recipe_id", sorted(RECIPES))
@pytest.mark.parametrize("codec", ["heic", "jpeg"])
def test_every_recipe_round_trips_at_odd_sizes(photos, recipe_id, codec):
    r = get_recipe(recipe_id)
    if r.source_kind == "rgb8":
        image = photos["chelsea"][:99, :151]
    elif r.source_kind == "rgb16":  # a 16-bit signal with detail below the 8-bit step
        rng = np.random.default_rng(0)
        image = (photos["chelsea"][:99, :151].astype(np.uint16) * 257 + rng.integers(0, 257, (99, 151, 3))).astype(
            np.uint16)
    else:
        m = procedural_material(99, 151, seed=3)
        image = m.stack(PBR8) if r.source_kind == "material" else m.map("normal")
    model = load_model("none", r)
    c = compress(image, r, model, codec, 75)
    out = reconstruct(read_tsw(c.data), model)
    assert out.shape == image.shape and out.dtype == image.dtype
    assert np.array_equal(out, c.reconstruction)
    floor = 15 if recipe_id == "rgb-400" else 30  # a gray image shown as RGB loses the colour
    assert psnr(out, image) > floor


def test_quality_trades_size_for_fidelity(photo):
    r = get_recipe("rgb-420")
    model = load_model("none", r)
    results = [compress(photo, r, model, "heic", q) for q in (20, 50, 80)]
    sizes = [len(x.data) for x in results]
    quality = [psnr(x.reconstruction, photo) for x in results]
    assert sizes == sorted(sizes) and quality == sorted(quality)


def test_unpacked_streams_open_in_standard_decoders_and_match(photos):
    image = photos["coffee"]
    for codec, recipe_id in (("heic", "rgb-420"), ("jpeg", "rgb-420"), ("jpeg", "rgb-444"), ("heic", "rgb-400")):
        r = get_recipe(recipe_id)
        tsw = read_tsw(compress(image, r, load_model("none", r), codec, 60).data)
        planes = decode_bottleneck(tsw)[0]
        stream = tsw.streams[0]
        if codec == "heic":
            direct = np.asarray(pillow_heif.open_heif(io.BytesIO(stream))[0])
        else:
            im = Image.open(io.BytesIO(stream))
            if recipe_id == "rgb-420":
                im.draft("YCbCr", None)
            direct = np.asarray(im)
        assert direct.shape[:2] == image.shape[:2]
        if recipe_id == "rgb-400":
            assert np.array_equal(direct if direct.ndim == 2 else direct[..., 0], planes[0])
        elif recipe_id == "rgb-444":
            order = [1, 2, 0] if codec == "heic" else [0, 1, 2]
            assert np.array_equal(direct[..., order], np.stack(planes, -1))
        else:
            luma = direct[..., 1] if codec == "heic" else direct[..., 0]
            assert np.array_equal(luma, planes[0])


def test_jpeg_step_mode_is_recorded(photo):
    r = get_recipe("rgb-444")
    tsw = read_tsw(compress(photo, r, load_model("none", r), "jpeg", step=11).data)
    assert tsw.manifest.settings == CodecSettings(chroma="444", mode="raw", quality=None, step=11)
    assert list(Image.open(io.BytesIO(tsw.streams[0])).quantization[0]) == [11] * 64
    first = tsw.manifest.layout.settings_for(tsw.manifest.settings)[0]
    assert get_codec("jpeg").decode(tsw.streams[0], first)[0].shape == photo.shape[:2]


def test_ten_bit_heic_bottleneck_keeps_more_precision(photo):
    r = get_recipe("rgb-444")
    model = load_model("none", r)
    eight = compress(photo, r, model, "heic", 90)
    ten = compress(photo, r, model, "heic", 90, bit_depth=10)
    tsw = read_tsw(ten.data)
    assert tsw.manifest.settings.bit_depth == 10
    assert all(p.dtype == np.uint16 for p in decode_bottleneck(tsw)[0])
    assert np.array_equal(reconstruct(tsw, model), ten.reconstruction)
    assert psnr(ten.reconstruction, photo) > psnr(eight.reconstruction, photo)
    with pytest.raises(UsageError):
        compress(photo, r, model, "jpeg", 90, bit_depth=10)


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (3, 5), (7, 9)])
def test_images_smaller_than_a_block(shape):
    for recipe_id in sorted(RECIPES):
        r = get_recipe(recipe_id)
        image = np.random.default_rng(0).integers(0, 256, (*shape, len(r.channels)), dtype=np.uint8)
        model = load_model("none", r)
        for codec in ("heic", "jpeg"):
            c = compress(image, r, model, codec, 80)
            assert reconstruct(read_tsw(c.data), model).shape == image.shape


def test_per_component_baseline_codes_every_map_with_real_codecs():
    from texsandwich.recipes import RECIPES

    x = procedural_material(64, 80, seed=9).stack(PBR8)
    for b in RECIPES["pbr8-400"].baselines:
        data, rec = baseline(x, b, "heic", 70)
        assert rec.shape == x.shape and len(data) > 0
        assert psnr(rec[..., :3], x[..., :3]) > 28 and psnr(rec[..., 6:], x[..., 6:]) > 28
    # the xy variant rebuilds n_z: close to the source's z
    data, rec = baseline(x, RECIPES["pbr8-400"].baselines[2], "heic", 90)
    assert np.abs(rec[..., 5].astype(int) - x[..., 5]).mean() < 3


def test_side_maps_ride_along_in_the_tsw():
    from texsandwich.pipeline import decode_side

    m = procedural_material(40, 48, seed=2)
    r = get_recipe("pbr8-400")
    metal = m.map("roughness")
    c = compress(m.stack(PBR8), r, load_model("none", r), "heic", 80, side={"metallic": metal})
    t = read_tsw(c.data)
    assert t.manifest.side == ("metallic",) and len(t.streams) == 9
    assert psnr(decode_side(t)["metallic"], metal) > 35


def test_half_resolution_baseline_codes_a_quarter_of_the_pixels_and_comes_back_full_size(photos):
    from texsandwich.resample import downscale2, upscale2

    image = photos["chelsea"][:101, :147]
    base = get_recipe("rgb-hr2").baselines[1]  # bicubic -> HEIC 4:4:4 -> Lanczos3
    data, rec = baseline(image, base, "heic", 90)
    assert rec.shape == image.shape
    with Image.open(io.BytesIO(data)) as im:  # what is stored is an ordinary half-size HEIC
        assert im.size == (74, 51)
    # close to what the resampling alone gives: the codec at q90 adds little on top of it
    x = to_tensor(np.pad(image, ((0, 1), (0, 1), (0, 0)), mode="edge"))
    ideal = upscale2(downscale2(x).round())[0].permute(1, 2, 0).clamp(0, 255).round().numpy()[:101, :147]
    assert abs(psnr(rec, image) - psnr(ideal.astype(np.uint8), image)) < 1.0


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_bottleneck_with_nan_or_inf_is_refused_before_anything_is_encoded(bad):
    import torch

    from texsandwich.errors import CodecError
    from texsandwich.layout import Layout
    from texsandwich.pipeline import codec_settings, encode_bottleneck

    y = torch.full((1, 3, 16, 16), 100.0)
    y[0, 1, 3, 5] = bad
    with pytest.raises(CodecError, match="NaN or infinite"):
        encode_bottleneck(y, Layout("444", 3), "jpeg", codec_settings("jpeg", 50, None))
    huge = torch.full((1, 3, 16, 16), 3e38)  # finite, however large: coded (clipped), not refused
    assert encode_bottleneck(huge, Layout("444", 3), "jpeg", codec_settings("jpeg", 50, None))


def test_baselines_take_a_tuning_to_measure_what_it_gives_them(photo):
    """``baseline(..., tuning=)`` codes every part with that x265 tuning (raw and native parts alike): the
    bytes differ from libheif's settings, the result is still a full reconstruction, and JPEG refuses it.
    Reports keep the default; ``tools/screen_tunings.py`` uses this to ask whether a model's tuning is its
    own gain or anyone's."""
    r = get_recipe("rgb-hr2")
    img = np.ascontiguousarray(photo[:96, :128])
    for base in r.baselines:
        plain, _ = baseline(img, base, "heic", 30)
        tuned, rec_t = baseline(img, base, "heic", 30, tuning="nlf-aq0")
        assert plain != tuned and rec_t.shape == img.shape and psnr(img, rec_t) > 20
        assert baseline(img, base, "heic", 30, tuning="default")[0] == plain
    with pytest.raises(UsageError, match="no encoder tunings"):
        baseline(img, r.baselines[0], "jpeg", 30, tuning="nlf-aq0")
