"""Stream heads: the boilerplate in front of every HEIC and JPEG file, stored once per ``.tsw``.

Why: a HEIC file is ~370 bytes of ISOBMFF boxes (ftyp; meta with hdlr, iloc, iinf, pitm, and iprp
holding hvcC -- the HEVC parameter sets --, ispe, pixi, colr, ipma) before its coded slices, and a
JPEG ~330-620 bytes of markers (quantisation and Huffman tables, frame and scan headers). A ``pbr8``
material at 512² is eight such files: ~3 KB of near-identical boxes, a quarter of the whole file at
quality 10. Those bytes are nearly the same from file to file, so the ``.tsw`` stores the heads of all
its streams as *one* raw deflate stream with a preset dictionary of typical heads: ~15 bytes for the
first head, a few for each further one. The coded data (the part after the head) is stored as it is.

Nothing about the bitstreams changes: the reader rebuilds every file byte for byte (each stream's
CRC-32 is checked on the rebuilt file) and ``unpack`` still hands out ordinary ``.heic``/``.jpg`` files
that any decoder reads. A head is self-delimiting (box sizes up to ``mdat``, JPEG segments up to the
end of the SOS header), so the container stores no head lengths. A file whose layout this module does
not recognise is simply not packed.

The dictionary is part of the format (version 3): changing it makes older files unreadable, which is
why its bytes live in a file whose SHA-256 a test pins (``tools/make_heads_dict.py`` made it once).
"""

from __future__ import annotations

import struct
import zlib
from importlib import resources

DICT_FILE = "heads-v3.bin"
_BOX = struct.Struct(">I4s")
_MAX_HEAD = 1 << 16


class HeadError(ValueError):
    """A packed heads stream does not parse (the container turns it into a ``CorruptError``)."""


def _heic_head(data: bytes, start: int = 0) -> int:
    """Length of the boxes before the ``mdat`` payload (``mdat``'s own header included), or 0."""
    pos = start
    while pos + 8 <= len(data) and pos - start < _MAX_HEAD:
        size, typ = _BOX.unpack_from(data, pos)
        header = 8
        if size == 1:
            if pos + 16 > len(data):
                return 0
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        if typ == b"mdat":
            return pos + header - start
        if size < header:  # size 0 ("to the end of the file") is only legal for the last box
            return 0
        pos += size
    return 0


def _jpeg_head(data: bytes, start: int = 0) -> int:
    """Length of the markers up to the end of the first SOS header, or 0."""
    if data[start : start + 2] != b"\xff\xd8":
        return 0
    pos = start + 2
    while pos + 4 <= len(data) and pos - start < _MAX_HEAD:
        if data[pos] != 0xFF:
            return 0
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            return 0
        pos += 2 + length
        if marker == 0xDA:
            return pos - start if pos <= len(data) else 0
    return 0


_PARSERS = {"heic": _heic_head, "jpeg": _jpeg_head}


def head_length(codec: str, data: bytes, start: int = 0) -> int:
    """How many bytes of ``data[start:]`` are the file's head (0: not a layout we pack)."""
    parse = _PARSERS.get(codec)
    return parse(data, start) if parse else 0


def dictionary() -> bytes:
    """The preset deflate dictionary of format version 3 (typical HEIC and JPEG heads)."""
    return resources.files("texsandwich").joinpath("formats", DICT_FILE).read_bytes()


def split(codec: str, streams: list[bytes] | tuple[bytes, ...]) -> tuple[list[bytes], list[bytes]] | None:
    """Each stream as (head, coded data), or None when any one of them is not a layout we pack."""
    heads, bodies = [], []
    for s in streams:
        n = head_length(codec, s)
        if not 0 < n <= len(s):
            return None
        heads.append(s[:n])
        bodies.append(s[n:])
    return heads, bodies


def pack(heads: list[bytes]) -> bytes:
    """All heads as one raw deflate stream against the dictionary."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, dictionary())
    return c.compress(b"".join(heads)) + c.flush()


def unpack(codec: str, data: bytes, start: int, count: int) -> tuple[list[bytes], int]:
    """Inflate ``count`` heads from ``data[start:]``; returns them and where the packed stream ended."""
    d = zlib.decompressobj(-15, zdict=dictionary())
    try:
        raw = d.decompress(data[start:], count * _MAX_HEAD)
    except zlib.error as e:
        raise HeadError(f"stream heads cannot be inflated: {e}") from None
    if not d.eof or d.unconsumed_tail:
        raise HeadError("stream heads are not one complete deflate stream")
    heads, pos = [], 0
    for i in range(count):
        n = head_length(codec, raw, pos)
        if n == 0:
            raise HeadError(f"stream head {i} does not parse")
        heads.append(raw[pos : pos + n])
        pos += n
    if pos != len(raw):
        raise HeadError(f"{len(raw) - pos} bytes left over after {count} stream heads")
    return heads, len(data) - len(d.unused_data)


def packed_size(codec: str, streams: list[bytes] | tuple[bytes, ...]) -> int:
    """Bytes the streams take with their heads packed (or as they are, when they cannot be): the
    control that tells what packing alone would give a plain-codec baseline."""
    parts = split(codec, streams)
    if parts is None:
        return sum(len(s) for s in streams)
    heads, bodies = parts
    return len(pack(heads)) + sum(len(b) for b in bodies)
