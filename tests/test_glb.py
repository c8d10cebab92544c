"""Binary glTF (.glb): compressing one leaves its textures out of the geometry buffer, decompressing
gives a .glb back, and the packing keeps every reference and byte the geometry needs."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from pygltflib import GLTF2

from texsandwich.assets import decode_map
from texsandwich.cli import main
from texsandwich.errors import InputError
from texsandwich.glb import drop_views, image_mime, pack_glb
from texsandwich.gltf import to_glb

SAMPLE = Path(__file__).resolve().parents[1] / "texsandwich" / "samples" / "torus"


def run(capsys, *args):
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, payload) chunks of a .glb, checking the framing the spec asks for."""
    magic, version, length = struct.unpack_from("<4sII", data)
    assert (magic, version, length) == (b"glTF", 2, len(data))
    out, at = [], 12
    while at < len(data):
        n, kind = struct.unpack_from("<I4s", data, at)
        assert n % 4 == 0 and at % 4 == 0
        out.append((kind, data[at + 8 : at + 8 + n]))
        at += 8 + n
    return out


def _positions(gltf: GLTF2, blob: bytes) -> np.ndarray:
    acc = gltf.accessors[gltf.meshes[0].primitives[0].attributes.POSITION]
    view = gltf.bufferViews[acc.bufferView]
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    return np.frombuffer(blob[start : start + acc.count * 12], "<f4").reshape(-1, 3)


@pytest.fixture()
def glb(tmp_path) -> Path:
    """The shipped torus as one .glb, plus an emissive JPEG no recipe codes (it must survive as it is)."""
    src = tmp_path / "src"
    shutil.copytree(SAMPLE, src)
    doc = json.loads((src / "torus.gltf").read_text())
    from PIL import Image

    Image.new("RGB", (8, 8), (200, 40, 10)).save(src / "glow.jpg", quality=90)
    doc["images"].append({"uri": "glow.jpg"})
    doc["textures"].append({"source": len(doc["images"]) - 1})
    doc["materials"][0]["emissiveTexture"] = {"index": len(doc["textures"]) - 1}
    (src / "torus.gltf").write_text(json.dumps(doc))
    path = tmp_path / "torus.glb"
    path.write_bytes(to_glb(src / "torus.gltf"))
    return path


def test_to_glb_frames_the_file_as_the_spec_says(glb):
    data = glb.read_bytes()
    (k1, text), (k2, blob) = _chunks(data)
    assert (k1, k2) == (b"JSON", b"BIN\0") and (12 + 8 + len(text) + 8) % 8 == 0
    doc = json.loads(text)
    assert [i.get("mimeType") for i in doc["images"]] == ["image/png"] * 3 + ["image/jpeg"]
    assert all("uri" not in i for i in doc["images"]) and doc["buffers"] == [{"byteLength": len(blob)}]
    g = GLTF2().load(str(glb))
    src = GLTF2().load(str(SAMPLE / "torus.gltf"))
    assert np.array_equal(_positions(g, bytes(g.binary_blob())),
                          _positions(src, (SAMPLE / "torus.bin").read_bytes()))
    view = doc["bufferViews"][doc["images"][0]["bufferView"]]
    png = blob[view["byteOffset"] : view["byteOffset"] + view["byteLength"]]
    assert png == (SAMPLE / "torus_albedo.png").read_bytes()


