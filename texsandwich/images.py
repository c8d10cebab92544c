"""Reading source images and writing reconstructions."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, UnidentifiedImageError

from texsandwich.errors import InputError
from texsandwich.fsutil import atomic_write

pillow_heif.register_heif_opener()

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".tga", ".gif", ".webp", ".heic", ".heif", ".avif",
                  ".ppm", ".pgm", ".dds")
_SIXTEEN_BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I", "F", "RGB;16", "RGBA;16"}


def _png_bit_depth(path: Path) -> int:
    """Bit depth from the PNG header: Pillow opens 16-bit RGB PNGs as 8-bit without saying so."""
    with open(path, "rb") as f:
        return png_header_bit_depth(f.read(25))


def png_header_bit_depth(data: bytes) -> int:
    """Bit depth in the IHDR of PNG bytes (8 when they are not a PNG)."""
    return data[24] if len(data) >= 25 and data[12:16] == b"IHDR" else 8


def avif_bit_depth(path: Path) -> int:
    """Bits per sample of an AVIF file, from its ``pixi`` property (8 when it has none or is not AVIF).

    Why: Pillow decodes every AVIF to 8 bits without saying so; a 10/12-bit one (an HDR photo, a 10-bit
    texture) must be told apart before it is read. ``pixi`` (ISO/IEC 23008-12, required by MIAF) sits in
    the ``meta`` box at the file's start: version/flags (4 bytes), a channel count, a depth per channel.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return 8
    at = head.find(b"pixi")
    if head[4:8] != b"ftyp" or at < 4 or len(head) < at + 10 or head[at + 8] == 0:
        return 8
    return max(head[at + 9 : at + 9 + head[at + 8]] or b"\x08")


DDS_HDR_DXGI = {2: "R32G32B32A32_FLOAT", 10: "R16G16B16A16_FLOAT", 26: "R11G11B10_FLOAT", 67: "R9G9B9E5_SHAREDEXP",
                95: "BC6H_UF16", 96: "BC6H_SF16"}
DDS_HDR_FOURCC = {113: "A16B16G16R16F", 116: "A32B32G32R32F", 111: "R16F", 114: "R32F", 112: "G16R16F", 115: "G32R32F"}
"""Floating-point DDS formats (DXGI, and the legacy D3DFORMAT numbers stored as a FourCC): HDR textures."""


DDS_TWO_CHANNEL = ({b"ATI2", b"BC5U", b"BC5S"}, {82, 83, 84})
"""BC5 (FourCCs, DXGI formats): two channels, a normal map's x and y; Pillow reads them as R, G and B = 0."""


def _dds_head(path: Path) -> bytes:
    """A DDS file's headers (``DDS_HEADER`` and, for ``DX10``, ``DDS_HEADER_DXT10``: 148 bytes), or b"" for a
    file that is not one or cannot be read (the image reader reports that)."""
    try:
        with open(path, "rb") as f:
            head = f.read(148)
    except OSError:
        return b""
    return head if len(head) >= 128 and head[:4] == b"DDS " else b""


def _two_channel(head: bytes) -> bool:
    if head[84:88] == b"DX10":
        return len(head) >= 132 and int.from_bytes(head[128:132], "little") in DDS_TWO_CHANNEL[1]
    return head[84:88] in DDS_TWO_CHANNEL[0]


def dds_two_channel(path: Path) -> bool:
    """Whether a DDS holds a two-channel (BC5) surface: a normal map whose z a reader must rebuild."""
    head = _dds_head(path)
    return bool(head) and _two_channel(head)


