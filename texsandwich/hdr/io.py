"""Reading and writing 16-bit and HDR images: OpenEXR, Radiance HDR (:mod:`texsandwich.hdr.radiance`),
16-bit PNG (pypng) and 16-bit or float TIFF (tifffile).

Pillow cannot write RGB 16-bit PNGs and silently reads them as 8-bit, so it is not used here. Every
reader returns the 16-bit signal the ``hdr-*`` recipes code (``[H, W, 3]`` uint16) and a
:class:`HdrSource` saying how to write a reconstruction back in the source's own kind: scene-linear
sources (EXR, Radiance ``.hdr``, float TIFF) are mapped with PQ (:mod:`texsandwich.hdr.transfer`) and come
back as half-float EXR, RGBE ``.hdr`` and float32 TIFF; 16-bit PNG/TIFF sources are taken as the signal
they already are and come back as 16-bit PNG/TIFF.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import sys
import tempfile
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from texsandwich.errors import InputError
from texsandwich.fsutil import atomic_write
from texsandwich.hdr.transfer import linear_to_pq16, pq16_to_linear, sanitize
from texsandwich.hdr.yca import yca_to_rgb
from texsandwich.images import avif_bit_depth, gray_mean, profile_to_keep
from texsandwich.progress import TERMINAL

HDR_SUFFIXES = (".exr", ".hdr", ".png", ".tif", ".tiff")
HEIF_SUFFIXES = (".heic", ".heif")
"""HEIF files are 16-bit sources when their samples have more than 8 bits (a camera's 10-bit HEIF)."""
EIGHT_BIT_HINT = ("use an 8-bit recipe (--recipe rgb-444, or rgb-hr2 at half resolution; a folder of both kinds: "
                  "--recipe rgb-444,hdr-444)")
"""What an 8-bit image given to a 16-bit recipe is told: the recipes that take it."""


@dataclass(frozen=True)
class HdrSource:
    format: str
    """'exr', 'hdr' (Radiance RGBE), 'tiff-float', 'png16' or 'tiff16' (with '-gray' for a one-channel
    PNG/TIFF, a luminance-only EXR or a one-channel float TIFF): what ``decompress`` writes back"""
    transfer: str
    """'pq' (scene-linear EXR, Radiance or float TIFF through ST 2084 at 100 cd/m² white) or 'none'
    (already a 16-bit signal)"""
    chromaticities: tuple[float, ...] | None = None
    """An EXR's ``chromaticities`` attribute (red, green, blue, white x/y: 8 floats), which says what its
    RGB means (ACES AP0, ACEScg, P3...); absent = Rec.709. Coding does not use it; ``decompress`` writes it
    back, since without it every colour-managed reader takes the decoded EXR for Rec.709."""
    icc: bytes | None = None
    """A 16-bit PNG/TIFF's embedded ICC profile (ProPhoto, Adobe RGB, a gray gamma...) when it is not
    sRGB: the same role for those files as ``chromaticities`` for EXR (:func:`texsandwich.images.profile_to_keep`)."""


def _rgb_from_channels(channels: dict[str, np.ndarray], path: Path, say_gray: bool = True,
                       sampling: dict[str, tuple[int, int]] | None = None,
                       primaries: tuple[float, ...] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The RGB (``[H, W, 3]``) or Y (``[H, W, 1]``: a luminance-only image, which the caller widens to gray RGB
    after counting its bad samples once) of an EXR part's channels, and its alpha (``A`` of the same layer).
    A luminance/chroma image (``Y``, ``RY``, ``BY``; ``sampling`` gives each channel's (row, column) step)
    is converted to RGB with ``primaries``' luminance weights (:mod:`texsandwich.hdr.yca`)."""
    names = list(channels)
    for prefix in ("", *sorted({n.rsplit(".", 1)[0] + "." for n in names if "." in n})):
        if all(prefix + c in channels for c in "RGB"):
            if prefix:
                warnings.warn(f"{path}: using layer {prefix[:-1]!r} (channels {', '.join(names)})", stacklevel=4)
            return np.stack([channels[prefix + c] for c in "RGB"], axis=-1), channels.get(prefix + "A")
    if all(c in channels for c in ("Y", "RY", "BY")):
        step = (sampling or {}).get
        warnings.warn(f"{path}: luminance/chroma (Y, RY, BY) image, converted to RGB (decoded as an RGB EXR)",
                      stacklevel=4)
        return (yca_to_rgb(channels["Y"], channels["RY"], channels["BY"], step("RY", (1, 1)), step("BY", (1, 1)),
                           primaries), channels.get("A"))
    if "Y" in channels:
        if say_gray:
            others = [n for n in names if n not in ("Y", "A")]
            also = f"; channels {', '.join(others)} not coded" if others else ""
            warnings.warn(f"{path}: luminance-only (Y) image, coded as gray RGB (decoded back to Y){also}",
                          stacklevel=4)
        return channels["Y"][..., None], channels.get("A")
    raise InputError(f"{path}: EXR has no R, G, B or Y channels (has {', '.join(names)})")


def sixteen_to_8(a: np.ndarray) -> np.ndarray:
    """16-bit samples rounded to the nearest of the 256 8-bit steps (``round(a / 257)``, in integers)."""
    return ((a.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def alpha_to_8bit(alpha: np.ndarray, path: Path) -> np.ndarray | None:
    """A 16-bit or float alpha (``[H, W]``) as the ``[H, W, 1]`` uint8 side map the codec carries, or None
    when it is fully opaque (nothing to carry, said in a warning as for 8-bit images).

    Why 8 bits: the alpha rides as the same side map as an 8-bit image's (docs/DECISIONS.md), and a mask,
    a cut-out or a decal's coverage needs no more; a float alpha is first sanitised (NaN -> 0, clamped to
    [0, 1], each counted in a warning). A warning says when the 8-bit steps change values.
    """
    if alpha.dtype == np.uint16:
        eight = sixteen_to_8(alpha)
        changed = int((eight.astype(np.uint16) * 257 != alpha).sum())
    else:
        a = np.asarray(alpha, np.float32)
        nan, low, high = int(np.isnan(a).sum()), int((a < 0).sum()), int((a > 1).sum())
        for count, what, value in ((nan, "NaN", "0"), (low, "negative", "0"), (high, "above 1", "1")):
            if count:
                warnings.warn(f"{path}: {count} {what} alpha sample(s) clamped to {value}", stacklevel=4)
        a = np.clip(np.nan_to_num(a, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
        eight = np.rint(a * 255.0).astype(np.uint8)
        changed = int(((eight.astype(np.float32) / 255.0).astype(alpha.dtype) != alpha).sum()) - nan - low - high
    if (eight == 255).all():
        warnings.warn(f"{path}: dropped a fully opaque alpha channel", stacklevel=4)
        return None
    if changed > 0:
        warnings.warn(f"{path}: alpha carried at 8 bits ({changed} of {alpha.size} samples move to the nearest "
                      "of 256 steps)", stacklevel=4)
    return np.ascontiguousarray(eight[..., None])


@contextlib.contextmanager
def native_output() -> Iterator[Callable[[], str]]:
    """Catch what the library writes to stdout and stderr, and give back its first line.

    Why: OpenEXR's binding reports a truncated file's chunk error on file descriptor 2 (C++) and
    "Exception raised reading pixel data" through Python's ``sys.stdout``, then returns a file with no
    parts, so the user saw two library lines above a wrong one-line error. Caught at both levels here,
    the library's line becomes part of the one error message instead. File descriptors and
    ``sys.stdout`` belong to the whole process, so this holds :data:`texsandwich.progress.TERMINAL`:
    with ``--jobs`` another thread's progress line waits for the read instead of landing in the capture.
    """
    said_py = io.StringIO()
    with TERMINAL, tempfile.TemporaryFile() as sink:  # other threads' lines wait rather than vanish here
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        try:
            saved = [os.dup(1), os.dup(2)]
        except OSError:  # no stdout/stderr descriptors (a daemon): nothing to catch, nothing to leak
            yield lambda: ""
            return
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)

            def said() -> str:
                sink.flush()
                sink.seek(0)
                lines = (sink.read().decode(errors="replace") + said_py.getvalue()).strip().splitlines()
                return lines[0].strip() if lines else ""

            with contextlib.redirect_stdout(said_py), contextlib.redirect_stderr(said_py):
                yield said
        finally:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _windows(header: dict) -> tuple[str, str] | None:
    """The data and display windows as text when they differ (a cropped render pass), else None.

    Why only a warning: the ``.tsw`` manifest has no field for an EXR's window origin, and a render's
    crop region is rare in texture pipelines; the user is told that the position is not kept.
    """
    data, display = header.get("dataWindow"), header.get("displayWindow")
    if data is None or display is None:
        return None
    d, w = [tuple(int(v) for v in np.ravel(x)) for x in data], [tuple(int(v) for v in np.ravel(x)) for x in display]
    return None if d == w else (f"{d[0]}-{d[1]}", f"{w[0]}-{w[1]}")


def read_exr_raw(path: Path) -> np.ndarray:
    """The stored values (``[H, W, 3]``, or ``[H, W, 1]`` for a luminance-only file) of an EXR's first RGB or Y
    part as float32, unsanitised (a material folder's data maps, :func:`texsandwich.assets.decode_exr_map`)."""
    values, _, alpha, _ = _read_exr(path, raw=True)
    if alpha is not None:
        warnings.warn(f"{path}: alpha channel dropped", stacklevel=2)
    return values


def read_exr(path: Path) -> np.ndarray:
    """Scene-linear ``[H, W, 3]`` float32 (clamped with warnings) of an OpenEXR file's first RGB part."""
    linear, _, alpha, _ = _read_exr(path)
    if alpha is not None:
        warnings.warn(f"{path}: alpha channel dropped", stacklevel=2)
    return linear


def _read_exr(path: Path, raw: bool = False) -> tuple[np.ndarray, tuple[float, ...] | None, np.ndarray | None, bool]:
    """:func:`read_exr` (without the warning), the part's ``chromaticities`` (8 floats) when it has them,
    its alpha channel as stored (``[H, W]``) when it has one, and whether it was luminance-only (Y).
    ``raw``: the values as stored (``[H, W, 1]`` for Y), not sanitised as scene-linear light: a data map
    (a normal map may hold [-1, 1]) is not light."""
    import OpenEXR

    try:  # only the library's reading runs with its output caught; our warnings come after
        with native_output() as said, OpenEXR.File(str(path), separate_channels=True) as f:
            parts = [{k: np.asarray(v.pixels) for k, v in part.channels.items()} for part in f.parts]
            samplings = [{k: (v.ySampling, v.xSampling) for k, v in part.channels.items()} for part in f.parts]
            windows = [_windows(part.header) for part in f.parts]
            raw_primaries = [part.header.get("chromaticities") for part in f.parts]
            complaint = said().removeprefix(f"{path}: ")
    except Exception as e:  # OpenEXR raises plain exceptions for missing/corrupt files
        raise InputError(f"{path}: not a readable OpenEXR file ({e})") from None
    if not parts:  # a corrupt file reads as no parts; the library said why on stderr
        raise InputError(f"{path}: truncated or corrupt OpenEXR file ({complaint})" if complaint
                         else f"{path}: EXR without image parts")
    for i, channels in enumerate(parts):
        try:
            rgb, alpha = _rgb_from_channels(channels, path, say_gray=not raw, sampling=samplings[i],
                                            primaries=_chromaticities(raw_primaries[i], path, quiet=True))
        except InputError:
            if i == len(parts) - 1:
                raise
            continue
        if len(parts) > 1:
            warnings.warn(f"{path}: {len(parts)} parts, using part {i}", stacklevel=2)
        if windows[i] is not None:
            data, display = windows[i]
            warnings.warn(f"{path}: data window {data} is not the display window {display}; the data window's "
                          "pixels are coded, and the decoded EXR's windows are both that size from (0, 0)",
                          stacklevel=2)
        gray = rgb.shape[-1] == 1  # NaN/negative samples counted as the file has them, then widened
        if raw:
            return np.asarray(rgb, np.float32), None, alpha, gray
        clean = sanitize(rgb, str(path))
        return (np.repeat(clean, 3, axis=-1) if gray else clean), _chromaticities(raw_primaries[i], path), alpha, gray
    raise AssertionError("unreachable: the last part either returns or raises")


def _chromaticities(c: object, path: Path, quiet: bool = False) -> tuple[float, ...] | None:
    """A part's ``chromaticities`` as 8 float32 values (in their shortest decimal form, which reads back
    to the same float32), or None when absent or not 8 finite numbers (then with a warning unless ``quiet``)."""
    if c is None:
        return None
    try:
        values = tuple(float(str(np.float32(v))) for v in c)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        values = ()
    if len(values) != 8 or not all(np.isfinite(values)):
        if not quiet:
            warnings.warn(f"{path}: ignored a malformed chromaticities attribute", stacklevel=3)
        return None
    return values


def write_exr(path: Path, linear: np.ndarray, chromaticities: tuple[float, ...] | None = None,
              alpha: np.ndarray | None = None) -> None:
    """Half-float RGB OpenEXR (relative precision 2^-11, ~3 PQ codes at the top), temporary file renamed;
    with the source's ``chromaticities`` when it had them, and ``alpha`` (``[H, W, 1]`` in [0, 1]) as its
    A channel. A one-channel ``linear`` is written as luminance (``Y``), as OpenEXR's gray images are."""
    import OpenEXR

    header: dict = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    if chromaticities is not None:
        header["chromaticities"] = tuple(chromaticities)
    # the binding writes only to a path: a private temporary folder, so nothing is left beside the
    # output if it fails, and the output's folder need not exist yet (atomic_write makes it)
    with tempfile.TemporaryDirectory(prefix="texsandwich-exr-") as tmp:
        if linear.shape[-1] == 1:  # the binding splits only "RGB"/"RGBA" keys: Y and A go as channels
            planes = {"Y": linear[..., 0]} | ({} if alpha is None else {"A": alpha.reshape(linear.shape[:2])})
            channels = {k: np.ascontiguousarray(v.astype(np.float16)) for k, v in planes.items()}
        else:
            pixels = linear if alpha is None else np.concatenate([linear, alpha.reshape(*linear.shape[:2], 1)], axis=-1)
            channels = {"RGB" if alpha is None else "RGBA": np.ascontiguousarray(pixels.astype(np.float16))}
        with OpenEXR.File(header, channels) as f:
            f.write(str(Path(tmp) / "out.exr"))
        data = (Path(tmp) / "out.exr").read_bytes()
    atomic_write(Path(path), data)


def _rgb16(a: np.ndarray, path: Path) -> tuple[np.ndarray, bool, np.ndarray | None]:
    """``[H, W, 3]`` uint16 of a decoded 16-bit image, whether it was gray (one channel, with or
    without alpha: a height or mask map, which ``decompress`` gives back as gray), and its alpha
    (``[H, W]`` uint16) when it has one."""
    gray = a.ndim == 2 or a.shape[2] == 2
    alpha = a[..., -1] if a.ndim == 3 and a.shape[2] in (2, 4) else None
    if gray:
        warnings.warn(f"{path}: 16-bit grayscale, coded as gray RGB (decoded back to grayscale)", stacklevel=4)
        a = np.repeat(a[..., None] if a.ndim == 2 else a[..., :1], 3, axis=-1)
    return np.ascontiguousarray(a[..., :3].astype(np.uint16)), gray, alpha


ICC_NAME = b"ICC Profile"
"""The profile name written into a PNG's iCCP chunk (Pillow's)."""


def _png_icc(path: Path) -> bytes | None:
    """The ICC profile in a PNG's iCCP chunk (which comes before the image data), or None. pypng neither
    reads nor writes iCCP, so the chunk is taken here; a damaged one is ignored with a warning."""
    import png

    try:
        with open(path, "rb") as f:  # pypng leaves a file it opened itself open
            for kind, data in png.Reader(file=f).chunks():
                if kind == b"IDAT":
                    return None
                if kind == b"iCCP":
                    name_end = data.index(b"\0")
                    return zlib.decompress(data[name_end + 2:])
    except (ValueError, zlib.error, png.Error) as e:
        warnings.warn(f"{path}: ignored a damaged colour profile ({e})", stacklevel=4)
    return None


def _with_png_icc(png_bytes: bytes, icc: bytes) -> bytes:
    """``png_bytes`` with an iCCP chunk after IHDR (the PNG spec's place for it: before PLTE and IDAT)."""
    body = ICC_NAME + b"\0\0" + zlib.compress(icc, 9)
    chunk = struct.pack(">I", len(body)) + b"iCCP" + body + struct.pack(">I", zlib.crc32(b"iCCP" + body))
    ihdr_end = 8 + 8 + 13 + 4  # signature, IHDR's length and type, its 13 bytes, its CRC
    return png_bytes[:ihdr_end] + chunk + png_bytes[ihdr_end:]


def read_png16(path: Path) -> tuple[np.ndarray, bool, np.ndarray | None]:
    """``[H, W, 3]`` uint16 of a 16-bit PNG (gray expanded), whether it was gray, and its alpha
    (``[H, W]`` uint16) when it has one."""
    import png

    try:
        with open(path, "rb") as f:  # pypng leaves a file it opened itself open
            w, h, rows, info = png.Reader(file=f).asDirect()
            a = np.vstack([np.asarray(r, np.uint16) for r in rows])
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (png.Error, EOFError) as e:  # pypng says EOFError for an empty or cut-short signature
        raise InputError(f"{path}: not a readable PNG ({e or 'empty file'})") from None
    if info["bitdepth"] != 16:
        raise InputError(f"{path}: an {info['bitdepth']}-bit PNG; 16-bit recipes take 16-bit PNG/TIFF, EXR or HDR, "
                         + EIGHT_BIT_HINT)
    planes = info["planes"]
    return _rgb16(a.reshape(h, w, planes) if planes > 1 else a.reshape(h, w), path)


def read_tiff16(path: Path, a: np.ndarray | None = None) -> tuple[np.ndarray, bool, np.ndarray | None]:
    """``[H, W, 3]`` uint16 of a 16-bit TIFF, whether it was gray, and its alpha (as :func:`read_png16`);
    ``a``: its samples when already read."""
    a = _read_tiff(path) if a is None else a
    if a.dtype != np.uint16:
        raise InputError(f"{path}: a {a.dtype} TIFF; 16-bit recipes take 16-bit or float TIFF, 16-bit PNG, EXR or HDR"
                         + (", " + EIGHT_BIT_HINT if a.dtype == np.uint8 else ""))
    return _rgb16(a, path)


FLOAT_DTYPES = (np.float16, np.float32, np.float64)


def read_tiff_float(path: Path, a: np.ndarray | None = None) -> tuple[np.ndarray, bool, np.ndarray | None]:
    """Scene-linear ``[H, W, 3]`` float32 of a floating-point TIFF (sanitised: NaN, infinite, negative and
    too-bright samples clamped with a count), whether it was gray (widened to three equal channels), and
    its alpha (``[H, W]`` float) when it has one. Why scene-linear: a float TIFF is what Photoshop's 32-bit
    mode, Affinity and render outputs write for linear HDR, the same role as an EXR. ``a``: its samples when
    already read."""
    a = _read_tiff(path) if a is None else a
    if a.dtype not in FLOAT_DTYPES:
        raise InputError(f"{path}: a {a.dtype} TIFF, expected floating-point samples")
    alpha = a[..., -1] if a.ndim == 3 and a.shape[2] in (2, 4) else None
    gray = a.ndim == 2 or a.shape[2] == 2
    rgb = a[..., None] if a.ndim == 2 else a[..., :1] if gray else a[..., :3]
    if not gray and a.shape[2] < 3:
        raise InputError(f"{path}: a float TIFF with {a.shape[2]} channels; expected 1 (gray) or 3 (RGB), with alpha")
    clean = sanitize(rgb, str(path))  # counted as the file has them, then widened
    return (np.repeat(clean, 3, axis=-1) if gray else clean), gray, alpha


def _read_tiff(path: Path) -> np.ndarray:
    """The first page's samples, as stored (a warning when later pages are dropped)."""
    import tifffile

    try:
        with tifffile.TiffFile(str(path)) as t:
            a = t.pages[0].asarray()
            pages = sum(1 for page in t.pages if not getattr(page, "is_reduced", False))  # not thumbnails
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except Exception as e:
        raise InputError(f"{path}: not a readable TIFF ({e})") from None
    if pages > 1:
        warnings.warn(f"{path}: holds {pages} pages; only the first is coded", stacklevel=4)
    return a


def heif_bit_depth(path: Path) -> int:
    """Bits per sample of a HEIF file's primary image (from its header; 8 for a file libheif cannot read,
    whose reading then reports the problem)."""
    import pillow_heif

    try:
        return int(pillow_heif.open_heif(str(path), convert_hdr_to_8bit=False).info.get("bit_depth", 8))
    except (OSError, ValueError, RuntimeError):
        return 8


HDR_TRANSFERS = {16: "PQ (SMPTE ST 2084)", 18: "HLG"}
"""nclx transfer characteristics whose code values a decoded PNG/TIFF keeps but cannot signal."""


def read_heif16(path: Path) -> tuple[np.ndarray, bool, bytes | None, np.ndarray | None]:
    """``[H, W, 3]`` uint16 of a HEIF file with more than 8 bits per sample, whether it was gray, its
    ICC profile and its alpha (``[H, W]`` uint16) when it has one. Samples are widened to 16 bits by bit
    replication (10-bit 1023 -> 65535), the way a 16-bit PNG holds a lower bit depth, so white stays white."""
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(str(path), convert_hdr_to_8bit=False)
        depth = int(heif.info.get("bit_depth", 8))
        if depth <= 8:
            raise InputError(f"{path}: an 8-bit HEIF; 16-bit recipes take 16-bit PNG/TIFF, EXR or 10/12-bit HEIF, "
                             + EIGHT_BIT_HINT)
        a = np.asarray(heif)
        frames = len(heif)
        info = dict(heif.info)
    except (OSError, ValueError, RuntimeError) as e:
        raise InputError(f"{path}: not a readable HEIF file ({e})") from None
    if frames > 1:
        warnings.warn(f"{path}: holds {frames} images; only the first (primary) is coded", stacklevel=3)
    a = a | (a >> depth)  # pillow-heif gives v << (16 - depth); v's top bits again below: v * 65535 / (2^depth - 1)
    transfer = (info.get("nclx_profile") or {}).get("transfer_characteristics")
    if transfer in HDR_TRANSFERS:
        name = HDR_TRANSFERS[transfer]
        warnings.warn(f"{path}: {name} HEIF; coded as its code values, and a decoded 16-bit PNG/TIFF holds the same "
                      f"values without saying they are {name}", stacklevel=3)
    image, gray, alpha = _rgb16(a, path)
    return image, gray, info.get("icc_profile") or None, alpha


ICC_TAG = 34675
"""TIFF's InterColorProfile tag."""


def _tiff_icc(path: Path) -> bytes | None:
    """The ICC profile in a TIFF's first page (tag 34675, InterColorProfile), or None."""
    import tifffile

    try:
        with tifffile.TiffFile(str(path)) as t:
            tag = t.pages[0].tags.get(ICC_TAG)
            return bytes(tag.value) if tag is not None else None
    except Exception as e:  # tifffile raises many kinds; the pixels were read, so go on without the profile
        warnings.warn(f"{path}: ignored a damaged colour profile ({e})", stacklevel=4)
        return None


def encode_png16(image: np.ndarray, icc: bytes | None = None, alpha: np.ndarray | None = None) -> bytes:
    """16-bit PNG bytes of an ``[H, W, C]`` uint16 image (C = 1 or 3), with ``icc`` as its iCCP chunk and
    ``alpha`` (``[H, W, 1]`` uint16) as its alpha channel."""
    import png

    gray = image.shape[2] == 1
    if alpha is not None:
        image = np.concatenate([image, alpha.reshape(*image.shape[:2], 1)], axis=-1)
    h, w, c = image.shape
    buf = io.BytesIO()
    # row by row: a whole 4K image as a Python list (.tolist()) is 50 M int objects, ~1.8 GB
    png.Writer(w, h, bitdepth=16, greyscale=gray, alpha=alpha is not None).write(buf, iter(image.reshape(h, w * c)))
    return _with_png_icc(buf.getvalue(), icc) if icc else buf.getvalue()


def is_16bit_file(path: Path) -> bool:
    """True for EXR, Radiance HDR, 16-bit PNG, 16-bit and float TIFF, and HEIF with more than 8 bits (what an
    8-bit recipe must refuse)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".exr", ".hdr"):
        return True
    if suffix in HEIF_SUFFIXES:
        return heif_bit_depth(path) > 8
    try:
        if suffix == ".png":
            with open(path, "rb") as f:
                head = f.read(26)
            return head[:8] == b"\x89PNG\r\n\x1a\n" and head[24] == 16
        if suffix in (".tif", ".tiff"):
            import tifffile

            with tifffile.TiffFile(str(path)) as t:
                return t.pages[0].dtype in (np.uint16, *FLOAT_DTYPES)
    except (OSError, IndexError, ValueError):
        return False
    return False


def read_hdr(path: Path) -> tuple[np.ndarray, HdrSource]:
    """The 16-bit signal ``[H, W, 3]`` uint16 of an EXR / Radiance HDR / 16-bit PNG / 16-bit or float TIFF /
    10-12-bit HEIF, and what it came from
    (an alpha channel is dropped with a warning: evaluation and training code the colour only)."""
    image, source, alpha = _read_hdr(Path(path))
    if alpha is not None:
        warnings.warn(f"{path}: alpha channel dropped", stacklevel=2)
    return image, source


def read_hdr_alpha(path: Path) -> tuple[np.ndarray, HdrSource, np.ndarray | None]:
    """:func:`read_hdr`, with the alpha as the 8-bit side map ``compress`` carries (:func:`alpha_to_8bit`;
    None when there is none or it is fully opaque)."""
    path = Path(path)
    image, source, alpha = _read_hdr(path)
    return image, source, None if alpha is None else alpha_to_8bit(alpha, path)


def _read_hdr(path: Path) -> tuple[np.ndarray, HdrSource, np.ndarray | None]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if suffix == ".exr":
        linear, primaries, alpha, gray = _read_exr(path)
        return linear_to_pq16(linear), HdrSource("exr-gray" if gray else "exr", "pq", primaries), alpha
    if suffix == ".png":
        image, gray, alpha = read_png16(path)
        icc = profile_to_keep(_png_icc(path), gray, path)
        return image, HdrSource("png16-gray" if gray else "png16", "none", icc=icc), alpha
    if suffix == ".hdr":
        from texsandwich.hdr.radiance import read_radiance

        return linear_to_pq16(sanitize(read_radiance(path), str(path))), HdrSource("hdr", "pq"), None
    if suffix in (".tif", ".tiff"):
        a = _read_tiff(path)  # read once: its sample type says scene-linear float or a 16-bit signal
        if a.dtype in FLOAT_DTYPES:
            linear, gray, alpha = read_tiff_float(path, a)
            return linear_to_pq16(linear), HdrSource("tiff-float-gray" if gray else "tiff-float", "pq"), alpha
        image, gray, alpha = read_tiff16(path, a)
        icc = profile_to_keep(_tiff_icc(path), gray, path)
        return image, HdrSource("tiff16-gray" if gray else "tiff16", "none", icc=icc), alpha
    if suffix in HEIF_SUFFIXES:  # decoded as a 16-bit PNG: a lossless HEIF of it would be no HEIF reader's usual
        image, gray, icc, alpha = read_heif16(path)
        source = HdrSource("png16-gray" if gray else "png16", "none", icc=profile_to_keep(icc, gray, path))
        return image, source, alpha
    if suffix == ".avif" and (depth := avif_bit_depth(path)) > 8:
        raise InputError(f"{path}: a {depth}-bit AVIF, which no reader here decodes beyond 8 bits; convert it to a "
                         "16-bit PNG first (avifdec --depth 16), or code it at 8 bits with an 8-bit recipe")
    raise InputError(f"{path}: 16-bit recipes take .exr, .hdr, 16-bit .png, 16-bit or float .tif, or 10/12-bit .heic "
                     "files; for other "
                     "images " + EIGHT_BIT_HINT)


def write_hdr(path: Path, signal: np.ndarray, source: HdrSource, alpha: np.ndarray | None = None) -> None:
    """Write a reconstructed 16-bit signal back in the source's kind (EXR, Radiance HDR and float TIFF
    through inverse PQ, an EXR with its chromaticities; 16-bit PNG/TIFF with its colour profile; a gray
    source as gray -- one TIFF/PNG channel, an EXR's Y: the mean of the three coded channels, which carry
    the same gray; Radiance has no gray and no alpha), with ``alpha`` (the ``[H, W, 1]`` uint8 side map)
    as its alpha channel: A = a / 255 in an EXR or float TIFF, a x 257 in a 16-bit PNG/TIFF."""
    fmt = source.format
    if fmt.endswith("-gray"):
        signal = gray_mean(signal)
        fmt = fmt.removesuffix("-gray")
    wide = None if alpha is None else alpha.astype(np.uint16) * np.uint16(257)
    if fmt == "exr":
        write_exr(path, pq16_to_linear(signal), source.chromaticities,
                  None if alpha is None else alpha.astype(np.float32) / 255.0)
    elif fmt == "hdr":  # RGBE has no alpha and no gray: a gray source comes back as three equal channels
        from texsandwich.hdr.radiance import encode_radiance

        if alpha is not None:
            warnings.warn(f"{path}: Radiance HDR files have no alpha channel; alpha not written", stacklevel=3)
        rgb = np.broadcast_to(signal, (*signal.shape[:2], 3))  # a gray signal as three equal channels
        atomic_write(Path(path), encode_radiance(pq16_to_linear(rgb[..., ::-1]), bgr=True))
    elif fmt == "tiff-float":
        linear = pq16_to_linear(signal).astype(np.float32)
        _write_tiff(path, linear, None if alpha is None else alpha.astype(np.float32) / 255.0)
    elif fmt == "tiff16":
        _write_tiff(path, signal, wide, source.icc)
    else:
        atomic_write(Path(path), encode_png16(signal, source.icc, wide))


def _write_tiff(path: Path, pixels: np.ndarray, alpha: np.ndarray | None, icc: bytes | None = None) -> None:
    """A zlib TIFF of ``[H, W, 1|3]`` samples (one channel: gray), with ``alpha`` (``[H, W, 1]``, the same
    sample type) as an unassociated alpha and ``icc`` as its colour profile; temporary file renamed."""
    import tifffile

    gray = pixels.shape[-1] == 1
    if alpha is not None:
        pixels = np.concatenate([pixels, alpha], axis=-1)
    buf = io.BytesIO()
    tifffile.imwrite(buf, pixels[..., 0] if pixels.shape[-1] == 1 else pixels,
                     photometric="minisblack" if gray else "rgb", compression="zlib", iccprofile=icc,
                     extrasamples=None if alpha is None else ["unassalpha"])
    atomic_write(Path(path), buf.getvalue())


def default_suffix(source: HdrSource) -> str:
    return {"exr": ".exr", "hdr": ".hdr"}.get(source.format.removesuffix("-gray"),
                                              ".tif" if source.format.startswith("tiff") else ".png")
