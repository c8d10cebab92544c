"""glTF materials: read (external files, data URIs), compress to .tsw, decompress to a loadable glTF."""

from __future__ import annotations

import base64
import io
import json
import struct

import numpy as np
import pytest
from PIL import Image
from pygltflib import (
    GLTF2,
    Asset,
    Buffer,
    BufferView,
    Material,
    NormalMaterialTexture,
    OcclusionTextureInfo,
    PbrMetallicRoughness,
    TextureInfo,
)
from pygltflib import Image as GImage
from pygltflib import Texture as GTexture

from texsandwich.cli import main
from texsandwich.errors import InputError
from texsandwich.gltf import compressed_tsw_files, read_gltf
from texsandwich.procedural import procedural_material


def _png(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "PNG")
    return buf.getvalue()


def make_gltf(folder, data_uri_normal: bool = False, shared: bool = True):
    """A two-material glTF (both on the same textures when ``shared``): albedo, normal, packed ORM."""
    m = procedural_material(40, 56, seed=5)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "albedo.png").write_bytes(_png(m.map("albedo")))
    orm = np.concatenate([m.map("occlusion"), m.map("roughness"), np.zeros_like(m.map("roughness"))], axis=-1)
    (folder / "orm.png").write_bytes(_png(orm))
    normal_png = _png(m.map("normal"))
    if data_uri_normal:
        normal = GImage(uri="data:image/png;base64," + base64.b64encode(normal_png).decode())
    else:
        (folder / "normal.png").write_bytes(normal_png)
        normal = GImage(uri="normal.png")
    (folder / "geo.bin").write_bytes(struct.pack("<3f", 0, 0, 0) * 4)
    mat = Material(name="stone", pbrMetallicRoughness=PbrMetallicRoughness(
        baseColorTexture=TextureInfo(index=0), metallicRoughnessTexture=TextureInfo(index=2), roughnessFactor=0.8),
        normalTexture=NormalMaterialTexture(index=1, scale=0.7), occlusionTexture=OcclusionTextureInfo(index=2))
    other = Material(name="stone2", pbrMetallicRoughness=PbrMetallicRoughness(
        baseColorTexture=TextureInfo(index=0 if shared else 3), metallicRoughnessTexture=TextureInfo(index=2)),
        normalTexture=NormalMaterialTexture(index=1), occlusionTexture=OcclusionTextureInfo(index=2))
    images = [GImage(uri="albedo.png"), normal, GImage(uri="orm.png")]
    textures = [GTexture(source=0), GTexture(source=1), GTexture(source=2)]
    if not shared:
        (folder / "albedo2.png").write_bytes(_png(255 - m.map("albedo")))
        images.append(GImage(uri="albedo2.png"))
        textures.append(GTexture(source=3))
    g = GLTF2(asset=Asset(version="2.0"), materials=[mat, other], images=images, textures=textures,
              buffers=[Buffer(uri="geo.bin", byteLength=48)], bufferViews=[BufferView(buffer=0, byteLength=48)])
    g.save(str(folder / "scene.gltf"))
    return folder / "scene.gltf", m


def run(capsys, *args):
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def test_read_gltf_shares_textures_and_keeps_normal_scale(tmp_path):
    path, m = make_gltf(tmp_path / "a", data_uri_normal=True)
    _, mats = read_gltf(path)
    assert len(mats) == 1 and mats[0].material_indices == [0, 1]  # the same images: one material
    assert mats[0].images == {0: "albedo", 1: "normal", 2: "orm"}
    assert np.array_equal(mats[0].material.map("normal"), m.map("normal"))
    assert mats[0].extras["normal_scale"] == 0.7
    _, mats = read_gltf(make_gltf(tmp_path / "b", shared=False)[0])
    assert len(mats) == 2


