"""The ``.tsw`` container: a validated JSON manifest followed by complete standard bitstreams.

Layout (all integers big-endian)::

    magic     8 bytes   b"\\x89TSW\\r\\n\\x1a\\n"  (PNG-style: catches text-mode and 7-bit damage)
    version   u16       the lowest version that holds the file: 7 for a Radiance HDR or float TIFF
                        source, 6 for a 16-bit source with an ``alpha``
                        side map or a luminance-only EXR, 5 with an ``alpha`` side map, 4 when the
                        manifest has source metadata (8-bit gray, EXIF orientation, a colour profile, EXR
                        chromaticities), else 3; versions 1-6 still read
    flags     u16       bit 0: stream heads packed (version 3); the other bits are reserved (0)
    length    u32       stored manifest length in bytes
    crc       u32       CRC-32 of the stored manifest
    manifest  JSON, UTF-8, compact, raw-deflated (RFC 1951) with a preset dictionary: ~70 bytes, not ~330
    heads     (flag bit 0) the heads of all streams -- the boxes / markers in front of the coded data --
              as one raw-deflate stream with a preset dictionary (:mod:`texsandwich.heads`)
    streams   the codec images in manifest order: each a complete .heic / .jpg file, or with bit 0 set the
              part of it after its head. The manifest's sizes and CRC-32s are those of the complete files.
    icc       (manifest ``source.icc``) the source's ICC colour profile, zlib-deflated, to the end of the file

The file size is the rate: header, manifest and streams are all counted. Every field is validated
before it is used, and every way a file can be wrong raises one :class:`TswError` subclass.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from texsandwich import heads as stream_heads
from texsandwich.codecs import CODECS, CodecSettings
from texsandwich.errors import TexsandwichError, UsageError
from texsandwich.hdr.tone import ToneCurve
from texsandwich.images import ALPHA, MAX_PROFILE_BYTES
from texsandwich.layout import Layout
from texsandwich.postfilter import NormalFilter
from texsandwich.recipes import RECIPES

MAGIC = b"\x89TSW\r\n\x1a\n"
FORMAT_VERSION = 7
FLAG_HEADS = 1
"""Version 3 stores the ~370-byte HEIC box heads (and the JPEG marker heads) of all streams of a file as one
deflate stream: a 512² ``pbr8`` material at quality 10 shrinks by a quarter (docs/DECISIONS.md)."""
METADATA_VERSION = 4
"""Files without source metadata are written as version 3, which texsandwich 0.6.4 and earlier read; a file
that needs version 4 is refused by them as 'newer than this texsandwich reads', not as a corrupt manifest."""
ALPHA_VERSION = 5
"""A file with an ``alpha`` side map (0.6.6: an image's transparency, a glTF base colour's cut-out): 0.6.5
would read version 4 and decode the colour without it, so the file says it needs a reader that knows to
write the alpha back."""
HDR_VERSION = 6
"""A 16-bit source's alpha (0.6.7: an RGBA EXR, a 16-bit PNG/TIFF with alpha) or a luminance-only EXR written
back as ``Y`` (format ``exr-gray``): 0.6.6 reads version 5 but writes a 16-bit image without its alpha, so
these files say they need a reader that writes it."""
LINEAR_VERSION = 7
"""A Radiance HDR or float TIFF source (0.6.10: formats ``hdr``, ``tiff-float``): 0.6.9 would refuse the
manifest's format as corrupt; the version makes it say the file is newer than it reads instead."""
FINGERPRINT_HEX = 16
"""A manifest names its model by id and the first 64 bits of the weights file's SHA-256 (version 1 wrote
all 256). The fingerprint only has to tell an honest wrong model from the right one -- nothing trusts it
for security -- and the 48 hex digits it drops cost ~35 deflated bytes: 1.7 % of a 480x320 photo at
quality 10, paid by every BD-rate measurement (docs/DECISIONS.md)."""
_HEADER = struct.Struct(">8sHHII")
HEADER_BYTES = _HEADER.size
MAX_MANIFEST = 1 << 20
MAX_SIDE = 1 << 16
_SHA = re.compile(r"^(none|[0-9a-f]{16}|[0-9a-f]{64})$")
SOURCE_FORMATS = ("exr", "hdr", "tiff-float", "png16", "tiff16", "exr-gray", "tiff-float-gray", "png16-gray",
                  "tiff16-gray", "gray")
