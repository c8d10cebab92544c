"""The .tsw container: round trip, every failure class, and fuzzing of the reader."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from texsandwich.assets import PBR8
from texsandwich.container import (
    FLAG_HEADS,
    FORMAT_VERSION,
    MAGIC,
    ChecksumError,
    CorruptError,
    ModelMismatchError,
    NotTswError,
    TruncatedError,
    TswError,
    VersionError,
    check_model,
    deflate,
    fingerprint,
    inflate,
    manifest_length,
    read_manifest,
    read_tsw,
    write_tsw,
)
from texsandwich.heads import packed_size
from texsandwich.models import load_model
from texsandwich.pipeline import compress
from texsandwich.procedural import procedural_material
from texsandwich.recipes import get_recipe


@pytest.fixture(scope="module")
def tsw_bytes(photo) -> bytes:
    r = get_recipe("rgb-444")
    return compress(photo[:48, :64], r, load_model("none", r), "jpeg", 60).data


def rewrite_manifest(data: bytes, edit, version: int = FORMAT_VERSION) -> bytes:
    """Apply ``edit`` to the manifest JSON and re-seal it with a valid header and CRC (versions before 3
    store the complete streams, so those are written out unpacked)."""
    flags, length = struct.unpack_from(">HI", data, 10)
    manifest = json.loads(inflate(data[20 : 20 + length]))
    edit(manifest)
    body = deflate(json.dumps(manifest, separators=(",", ":")).encode())
    rest = data[20 + length :] if version >= 3 else b"".join(read_tsw(data).streams)
    flags = flags if version >= 3 else 0
    return struct.pack(">8sHHII", MAGIC, version, flags, len(body), zlib.crc32(body)) + body + rest


def stored_manifest(data: bytes) -> dict:
    return json.loads(inflate(data[20 : 20 + struct.unpack_from(">I", data, 12)[0]]))


def test_round_trip(tsw_bytes):
    tsw = read_tsw(tsw_bytes)
    assert tsw.manifest.recipe == "rgb-444"
    assert tsw.manifest.model_id == "none"
    assert (tsw.manifest.width, tsw.manifest.height) == (64, 48)
    assert all(s.startswith(b"\xff\xd8") and s.endswith(b"\xff\xd9") for s in tsw.streams), "complete JPEGs"
    assert [(m.size, m.crc32) for m in tsw.manifest.streams] == [(len(s), zlib.crc32(s)) for s in tsw.streams]


def test_stream_heads_are_packed_once_and_rebuilt_byte_for_byte(photo):
    """Version 3 stores the boxes in front of each HEIC's coded data as one deflate stream: eight 4:0:0
    planes of a pbr8 material pay ~100 bytes of heads instead of ~3 KB, and every stream comes back as the
    exact file the codec wrote (its CRC is checked on the rebuilt file; a plain decoder reads it)."""
    r = get_recipe("pbr8-400")
    c = compress(procedural_material(64, 64, seed=3).stack(PBR8), r, load_model("none", r), "heic", 30)
    assert struct.unpack_from(">H", c.data, 10)[0] == FLAG_HEADS
    tsw = read_tsw(c.data)
    assert len(tsw.streams) == 8 and all(s[4:8] == b"ftyp" for s in tsw.streams)
    plain = sum(len(s) for s in tsw.streams)
    saved = plain + 20 + struct.unpack_from(">I", c.data, 12)[0] - len(c.data)
    assert saved > 7 * 340, f"packing saved only {saved} bytes of eight ~370-byte heads"
    pillow_heif = pytest.importorskip("pillow_heif")
    for s in tsw.streams:
        assert pillow_heif.open_heif(io.BytesIO(s)).size == (64, 64)
    assert write_tsw(tsw.manifest, tsw.streams) == c.data, "writing is deterministic"


def test_damaged_heads_are_corrupt_not_crashes(photo):
    r = get_recipe("rgb-444")
    data = compress(photo[:32, :32], r, load_model("none", r), "heic", 40).data
    start = 20 + struct.unpack_from(">I", data, 12)[0]
    for pos in (start, start + 3, start + 8):
        bad = bytearray(data)
        bad[pos] ^= 0x5A
        with pytest.raises(TswError):
            read_tsw(bytes(bad))
    unflagged = data[:10] + struct.pack(">H", 0) + data[12:]
    with pytest.raises(TswError):
        read_tsw(unflagged)
    with pytest.raises(CorruptError):  # the heads flag needs version 3
        read_tsw(data[:8] + struct.pack(">HH", 2, FLAG_HEADS) + data[12:])


def test_packed_size_counts_what_packing_gives_a_baseline(photo):
    r = get_recipe("rgb-444")
    streams = read_tsw(compress(photo[:32, :32], r, load_model("none", r), "heic", 40).data).streams * 5
    assert packed_size("heic", streams) < sum(len(s) for s in streams) - 4 * 340
    assert packed_size("heic", [b"not a heic file"]) == 15


def test_each_failure_has_its_error(tsw_bytes):
    with pytest.raises(NotTswError):
        read_tsw(b"GIF89a" + tsw_bytes[6:])
    with pytest.raises(TruncatedError):
        read_tsw(tsw_bytes[:15])
    with pytest.raises(TruncatedError):
        read_tsw(tsw_bytes[:-1])
    with pytest.raises(VersionError):
        read_tsw(tsw_bytes[:8] + struct.pack(">H", FORMAT_VERSION + 1) + tsw_bytes[10:])
    flipped = bytearray(tsw_bytes)
    flipped[-100] ^= 0x01
    with pytest.raises(ChecksumError):
        read_tsw(bytes(flipped))
    flipped = bytearray(tsw_bytes)
    flipped[30] ^= 0x20
    with pytest.raises(ChecksumError):
        read_tsw(bytes(flipped))
    with pytest.raises(CorruptError):
        read_tsw(tsw_bytes + b"\0")
    bad_bodies = (b"\xff\xff garbage", deflate(b"not json"), deflate(b"[]"), deflate(b"{}") + b"x",
                  deflate(b" " * 2_000_000))
    for body in bad_bodies:
        header = struct.pack(">8sHHII", MAGIC, 1, 0, len(body), zlib.crc32(body))
        with pytest.raises(CorruptError):
            read_tsw(header + body)
    for edit in (
        lambda m: m.update(recipe="rgb-999"),
        lambda m: m["source"].update(width=-3),
        lambda m: m["source"].update(width=True),
        lambda m: m["codec"].update(quality=500),
        lambda m: m["codec"].update(name="webp"),
        lambda m: m["layout"].update(chroma="411"),
        lambda m: m["streams"].append({"bytes": 1, "crc32": "00000000"}),
        lambda m: m.pop("model"),
        lambda m: m["model"].update(sha256="xyz"),
    ):
        with pytest.raises(CorruptError):
            read_tsw(rewrite_manifest(tsw_bytes, edit))


def test_model_mismatch_is_refused(tsw_bytes):
    m = read_tsw(tsw_bytes).manifest
    check_model(m, "none", "none")
    with pytest.raises(ModelMismatchError):
        check_model(m, "rgb-444-slim", "ab" * 32)


def test_manifest_names_a_model_by_a_64_bit_fingerprint_and_reads_version_1_full_hashes(tsw_bytes):
    """Versions 2 and 3 store 16 hex digits of the weights' SHA-256 (~35 bytes less per file); version-1 files
    with all 64 still read, and both refuse a model whose hash differs within what they store."""
    sha = hashlib.sha256(b"weights").hexdigest()
    v2 = rewrite_manifest(tsw_bytes, lambda m: m["model"].update(id="x", sha256=sha[:16]), version=2)
    v1 = rewrite_manifest(tsw_bytes, lambda m: m["model"].update(id="x", sha256=sha), version=1)
    for blob in (v1, v2):
        m = read_tsw(blob).manifest
        check_model(m, "x", sha)
        with pytest.raises(ModelMismatchError):
            check_model(m, "x", ("0" if sha[0] != "0" else "1") + sha[1:])
        with pytest.raises(ModelMismatchError):
            check_model(m, "x", "none")
    with pytest.raises(ModelMismatchError):  # the bits a version-1 file stores beyond the fingerprint count
        check_model(read_tsw(v1).manifest, "x", sha[:-1] + ("0" if sha[-1] != "0" else "1"))
    rewritten = write_tsw(read_tsw(v1).manifest, read_tsw(v1).streams)  # re-saving writes version 3
    assert struct.unpack_from(">H", rewritten, 8)[0] == 3  # no source metadata: the version 0.6 reads
    assert stored_manifest(rewritten)["model"]["sha256"] == sha[:16] and len(rewritten) < len(v1) - 25
    assert fingerprint(sha) == sha[:16] and fingerprint("none") == "none"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_truncation_and_byte_flips_raise_only_tsw_errors(tsw_bytes, data):
    blob = bytearray(tsw_bytes)
    cut = data.draw(st.integers(0, len(blob)))
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(blob) - 1), st.integers(1, 255)), max_size=4))
    for pos, mask in flips:
        blob[pos] ^= mask
    blob = blob[:cut] if data.draw(st.booleans()) else blob
    with contextlib.suppress(TswError):
        read_tsw(bytes(blob))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_arbitrary_bytes(blob):
    with contextlib.suppress(TswError):
        read_tsw(MAGIC + blob)


def test_the_manifest_alone_reads_from_the_files_first_bytes_and_fails_as_the_whole_file_does(tsw_bytes):
    n = manifest_length(tsw_bytes[:20])
    assert n < len(tsw_bytes) and read_manifest(tsw_bytes[:n]) == read_tsw(tsw_bytes).manifest
    with pytest.raises(TruncatedError, match="incomplete manifest"):
        read_manifest(tsw_bytes[: n - 1])
    with pytest.raises(ChecksumError):
        read_manifest(tsw_bytes[:n - 2] + bytes([tsw_bytes[n - 2] ^ 1]) + tsw_bytes[n - 1:n])
    with pytest.raises(NotTswError):
        read_manifest(b"not a tsw at all")
    assert manifest_length(b"\x89TSW") == 20, "too short to say: the header's size (reading then says why)"


def test_heads_dictionary_is_pinned_by_the_format_version():
    """The preset dictionary is part of format 3: a different one would make every version-3 file unreadable."""
    from texsandwich.heads import dictionary

    assert hashlib.sha256(dictionary()).hexdigest() == (
        "d8e886dc7fe7e8a5bae301c1046e343bcc06eb5db87bb8df76b96eb3ec030e28")