def test_gltf_compress_then_decompress_is_loadable(capsys, tmp_path):
    path, m = make_gltf(tmp_path / "src")
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "c"), "--recipe", "pbr8-400",
                         "--model", "none", "--quality", "80")
    assert code == 0, err
    tsws = compressed_tsw_files(tmp_path / "c" / "scene.gltf")
    assert len(tsws) == 1 and (tmp_path / "c" / tsws[0]).is_file()
    assert json.loads((tmp_path / "c" / "library.json").read_text())["assets"][0]["bytes_out"] > 0
    code, _, err = run(capsys, "decompress", str(tmp_path / "c" / "scene.gltf"), "-o", str(tmp_path / "d"))
    assert code == 0, err
    g = GLTF2().load(str(tmp_path / "d" / "scene.gltf"))
    assert g.materials[0].normalTexture.scale == 0.7 and g.materials[0].pbrMetallicRoughness.roughnessFactor == 0.8
    for img in g.images:
        with Image.open(tmp_path / "d" / img.uri) as im:
            assert im.size == (56, 40)
    assert (tmp_path / "d" / "geo.bin").is_file()
    with Image.open(tmp_path / "d" / g.images[2].uri) as im:  # ORM packed back as glTF wants it
        orm = np.asarray(im)
    assert np.abs(orm[..., 0].astype(int) - m.map("occlusion")[..., 0]).mean() < 4


def test_no_measure_skips_the_shaded_psnr_of_gltf_materials_and_writes_the_same_files(capsys, tmp_path):
    path, _ = _albedo_only_gltf(tmp_path / "src")  # a whole material and one coded per texture
    outs = {}
    for flag in ("--measure", "--no-measure"):
        outs[flag] = tmp_path / flag
        code, text, err = run(capsys, "compress", str(path), "-o", str(outs[flag]), "--quality", "60", flag)
        assert code == 0, err
    assert "shaded PSNR not measured" in text
    names = compressed_tsw_files(outs["--measure"] / path.name)
    assert len(names) == 2 and all((outs["--measure"] / n).read_bytes() == (outs["--no-measure"] / n).read_bytes()
                                   for n in names)
    mats = json.loads((outs["--no-measure"] / "library.json").read_text())["assets"][0]["materials"]
    assert [m["recipe"] for m in mats] == ["pbr8-400", "per-texture"] and [m["shaded_psnr"] for m in mats] == [
        None, None]
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "t"), "--target-psnr", "40",
                       "--no-measure")
    assert code != 0 and "--no-measure" in err and not (tmp_path / "t").exists()


def test_maps_of_different_sizes_are_only_warned_of_where_they_are_resampled_for_coding(capsys, tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    m = procedural_material(40, 56, seed=2)
    (folder / "albedo.png").write_bytes(_png(m.map("albedo")))
    (folder / "normal.png").write_bytes(_png(m.map("normal")[::2, ::2].copy()))
    mat = Material(name="tile", pbrMetallicRoughness=PbrMetallicRoughness(baseColorTexture=TextureInfo(index=0)),
                   normalTexture=NormalMaterialTexture(index=1))
    GLTF2(asset=Asset(version="2.0"), materials=[mat], images=[GImage(uri="albedo.png"), GImage(uri="normal.png")],
          textures=[GTexture(source=0), GTexture(source=1)]).save(str(folder / "tile.gltf"))
    code, _, err = run(capsys, "compress", str(folder / "tile.gltf"), "-o", str(tmp_path / "auto"), "-q")
    assert code == 0 and "resampled" not in err, err  # coded per texture, each at its own size
    code, _, err = run(capsys, "compress", str(folder / "tile.gltf"), "-o", str(tmp_path / "whole"), "-q",
                       "--recipe", "pbr8-400")
    assert code == 0 and "normal map is 28x20, resampled to 56x40" in err
    code, _, err = run(capsys, "decompress", str(tmp_path / "auto" / "tile.gltf"), "-o", str(tmp_path / "dec"))
    with Image.open(tmp_path / "dec" / GLTF2().load(str(tmp_path / "dec" / "tile.gltf")).images[1].uri) as im:
        assert code == 0 and im.size == (28, 20)


def test_gltf_with_a_missing_image_is_one_clear_error(capsys, tmp_path):
    path, _ = make_gltf(tmp_path / "src")
    (tmp_path / "src" / "orm.png").unlink()
    with pytest.raises(InputError, match=r"orm\.png is missing"):
        read_gltf(path)
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "c"), "--recipe", "pbr8-400",
                       "--model", "none")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "orm.png is missing" in err
    assert not (tmp_path / "c" / "scene.gltf").exists()


