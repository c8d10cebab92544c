"""Source metadata of 8-bit image files: gray stays gray, a colour profile and the EXIF orientation are
written back by ``decompress`` (pixels coded as stored), an sRGB profile is not stored, and the container
keeps files without metadata readable by the previous version."""

from __future__ import annotations

import struct
import zlib
from functools import cache

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms

from tests.test_cli import run
from texsandwich.container import (
    ChecksumError,
    CorruptError,
    TruncatedError,
    read_tsw,
)
from texsandwich.images import ORIENTATION_TAG, ImageMeta, gray_mean, is_srgb, read_image8, write_image
from texsandwich.models import load_model
from texsandwich.pipeline import compress
from texsandwich.recipes import get_recipe


@cache
def srgb_profile() -> bytes:
    """littleCMS's sRGB profile, made once: its header holds the time it was made."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@cache
def other_profile() -> bytes:
    """A valid RGB profile that is not sRGB, though it still calls itself 'sRGB built-in': littleCMS's sRGB
    with the red and blue primaries swapped (so only a test of what it does can tell)."""
    b = bytearray(srgb_profile())
    tags = {bytes(b[132 + 12 * i:136 + 12 * i]): 132 + 12 * i for i in range(struct.unpack_from(">I", b, 128)[0])}
    r, bl = tags[b"rXYZ"], tags[b"bXYZ"]
    b[r + 4:r + 12], b[bl + 4:bl + 12] = b[bl + 4:bl + 12], b[r + 4:r + 12]
    return bytes(b)


def exif(orientation: int) -> bytes:
    e = Image.Exif()
    e[ORIENTATION_TAG] = orientation
    return e.tobytes()


def test_a_profile_is_judged_by_what_it_does_not_by_its_name():
    assert is_srgb(srgb_profile())
    assert not is_srgb(other_profile())
    assert not is_srgb(b"not a profile" * 20)  # unreadable: kept as it is, never judged sRGB


def test_reading_keeps_a_non_srgb_profile_and_the_orientation_and_drops_an_srgb_profile(tmp_path, photo):
    img = photo[:32, :48]
    Image.fromarray(img).save(tmp_path / "wide.png", icc_profile=other_profile(), exif=exif(6))
    Image.fromarray(img).save(tmp_path / "srgb.png", icc_profile=srgb_profile())
    Image.fromarray(img[..., 0]).save(tmp_path / "gray.png")
    a, meta = read_image8(tmp_path / "wide.png")
    assert np.array_equal(a, img), "the pixels are coded as stored, never turned"
    assert meta == ImageMeta(False, other_profile(), 6)
    assert read_image8(tmp_path / "srgb.png")[1] == ImageMeta()
    g, meta = read_image8(tmp_path / "gray.png")
    assert meta == ImageMeta(gray=True) and np.array_equal(g, np.repeat(img[..., :1], 3, axis=2))


def test_a_profile_larger_than_a_tsw_keeps_is_dropped_with_a_warning(tmp_path, photo, monkeypatch):
    import texsandwich.images

    Image.fromarray(photo[:8, :8]).save(tmp_path / "x.png", icc_profile=other_profile())
    monkeypatch.setattr(texsandwich.images, "MAX_PROFILE_BYTES", len(other_profile()) - 1)
    with pytest.warns(UserWarning, match="dropped a colour profile of"):
        assert read_image8(tmp_path / "x.png")[1].icc is None


def test_an_orientation_the_reader_already_applied_is_not_carried_again(tmp_path, photo):
    """Pillow turns a TIFF by its orientation tag when it loads it (and libheif a HEIC): those pixels come
    turned and must not carry the tag too, or every viewer would turn them twice."""
    img = photo[:16, :24]
    Image.fromarray(img).save(tmp_path / "x.tif", exif=exif(6))
    a, meta = read_image8(tmp_path / "x.tif")
    assert a.shape == (24, 16, 3) and meta.orientation == 1
    Image.fromarray(img).save(tmp_path / "x.heic", exif=exif(6), quality=90)
    a, meta = read_image8(tmp_path / "x.heic")
    assert a.shape == (24, 16, 3) and meta.orientation == 1
    Image.fromarray(img).save(tmp_path / "x.webp", exif=exif(6), lossless=True)
    a, meta = read_image8(tmp_path / "x.webp")
    assert np.array_equal(a, img) and meta.orientation == 6


def test_gray_mean_is_the_rounded_mean():
    x = np.array([[[1, 2, 2], [0, 0, 1], [255, 255, 255]]], np.uint8)
    assert gray_mean(x)[..., 0].tolist() == [[2, 0, 255]]


@pytest.mark.parametrize("suffix", [".png", ".tif", ".webp"])
def test_written_images_carry_profile_orientation_and_gray(tmp_path, photo, suffix):
    img = photo[:16, :24]
    out = tmp_path / f"x{suffix}"
    write_image(out, img, ImageMeta(True, None, 8))
    with Image.open(out) as im:
        assert im.getexif().get(ORIENTATION_TAG) == 8
        assert im.mode == ("RGB" if suffix == ".webp" else "L")  # WebP has no gray mode
    assert np.array_equal(stored_pixels(out)[..., 0] if suffix == ".webp" else stored_pixels(out),
                          gray_mean(img)[..., 0])
    write_image(out, img, ImageMeta(False, other_profile(), 1))
    with Image.open(out) as im:
        assert im.info["icc_profile"] == other_profile()
    assert np.array_equal(stored_pixels(out), img)


def stored_pixels(path) -> np.ndarray:
    """The pixels as stored: Pillow turns TIFFs by their orientation tag when it opens them."""
    if path.suffix == ".tif":
        return tifffile.imread(path)
    with Image.open(path) as im:
        return np.asarray(im)


def test_a_gray_profile_is_not_put_on_webps_gray_rgb(tmp_path, photo):
    # a gray source's profile (reading keeps only GRAY ones for gray images; writing takes the bytes as they
    # are, and littleCMS cannot make a GRAY profile, so a LAB one stands in)
    gray_profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    with pytest.warns(UserWarning, match="WebP has no gray mode"):
        write_image(tmp_path / "x.webp", photo[:8, :8], ImageMeta(True, gray_profile, 1))
    with Image.open(tmp_path / "x.webp") as im:
        assert "icc_profile" not in im.info or not im.info["icc_profile"]
    write_image(tmp_path / "x.png", photo[:8, :8], ImageMeta(True, gray_profile, 1))
    with Image.open(tmp_path / "x.png") as im:
        assert im.mode == "L" and im.info["icc_profile"] == gray_profile


def test_bmp_says_what_it_cannot_hold(tmp_path, photo):
    with pytest.warns(UserWarning, match="BMP cannot hold the source's colour profile and EXIF orientation"):
        write_image(tmp_path / "x.bmp", photo[:8, :8], ImageMeta(False, other_profile(), 3))


def test_cli_round_trip_writes_back_what_the_source_said(capsys, tmp_path, photo):
    img = photo[:40, :56]
    Image.fromarray(img).save(tmp_path / "wide.jpg", icc_profile=other_profile(), exif=exif(6), quality=95)
    Image.fromarray(img[..., 1]).save(tmp_path / "gray.png")
    for name in ("wide.jpg", "gray.png"):
        code, out, err = run(capsys, "compress", str(tmp_path / name), "-o", str(tmp_path / f"{name}.tsw"),
                             "--recipe", "rgb-444", "--quality", "80")
        assert code == 0 and err == "", err
        code, _, err = run(capsys, "decompress", str(tmp_path / f"{name}.tsw"), "-o", str(tmp_path / f"{name}.png"))
        assert code == 0, err
    with Image.open(tmp_path / "wide.jpg.png") as im:
        assert im.info["icc_profile"] == other_profile() and im.getexif()[ORIENTATION_TAG] == 6
        assert im.size == (56, 40)
    with Image.open(tmp_path / "gray.png.png") as im:
        assert im.mode == "L" and im.size == (56, 40)
        decoded = np.asarray(im)
    # compress reports the PSNR of what decompress writes: the gray image, not its gray RGB
    reported = float(out.split("PSNR ")[1].split(" dB")[0])
    mse = ((decoded.astype(float) - img[..., 1]) ** 2).mean()
    assert reported == pytest.approx(10 * np.log10(255**2 / mse), abs=0.006)
    code, out, _ = run(capsys, "info", str(tmp_path / "wide.jpg.tsw"))
    assert "EXIF orientation 6" in out and "ICC colour profile: sRGB built-in" in out
    code, _, _ = run(capsys, "unpack", str(tmp_path / "wide.jpg.tsw"), "-o", str(tmp_path / "unpacked"))
    assert (tmp_path / "unpacked" / "wide.jpg.icc").read_bytes() == other_profile()
    # --strip: no profile, no orientation, the same pixels; gray is the image itself and stays
    code, _, _ = run(capsys, "compress", str(tmp_path / "wide.jpg"), str(tmp_path / "gray.png"), "--strip",
                     "-o", str(tmp_path / "stripped"), "--recipe", "rgb-444", "--quality", "80")
    assert code == 0
    wide, gray = read_tsw((tmp_path / "stripped" / "wide.tsw").read_bytes()), read_tsw(
        (tmp_path / "stripped" / "gray.tsw").read_bytes())
    assert wide.icc is None and wide.manifest.orientation == 1 and gray.manifest.source_format == "gray"
    assert wide.streams == read_tsw((tmp_path / "wide.jpg.tsw").read_bytes()).streams


@pytest.fixture(scope="module")
def with_profile(photo) -> bytes:
    r = get_recipe("rgb-444")
    return compress(photo[:24, :32], r, load_model("none", r), "jpeg", 60,
                    meta=ImageMeta(False, other_profile(), 5)).data


def test_metadata_needs_version_4_and_files_without_it_stay_version_3(with_profile, photo):
    assert struct.unpack_from(">H", with_profile, 8)[0] == 4
    r = get_recipe("rgb-444")
    plain = compress(photo[:24, :32], r, load_model("none", r), "jpeg", 60).data
    assert struct.unpack_from(">H", plain, 8)[0] == 3
    t = read_tsw(with_profile)
    assert t.icc == other_profile() and t.manifest.orientation == 5 and 0 < t.icc_bytes < len(other_profile())
    assert t.manifest.icc.size == len(other_profile()) and t.manifest.icc.crc32 == zlib.crc32(other_profile())


def test_a_damaged_profile_is_a_one_line_error(with_profile):
    n = read_tsw(with_profile).icc_bytes
    head, stored = with_profile[:-n], with_profile[-n:]
    with pytest.raises(TruncatedError, match="colour profile"):
        read_tsw(head)
    with pytest.raises(TruncatedError, match="colour profile"):
        read_tsw(head + stored[: n // 2])
    with pytest.raises(CorruptError, match="trailing"):
        read_tsw(with_profile + b"\0")
    other = zlib.compress(other_profile()[:-1] + b"\1", 9)
    with pytest.raises(ChecksumError, match="colour profile"):
        read_tsw(head + other)
    with pytest.raises(CorruptError, match="inflated"):
        read_tsw(head + b"\xff" * n)
