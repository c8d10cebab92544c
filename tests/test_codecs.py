"""Real codecs: round trips, determinism, agreement with direct Pillow / pillow-heif decoding."""

from __future__ import annotations

import io

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from texsandwich.codecs import CodecSettings, get_codec, plane_shapes, quality_to_step
from texsandwich.errors import CodecError, UsageError
from texsandwich.metrics import psnr


def raw_planes(img: np.ndarray, chroma: str) -> list[np.ndarray]:
    h, w = img.shape[:2]
    planes = [np.ascontiguousarray(img[..., c]) for c in range(3)]
    if chroma == "400":
        return planes[:1]
    if chroma == "420":
        half = [p.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)).round().astype(np.uint8) for p in planes[1:]]
        return [planes[0], *half]
    return planes


@pytest.mark.parametrize("codec", ["heic", "jpeg"])
@pytest.mark.parametrize("chroma", ["400", "420", "444"])
def test_raw_round_trip_shapes_quality_and_determinism(photo, codec, chroma):
    c = get_codec(codec)
    planes = raw_planes(photo, chroma)
    s = CodecSettings(chroma=chroma, mode="raw", quality=90)
    data = c.encode(planes, s)
    assert data == c.encode(planes, s), "encoding must be deterministic"
    decoded = c.decode(data, s)
    assert [d.shape for d in decoded] == plane_shapes(chroma, *photo.shape[:2])
    for d, p in zip(decoded, planes, strict=True):
        assert d.dtype == np.uint8
        assert psnr(d, p) > 35
        # the decoder hands planes to torch without a copy: a read-only one makes torch warn the user
        assert d.flags.writeable and d.flags.c_contiguous


@pytest.mark.parametrize("codec", ["heic", "jpeg"])
@pytest.mark.parametrize("chroma", ["400", "420", "444"])
@pytest.mark.parametrize("mode", ["raw", "native"])
def test_decoded_planes_are_writable_even_one_sample_ones(codec, chroma, mode):
    """A read-only plane makes torch warn on the user's terminal when decoding hands it over without a
    copy; a one-sample channel of the decoder's buffer counts as contiguous, so slicing it copies nothing."""
    if mode == "native" and chroma == "400":
        pytest.skip("native mode codes three channels")
    c = get_codec(codec)
    s = CodecSettings(chroma=chroma, mode=mode, quality=80)
    planes = plane_shapes(chroma, 2, 2) if mode == "raw" else [(2, 2)] * 3  # 4:2:0 chroma: one sample
    decoded = c.decode(c.encode([np.full(p, 100, np.uint8) for p in planes], s), s)
    assert all(d.flags.writeable and d.flags.c_contiguous for d in decoded)


@pytest.mark.parametrize("codec", ["heic", "jpeg"])
@pytest.mark.parametrize("chroma", ["420", "444"])
def test_native_mode_codes_rgb(photo, codec, chroma):
    c = get_codec(codec)
    planes = raw_planes(photo, "444")
    s = CodecSettings(chroma=chroma, mode="native", quality=90)
    decoded = c.decode(c.encode(planes, s), s)
    assert psnr(np.stack(decoded, -1), photo) > 33


def test_raw_planes_are_not_colour_converted(photo):
    """In raw mode a plane comes back as itself, not as a mix of the others."""
    planes = raw_planes(photo, "444")
    planes[1] = np.zeros_like(planes[1])
    for codec in ("heic", "jpeg"):
        s = CodecSettings(chroma="444", mode="raw", quality=95)
        c = get_codec(codec)
        d = c.decode(c.encode(planes, s), s)
        assert np.abs(d[1].astype(int)).max() <= 2, codec
        assert psnr(d[0], planes[0]) > 38


def test_heic_matches_pillow_heif_direct_decode(photo):
    c = get_codec("heic")
    for chroma in ("400", "420", "444"):
        planes = raw_planes(photo, chroma)
        s = CodecSettings(chroma=chroma, mode="raw", quality=50)
        data = c.encode(planes, s)
        direct = np.asarray(pillow_heif.open_heif(io.BytesIO(data))[0])
        ours = c.decode(data, s)
        if chroma == "400":
            assert np.array_equal(direct if direct.ndim == 2 else direct[..., 0], ours[0])
        elif chroma == "444":  # identity matrix: G = plane 0 (HEVC luma), B = plane 1, R = plane 2
            assert np.array_equal(direct[..., [1, 2, 0]], np.stack(ours, -1))
        else:  # identity matrix: G = luma plane, B and R = half-resolution planes replicated 2x2
            assert np.array_equal(direct[..., 1], ours[0])
            assert np.array_equal(direct[::2, ::2, 2], ours[1])
            assert np.array_equal(direct[::2, ::2, 0], ours[2])
            assert np.array_equal(direct[1::2, 1::2, 0], ours[2]), "decoder upsamples by replication"
        info = pillow_heif.open_heif(io.BytesIO(data)).info.get("nclx_profile") or {}
        if chroma != "400":
            assert info.get("matrix_coefficients") == 0


