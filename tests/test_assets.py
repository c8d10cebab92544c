"""Material loading: naming conventions, packed maps, DirectX normals, fills, sizes, bad maps."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from texsandwich.assets import PBR8, classify, read_material_folder, write_material_folder
from texsandwich.errors import InputError
from texsandwich.procedural import procedural_material


@pytest.mark.parametrize(("name", "kind"), [
    ("Rock035_2K_Color.jpg", "albedo"), ("wood_diff_2k.png", "albedo"), ("Avocado_baseColor.png", "albedo"),
    ("Rock035_2K_NormalGL.png", "normal"), ("Rock035_2K_NormalDX.png", "normal_dx"),
    ("rock_nor_dx_1k.png", "normal_dx"),
    ("rock_nor_gl_1k.png", "normal"), ("Rock035_2K_Roughness.jpg", "roughness"), ("Rock_AO.png", "occlusion"),
    ("rock_arm_1k.png", "orm"), ("Default_metalRoughness.png", "mr"), ("Metal_Metalness.png", "metallic"),
    ("Rock_Displacement.png", "skip"), ("chaos.png", None),
    ("T_Rock_D.tga", "albedo"), ("T_Rock_BC.tga", "albedo"), ("T_Rock_N.tga", "normal"), ("T_Rock_R.tga", "roughness"),
    ("T_Rock_M.tga", "metallic"), ("T_Rock_ORM.tga", "orm"), ("T_Rock_AO.tga", "occlusion"), ("T_Rock_H.tga", "skip"),
    ("T_Rock_E.tga", "skip"), ("sand_d2.png", None), ("old_m4.png", None),
])
def test_names_follow_ambientcg_polyhaven_gltf_unreal_conventions(name, kind):
    assert classify(Path(name)) == kind


def _save(folder: Path, name: str, a: np.ndarray) -> None:
    Image.fromarray(a if a.ndim == 2 or a.shape[2] > 1 else a[..., 0]).save(folder / name)


def test_folder_round_trip_and_packed_arm_and_directx(tmp_path):
    m = procedural_material(64, 48, seed=2)
    src = tmp_path / "mat"
    src.mkdir()
    _save(src, "m_diff_1k.png", m.map("albedo"))
    dx = m.map("normal").copy()
    dx[..., 1] = 255 - dx[..., 1]
    _save(src, "m_nor_dx_1k.png", dx)
    arm = np.concatenate([m.map("occlusion"), m.map("roughness"), np.zeros_like(m.map("roughness"))], axis=-1)
    _save(src, "m_arm_1k.png", arm)
    got = read_material_folder(src)
    assert np.array_equal(got.stack(PBR8), m.stack(PBR8))
    assert got.present == ("albedo", "normal", "roughness", "occlusion", "metallic")
    out = tmp_path / "out"
    write_material_folder(got, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "albedo.png", "metallic.png", "normal.png", "occlusion.png", "roughness.png"]
    assert np.array_equal(read_material_folder(out).stack(PBR8), m.stack(PBR8))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary folder left"
    # a new folder appears whole or not at all: a write that fails half-way leaves neither it nor its temp
    from texsandwich.errors import OutputError
    from texsandwich.fsutil import write_new_folder

    with pytest.raises(OutputError, match="cut: cannot write"):
        write_new_folder(tmp_path / "cut", {"albedo.png": b"written", "no/such/dir.png": b"fails"})
    assert not (tmp_path / "cut").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    # into an existing folder each map is replaced and the folder's other files stay
    (out / "notes.txt").write_text("mine")
    write_material_folder(got, out)
    assert (out / "notes.txt").read_text() == "mine" and (out / "albedo.png").is_file()


def test_missing_maps_are_filled_with_gltf_defaults_and_sizes_resampled(tmp_path):
    m = procedural_material(64, 64, seed=4)
    _save(tmp_path, "albedo.png", m.map("albedo"))
    _save(tmp_path, "normal.png", np.asarray(Image.fromarray(m.map("normal")).resize((32, 32))))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = read_material_folder(tmp_path)
    text = " ".join(str(x.message) for x in w)
    assert "resampled" in text and "no roughness map" in text
    assert got.map("roughness").min() == 255 and got.map("occlusion").min() == 255
    n = got.map("normal").astype(np.float64) / 127.5 - 1
    assert np.abs(np.linalg.norm(n, axis=-1) - 1).max() < 0.02  # renormalised after resampling


def test_bad_materials_are_refused_or_warned(tmp_path):
    with pytest.raises(InputError, match="no texture maps"):
        read_material_folder(tmp_path)
    _save(tmp_path, "roughness.png", np.zeros((8, 8), np.uint8))
    with pytest.raises(InputError, match="no albedo"):
        read_material_folder(tmp_path)
    flipped = np.zeros((8, 8, 3), np.uint8)
    flipped[...] = (128, 128, 0)  # z < 0 everywhere
    _save(tmp_path, "normal.png", flipped)
    with pytest.warns(UserWarning, match="z < 0"):
        read_material_folder(tmp_path)
    cut_out = np.full((8, 8, 4), 200, np.uint8)
    cut_out[:4, ..., 3] = 0  # a leaf's base colour with its cut-out: the alpha is not lost unsaid
    _save(tmp_path, "albedo.png", cut_out)
    with pytest.warns(UserWarning, match=r"albedo\.png: its alpha \(transparency\) is not coded"):
        read_material_folder(tmp_path)
    (tmp_path / "albedo.png").write_bytes(b"junk")
    with pytest.raises(InputError, match=r"albedo\.png: cannot read image \(not an image format") as e:
        read_material_folder(tmp_path)
    assert "BytesIO" not in str(e.value)


def test_a_dds_material_reads_and_its_bc5_normal_map_gets_z_back(tmp_path):
    # game texture libraries: BC1 colour, BC5 normals (x, y only), a one-channel roughness
    m = procedural_material(64, 64, seed=4)
    src = tmp_path / "crate"
    src.mkdir()
    Image.fromarray(m.map("albedo")).save(src / "T_Crate_D.dds", pixel_format="DXT1")
    Image.fromarray(m.map("normal")).save(src / "T_Crate_N.dds", pixel_format="BC5")
    Image.fromarray(m.map("roughness")[..., 0]).save(src / "T_Crate_R.dds")  # uncompressed L8
    with pytest.warns(UserWarning, match="two-channel"):
        got = read_material_folder(src)
    assert set(got.present) >= {"albedo", "normal", "roughness"}
    n = got.map("normal").astype(float) / 127.5 - 1
    assert np.abs(np.linalg.norm(n, axis=-1) - 1).max() < 0.05  # unit normals: z rebuilt, not 0
    assert np.abs(got.map("normal")[..., 2].astype(int) - m.map("normal")[..., 2]).mean() < 4
    assert np.abs(got.map("albedo").astype(int) - m.map("albedo")).mean() < 12  # BC1's own loss


def test_exr_maps_in_a_material_folder_are_read_not_skipped(tmp_path):
    # Poly Haven ships normal and roughness maps as EXR too; they were skipped and filled with defaults
    import OpenEXR

    m = procedural_material(48, 40, seed=6)
    head = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    src = tmp_path / "rock"
    src.mkdir()
    c = m.map("albedo").astype(np.float32) / 255  # the albedo in linear light, as an EXR holds colour
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)
    OpenEXR.File(dict(head), {"RGB": linear}).write(str(src / "rock_diff_1k.exr"))
    signed = m.map("normal").astype(np.float32) / 127.5 - 1  # a normal map stored as [-1, 1]
    OpenEXR.File(dict(head), {"RGB": signed}).write(str(src / "rock_nor_gl_1k.exr"))
    OpenEXR.File(dict(head), {"Y": m.map("roughness")[..., 0].astype(np.float32) / 255}).write(
        str(src / "rock_rough_1k.exr"))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        got = read_material_folder(src)
    text = " | ".join(str(w.message) for w in said)
    assert "mapped from [-1, 1]" in text and "linear, sRGB-encoded" in text and "no normal map" not in text
    assert np.abs(got.map("normal").astype(int) - m.map("normal")).max() <= 1
    assert np.array_equal(got.map("roughness"), m.map("roughness"))
    assert np.abs(got.map("albedo").astype(int) - m.map("albedo")).max() <= 1  # back through the sRGB curve


def test_sixteen_bit_maps_are_converted(tmp_path):
    import png

    a16 = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)
    png.from_array(a16, "L;16").save(str(tmp_path / "roughness.png"))
    _save(tmp_path, "albedo.png", np.full((8, 8, 3), 100, np.uint8))
    with pytest.warns(UserWarning, match="16-bit"):
        got = read_material_folder(tmp_path)
    assert np.array_equal(got.map("roughness")[..., 0], np.round(a16 / 65535 * 255).astype(np.uint8))


def test_rgb_recipes_train_on_a_material_librarys_albedo_maps_next_to_photos(tmp_path):
    """A texture library is RGB data for rgb-* recipes (its albedo maps, split by material folder), and
    several folders joined like PATH train one model together, each split on its own."""
    import os

    from texsandwich.recipes import get_recipe
    from texsandwich.sources import list_sources, training_sources
    from texsandwich.train import load_images

    lib, photos = tmp_path / "lib", tmp_path / "photos"
    for i in range(6):
        write_material_folder(procedural_material(40, 48, seed=i), lib / f"m{i}")
    photos.mkdir()
    for i in range(5):
        Image.fromarray(np.full((36, 44, 3), 40 * i, np.uint8)).save(photos / f"p{i}.png")
    r = get_recipe("rgb-hr2")
    albedos = list_sources(lib, r, "train")
    assert [p.parent.name for p in albedos] == ["m1", "m2", "m3", "m4"]  # m0, m5: every 5th held out
    assert all(classify(p) == "albedo" for p in albedos)
    both = training_sources(f"{photos}{os.pathsep}{lib}", r, "train")
    assert len(both) == 4 + 4 and both[4:] == albedos
    images = load_images(f"{photos}{os.pathsep}{lib}", "train", 32, r)
    assert len(images) == 8 and {a.shape for a in images} == {(36, 44, 3), (40, 48, 3)}