def dds_check(path: Path) -> list[str]:
    """What a DDS file holds beyond the one 8-bit 2D image Pillow reads: warnings to give (a cube map, an
    array or a volume, of which only the first face or slice is coded; two channels). An HDR format is
    refused.

    Why here: Pillow reads a DDS's first surface only, and BC6H or float surfaces it reads at 8 bits or
    not at all, without saying so; the header says which (DirectX DDS reference: ``DDS_HEADER`` at byte 4,
    its pixel format's FourCC at 84, ``dwCaps2`` at 112, the ``DDS_HEADER_DXT10`` at 128 for ``DX10``).
    """
    head = _dds_head(path)
    if not head:
        return []
    fourcc = head[84:88]
    code = int.from_bytes(fourcc, "little")
    caps2 = int.from_bytes(head[112:116], "little")
    depth = int.from_bytes(head[24:28], "little")
    fmt, cube, array, volume = None, bool(caps2 & 0x200), 1, bool(caps2 & 0x200000) and depth > 1
    if fourcc == b"DX10" and len(head) >= 148:
        dxgi = int.from_bytes(head[128:132], "little")
        fmt = DDS_HDR_DXGI.get(dxgi)
        cube = cube or bool(int.from_bytes(head[136:140], "little") & 0x4)
        array = int.from_bytes(head[140:144], "little")
        volume = volume or int.from_bytes(head[132:136], "little") == 4
    else:
        fmt = DDS_HDR_FOURCC.get(code)
    if fmt:
        raise InputError(f"{path}: a floating-point DDS ({fmt}, HDR); the rgb-* recipes take 8-bit images and "
                         "hdr-444 reads EXR: convert it (e.g. texconv -ft exr)")
    what = ("a cube map" if cube else "") or ("a volume texture" if volume else "") or (
        f"a texture array of {array}" if array > 1 else "")
    notes = [f"{path}: {what}; only the first face or slice is coded"] if what else []
    if _two_channel(head):
        notes.append(f"{path}: a two-channel (BC5) DDS, read as R, G and B = 0 (as a normal map, z is rebuilt)")
    return notes


ORIENTATION_TAG = 0x0112
"""EXIF orientation (1-8): how a viewer turns the stored pixels for display."""
MAX_PROFILE_BYTES = 1 << 24
"""The largest colour profile a ``.tsw`` keeps (real ones are 0.5-4 KB; press profiles reach ~2 MB)."""


@dataclass(frozen=True)
class ImageMeta:
    """What an 8-bit source file says besides its pixels about how it looks, which ``decompress`` writes
    back so that the decoded file looks like the source (docs/DECISIONS.md, "Source metadata").

    The pixels are coded as they are stored; nothing here changes what is measured.
    """

    gray: bool = False
    """One channel (L, 1, LA): coded as gray RGB, decoded back to one channel."""
    icc: bytes | None = None
    """The embedded ICC colour profile, when it is not sRGB (an sRGB profile says what an untagged file
    already means, and costs ~3 KB)."""
    orientation: int = 1
    """EXIF orientation; the decoded file carries the same tag (the pixels are not turned)."""


NO_META = ImageMeta()

ALPHA = "alpha"
"""The side map an 8-bit image's transparency rides in: one raw 4:0:0 stream at the colour's quality, no
networks (they are trained on colour), and written back as the decoded file's alpha channel."""


def read_rgb8(path: Path) -> np.ndarray:
    """An 8-bit RGB image as ``[H, W, 3] uint8`` (:func:`read_image8` without its metadata)."""
    return read_image8(path)[0]


def read_image8(path: Path) -> tuple[np.ndarray, ImageMeta]:
    """An 8-bit RGB image as ``[H, W, 3] uint8``, and what the file says about how it looks.

    Gray and palette images are expanded to RGB (nothing lost; a gray source is decoded back to gray).
    An alpha channel is dropped only when it is fully opaque (a transparent image is refused: see
    :func:`read_image8_alpha` for the callers that carry it); 16-bit and float images are refused, since
    an 8-bit recipe would silently throw half of their bits away. CMYK is converted by Pillow's formula,
    with a warning that says so: its print profile is not used (docs/DECISIONS.md).
    """
    image, _, meta = _read_image8(path, keep_alpha=False)
    return image, meta


def read_image8_alpha(path: Path) -> tuple[np.ndarray, np.ndarray | None, ImageMeta]:
    """:func:`read_image8`, but a transparent image is taken, its alpha returned as ``[H, W, 1] uint8``
    (None when the image has none, or only a fully opaque one, which is dropped with a warning)."""
    return _read_image8(path, keep_alpha=True)


def say_dds(path: Path) -> None:
    """For a ``.dds`` file, :func:`dds_check`'s notes as warnings (an HDR surface is refused); other files
    pass: what every reader of an 8-bit image or map does before Pillow reads it."""
    if Path(path).suffix.lower() == ".dds":
        for note in dds_check(Path(path)):
            warnings.warn(note, stacklevel=4)