"""The ``source.format`` values a manifest may hold (:attr:`Manifest.source_format`)."""


class TswError(TexsandwichError):
    """Base class of everything that can be wrong with a ``.tsw`` file."""


class NotTswError(TswError):
    """The file does not start with the ``.tsw`` magic."""


class TruncatedError(TswError):
    """The file ends before the manifest or a stream does."""


class VersionError(TswError):
    """The file was written by a newer format version than this reader knows."""


class CorruptError(TswError):
    """The header or manifest is malformed or inconsistent."""


class ChecksumError(TswError):
    """A stream or the manifest does not match its checksum."""


class ModelMismatchError(TswError):
    """The model offered for decoding is not the one the file was encoded with."""


@dataclass(frozen=True)
class Stream:
    size: int
    crc32: int


@dataclass(frozen=True)
class Manifest:
    recipe: str
    model_id: str
    model_sha256: str
    width: int
    height: int
    channels: tuple[str, ...]
    bit_depth: int
    layout: Layout
    codec: str
    settings: CodecSettings
    streams: tuple[Stream, ...] = field(default=())
    encoder: str = ""
    side: tuple[str, ...] = ()
    """Maps the recipe does not carry but the source had (a material's metallic): each one raw 4:0:0
    image of the same codec and settings, after the layout's streams. Absent from the JSON when empty."""
    transfer: str | None = None
    """16-bit sources: 'pq' (scene-linear EXR through ST 2084) or 'none' (the file's own 16-bit signal)."""
    source_format: str | None = None
    """16-bit sources: 'exr', 'hdr' (Radiance RGBE), 'tiff-float', 'png16' or 'tiff16' ('exr-gray' for a
    luminance-only EXR, 'tiff-float-gray', 'png16-gray', 'tiff16-gray' for one-channel sources, decoded back
    to gray) -- what ``decompress`` writes back.
    8-bit sources: 'gray' for a one-channel source (decoded back to one channel), else absent."""
    orientation: int = 1
    """8-bit sources: the EXIF orientation the decoded file carries (1 = none; pixels are never turned)."""
    chromaticities: tuple[float, ...] | None = None
    """EXR sources: the file's ``chromaticities`` (red, green, blue, white x/y), written back by ``decompress``;
    None = the file had none (Rec.709)."""
    icc: Stream | None = None
    """The source's ICC colour profile (size and CRC-32 of the profile itself; the bytes follow the streams,
    deflated), or None."""
    tone: ToneCurve | None = None
    """16-bit sources coded at a quality where the recipe compands: the per-image curve from the 16-bit
    signal to the bottleneck scale (:mod:`texsandwich.hdr.tone`); absent = the linear ``v / 257``."""
    postfilter: NormalFilter | None = None
    """Recipes with a normal map: the per-band gains of the integrability filter the encoder fitted
    (:mod:`texsandwich.postfilter`), applied after the post-net; absent = none."""
    offsets: tuple[int, ...] = ()
    """Quality offsets, one per codec image of the layout, that the encoder's per-file allocation chose
    (:mod:`texsandwich.rdo`); the nominal quality picks post-net bands. Absent = all 0. Decoding
    does not need them (every stream describes itself); they record how the file was made."""

    def to_json(self) -> dict[str, Any]:
        settings = self.settings.to_json()
        settings.pop("chroma")
        return {
            "recipe": self.recipe,
            "model": {"id": self.model_id, "sha256": fingerprint(self.model_sha256)},
            "source": {
                "width": self.width, "height": self.height,
                "channels": list(self.channels), "bit_depth": self.bit_depth,
                **({"transfer": self.transfer} if self.transfer else {}),
                **({"format": self.source_format} if self.source_format else {}),
                **({"tone": self.tone.to_json()} if self.tone else {}),
                **({"orientation": self.orientation} if self.orientation != 1 else {}),
                **({"chromaticities": list(self.chromaticities)} if self.chromaticities else {}),
                **({"icc": _stream_json(self.icc)} if self.icc else {}),
            },
            "layout": self.layout.to_json(),
            "codec": {"name": self.codec, **settings, **({"offsets": list(self.offsets)} if self.offsets else {})},
            "streams": [_stream_json(s) for s in self.streams],
            "encoder": self.encoder,
            **({"side": list(self.side)} if self.side else {}),
            **({"postfilter": self.postfilter.to_json()} if self.postfilter else {}),
        }

    @property
    def version(self) -> int:
        """The format version this manifest needs: the lowest that holds it (:data:`LINEAR_VERSION` for a
        Radiance or float TIFF source; :data:`HDR_VERSION` for a
        16-bit source's alpha or a Y EXR; :data:`ALPHA_VERSION` for an 8-bit image's alpha;
        :data:`METADATA_VERSION` for source metadata; else 3)."""
        if (self.source_format or "").startswith(("hdr", "tiff-float")):
            return LINEAR_VERSION
        if (ALPHA in self.side and self.bit_depth > 8) or self.source_format == "exr-gray":
            return HDR_VERSION
        if ALPHA in self.side:
            return ALPHA_VERSION
        return METADATA_VERSION if (self.orientation != 1 or self.icc or self.source_format == "gray"
                                    or self.chromaticities) else 3

    @classmethod
    def from_json(cls, d: Any) -> Manifest:
        """Build a manifest from parsed JSON, validating every field (raises :class:`CorruptError`)."""
        try:
            return cls._from_json(d)
        except (UsageError, KeyError, TypeError, ValueError, AttributeError) as e:
            raise CorruptError(f"invalid .tsw manifest: {e}") from None

    @classmethod
    def _from_json(cls, d: Any) -> Manifest:
        side = _typed(d.get("side", []), list, "side") if isinstance(d, dict) else []
        if not all(isinstance(n, str) and re.fullmatch(r"[a-z][a-z0-9_]{0,31}", n) for n in side) or (
                len(set(side)) != len(side)) or ("side" in d and not side):
            raise ValueError("side must be a non-empty list of distinct lower-case map names")
        _keys({k: v for k, v in d.items() if k not in ("side", "postfilter")},
              {"recipe", "model", "source", "layout", "codec", "streams", "encoder"}, "manifest")
        recipe = _typed(d["recipe"], str, "recipe")
        if recipe not in RECIPES:
            raise ValueError(f"unknown recipe {recipe!r} (written by a newer texsandwich?)")
        if "postfilter" in d and RECIPES[recipe].normal_at is None:
            raise ValueError(f"recipe {recipe} has no normal map to post-filter")
        model = _keys(d["model"], {"id", "sha256"}, "model")
        model_id = _typed(model["id"], str, "model id")
        sha = _typed(model["sha256"], str, "model sha256")
        if not model_id or not _SHA.match(sha):
            raise ValueError("model id must be non-empty and sha256 16 or 64 hex digits or 'none'")
        src = dict(d["source"]) if isinstance(d["source"], dict) else d["source"]
        hdr = {k: src.pop(k) for k in ("transfer", "format", "tone", "orientation", "icc", "chromaticities")
               if isinstance(src, dict) and k in src}
        src = _keys(src, {"width", "height", "channels", "bit_depth"}, "source")
        if hdr.get("transfer", "pq") not in ("pq", "none") or hdr.get("format", "exr") not in SOURCE_FORMATS:
            raise ValueError("source transfer must be 'pq' or 'none' and format 'exr', 'hdr', 'tiff-float', 'png16' "
                             "or 'tiff16' (all but 'hdr' optionally '-gray'), or 'gray'")
        orientation = _int(hdr["orientation"], 2, 8, "orientation") if "orientation" in hdr else 1
        icc = _stream(hdr["icc"], MAX_PROFILE_BYTES) if "icc" in hdr else None
        chromaticities = _chromaticities(hdr["chromaticities"]) if "chromaticities" in hdr else None
        if chromaticities and hdr.get("format") not in ("exr", "exr-gray"):
            raise ValueError("chromaticities belong to EXR sources")
        width, height = _int(src["width"], 1, MAX_SIDE, "width"), _int(src["height"], 1, MAX_SIDE, "height")
        channels = _typed(src["channels"], list, "channels")
        if not channels or not all(isinstance(c, str) and c for c in channels):
            raise ValueError("channels must be a non-empty list of names")
        bit_depth = _int(src["bit_depth"], 1, 32, "bit_depth")
        if "tone" in hdr and bit_depth != 16:
            raise ValueError("a tone curve maps 16-bit sources only")
        fmt = hdr.get("format")
        if (fmt == "gray") != (bit_depth == 8 and fmt is not None) or (bit_depth == 8 and "transfer" in hdr):
            raise ValueError("8-bit sources have no transfer and no format but 'gray'; 'gray' is for 8-bit ones")
        layout = Layout.from_json(d["layout"])
        codec = d["codec"]
        _keys({k: v for k, v in codec.items() if k not in ("chroma_qp", "offsets")} if isinstance(codec, dict)
              else codec, {"name", "mode", "quality", "step", "bit_depth"}, "codec")
        name = _typed(codec["name"], str, "codec name")
        if name not in CODECS:
            raise ValueError(f"unknown codec {name!r}")
        settings = CodecSettings.from_json(
            {"chroma": layout.chroma, **{k: codec[k] for k in codec if k not in ("name", "offsets")}})
        offsets = tuple(_int(o, -100, 100, "quality offset") for o in _typed(codec.get("offsets", []), list,
                                                                                  "offsets"))
        if "offsets" in codec and (not any(offsets) or len(offsets) != len(layout.groups) or settings.quality is None):
            raise ValueError(f"offsets must be one per codec image ({len(layout.groups)}), not all 0, with a quality")
        streams_json = _typed(d["streams"], list, "streams")
        if len(streams_json) != len(layout.groups) + len(side):
            raise ValueError(f"{len(streams_json)} streams for a layout of {len(layout.groups)} codec images"
                             f" and {len(side)} side map(s)")
        streams = [_stream(s, 1 << 40) for s in streams_json]
        return cls(
            recipe=recipe, model_id=model_id, model_sha256=sha, width=width, height=height,
            channels=tuple(channels), bit_depth=bit_depth, layout=layout, codec=name, settings=settings,
            streams=tuple(streams), encoder=_typed(d["encoder"], str, "encoder"), side=tuple(side),
            transfer=hdr.get("transfer"), source_format=hdr.get("format"), orientation=orientation, icc=icc,
            chromaticities=chromaticities,
            tone=ToneCurve.from_json(hdr["tone"]) if "tone" in hdr else None,
            postfilter=NormalFilter.from_json(d["postfilter"]) if "postfilter" in d else None, offsets=offsets,
        )