def _albedo_only_gltf(folder):
    """The shared-texture glTF plus a third material with only a base colour texture (image 3)."""
    path, m = make_gltf(folder)
    g = GLTF2().load(str(path))
    (folder / "paint.png").write_bytes(_png(m.map("albedo")[::-1].copy()))
    g.images.append(GImage(uri="paint.png"))
    g.textures.append(GTexture(source=3))
    g.materials.append(Material(name="paint", pbrMetallicRoughness=PbrMetallicRoughness(
        baseColorTexture=TextureInfo(index=3))))
    g.save(str(path))
    return path, m


def _events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_gltf_auto_recipe_codes_incomplete_materials_per_texture(capsys, tmp_path):
    path, m = _albedo_only_gltf(tmp_path / "src")
    code, out, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "c"), "--quality", "90",
                         "--progress", "json")
    assert code == 0, err
    assert "no normal map" not in err  # nothing is filled for a material coded texture by texture
    ev = _events(out)
    assert [e["event"] for e in ev] == ["start", "material", "step", "material", "step", "asset", "done"]
    full, paint = (e for e in ev if e["event"] == "material")
    assert full["recipe"] == "pbr8-400" and {t["role"] for t in full["textures"]} == {"albedo", "normal", "orm"}
    assert paint["recipe"] == "per-texture" and paint["recipes"] == {"albedo": "rgb-420"}
    assert paint["tsw"] == ["scene.1.paint.albedo.tsw"] and paint["bytes_out"] > 0
    assert paint["bytes_in"] == (tmp_path / "src" / "paint.png").stat().st_size
    assert 20 < full["shaded_psnr"] < 80 and 20 < paint["shaded_psnr"] < 80
    assert ev[-1] == {"event": "done", "assets": 1, "failed": 0, "bytes_in": ev[-2]["bytes_in"],
                      "bytes_out": ev[-2]["bytes_out"]}
    index = json.loads((tmp_path / "c" / "library.json").read_text())
    assert index["recipe"] == "auto" and [x["recipe"] for x in index["assets"][0]["materials"]] == [
        "pbr8-400", "per-texture"]
    code, _, err = run(capsys, "decompress", str(tmp_path / "c" / "scene.gltf"), "-o", str(tmp_path / "d"))
    assert code == 0, err
    g = GLTF2().load(str(tmp_path / "d" / "scene.gltf"))
    with Image.open(tmp_path / "d" / g.images[3].uri) as im:
        paint_png = np.asarray(im.convert("RGB")).astype(float)
    mse = ((paint_png - m.map("albedo")[::-1]) ** 2).mean()
    assert 10 * np.log10(255**2 / mse) > 25