def test_compressing_a_glb_leaves_its_textures_out_of_the_geometry_buffer(capsys, glb, tmp_path):
    code, _, err = run(capsys, "compress", str(glb), "-o", str(tmp_path / "out"), "-q")
    assert code == 0, err
    g = GLTF2().load(str(tmp_path / "out" / "torus.gltf"))
    bin_file = tmp_path / "out" / g.buffers[0].uri
    geometry = (SAMPLE / "torus.bin").stat().st_size
    # the chunk held geometry + 3 PNGs + the JPEG; what is written is the geometry alone (views 8-aligned)
    assert geometry <= bin_file.stat().st_size < geometry + 64
    assert len(g.bufferViews) == 4 and all(i.bufferView is None for i in g.images)
    src = GLTF2().load(str(SAMPLE / "torus.gltf"))
    assert np.array_equal(_positions(g, bin_file.read_bytes()), _positions(src, (SAMPLE / "torus.bin").read_bytes()))
    glow = tmp_path / "out" / g.images[3].uri
    assert glow.suffix == ".jpg" and glow.read_bytes() == (glb.parent / "src" / "glow.jpg").read_bytes()
    assert g.asset.extras == {"texsandwich": {"source": ".glb"}}


def test_decompress_gives_a_glb_back_for_a_glb_and_what_o_names_otherwise(capsys, glb, tmp_path):
    assert run(capsys, "compress", str(glb), "-o", str(tmp_path / "out"), "-q")[0] == 0
    packed = tmp_path / "out" / "torus.gltf"
    code, out, err = run(capsys, "decompress", str(packed), "-o", str(tmp_path / "dec"))
    assert code == 0, err
    assert "dec/torus.glb: 3 PNG texture(s)" in out and sorted(p.name for p in (tmp_path / "dec").iterdir()) == [
        "torus.glb"]
    code, _, err = run(capsys, "decompress", str(packed), "-o", str(tmp_path / "sep" / "model.gltf"))
    assert code == 0, err
    g = GLTF2().load(str(tmp_path / "dec" / "torus.glb"))
    sep = GLTF2().load(str(tmp_path / "sep" / "model.gltf"))
    assert g.asset.extras in (None, {}) and sep.asset.extras in (None, {})  # ordinary glTF files again
    blob = bytes(g.binary_blob())
    for img, other in zip(g.images, sep.images, strict=True):  # the same textures, embedded or beside
        view = g.bufferViews[img.bufferView]
        data = blob[view.byteOffset : view.byteOffset + view.byteLength]
        assert data == (tmp_path / "sep" / other.uri).read_bytes() and img.mimeType == image_mime(data)
    assert decode_map((tmp_path / "sep" / sep.images[0].uri).read_bytes(), "albedo").shape[:2] == (64, 64)
    src = GLTF2().load(str(SAMPLE / "torus.gltf"))
    assert np.array_equal(_positions(g, blob), _positions(src, (SAMPLE / "torus.bin").read_bytes()))
    # a model compressed from a .gltf comes back as .gltf unless -o says .glb
    assert run(capsys, "compress", str(SAMPLE / "torus.gltf"), "-o", str(tmp_path / "out2"), "-q")[0] == 0
    assert run(capsys, "decompress", str(tmp_path / "out2" / "torus.gltf"), "-o", str(tmp_path / "dec2"))[0] == 0
    assert (tmp_path / "dec2" / "torus.gltf").is_file()
    assert run(capsys, "decompress", str(tmp_path / "out2" / "torus.gltf"), "-o", str(tmp_path / "one.glb"))[0] == 0
    assert _chunks((tmp_path / "one.glb").read_bytes())[1][0] == b"BIN\0"