def _chromaticities(v: Any) -> tuple[float, ...]:
    values = _typed(v, list, "chromaticities")
    if len(values) != 8 or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and -10 <= x <= 10
                                   for x in values):
        raise ValueError("chromaticities must be 8 numbers in [-10, 10]")
    return tuple(float(x) for x in values)


def _stream_json(s: Stream) -> dict[str, Any]:
    return {"bytes": s.size, "crc32": f"{s.crc32:08x}"}


def _stream(s: Any, most: int) -> Stream:
    """A ``{"bytes", "crc32"}`` entry (a codec stream, or the colour profile)."""
    _keys(s, {"bytes", "crc32"}, "stream")
    crc = _typed(s["crc32"], str, "crc32")
    if not re.fullmatch(r"[0-9a-f]{8}", crc):
        raise ValueError("crc32 must be 8 hex digits")
    return Stream(_int(s["bytes"], 1, most, "stream bytes"), int(crc, 16))


def _keys(d: Any, keys: set[str], what: str) -> dict:
    if not isinstance(d, dict):
        raise TypeError(f"{what} must be an object")
    if set(d) != keys:
        raise ValueError(f"{what} must have exactly the keys {sorted(keys)}, has {sorted(d)}")
    return d


def _typed(v: Any, t: type, what: str) -> Any:
    if not isinstance(v, t) or isinstance(v, bool):
        raise TypeError(f"{what} must be of type {t.__name__}")
    return v