def test_a_colour_recipe_codes_every_base_colour_of_a_gltf_and_the_other_maps_by_role(capsys, tmp_path):
    # rgb-hr2 on a glTF: a base colour through a half-resolution codec, e.g. 4K masters for 2K decoders
    path, m = make_gltf(tmp_path / "src", shared=False)
    code, out, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "c"), "--recipe", "rgb-hr2",
                         "--quality", "80", "--progress", "json")
    assert code == 0, err
    mats = [e for e in _events(out) if e["event"] == "material"]
    assert [x["recipe"] for x in mats] == ["per-texture"] * 2
    assert mats[0]["recipes"] == {"albedo": "rgb-hr2", "normal": "normal-444", "orm": "rgb-444"}
    assert all(25 < x["shaded_psnr"] < 80 for x in mats)
    from texsandwich.container import read_tsw

    albedo = read_tsw((tmp_path / "c" / "scene.0.stone.albedo.tsw").read_bytes()).manifest
    assert albedo.recipe == "rgb-hr2" and albedo.layout.scale == 2  # coded at half the texture's size
    code, _, err = run(capsys, "decompress", str(tmp_path / "c" / "scene.gltf"), "-o", str(tmp_path / "d"))
    assert code == 0, err
    g = GLTF2().load(str(tmp_path / "d" / "scene.gltf"))
    assert g.images[0].uri == "scene.0.stone.albedo.png"  # the role once, not scene.0.stone.albedo.albedo.png
    with Image.open(tmp_path / "d" / g.images[0].uri) as im:
        back = np.asarray(im.convert("RGB")).astype(float)
    assert back.shape == m.map("albedo").shape and 10 * np.log10(255**2 / ((back - m.map("albedo")) ** 2).mean()) > 25
    # recipes that are neither a material's nor a colour one are refused, naming what a glTF takes
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "x"), "--recipe", "normal-444")
    assert code == 1 and "rgb-420, rgb-444, rgb-hr2" in err


def test_a_tree_of_gltf_models_is_coded_as_models_not_as_material_folders(capsys, tmp_path):
    # a model's folder is full of base colour and normal maps: it was taken for one material folder
    lib = tmp_path / "lib"
    make_gltf(lib / "rock")
    make_gltf(lib / "crate", shared=False)
    m = procedural_material(40, 40, seed=9)
    (lib / "loose").mkdir()
    (lib / "loose" / "decal.png").write_bytes(_png(m.map("albedo")))
    mat = lib / "mats" / "brick"
    mat.mkdir(parents=True)
    (mat / "brick_albedo.png").write_bytes(_png(m.map("albedo")))
    (mat / "brick_normal.png").write_bytes(_png(m.map("normal")))
    code, out, err = run(capsys, "compress", str(lib), "-o", str(tmp_path / "auto"), "--no-measure",
                         "--progress", "json")  # no --recipe: a tree of models and material folders
    assert code == 0, err
    names = sorted(e["name"] for e in _events(out) if e["event"] == "asset")
    assert names == ["crate/scene.gltf", "mats/brick", "rock/scene.gltf"]
    assert "1 image file(s) outside glTF models and material folders are not coded" in out  # the decal
    assert (tmp_path / "auto" / "rock" / "scene.gltf").is_file()
    assert (tmp_path / "auto" / "mats" / "brick.tsw").is_file()
    # a colour recipe: the models (their base colours through it) and the loose image, not the models' textures
    code, out, err = run(capsys, "compress", str(lib), "-o", str(tmp_path / "hr2"), "--recipe", "rgb-hr2",
                         "--no-measure", "--progress", "json")
    assert code == 0, err
    names = sorted(e["name"] for e in _events(out) if e["event"] == "asset")
    assert names == ["crate/scene.gltf", "loose/decal.png", "mats/brick/brick_albedo.png",
                     "mats/brick/brick_normal.png", "rock/scene.gltf"]
    mats = [e for e in _events(out) if e["event"] == "material"]
    assert mats and all(x["recipes"]["albedo"] == "rgb-hr2" for x in mats)


def test_progress_json_reports_errors_as_events(capsys, tmp_path):
    code, out, err = run(capsys, "compress", str(tmp_path / "missing.gltf"), "-o", str(tmp_path / "c"),
                         "--progress", "json")
    assert code == 1 and "no such file" in err
    assert _events(out) == [{"event": "error", "asset": None, "message": f"{tmp_path / 'missing.gltf'}: no such "
                             "file or directory", "exit_code": 1}]
    path, _ = make_gltf(tmp_path / "src")
    code, out, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "c"), "--model", "rgb-420-slim")
    assert code == 2 and "needs --recipe" in err and not (tmp_path / "c").exists()