def _read_image8(path: Path, keep_alpha: bool) -> tuple[np.ndarray, np.ndarray | None, ImageMeta]:
    say_dds(path)
    try:
        with Image.open(path) as im:
            im.load()
            meta = _meta(im, path)
            frames = getattr(im, "n_frames", 1)
            if frames > 1:  # an animated GIF/WebP, a multi-page TIFF, a HEIC burst: silently one would lose the rest
                warnings.warn(f"{path}: holds {frames} images (frames or pages); only the first is coded",
                              stacklevel=3)
            mode = im.mode
            if im.format == "AVIF" and (depth := avif_bit_depth(path)) > 8:
                warnings.warn(f"{path}: a {depth}-bit AVIF, read at 8 bits (Pillow decodes AVIF to 8 bits; for "
                              "hdr-444 convert it to a 16-bit PNG first, e.g. avifdec --depth 16)", stacklevel=3)
            if mode in _SIXTEEN_BIT_MODES or (im.format == "PNG" and _png_bit_depth(path) > 8):
                raise InputError(
                    f"{path}: {mode} image has more than 8 bits per sample; the rgb-* recipes take 8-bit images, "
                    "use --recipe hdr-444"
                )
            if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in im.info):
                rgba = np.asarray(im.convert("RGBA"))
                if (rgba[..., 3] != 255).any():
                    if not keep_alpha:
                        raise InputError(f"{path}: image has transparency; evaluation and training take opaque "
                                         "images (compress carries the alpha)")
                    return np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3:]), meta
                warnings.warn(f"{path}: dropped a fully opaque alpha channel", stacklevel=3)
                return np.ascontiguousarray(rgba[..., :3]), None, meta
            if mode not in ("RGB", "L", "P", "1", "CMYK", "YCbCr"):
                raise InputError(f"{path}: unsupported image mode {mode}")
            if mode not in ("RGB", "L", "1"):
                managed = " without colour management" if mode == "CMYK" else ""
                warnings.warn(f"{path}: converted a {mode} image to RGB{managed} for an RGB recipe", stacklevel=3)
            return np.ascontiguousarray(np.asarray(im.convert("RGB"))), None, meta
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise InputError(f"{path}: cannot read image ({e})") from None


def _meta(im: Image.Image, path: Path) -> ImageMeta:
    """The metadata of an open 8-bit image worth carrying (:class:`ImageMeta`)."""
    gray = im.mode in ("L", "LA", "1")
    try:
        orientation = int(im.getexif().get(ORIENTATION_TAG, 1))
    except (TypeError, ValueError, SyntaxError, OSError):  # a damaged EXIF block: as if there were none
        orientation = 1
    if not 1 <= orientation <= 8:
        warnings.warn(f"{path}: ignored an invalid EXIF orientation ({orientation})", stacklevel=3)
        orientation = 1
    return ImageMeta(gray, profile_to_keep(im.info.get("icc_profile"), gray, path), orientation)


def profile_to_keep(icc: bytes | None, gray: bool, path: Path) -> bytes | None:
    """The embedded colour profile of an 8- or 16-bit source if it is worth carrying: one of the image's
    own colour space (a CMYK profile does not describe the RGB we code) that is not sRGB (which says what
    an untagged file already means) and not larger than a ``.tsw`` keeps (a warning then)."""
    if not icc or icc[16:20] != (b"GRAY" if gray else b"RGB ") or is_srgb(icc):
        return None
    if len(icc) > MAX_PROFILE_BYTES:
        warnings.warn(f"{path}: dropped a colour profile of {len(icc):,} bytes (more than a .tsw keeps)", stacklevel=4)
        return None
    return icc