def _int(v: Any, lo: int, hi: int, what: str) -> int:
    _typed(v, int, what)
    if not lo <= v <= hi:
        raise ValueError(f"{what} must be in [{lo}, {hi}], is {v}")
    return v


@dataclass(frozen=True)
class Tsw:
    """A parsed ``.tsw`` file: its manifest and its standard bitstreams."""

    manifest: Manifest
    streams: tuple[bytes, ...]
    manifest_bytes: int = 0
    """Stored (deflated) manifest size."""
    heads_bytes: int = 0
    """Stored size of the packed stream heads (0: streams stored whole, as in versions 1 and 2)."""
    icc: bytes | None = None
    """The source's ICC colour profile (``manifest.icc`` describes it), or None."""
    icc_bytes: int = 0
    """Its stored (deflated) size."""


# A preset deflate dictionary (RFC 1950 style, fixed by FORMAT_VERSION): a typical manifest, so that keys
# and common values cost a back-reference instead of their letters. It takes the manifest from ~225 to
# ~110 bytes -- several percent of a small image's file, which every BD-rate measurement pays.
_ZDICT = json.dumps({
    "recipe": "rgb-444", "model": {"id": "rgb-420-slim", "sha256": "none"},
    "source": {"width": 512, "height": 512, "channels": ["R", "G", "B"], "bit_depth": 8},
    "layout": {"chroma": "420", "planes": 3, "scale": 1},
    "codec": {"name": "heic", "mode": "raw", "quality": 50, "step": None, "bit_depth": 8},
    "streams": [{"bytes": 1, "crc32": "00000000"}], "encoder": "texsandwich 0.1.0",
}, separators=(",", ":")).encode() + b"rgb-400jpegrgb-444-slimrgb-400-slim"