def test_decompress_progress_json(capsys, tmp_path):
    path, _ = make_gltf(tmp_path / "src")
    assert run(capsys, "compress", str(path), "-o", str(tmp_path / "c"), "--model", "none", "-q")[0] == 0
    code, out, err = run(capsys, "decompress", str(tmp_path / "c" / "scene.gltf"), "-o", str(tmp_path / "d"),
                         "--progress=json")
    assert code == 0, err
    ev = _events(out)
    assert [e["event"] for e in ev] == ["start", "asset", "done"] and ev[1]["output"].endswith("scene.gltf")


def test_target_psnr_picks_the_lowest_quality_that_reaches_it(capsys, tmp_path):
    path, _ = _albedo_only_gltf(tmp_path / "src")
    reports = {}
    for target in (30.0, 40.0):
        out = tmp_path / f"t{target:g}"
        code, stdout, err = run(capsys, "compress", str(path), "-o", str(out), "--target-psnr", str(target),
                                "--progress", "json")
        assert code == 0, err
        reports[target] = {e["name"]: e for e in _events(stdout) if e["event"] == "material"}
        for m in reports[target].values():
            assert m["shaded_psnr"] >= target and 1 <= m["quality"] <= 100
    for name in ("stone", "paint"):
        low, high = reports[30.0][name], reports[40.0][name]
        assert low["quality"] <= high["quality"] and low["bytes_out"] <= high["bytes_out"]
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "x"), "--target-psnr", "80")
    assert code == 0 and "below the target 80 dB" in err  # unreachable: quality 100 and a warning
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "y"), "--target-psnr", "40", "--quality=5")
    assert code == 2 and "one of --quality, --step, --target-psnr and --target-size" in err


def test_banded_shaded_psnr_equals_the_evaluation_measure():
    from texsandwich.assets import PBR8
    from texsandwich.assets import Material as Mat
    from texsandwich.distortion import measure
    from texsandwich.gltf_compress import shaded_psnr

    m = procedural_material(70, 50, seed=2)
    rng = np.random.default_rng(0)
    noisy = {k: np.clip(v.astype(int) + rng.integers(-6, 7, v.shape), 0, 255).astype(np.uint8)
             for k, v in m.maps().items()}
    rec = Mat.from_maps("r", noisy)
    expected = measure("shaded", rec.stack(PBR8), m.stack(PBR8))["psnr"]
    assert shaded_psnr(m, noisy, rows=16) == pytest.approx(expected, abs=1e-3)
    assert shaded_psnr(m, m.maps()) == float("inf")


def test_rgb_recipes_evaluate_a_folder_of_gltf_models_on_their_base_colour_textures(tmp_path):
    """`eval --recipe rgb-hr2 --data MODELS/`: each model's distinct base colour textures, as plain RGB."""
    from texsandwich.recipes import get_recipe
    from texsandwich.sources import list_sources, read_sources

    a, m = make_gltf(tmp_path / "lib" / "a", shared=False)
    make_gltf(tmp_path / "lib" / "b")
    r = get_recipe("rgb-hr2")
    files = list_sources(tmp_path / "lib", r, "all")
    assert files == [tmp_path / "lib" / "a" / "scene.gltf", tmp_path / "lib" / "b" / "scene.gltf"]
    srcs = read_sources(a, r)
    assert [s.name for s in srcs] == ["scene:stone", "scene:stone2"]  # two materials, two base colours
    assert np.array_equal(srcs[0].array, m.map("albedo")) and np.array_equal(srcs[1].array, 255 - m.map("albedo"))
    assert all(s.asset is None and s.array.shape == (40, 56, 3) for s in srcs)  # pictures, nothing to render
    Image.fromarray(m.map("albedo")).save(tmp_path / "lib" / "photo.png")  # a folder's own images come first
    assert list_sources(tmp_path / "lib", r, "all") == [tmp_path / "lib" / "photo.png"]