def is_srgb(icc: bytes) -> bool:
    """Whether an RGB ICC profile maps every colour to sRGB within one code value: then dropping it changes
    nothing a viewer shows (untagged files are sRGB), whatever the profile calls itself. A profile that
    cannot be read is kept as it is."""
    from PIL import ImageCms

    cube = np.stack(np.meshgrid(*[np.arange(0, 256, 15, dtype=np.uint8)] * 3, indexing="ij"), -1).reshape(1, -1, 3)
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        srgb = ImageCms.createProfile("sRGB")
        out = ImageCms.profileToProfile(Image.fromarray(cube), source, srgb,
                                        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return False
    return bool(np.abs(np.asarray(out).astype(np.int16) - cube).max() <= 1)


def profile_name(icc: bytes) -> str:
    """An ICC profile's description ('Display P3'), or 'unnamed' when it cannot be read."""
    from PIL import ImageCms

    try:
        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip() or "unnamed"
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return "unnamed"


def gray_mean(image: np.ndarray) -> np.ndarray:
    """``[H, W, 1]`` rounded mean of an ``[H, W, 3]`` integer image: how a gray source coded as gray RGB comes
    back as one channel (its three coded channels carry the same gray, each with its own error)."""
    summed = image.sum(axis=-1, dtype=np.uint32)
    return ((summed + 1) // 3).astype(image.dtype)[..., None]


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an ``[H, W, 3]`` or ``[H, W]`` uint8 array."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def write_png(path: Path, image: np.ndarray) -> None:
    atomic_write(path, encode_png(image))


def _save_options(meta: ImageMeta) -> dict[str, object]:
    """Pillow save options that write ``meta``'s profile and orientation."""
    out: dict[str, object] = {}
    if meta.icc is not None:
        out["icc_profile"] = meta.icc
    if meta.orientation != 1:
        exif = Image.Exif()
        exif[ORIENTATION_TAG] = meta.orientation
        out["exif"] = exif.tobytes()
    return out


LOSSLESS_SUFFIXES = (".png", ".tif", ".tiff", ".webp", ".bmp", ".tga")
"""What ``decompress`` writes an 8-bit image as: lossless formats only, so the file holds exactly the
reconstruction that ``compress`` measured (a JPEG of it would add a second, unmeasured loss)."""


def write_image(path: Path, image: np.ndarray, meta: ImageMeta = NO_META, alpha: np.ndarray | None = None) -> None:
    """An 8-bit ``[H, W, 3]`` / ``[H, W]`` image in the lossless format its suffix names (``LOSSLESS_SUFFIXES``),
    with the source's metadata: a gray source as one channel (WebP has none: gray RGB), its colour profile
    and EXIF orientation (BMP and TGA hold neither: a warning says what is not written), and ``alpha``
    (``[H, W, 1]``) as its alpha channel (gray + alpha where the format has it, else RGBA)."""
    atomic_write(path, encode_image(image, path, meta, alpha))


def encode_image(image: np.ndarray, path: Path, meta: ImageMeta = NO_META, alpha: np.ndarray | None = None) -> bytes:
    """The bytes :func:`write_image` writes at ``path`` (whose suffix picks the format; warnings name it)."""
    suffix = path.suffix.lower()
    if meta.gray and image.ndim == 3:
        image = gray_mean(image)[..., 0]
    if alpha is not None and suffix == ".bmp":  # Pillow writes 32-bit BMPs no reader takes the alpha of
        warnings.warn(f"{path}: BMP cannot hold the source's alpha channel; not written (PNG, TIFF, WebP and TGA "
                      "keep it)", stacklevel=3)
        alpha = None
    if alpha is not None:
        if image.ndim == 2 and suffix == ".webp":  # no gray + alpha mode: gray RGB + alpha
            image = np.repeat(image[..., None], 3, axis=-1)
        image = np.concatenate([image[..., None] if image.ndim == 2 else image, alpha.reshape(*image.shape[:2], 1)],
                               axis=-1)
    options: dict[str, dict[str, object]] = {
        ".png": {"format": "PNG", "compress_level": 6},
        ".tif": {"format": "TIFF", "compression": "tiff_adobe_deflate"},
        ".tiff": {"format": "TIFF", "compression": "tiff_adobe_deflate"},
        ".webp": {"format": "WEBP", "lossless": True, "quality": 100, "method": 4},
        ".bmp": {"format": "BMP"},
        ".tga": {"format": "TGA", "compression": "tga_rle"},  # what game texture pipelines (Unreal) take
    }
    if suffix not in options:
        raise ValueError(f"no lossless 8-bit writer for {suffix!r}")
    extra = _save_options(meta)
    if suffix == ".webp" and meta.gray and "icc_profile" in extra:  # gray written as RGB: a GRAY profile lies
        warnings.warn(f"{path}: WebP has no gray mode, so the source's gray colour profile is not written "
                      "(PNG and TIFF keep it)", stacklevel=3)
        del extra["icc_profile"]
    if suffix in (".bmp", ".tga") and extra:
        lost = " and ".join(w for w, k in (("colour profile", "icc_profile"), ("EXIF orientation", "exif"))
                            if k in extra)
        warnings.warn(f"{path}: {suffix[1:].upper()} cannot hold the source's {lost}; not written (PNG, TIFF and "
                      "WebP keep it)", stacklevel=3)
        extra = {}
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, **options[suffix], **extra)
    return buf.getvalue()