def deflate(raw: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=_ZDICT)
    return c.compress(raw) + c.flush()


def inflate(stored: bytes) -> bytes:
    """Inflate a stored manifest, refusing anything that is not one complete stream under the size cap."""
    d = zlib.decompressobj(-15, zdict=_ZDICT)
    try:
        raw = d.decompress(stored, MAX_MANIFEST)
    except zlib.error as e:
        raise CorruptError(f".tsw manifest cannot be inflated: {e}") from None
    if not d.eof or d.unconsumed_tail or d.unused_data:
        raise CorruptError(".tsw manifest is not one complete deflate stream")
    return raw


def write_tsw(manifest: Manifest, streams: list[bytes] | tuple[bytes, ...], icc: bytes | None = None) -> bytes:
    """Serialise; the stream sizes and checksums in ``manifest`` are filled in from ``streams`` (and its
    colour profile's from ``icc``, which is stored deflated after them)."""
    filled = Manifest(**{
        **manifest.__dict__,
        "streams": tuple(Stream(len(s), zlib.crc32(s)) for s in streams),
        "icc": Stream(len(icc), zlib.crc32(icc)) if icc else None,
    })
    body = deflate(json.dumps(filled.to_json(), separators=(",", ":"), ensure_ascii=True).encode())
    parts = stream_heads.split(manifest.codec, streams)
    flags, payload = 0, list(streams)
    if parts is not None:
        flags, payload = FLAG_HEADS, [stream_heads.pack(parts[0]), *parts[1]]
    header = _HEADER.pack(MAGIC, filled.version, flags, len(body), zlib.crc32(body))
    return header + body + b"".join(payload) + (zlib.compress(icc, 9) if icc else b"")


def read_tsw(data: bytes) -> Tsw:
    """Parse and validate a ``.tsw`` file; raises a :class:`TswError` subclass on any problem."""
    manifest, flags, length, end = _read_head(data)
    streams = []
    pos = end
    heads = [b""] * len(manifest.streams)
    heads_bytes = 0
    if flags & FLAG_HEADS:
        try:
            heads, pos = stream_heads.unpack(manifest.codec, data, end, len(manifest.streams))
        except stream_heads.HeadError as e:
            raise CorruptError(f".tsw {e} (file is corrupt or truncated)") from None
        heads_bytes = pos - end
    for i, (s, head) in enumerate(zip(manifest.streams, heads, strict=True)):
        size = s.size - len(head)
        if size < 0:
            raise CorruptError(f".tsw stream {i} is shorter than its head")
        if pos + size > len(data):
            raise TruncatedError(f".tsw file is truncated (stream {i} incomplete)")
        chunk = head + data[pos : pos + size]
        if zlib.crc32(chunk) != s.crc32:
            raise ChecksumError(f".tsw stream {i} checksum mismatch (file is corrupt)")
        streams.append(chunk)
        pos += size
    icc = _read_icc(manifest.icc, data, pos) if manifest.icc else None
    if icc is None and pos != len(data):
        raise CorruptError(f".tsw file has {len(data) - pos} unexpected trailing bytes")
    return Tsw(manifest, tuple(streams), length, heads_bytes, icc, len(data) - pos if icc else 0)