def test_an_output_the_system_refuses_is_one_line_per_asset_and_nothing_half_written(capsys, tmp_path):
    """A path under a regular file (as a read-only or full disk would) fails inside pathlib/shutil, not in
    our writers: the CLI still says it in one line per asset, exit code 1, and keeps going."""
    path, _ = make_gltf(tmp_path / "src")
    (tmp_path / "file").write_bytes(b"not a folder")
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "file" / "out"), "--recipe", "pbr8-400",
                       "--model", "none", "--quality", "80", "--no-allocate")
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith("texsandwich: error: ") and "Not a directory" in err
    code, _, err = run(capsys, "compress", str(tmp_path / "src" / "albedo.png"), str(tmp_path / "src" / "orm.png"),
                       "-o", str(tmp_path / "file" / "out"), "--recipe", "rgb-444", "--model", "none")
    lines = err.splitlines()
    assert code == 1 and len(lines) == 3 and "2 of 2 assets failed" in lines[-1], err
    assert all(line.startswith("texsandwich: error: ") and "cannot write (Not a directory)" in line
               for line in lines[:2])
    assert (tmp_path / "file").read_bytes() == b"not a folder"


def test_info_and_unpack_take_a_compressed_gltf_and_list_a_materials_side_map(capsys, tmp_path):
    path, _ = make_gltf(tmp_path / "src", shared=False)
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "c"), "--recipe", "pbr8-400",
                       "--model", "none", "--quality", "60", "--no-allocate")
    assert code == 0, err
    gltf = tmp_path / "c" / "scene.gltf"
    tsws = compressed_tsw_files(gltf)
    code, out, _ = run(capsys, "info", str(gltf))
    assert code == 0 and out.startswith(f"{gltf}: a compressed glTF, {len(tsws)} .tsw file(s)")
    assert out.count("recipe     pbr8-400") == len(tsws) == 2
    assert "400 side map metallic" in out, "a material's metallic stream is listed after the layout's"
    code, out, _ = run(capsys, "info", str(gltf), "--json")
    listed = json.loads(out)
    assert [f["file"].rsplit("/", 1)[-1] for f in listed["files"]] == tsws
    assert all(len(f["manifest"]["streams"]) == 9 for f in listed["files"])
    code, out, _ = run(capsys, "unpack", str(gltf), "-o", str(tmp_path / "u"))
    assert code == 0 and len(list((tmp_path / "u").glob("*.heic"))) == 18
    assert len(list((tmp_path / "u").glob("*.manifest.json"))) == 2
    code, _, err = run(capsys, "info", str(path))
    assert code == 1 and "not a compressed glTF (no texture points at a .tsw)" in err


def _cut_out(folder, name: str = "albedo.png") -> np.ndarray:
    """Give ``folder/name`` a cut-out alpha (left half opaque, right half clear); returns the alpha."""
    rgb = np.asarray(Image.open(folder / name).convert("RGB"))
    alpha = np.zeros(rgb.shape[:2], np.uint8)
    alpha[:, : rgb.shape[1] // 2] = 255
    Image.fromarray(np.dstack([rgb, alpha])).save(folder / name)
    return alpha


def test_a_mask_or_blend_materials_base_colour_alpha_survives_and_an_opaque_ones_is_not_coded(capsys, tmp_path):
    path, _ = make_gltf(tmp_path / "src", shared=False)
    alpha = _cut_out(tmp_path / "src")
    _cut_out(tmp_path / "src", "albedo2.png")
    g = GLTF2().load(str(path))
    g.materials[0].alphaMode = "MASK"  # stone shows its alpha; stone2 is OPAQUE: renderers ignore it
    g.save(str(path))
    _, mats = read_gltf(path)
    assert np.array_equal(mats[0].alpha[..., 0], alpha) and mats[1].alpha is None
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "c"), "--recipe", "pbr8-400",
                       "--model", "none", "--quality", "80", "--no-allocate")
    assert code == 0, err
    tsws = {n: (tmp_path / "c" / n).read_bytes() for n in compressed_tsw_files(tmp_path / "c" / "scene.gltf")}
    versions = sorted(d[8:10] for d in tsws.values())
    assert versions == [b"\0\3", b"\0\5"], "the file with an alpha needs a reader that writes it back"
    code, _, err = run(capsys, "decompress", str(tmp_path / "c" / "scene.gltf"), "-o", str(tmp_path / "d"))
    assert code == 0, err
    out = GLTF2().load(str(tmp_path / "d" / "scene.gltf"))
    base = [out.images[out.textures[m.pbrMetallicRoughness.baseColorTexture.index].source].uri for m in out.materials]
    first, second = (np.asarray(Image.open(tmp_path / "d" / u)) for u in base)
    assert first.shape[2] == 4 and np.abs(first[..., 3].astype(int) - alpha).mean() < 1
    assert second.shape[2] == 3