def test_jpeg_matches_pillow_direct_decode_and_flat_tables(photo):
    c = get_codec("jpeg")
    for chroma in ("400", "420", "444"):
        planes = raw_planes(photo, chroma)
        s = CodecSettings(chroma=chroma, mode="raw", quality=None, step=7)
        data = c.encode(planes, s)
        im = Image.open(io.BytesIO(data))
        assert all(list(t) == [7] * 64 for t in im.quantization.values())
        ours = c.decode(data, s)
        if chroma == "400":
            assert np.array_equal(np.asarray(im), ours[0])
        elif chroma == "444":
            assert im.info.get("adobe_transform") == 0
            assert np.array_equal(np.asarray(im.convert("RGB")), np.stack(ours, -1))
        else:
            assert [layer[1:3] for layer in im.layer] == [(2, 2), (1, 1), (1, 1)]
            im.draft("YCbCr", None)
            assert np.array_equal(np.asarray(im)[..., 0], ours[0])


def test_jpeg_half_resolution_planes_are_the_coded_samples(photo):
    """Decoded half-resolution planes are exact: at step 1 they equal the input (up to IDCT rounding)."""
    c = get_codec("jpeg")
    planes = raw_planes(photo, "420")
    s = CodecSettings(chroma="420", mode="raw", quality=None, step=1)
    d = c.decode(c.encode(planes, s), s)
    for got, want in zip(d[1:], planes[1:], strict=True):
        assert np.abs(got.astype(int) - want).max() <= 1


def test_heic_ten_bit_round_trip(photo):
    c = get_codec("heic")
    planes = [p.astype(np.uint16) * 4 + 2 for p in raw_planes(photo, "444")]
    s = CodecSettings(chroma="444", mode="raw", quality=95, bit_depth=10)
    d = c.decode(c.encode(planes, s), s)
    assert all(x.dtype == np.uint16 and int(x.max()) <= 1023 for x in d)
    assert psnr(np.stack(d, -1), np.stack(planes, -1), peak=1023) > 45


def test_quality_to_step_follows_ijg_scaling():
    assert [quality_to_step(q) for q in (1, 10, 50, 75, 90, 100)] == [255, 80, 16, 8, 3, 1]


def test_bad_settings_and_planes_are_refused(photo):
    with pytest.raises(UsageError):
        CodecSettings(chroma="422")
    with pytest.raises(UsageError):
        CodecSettings(quality=101)
    with pytest.raises(UsageError):
        CodecSettings(quality=50, step=4)
    with pytest.raises(UsageError):
        get_codec("png")
    heic = get_codec("heic")
    with pytest.raises(UsageError):
        heic.encode([photo[..., 0]], CodecSettings(chroma="400", quality=None, step=4))
    with pytest.raises(CodecError):
        heic.encode([photo[..., 0].astype(np.float32)], CodecSettings(chroma="400"))
    with pytest.raises(CodecError):
        heic.encode(raw_planes(photo, "444")[:2], CodecSettings(chroma="444"))
    with pytest.raises(UsageError):
        get_codec("jpeg").encode(raw_planes(photo, "444"), CodecSettings(chroma="444", bit_depth=10))
    with pytest.raises(CodecError):
        heic.decode(b"not a heic file", CodecSettings(chroma="444"))


@pytest.mark.parametrize("chroma", ["400", "420", "444"])
def test_jpeg_encodes_incompressible_planes_at_the_finest_step(chroma):
    """Noise at step 1 makes a JPEG larger than Pillow's default buffer guess; it must still encode."""
    noise = np.random.default_rng(1).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    c = get_codec("jpeg")
    s = CodecSettings(chroma=chroma, mode="raw", quality=None, step=1)
    planes = raw_planes(noise, chroma)
    data = c.encode(planes, s)
    assert len(data) > noise.shape[0] * noise.shape[1]  # over 1 byte per pixel
    assert all(np.abs(d.astype(int) - p).max() <= 2 for d, p in zip(c.decode(data, s), planes, strict=True))