def manifest_length(head: bytes) -> int:
    """Bytes from the start of a ``.tsw`` to the end of its manifest, from its first :data:`HEADER_BYTES`
    (what :func:`read_manifest` needs; the header is checked there)."""
    return _HEADER.size + (_HEADER.unpack_from(head)[3] if len(head) >= _HEADER.size else 0)


def read_manifest(data: bytes) -> Manifest:
    """The validated manifest of a ``.tsw`` from its first :func:`manifest_length` bytes: what a caller that
    only needs to know what a file holds reads, without its streams (``decompress`` naming its outputs)."""
    return _read_head(data)[0]


def _read_head(data: bytes) -> tuple[Manifest, int, int, int]:
    """Header and manifest: ``(manifest, flags, manifest length, offset after it)``."""
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        raise NotTswError("not a .tsw file (bad magic)")
    if len(data) < _HEADER.size:
        raise TruncatedError(".tsw file is truncated (incomplete header)")
    _, version, flags, length, crc = _HEADER.unpack_from(data)
    if version > FORMAT_VERSION:
        raise VersionError(f".tsw format version {version} is newer than this texsandwich reads ({FORMAT_VERSION})")
    if version < 1 or flags & ~FLAG_HEADS or (flags and version < 3):
        raise CorruptError(f".tsw header is corrupt (version {version}, flags {flags})")
    if length > MAX_MANIFEST:
        raise CorruptError(f".tsw manifest length {length} is implausible")
    end = _HEADER.size + length
    if len(data) < end:
        raise TruncatedError(".tsw file is truncated (incomplete manifest)")
    body = data[_HEADER.size : end]
    if zlib.crc32(body) != crc:
        raise ChecksumError(".tsw manifest checksum mismatch (file is corrupt)")
    try:
        parsed = json.loads(inflate(body).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CorruptError(f".tsw manifest is not valid JSON: {e}") from None
    return Manifest.from_json(parsed), flags, length, end


def _read_icc(entry: Stream, data: bytes, pos: int) -> bytes:
    """The colour profile stored from ``pos`` to the end of the file: one complete zlib stream whose
    contents match the manifest's size and CRC-32."""
    if pos >= len(data):
        raise TruncatedError(".tsw file is truncated (colour profile missing)")
    d = zlib.decompressobj()
    try:
        icc = d.decompress(data[pos:], entry.size + 1)
    except zlib.error as e:
        raise CorruptError(f".tsw colour profile cannot be inflated: {e}") from None
    if not d.eof:
        raise TruncatedError(".tsw file is truncated (colour profile incomplete)") if len(icc) <= entry.size \
            else CorruptError(".tsw colour profile is larger than its manifest says")
    if d.unused_data:
        raise CorruptError(f".tsw file has {len(d.unused_data)} unexpected trailing bytes")
    if len(icc) != entry.size or zlib.crc32(icc) != entry.crc32:
        raise ChecksumError(".tsw colour profile checksum mismatch (file is corrupt)")
    return icc


def fingerprint(sha256: str) -> str:
    """What a manifest stores of a model's SHA-256: its first :data:`FINGERPRINT_HEX` digits ('none' stays)."""
    return sha256 if sha256 == "none" else sha256[:FINGERPRINT_HEX]


def check_model(manifest: Manifest, model_id: str, sha256: str) -> None:
    """Refuse to decode with networks other than those the file was encoded with (as far as it names them:
    version-1 files by the full SHA-256, later ones by its first 64 bits)."""
    stored = manifest.model_sha256
    if (stored == "none" and sha256 != "none") or (stored != "none" and not sha256.startswith(stored)):
        raise ModelMismatchError(
            f"file was encoded with model {manifest.model_id!r} (sha256 {manifest.model_sha256[:12]}), "
            f"not {model_id!r} (sha256 {sha256[:12]})"
        )