def test_a_base_colour_coded_on_its_own_keeps_its_alpha(capsys, tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    rgb = procedural_material(32, 48, seed=2).map("albedo")
    Image.fromarray(rgb).save(folder / "leaf.png")
    alpha = _cut_out(folder, "leaf.png")
    g = GLTF2(asset=Asset(version="2.0"), images=[GImage(uri="leaf.png")], textures=[GTexture(source=0)],
              materials=[Material(name="leaf", alphaMode="BLEND", pbrMetallicRoughness=PbrMetallicRoughness(
                  baseColorTexture=TextureInfo(index=0)))])
    g.save(str(folder / "leaf.gltf"))
    code, _, err = run(capsys, "compress", str(folder / "leaf.gltf"), "-o", str(tmp_path / "c"), "--quality", "80",
                       "--model", "none")
    assert code == 0, err
    code, _, err = run(capsys, "decompress", str(tmp_path / "c" / "leaf.gltf"), "-o", str(tmp_path / "d"))
    assert code == 0, err
    out = GLTF2().load(str(tmp_path / "d" / "leaf.gltf"))
    back = np.asarray(Image.open(tmp_path / "d" / out.images[0].uri))
    assert back.shape[2] == 4 and np.abs(back[..., 3].astype(int) - alpha).mean() < 1


def test_alpha_quality_reaches_a_gltf_cut_out(capsys, tmp_path):
    path, _ = make_gltf(tmp_path / "src")
    rgb = np.asarray(Image.open(tmp_path / "src" / "albedo.png").convert("RGB"))
    soft = np.linspace(0, 255, rgb.shape[1]).round().astype(np.uint8)[None, :].repeat(rgb.shape[0], 0)
    Image.fromarray(np.dstack([rgb, soft])).save(tmp_path / "src" / "albedo.png")
    g = GLTF2().load(str(path))
    g.materials[0].alphaMode = "BLEND"
    g.save(str(path))
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "c"), "--recipe", "pbr8-400",
                       "--model", "none", "--quality", "40", "--no-allocate", "--alpha-quality", "lossless")
    assert code == 0, err
    assert run(capsys, "decompress", str(tmp_path / "c" / "scene.gltf"), "-o", str(tmp_path / "d"))[0] == 0
    out = GLTF2().load(str(tmp_path / "d" / "scene.gltf"))
    base = out.images[out.textures[out.materials[0].pbrMetallicRoughness.baseColorTexture.index].source].uri
    assert np.array_equal(np.asarray(Image.open(tmp_path / "d" / base))[..., 3], soft)


