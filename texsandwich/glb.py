"""Binary glTF (``.glb``): one file holding the JSON, the geometry and the images, and the bookkeeping
of buffer views when a rewrite moves images out of a ``.glb``'s binary chunk.

Why our own packing (docs/DECISIONS.md): pygltflib parses ``.glb`` well but cannot put image data into
a buffer (it says so and skips them), and its flattener copies view by view, which breaks views that
address bytes through an extension (``EXT_meshopt_compression``). Here everything works on the glTF
JSON as a dict plus the bytes of each buffer; the file framing is the spec's (glTF 2.0, section 4.4):
a 12-byte header, a JSON chunk padded with spaces, a BIN chunk padded with zeros.
"""

from __future__ import annotations

import json
import struct
from collections import Counter
from typing import Any

from texsandwich.errors import InputError

MAGIC = b"glTF"
VERSION = 2
JSON_CHUNK = b"JSON"
BIN_CHUNK = b"BIN\0"
ALIGN = 8
"""Start of every buffer and image in a written BIN chunk: 4 is what accessors need, 8 what
``EXT_structural_metadata`` asks for."""


def _walk_refs(node: Any, remap: dict[int, int] | None, counts: Counter[int]) -> None:
    """Count (or, with ``remap``, rewrite) every ``"bufferView": N`` under ``node``: accessors, sparse
    accessors, images and extensions such as ``KHR_draco_mesh_compression`` all use that key."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "bufferView" and isinstance(value, int) and not isinstance(value, bool):
                counts[value] += 1
                if remap is not None:
                    node[key] = remap[value]
            else:
                _walk_refs(value, remap, counts)
    elif isinstance(node, list):
        for item in node:
            _walk_refs(item, remap, counts)


def view_references(doc: dict) -> Counter[int]:
    """How many times each buffer view is referenced (views themselves are not walked)."""
    counts: Counter[int] = Counter()
    _walk_refs({k: v for k, v in doc.items() if k != "bufferViews"}, None, counts)
    return counts


def addresses_buffers(doc: dict) -> bool:
    """Whether a buffer view carries an extension (``EXT_meshopt_compression`` names buffers and offsets of
    its own): such files are passed through as they are, never repacked."""
    return any("extensions" in v for v in doc.get("bufferViews") or [])


def drop_views(doc: dict, drop: set[int], chunk: int | None, blob: bytes | None) -> bytes | None:
    """Remove the buffer views in ``drop`` that nothing references any more, renumber the references to
    the rest, and compact ``blob`` (the bytes of buffer ``chunk``, a ``.glb``'s own) to the views left in
    it. Returns the new blob (``blob`` unchanged when nothing could be dropped).

    What it is for: compressing a ``.glb`` moves its images out into ``.tsw`` files; without this its
    geometry buffer would still carry every original texture, and the "compressed" model would not be
    any smaller on disk.
    """
    views = doc.get("bufferViews") or []
    refs = view_references(doc)
    gone = {i for i in drop if 0 <= i < len(views) and refs[i] == 0}
    if not gone or addresses_buffers(doc):
        return blob
    remap, kept = {}, []
    for i, v in enumerate(views):
        if i not in gone:
            remap[i] = len(kept)
            kept.append(v)
    _walk_refs({k: v for k, v in doc.items() if k != "bufferViews"}, remap, Counter())
    doc["bufferViews"] = kept
    if chunk is None or blob is None:
        return blob
    out = bytearray()
    for v in sorted((v for v in kept if v.get("buffer", 0) == chunk), key=lambda v: v.get("byteOffset", 0)):
        start = v.get("byteOffset", 0)
        out += b"\0" * (-len(out) % ALIGN)
        data = blob[start : start + v["byteLength"]]
        v["byteOffset"] = len(out)
        out += data
    out += b"\0" * (-len(out) % 4)
    doc["buffers"][chunk]["byteLength"] = len(out)
    return bytes(out)


def image_mime(data: bytes) -> str:
    """The glTF ``mimeType`` of image bytes, from their signature."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"  # EXT_texture_webp
    if data[4:12] in (b"ftypavif", b"ftypavis"):
        return "image/avif"  # EXT_texture_avif
    if data[:12] == b"\xabKTX 20\xbb\r\n\x1a\n":
        return "image/ktx2"  # KHR_texture_basisu
    return "application/octet-stream"


def pack_glb(doc: dict, buffers: list[bytes], images: dict[int, bytes]) -> bytes:
    """A ``.glb`` of ``doc``: every buffer (``buffers[i]`` holds buffer ``i``'s bytes) and every image in
    ``images`` (index -> encoded bytes; they lose their ``uri``) go into the one BIN chunk.

    ``doc`` is changed in place (views moved to buffer 0, images given views and MIME types).
    """
    views = doc.setdefault("bufferViews", [])
    if addresses_buffers(doc):
        raise InputError("buffer views with extensions (EXT_meshopt_compression?) cannot be repacked into a "
                         ".glb here; write a .gltf instead")
    declared = doc.get("buffers") or []
    if len(buffers) != len(declared):
        raise ValueError(f"{len(buffers)} buffers given for {len(declared)} declared")
    blob, base = bytearray(), []
    for data, buf in zip(buffers, declared, strict=True):
        blob += b"\0" * (-len(blob) % ALIGN)
        base.append(len(blob))
        blob += data[: buf["byteLength"]]
    for v in views:
        v["byteOffset"] = base[v.get("buffer", 0)] + v.get("byteOffset", 0)
        v["buffer"] = 0
    for i, data in sorted(images.items()):
        blob += b"\0" * (-len(blob) % ALIGN)
        views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": len(data)})
        img = doc["images"][i]
        img.pop("uri", None)
        img["bufferView"], img["mimeType"] = len(views) - 1, image_mime(data)
        blob += data
    if not views:
        doc.pop("bufferViews")
    blob += b"\0" * (-len(blob) % 4)
    if blob:
        doc["buffers"] = [{"byteLength": len(blob)}]
    else:
        doc.pop("buffers", None)
    text = json.dumps(doc, separators=(",", ":")).encode()
    text += b" " * (-(12 + 8 + len(text) + 8) % ALIGN)  # the BIN chunk's data starts ALIGN-aligned
    chunks = struct.pack("<I", len(text)) + JSON_CHUNK + text
    if blob:
        chunks += struct.pack("<I", len(blob)) + BIN_CHUNK + bytes(blob)
    return MAGIC + struct.pack("<II", VERSION, 12 + len(chunks)) + chunks