def test_heic_chroma_qp_offsets_quantise_only_their_plane_finer_and_travel_in_json(photo):
    """x265 cbqpoffs/crqpoffs through libheif: a negative Cb offset codes plane 1 finer (more bytes, less
    error) and leaves plane 0 alone; any HEVC decoder reads it (the offset lives in the PPS)."""
    heic = get_codec("heic")
    planes = [np.ascontiguousarray(photo[..., c]) for c in (1, 2, 0)]
    plain = CodecSettings(chroma="444", quality=30)
    finer = CodecSettings(chroma="444", quality=30, chroma_qp=(-6, 0))
    a, b = heic.encode(planes, plain), heic.encode(planes, finer)
    da, db = heic.decode(a, plain), heic.decode(b, finer)
    assert len(b) > len(a)
    gain = [psnr(p, d1) - psnr(p, d0) for p, d0, d1 in zip(planes, da, db, strict=True)]
    # Cb gains most; Cr some (x265 splits coding units for the finer Cb, Cr shares them); luma stays
    assert gain[1] > 3.0 and gain[1] > gain[2] + 1.0 and abs(gain[0]) < 0.5, gain
    direct = np.asarray(pillow_heif.open_heif(io.BytesIO(b))[0])  # a plain decoder, no settings
    assert np.array_equal(direct[..., 2], db[1])
    assert CodecSettings.from_json(finer.to_json()) == finer and "chroma_qp" not in plain.to_json()
    with pytest.raises(UsageError, match="no chroma QP"):
        get_codec("jpeg").encode(planes, finer)
    for bad in ((-13, 0), (0, 1.5), (1,)):
        with pytest.raises(UsageError, match="chroma QP"):
            CodecSettings(chroma_qp=bad)
    with pytest.raises(UsageError, match="chroma_qp"):
        CodecSettings.from_json({**plain.to_json(), "chroma_qp": [0, 0]})


def _blockiness(plane: np.ndarray) -> float:
    """Mean step across 8-pixel column boundaries over the mean step elsewhere (1 for a natural image)."""
    g = np.abs(np.diff(plane.astype(np.float64), axis=1))
    cols = np.arange(1, plane.shape[1])
    return float(g[:, cols % 8 == 0].mean() / g[:, cols % 8 != 0].mean())


def test_heic_tunings_reach_x265_read_anywhere_and_stay_out_of_the_json(photo):
    """Tuning ``nlf`` switches x265's deblocking and SAO off: a standard stream (a plain decoder, given no
    settings, reads the same planes) whose block edges stay as the transform left them -- at q20 the step
    across 8-pixel boundaries is far above the deblocked stream's. ``nlf-aq0`` also switches adaptive
    quantisation off: yet another stream. Decoders need nothing from a tuning, so the JSON (the manifest)
    does not carry it. JPEG has no tunings; unknown names are refused."""
    heic = get_codec("heic")
    planes = [np.ascontiguousarray(photo[..., c]) for c in (1, 2, 0)]
    on = CodecSettings(chroma="444", quality=20)
    off = CodecSettings(chroma="444", quality=20, tuning="nlf")
    a, b = heic.encode(planes, on), heic.encode(planes, off)
    assert a != b
    da, db = heic.decode(a, on), heic.decode(b, off)
    assert _blockiness(db[0]) > _blockiness(da[0]) + 0.2, (_blockiness(db[0]), _blockiness(da[0]))
    direct = np.asarray(pillow_heif.open_heif(io.BytesIO(b))[0])
    assert np.array_equal(direct[..., 1], db[0])
    aq0 = CodecSettings(chroma="444", quality=20, tuning="nlf-aq0")
    c = heic.encode(planes, aq0)
    assert c not in (a, b) and _blockiness(heic.decode(c, aq0)[0]) > _blockiness(da[0]) + 0.2
    assert off.to_json() == on.to_json() and CodecSettings.from_json(off.to_json()) == on
    with pytest.raises(UsageError, match="exactly the keys"):
        CodecSettings.from_json({**on.to_json(), "tuning": "nlf"})
    with pytest.raises(UsageError, match="HEIC tuning must be one of"):
        CodecSettings(tuning="fast")
    with pytest.raises(UsageError, match="no encoder tunings"):
        get_codec("jpeg").encode(planes, off)