def _with_texture_extension(path, ext: str, fallback: bool) -> None:
    """Rewrite ``make_gltf``'s base colour texture as gltf-transform's ``webp``/``etc1s`` commands leave it:
    the image in ``ext`` (WebP, or a KTX2 this project cannot decode), with or without the PNG fallback."""
    doc = json.loads(path.read_text())
    if ext == "EXT_texture_webp":
        with Image.open(path.parent / "albedo.png") as im:
            im.save(path.parent / "albedo.webp", lossless=True)
        doc["images"].append({"uri": "albedo.webp", "mimeType": "image/webp"})
    else:
        (path.parent / "albedo.ktx2").write_bytes(b"\xabKTX 20\xbb\r\n\x1a\n" + bytes(64))
        doc["images"].append({"uri": "albedo.ktx2", "mimeType": "image/ktx2"})
    doc["textures"][0] = {"extensions": {ext: {"source": len(doc["images"]) - 1}}} | (
        {"source": 0} if fallback else {})
    doc["extensionsUsed"] = [ext]
    if not fallback:
        doc["extensionsRequired"] = [ext]
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize("fallback", [True, False])
def test_a_webp_texture_is_coded_and_its_extension_goes_with_it(capsys, tmp_path, fallback):
    # a viewer reading EXT_texture_webp would show the untouched WebP: the coded texture must replace both
    path, _ = make_gltf(tmp_path / "src")
    _with_texture_extension(path, "EXT_texture_webp", fallback)
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "c") + "/", "--quality", "80")
    assert code == 0, err
    doc = json.loads((tmp_path / "c" / "scene.gltf").read_text())
    assert "extensionsUsed" not in doc and "extensionsRequired" not in doc
    assert all("extensions" not in t for t in doc["textures"]) and doc["textures"][0]["source"] is not None
    assert not list((tmp_path / "c").glob("*.webp")) and not any("webp" in i["uri"] for i in doc["images"])
    assert "texture" not in err  # nothing left uncoded
    for target in ("d/scene.gltf", "g/scene.glb"):
        code, _, err = run(capsys, "decompress", str(tmp_path / "c" / "scene.gltf"), "-o", str(tmp_path / target))
        assert code == 0, err
        g = GLTF2().load(str(tmp_path / target))
        assert g.textures[0].extensions in (None, {}) and g.images[g.textures[0].source].mimeType in (None, "image/png")


def test_a_ktx2_only_texture_is_kept_as_it_is_and_said(capsys, tmp_path):
    path, _ = make_gltf(tmp_path / "src")
    _with_texture_extension(path, "KHR_texture_basisu", fallback=False)
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "c") + "/", "--quality", "80")
    assert code == 0, err
    assert "texture 0 has only a KHR_texture_basisu image, which cannot be decoded here" in err
    doc = json.loads((tmp_path / "c" / "scene.gltf").read_text())
    assert doc["extensionsRequired"] == ["KHR_texture_basisu"]  # still needed: nothing replaced it
    kept = doc["images"][doc["textures"][0]["extensions"]["KHR_texture_basisu"]["source"]]["uri"]
    assert (tmp_path / "c" / kept).read_bytes() == (path.parent / "albedo.ktx2").read_bytes()


def test_a_size_target_fits_a_models_tsw_files_together_at_one_quality(capsys, tmp_path):
    path, _ = _albedo_only_gltf(tmp_path / "src")  # two materials, coded texture by texture

    def total(folder) -> int:
        return sum(p.stat().st_size for p in folder.glob("*.tsw"))

    code, out, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "t") + "/", "--target-size", "2500",
                         "--progress", "json")
    assert code == 0, err
    qualities = {e["quality"] for e in _events(out) if e["event"] == "material"}
    assert len(qualities) == 1 and total(tmp_path / "t") <= 2500
    q = qualities.pop()
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "u") + "/", "--quality", str(q + 1))
    assert code == 0 and total(tmp_path / "u") > 2500, "one quality more would not fit"
    code, _, err = run(capsys, "compress", str(path), "-o", str(tmp_path / "v") + "/", "--target-size", "10")
    assert code == 0 and "above the target 10 bytes" in err  # written at the coarsest quality, and said
