"""Radiance HDR (``.hdr``, RGBE) files: the format most environment maps and light probes are shared in.

Pixels are read and written by OpenCV's RGBE codec (a well-kept implementation of Greg Ward's format,
run-length encoded scanlines included); only the text header is read here, for what OpenCV does not
check or report: the pixel format (XYZE is refused, since its primaries are CIE XYZ, not RGB), the
scanline order (OpenCV reads only the standard ``-Y H +X W``) and ``EXPOSURE`` lines.

Why the values are taken as stored even under an ``EXPOSURE`` line: that is what Blender, most renderers
and image viewers do with environment maps, so the decoded file lights a scene as its source did. The
line is not written back (the manifest has no field for it), and a warning says so.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from texsandwich.errors import InputError

MAGIC = (b"#?RADIANCE", b"#?RGBE")
MAX_HEADER = 64 * 1024
"""Bytes a header may take before the resolution line (real ones take ~100)."""
_RESOLUTION = re.compile(rb"^([-+])([XY]) (\d+) ([-+])([XY]) (\d+)$")


def _header(data: bytes, path: Path) -> tuple[list[bytes], bytes]:
    """The header's variable lines and its resolution line (OpenCV finds the pixels itself)."""
    if not data.startswith(MAGIC):
        raise InputError(f"{path}: not a Radiance HDR file (no #?RADIANCE or #?RGBE signature)")
    end = data.find(b"\n\n", 0, MAX_HEADER)
    if end < 0:
        raise InputError(f"{path}: truncated or corrupt Radiance HDR header")
    lines = data[:end].split(b"\n")[1:]
    line_end = data.find(b"\n", end + 2)
    if line_end < 0:
        raise InputError(f"{path}: Radiance HDR file without a resolution line")
    return lines, data[end + 2:line_end].strip()


def read_radiance(path: Path) -> np.ndarray:
    """Scene-linear ``[H, W, 3]`` float32 RGB of a Radiance file (not yet sanitised)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    lines, resolution = _header(data, path)
    formats = [line.split(b"=", 1)[1].strip() for line in lines if line.startswith(b"FORMAT=")]
    if formats and formats[-1] != b"32-bit_rle_rgbe":
        raise InputError(f"{path}: Radiance pixels in {formats[-1].decode(errors='replace')}; only 32-bit_rle_rgbe "
                         "(RGB) is read: convert XYZE files to RGBE first (e.g. ra_xyze -r)")
    match = _RESOLUTION.match(resolution)
    if match is None:
        raise InputError(f"{path}: unreadable Radiance resolution line {resolution.decode(errors='replace')!r}")
    if (match[1], match[2], match[4], match[5]) != (b"-", b"Y", b"+", b"X"):
        raise InputError(f"{path}: Radiance scanline order {resolution.decode()} (flipped or rotated); only the "
                         "standard '-Y H +X W' is read: rewrite it top-down (e.g. pflip/protate, or any image editor)")
    import cv2  # here, not at import: OpenCV takes a while to load and most commands never need it

    from texsandwich.hdr.io import native_output

    with native_output():  # OpenCV logs its failures on stderr; the one-line error below says them
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    h, w = int(match[3]), int(match[6])
    if bgr is None or bgr.shape[:2] != (h, w) or bgr.ndim != 3:
        raise InputError(f"{path}: truncated or corrupt Radiance HDR pixels ({w}x{h} expected)")
    exposure = [line.decode(errors="replace").strip() for line in lines if line.startswith(b"EXPOSURE=")]
    if exposure:
        warnings.warn(f"{path}: {', '.join(exposure)} in the header; pixel values coded as stored (as Blender and "
                      "most renderers read them), and the decoded file has no EXPOSURE line", stacklevel=4)
    return np.ascontiguousarray(bgr[..., ::-1], dtype=np.float32)


def encode_radiance(linear: np.ndarray, bgr: bool = False) -> bytes:
    """RGBE bytes (run-length encoded scanlines) of a scene-linear ``[H, W, 3]`` RGB image (``bgr``: already
    in OpenCV's channel order, which saves a full-size copy: 200 MB for a 4K map). RGBE keeps an 8-bit
    mantissa per channel under the pixel's shared exponent: ~0.4-0.8 % relative precision on the
    brightest channel, less on the others."""
    import cv2
    ok, buf = cv2.imencode(".hdr", np.ascontiguousarray(linear if bgr else linear[..., ::-1], dtype=np.float32))
    if not ok:
        raise OSError("OpenCV could not encode a Radiance HDR image")
    return buf.tobytes()