def test_compress_refuses_a_glb_output_name_and_writes_nothing(capsys, glb, tmp_path):
    code, _, err = run(capsys, "compress", str(glb), "-o", str(tmp_path / "x" / "torus.glb"))
    assert code != 0 and "give a folder or a .gltf name" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_drop_views_renumbers_every_reference_and_keeps_views_still_in_use():
    doc = {
        "buffers": [{"byteLength": 24}],
        "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": 8},   # an image, moved out
                        {"buffer": 0, "byteOffset": 8, "byteLength": 4},   # sparse indices
                        {"buffer": 0, "byteOffset": 12, "byteLength": 4},  # draco data
                        {"buffer": 0, "byteOffset": 16, "byteLength": 8}],  # an image still referenced
        "accessors": [{"count": 1, "sparse": {"indices": {"bufferView": 1}, "values": {"bufferView": 3}}}],
        "meshes": [{"primitives": [{"extensions": {"KHR_draco_mesh_compression": {"bufferView": 2}}}]}],
        "images": [{"uri": "a.tsw"}, {"bufferView": 3}],
    }
    blob = bytes(range(24))
    out = drop_views(doc, {0, 3}, 0, blob)
    assert [v["byteLength"] for v in doc["bufferViews"]] == [4, 4, 8]
    assert doc["accessors"][0]["sparse"]["indices"]["bufferView"] == 0
    assert doc["accessors"][0]["sparse"]["values"]["bufferView"] == 2
    assert doc["meshes"][0]["primitives"][0]["extensions"]["KHR_draco_mesh_compression"]["bufferView"] == 1
    assert doc["images"][1]["bufferView"] == 2
    for v, old in zip(doc["bufferViews"], (8, 12, 16), strict=True):
        assert out[v["byteOffset"] : v["byteOffset"] + v["byteLength"]] == blob[old : old + v["byteLength"]]
    assert doc["buffers"][0]["byteLength"] == len(out) < len(blob) + 16


def test_views_that_address_buffers_themselves_are_left_alone_and_not_repacked():
    doc = {"buffers": [{"byteLength": 8}, {"byteLength": 8, "extensions": {"EXT_meshopt_compression": {}}}],
           "bufferViews": [{"buffer": 1, "byteLength": 8, "extensions": {"EXT_meshopt_compression": {"buffer": 0}}},
                           {"buffer": 0, "byteLength": 4}]}
    blob = bytes(8)
    assert drop_views(doc, {1}, 0, blob) is blob and len(doc["bufferViews"]) == 2
    with pytest.raises(InputError, match=r"cannot be repacked into a \.glb"):
        pack_glb(doc, [blob, blob], {})


def test_a_truncated_glb_is_said_to_be_cut_off(capsys, glb, tmp_path):
    data = glb.read_bytes()
    (tmp_path / "cut.glb").write_bytes(data[: len(data) - 100])
    code, _, err = run(capsys, "compress", str(tmp_path / "cut.glb"), "-o", str(tmp_path / "o"))
    assert code == 1 and f"cut.glb: truncated .glb ({len(data) - 100:,} of {len(data):,} bytes)" in err
    assert not (tmp_path / "o").exists()


def test_a_meshopt_fallback_buffer_stays_without_data(capsys, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE, src)
    doc = json.loads((src / "torus.gltf").read_text())
    doc["buffers"].append({"byteLength": 64, "extensions": {"EXT_meshopt_compression": {"fallback": True}}})
    doc["bufferViews"].append({"buffer": 1, "byteLength": 64, "extensions": {"EXT_meshopt_compression": {
        "buffer": 0, "byteOffset": 0, "byteLength": 16, "byteStride": 4, "count": 16, "mode": "ATTRIBUTES"}}})
    doc["extensionsUsed"] = ["EXT_meshopt_compression"]
    (src / "torus.gltf").write_text(json.dumps(doc))
    code, _, err = run(capsys, "compress", str(src / "torus.gltf"), "-o", str(tmp_path / "o"), "-q")
    assert code == 0, err
    out = json.loads((tmp_path / "o" / "torus.gltf").read_text())
    assert out["buffers"][1] == doc["buffers"][1]
    assert out["bufferViews"][-1]["extensions"] == doc["bufferViews"][-1]["extensions"]
    assert sorted(p.suffix for p in (tmp_path / "o").iterdir()) == [".bin", ".gltf", ".json", ".tsw"]
    code, _, err = run(capsys, "decompress", str(tmp_path / "o" / "torus.gltf"), "-o", str(tmp_path / "d.glb"))
    assert code == 1 and "cannot be repacked into a .glb" in err and not (tmp_path / "d.glb").exists()
