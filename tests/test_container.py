"""The .tsw container: round trip, every failure class, and fuzzing of the reader."""

from __future__ import annotations

import contextlib
import hashlib
import json
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from texsandwich.container import (
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
    read_tsw,
    write_tsw,
)
from texsandwich.models import load_model
from texsandwich.pipeline import compress
from texsandwich.recipes import get_recipe


@pytest.fixture(scope="module")
def tsw_bytes(photo) -> bytes:
    r = get_recipe("rgb-444")
    return compress(photo[:48, :64], r, load_model("none", r), "jpeg", 60).data


def rewrite_manifest(data: bytes, edit, version: int = 1) -> bytes:
    """Apply ``edit`` to the manifest JSON and re-seal it with a valid header and CRC."""
    length = struct.unpack_from(">I", data, 12)[0]
    manifest = json.loads(inflate(data[20 : 20 + length]))
    edit(manifest)
    body = deflate(json.dumps(manifest, separators=(",", ":")).encode())
    return struct.pack(">8sHHII", MAGIC, version, 0, len(body), zlib.crc32(body)) + body + data[20 + length :]


def stored_manifest(data: bytes) -> dict:
    return json.loads(inflate(data[20 : 20 + struct.unpack_from(">I", data, 12)[0]]))


def test_round_trip(tsw_bytes):
    tsw = read_tsw(tsw_bytes)
    assert tsw.manifest.recipe == "rgb-444"
    assert tsw.manifest.model_id == "none"
    assert (tsw.manifest.width, tsw.manifest.height) == (64, 48)
    assert sum(len(s) for s in tsw.streams) + 20 + struct.unpack_from(">I", tsw_bytes, 12)[0] == len(tsw_bytes)
    assert all(s.startswith(b"\xff\xd8") for s in tsw.streams), "streams are complete JPEG files"


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
    """Version 2 stores 16 hex digits of the weights' SHA-256 (~35 bytes less per file); version-1 files
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
    rewritten = write_tsw(read_tsw(v1).manifest, read_tsw(v1).streams)  # re-saving writes version 2
    assert struct.unpack_from(">H", rewritten, 8)[0] == FORMAT_VERSION == 2
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
