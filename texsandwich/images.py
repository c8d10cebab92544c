"""Reading source images and writing reconstructions."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, UnidentifiedImageError

from texsandwich.errors import InputError
from texsandwich.fsutil import atomic_write

pillow_heif.register_heif_opener()

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".heic", ".heif", ".ppm", ".pgm")
_SIXTEEN_BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I", "F", "RGB;16", "RGBA;16"}


def _png_bit_depth(path: Path) -> int:
    """Bit depth from the PNG header: Pillow opens 16-bit RGB PNGs as 8-bit without saying so."""
    with open(path, "rb") as f:
        return png_header_bit_depth(f.read(25))


def png_header_bit_depth(data: bytes) -> int:
    """Bit depth in the IHDR of PNG bytes (8 when they are not a PNG)."""
    return data[24] if len(data) >= 25 and data[12:16] == b"IHDR" else 8


def read_rgb8(path: Path) -> np.ndarray:
    """An 8-bit RGB image as ``[H, W, 3] uint8``.

    Gray and palette images are expanded to RGB (nothing lost). An alpha channel is dropped only when
    it is fully opaque; 16-bit and float images are refused, since an 8-bit recipe would silently
    throw half of their bits away.
    """
    try:
        with Image.open(path) as im:
            im.load()
            mode = im.mode
            if mode in _SIXTEEN_BIT_MODES or (im.format == "PNG" and _png_bit_depth(path) > 8):
                raise InputError(
                    f"{path}: {mode} image has more than 8 bits per sample; the rgb-* recipes take 8-bit images, "
                    "use --recipe hdr-444"
                )
            if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info):
                rgba = np.asarray(im.convert("RGBA"))
                if (rgba[..., 3] != 255).any():
                    raise InputError(f"{path}: image has transparency, which the rgb-* recipes cannot carry")
                warnings.warn(f"{path}: dropped a fully opaque alpha channel", stacklevel=2)
                return np.ascontiguousarray(rgba[..., :3])
            if mode not in ("RGB", "L", "P", "1", "CMYK", "YCbCr"):
                raise InputError(f"{path}: unsupported image mode {mode}")
            if mode != "RGB":
                warnings.warn(f"{path}: converted a {mode} image to RGB for an RGB recipe", stacklevel=2)
            return np.ascontiguousarray(np.asarray(im.convert("RGB")))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise InputError(f"{path}: cannot read image ({e})") from None


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an ``[H, W, 3]`` or ``[H, W]`` uint8 array."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def write_png(path: Path, image: np.ndarray) -> None:
    atomic_write(path, encode_png(image))


LOSSLESS_SUFFIXES = (".png", ".tif", ".tiff", ".webp", ".bmp")
"""What ``decompress`` writes an 8-bit image as: lossless formats only, so the file holds exactly the
reconstruction that ``compress`` measured (a JPEG of it would add a second, unmeasured loss)."""


def write_image(path: Path, image: np.ndarray) -> None:
    """An 8-bit ``[H, W, 3]`` / ``[H, W]`` image in the lossless format its suffix names (``LOSSLESS_SUFFIXES``)."""
    suffix = path.suffix.lower()
    if suffix == ".png":
        return write_png(path, image)
    options: dict[str, dict[str, object]] = {
        ".tif": {"format": "TIFF", "compression": "tiff_adobe_deflate"},
        ".tiff": {"format": "TIFF", "compression": "tiff_adobe_deflate"},
        ".webp": {"format": "WEBP", "lossless": True, "quality": 100, "method": 4},
        ".bmp": {"format": "BMP"},
    }
    if suffix not in options:
        raise ValueError(f"no lossless 8-bit writer for {suffix!r}")
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, **options[suffix])
    atomic_write(path, buf.getvalue())
