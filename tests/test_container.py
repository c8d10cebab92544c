"""The .tsw container: round trip, every failure class, and fuzzing of the reader."""

from __future__ import annotations

import contextlib
import json
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from texsandwich.container import (
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
    inflate,
    read_tsw,
)
from texsandwich.models import load_model
from texsandwich.pipeline import compress
from texsandwich.recipes import get_recipe


@pytest.fixture(scope="module")
def tsw_bytes(photo) -> bytes:
    r = get_recipe("rgb-444")
    return compress(photo[:48, :64], r, load_model("none", r), "jpeg", 60).data


def rewrite_manifest(data: bytes, edit) -> bytes:
    """Apply ``edit`` to the manifest JSON and re-seal it with a valid header and CRC."""
    length = struct.unpack_from(">I", data, 12)[0]
    manifest = json.loads(inflate(data[20 : 20 + length]))
    edit(manifest)
    body = deflate(json.dumps(manifest, separators=(",", ":")).encode())
    return struct.pack(">8sHHII", MAGIC, 1, 0, len(body), zlib.crc32(body)) + body + data[20 + length :]


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
        read_tsw(tsw_bytes[:8] + struct.pack(">H", 2) + tsw_bytes[10:])
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
