"""The evaluation renderer: known answers, determinism, PSNR, backends, bad meshes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from texsandwich.errors import InputError
from texsandwich.shading import mesh as mesh_mod
from texsandwich.shading.camera import Camera, look_at, orbit_cameras, orthographic
from texsandwich.shading.mesh import Mesh, Primitive, load_mesh
from texsandwich.shading.raster import BackendError, make_rasterizer
from texsandwich.shading.render import Renderer, RenderMaterial, load_materials, render_psnr
from texsandwich.shading.texture import CLAMP, MIRROR, REPEAT, MipTexture

SAMPLE = Path(__file__).resolve().parents[1] / "texsandwich" / "samples" / "torus" / "torus.gltf"


def _quad(material: int = 0, z: float = 0.0, half: float = 0.5) -> Primitive:
    pos = np.array([[-half, -half, z], [half, -half, z], [half, half, z], [-half, half, z]], np.float32)
    nrm = np.tile(np.array([0, 0, 1], np.float32), (4, 1))
    tan = np.tile(np.array([1, 0, 0, 1], np.float32), (4, 1))
    uv = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32)  # glTF: v down the image
    return Primitive(material, pos, nrm, tan, uv, np.array([[0, 1, 2], [0, 2, 3]], np.int32))


def _ortho_camera() -> Camera:
    eye = np.array([0.0, 0.0, 2.0])
    return Camera(eye, look_at(eye, np.zeros(3)), orthographic(1.0, 0.1, 10.0))


def _flat_material(albedo: int, roughness: int = 255, size: int = 4) -> RenderMaterial:
    maps = {"albedo": np.full((size, size, 3), albedo, np.uint8),
            "normal": np.broadcast_to(np.array([128, 128, 255], np.uint8), (size, size, 3)).copy(),
            "roughness": np.full((size, size, 1), roughness, np.uint8),
            "occlusion": np.full((size, size, 1), 255, np.uint8),
            "metallic": np.zeros((size, size, 1), np.uint8)}
    return RenderMaterial.from_maps(maps)


def _srgb_to_linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _linear_to_srgb(c: float) -> float:
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def test_flat_quad_facing_the_camera_shades_to_the_hand_computed_colour_and_covers_its_pixels():
    mesh = Mesh([_quad()])
    r = Renderer(mesh, size=64, cameras=[_ortho_camera()], light_dirs=[np.array([[0.0, 0.0, 1.0]])], backend="egl")
    out = r.render({0: _flat_material(188)})
    # coverage: the quad spans NDC [-0.5, 0.5]^2 of an orthographic [-1, 1]^2 view: pixels 16..47, exactly
    expect_mask = np.zeros((64, 64), bool)
    expect_mask[16:48, 16:48] = True
    assert np.array_equal(out.coverage[0] > 0, expect_mask)
    assert np.all(out.coverage[0][expect_mask] == 1.0)
    # glTF BRDF by hand, light and view along the normal (n.l = n.v = n.h = v.h = 1), roughness 1:
    # D = 1/pi, V = 0.5 / (1 + 1), F = f0 = 0.04; diffuse (1 - F) albedo / pi; light 3.0, ambient 0.25 * albedo
    lin = _srgb_to_linear(188 / 255)
    radiance = ((1 - 0.04) * lin / math.pi + 0.04 * (1 / math.pi) * 0.25) * 3.0 + 0.25 * lin
    expected = 255 * _linear_to_srgb(radiance)
    centre = out.images[0, 0, 16:48, 16:48].astype(float)
    assert np.abs(centre - expected).max() <= 1.0, (centre.mean(axis=(0, 1)), expected)
    assert out.images[0, 0][~expect_mask].max() == 0  # black background


def test_identical_textures_give_infinite_psnr_and_a_change_is_measured_only_where_it_shows():
    mesh = Mesh([_quad(0, half=0.5), _quad(1, z=0.1, half=0.2)])  # material 1 in front of part of material 0
    r = Renderer(mesh, size=64, cameras=[_ortho_camera()], light_dirs=[np.array([[0.0, 0.6, 0.8]])], backend="egl")
    mats = {0: _flat_material(120), 1: _flat_material(200)}
    ref = r.render(mats)
    m = render_psnr(ref, r.render(mats))
    assert m["mse"] == 0.0 and m["psnr"] is None
    changed = r.render({0: _flat_material(130), 1: _flat_material(200)})
    whole = render_psnr(ref, changed)
    assert whole["psnr"] is not None and 20 < whole["psnr"] < 60
    # measured over material 1's pixels only, nothing changed (its texels are untouched; edges are AA-mixed)
    ref1 = r.render(mats, region={1})
    only1 = render_psnr(ref1, r.render({0: _flat_material(130), 1: _flat_material(200)}, region={1}))
    assert only1["psnr"] is None or only1["psnr"] > whole["psnr"] + 6


def test_sample_asset_renders_the_same_bytes_twice(tmp_path):
    from texsandwich.cli import main

    for name in ("a", "b"):
        with pytest.raises(SystemExit) as e:
            main(["render", str(SAMPLE), "--views", "2", "--lights", "2", "--size", "96", "-o", str(tmp_path / name),
                  "--backend", "egl", "--quiet"])
        assert e.value.code == 0
    files = sorted(p.name for p in (tmp_path / "a").glob("*.png"))
    assert len(files) == 4
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    meta = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert meta["triangles"] == 576 and 0.05 < meta["coverage"] < 0.9


def test_render_of_compressed_textures_reports_finite_psnr_and_a_contact_sheet(tmp_path):
    from texsandwich.cli import main

    with pytest.raises(SystemExit) as e:
        main(["compress", str(SAMPLE), "-o", str(tmp_path / "c") + "/", "--quality", "20", "--model", "none",
              "--quiet"])
    assert e.value.code == 0
    with pytest.raises(SystemExit) as e:
        main(["render", str(SAMPLE), "--textures", str(tmp_path / "c" / "torus.gltf"), "--views", "2",
              "--lights", "1", "--size", "64", "-o", str(tmp_path / "r"), "--quiet"])
    assert e.value.code == 0
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert 15 < m["psnr"] < 60 and len(m["per_view"]) == 2 and len(m["frames"]) == 2
    assert (tmp_path / "r" / "contact_sheet.png").is_file()
    assert len(list((tmp_path / "r" / "decoded").glob("*.png"))) == 2
    # the same textures: identical renders
    with pytest.raises(SystemExit) as e:
        main(["render", str(SAMPLE), "--textures", str(SAMPLE), "--views", "1", "--lights", "1", "--size", "48",
              "-o", str(tmp_path / "same"), "--quiet"])
    assert json.loads((tmp_path / "same" / "metrics.json").read_text())["psnr"] is None


def test_material_folder_renders_on_a_sphere(tmp_path, capsys):
    from texsandwich.assets import write_material_folder
    from texsandwich.cli import main
    from texsandwich.procedural import procedural_material

    write_material_folder(procedural_material(32, 32, seed=1, name="m"), tmp_path / "m")
    flipped = np.asarray(Image.open(tmp_path / "m" / "normal.png")).copy()
    flipped[..., 2] = 0  # z < 0: a warning the folder's reading gives
    Image.fromarray(flipped).save(tmp_path / "m" / "normal.png")
    with pytest.raises(SystemExit) as e:
        main(["render", str(tmp_path / "m"), "--textures", str(tmp_path / "m"), "--views", "1", "--lights", "1",
              "--size", "48", "-o", str(tmp_path / "r"), "--quiet"])
    assert e.value.code == 0
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["triangles"] == 64 * 32 * 2
    err = capsys.readouterr().err
    # said for the asset and for --textures, not again each time the generated sphere's glTF is read
    assert err.count("normals have z < 0") == 2 and "preview_sphere" not in err


def test_mip_sampling_filters_wraps_and_keeps_constants():
    checker = torch.zeros(1, 64, 64)
    checker[0, ::2, ::2] = checker[0, 1::2, 1::2] = 255.0
    tex = MipTexture(checker)
    uv = torch.rand(100, 2)
    near = tex.sample(uv, torch.zeros(100))
    assert set(near.round().unique().tolist()) <= set(np.linspace(0, 255, 256).round().tolist())
    far = tex.sample(uv, torch.full((100,), 6.0))  # the 1x1 level: the average
    assert torch.allclose(far, torch.full_like(far, 127.5), atol=1e-3)
    # level of detail: one texel per pixel is level 0; four texels per pixel is level 2
    assert torch.allclose(tex.lod(torch.tensor([[1 / 64, 0.0]]), torch.tensor([[0.0, 1 / 64]])), torch.zeros(1))
    assert torch.allclose(tex.lod(torch.tensor([[4 / 64, 0.0]]), torch.tensor([[0.0, 1 / 64]])), torch.full((1,), 2.0))
    ramp = torch.arange(4, dtype=torch.float32).view(1, 1, 4).expand(1, 4, 4).contiguous() * 10
    at = torch.tensor([[1.125, 0.5]])  # texel centre 0 of the next tile when repeating
    assert float(MipTexture(ramp, REPEAT, REPEAT).sample(at)[0, 0]) == pytest.approx(0.0)
    assert float(MipTexture(ramp, CLAMP, CLAMP).sample(at)[0, 0]) == pytest.approx(30.0)
    assert float(MipTexture(ramp, MIRROR, MIRROR).sample(at)[0, 0]) == pytest.approx(30.0)


def test_orbit_cameras_see_the_whole_bounding_sphere():
    cams = orbit_cameras(np.array([1.0, 2.0, 3.0]), 2.0, 6, seed=4)
    assert len(cams) == 6
    for c in cams:
        for d in np.eye(3):
            for s in (-1, 1):
                p = c.clip @ np.append(np.array([1.0, 2.0, 3.0]) + s * 2.0 * d, 1.0)
                assert np.all(np.abs(p[:3] / p[3]) <= 1.0)
    assert orbit_cameras(np.zeros(3), 1.0, 3, seed=4)[1].position.tolist() == \
        orbit_cameras(np.zeros(3), 1.0, 3, seed=4)[1].position.tolist()


def _gltf(tmp_path: Path, *, uv: bool = True, normals: bool = True, mode: int | None = None,
          textured: bool = True, name: str = "m.gltf") -> Path:
    """A one-quad glTF (the project's own writer), edited to lack UVs / normals / textures or change mode."""
    from pygltflib import GLTF2

    from texsandwich.gltf import write_mesh_gltf
    from texsandwich.procedural import procedural_material

    pos = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
    nrm = np.tile(np.array([0, 0, 1], np.float32), (4, 1))
    uvs = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32)
    path = tmp_path / name
    write_mesh_gltf(path, pos, nrm, uvs, np.array([[0, 1, 2], [0, 2, 3]]), procedural_material(8, 8), path.stem)
    g = GLTF2().load(str(path))
    prim, mat = g.meshes[0].primitives[0], g.materials[0]
    prim.attributes.NORMAL = prim.attributes.NORMAL if normals else None
    prim.attributes.TEXCOORD_0 = prim.attributes.TEXCOORD_0 if uv else None
    prim.mode = mode
    mat.pbrMetallicRoughness.baseColorFactor = [1, 0.5, 0.5, 1]
    if not textured:
        mat.pbrMetallicRoughness.baseColorTexture = mat.pbrMetallicRoughness.metallicRoughnessTexture = None
        mat.normalTexture = mat.occlusionTexture = None
    g.save(str(path))
    return path


def test_mesh_without_uvs_is_refused_and_without_normals_gets_computed_ones(tmp_path):
    with pytest.raises(InputError, match="no TEXCOORD_0"):
        load_mesh(_gltf(tmp_path, uv=False))
    m = load_mesh(_gltf(tmp_path, normals=False, name="n.gltf"))
    assert np.allclose(m.primitives[0].normals, [0, 0, 1], atol=1e-6)
    assert np.allclose(m.primitives[0].tangents[:, :3], [1, 0, 0], atol=1e-6)
    untextured = load_mesh(_gltf(tmp_path, uv=False, textured=False, name="u.gltf"))  # no maps: no UVs needed
    assert untextured.triangle_count == 2


def test_strips_fans_points_and_node_transforms():
    assert mesh_mod.triangles(5, np.arange(5)).tolist() == [[0, 1, 2], [2, 1, 3], [2, 3, 4]]
    assert mesh_mod.triangles(6, np.arange(4)).tolist() == [[0, 1, 2], [0, 2, 3]]
    assert mesh_mod.triangles(0, np.arange(4)) is None and mesh_mod.triangles(1, np.arange(4)) is None

    from pygltflib import Node

    node = Node(rotation=[0, 0, math.sin(math.pi / 4), math.cos(math.pi / 4)], scale=[2, 2, 2], translation=[1, 0, 0])
    m = mesh_mod.node_matrix(node)  # 90 degrees about +Z, scaled by 2, moved by +X
    assert np.allclose(m @ [1, 0, 0, 1], [1, 2, 0, 1])


def test_points_are_skipped_with_a_notice_and_factors_apply(tmp_path):
    with pytest.warns(UserWarning, match="points or lines"), pytest.raises(InputError, match="no triangles"):
        load_mesh(_gltf(tmp_path, mode=0))
    mats = load_materials(_gltf(tmp_path, name="f.gltf"))
    assert mats[0].base_color == (1.0, 0.5, 0.5)


def test_huge_textures_are_downsampled_for_rendering_with_a_notice(monkeypatch):
    from texsandwich.shading import render

    monkeypatch.setattr(render, "MAX_TEXTURE", 16)
    with pytest.warns(UserWarning, match="downsampled by 4"):
        m = RenderMaterial.from_maps({"albedo": np.zeros((64, 64, 3), np.uint8)})
    assert m.texture.size == (16, 16)


def test_missing_egl_says_which_packages_to_install(monkeypatch):
    import moderngl

    from texsandwich.shading import raster

    def fail(*a, **k):
        raise RuntimeError("libEGL.so.1: cannot open shared object file")

    monkeypatch.setattr(raster, "_EGL_CONTEXT", None)
    monkeypatch.setattr(moderngl, "create_context", fail)
    with pytest.raises(BackendError, match="libegl1 libegl-mesa0"):
        make_rasterizer(Mesh([_quad()]), "egl")
    with pytest.raises(BackendError, match=r"no render backend can start.*nvdiffrast.*libegl1"):
        make_rasterizer(Mesh([_quad()]), "auto")


def test_auto_backend_falls_back_to_egl_without_nvdiffrast():
    try:
        import nvdiffrast.torch  # noqa: F401

        pytest.skip("nvdiffrast is installed here")
    except ImportError:
        pass
    assert make_rasterizer(Mesh([_quad()]), "auto").name == "egl"
    with pytest.raises(BackendError, match="nvdiffrast"):
        make_rasterizer(Mesh([_quad()]), "nvdiffrast")


def test_nvdiffrast_and_egl_render_the_same_images():
    pytest.importorskip("nvdiffrast.torch")
    if not torch.cuda.is_available():
        pytest.skip("nvdiffrast needs CUDA")
    mesh = load_mesh(SAMPLE)
    mats = load_materials(SAMPLE)
    a = Renderer(mesh, size=128, views=3, lights=1, backend="egl").render(mats)
    b = Renderer(mesh, size=128, views=3, lights=1, backend="nvdiffrast").render(mats)
    # the backends may disagree on which triangle owns a sample exactly on an edge; nothing else differs
    assert np.mean(np.abs(a.coverage - b.coverage)) < 0.01
    assert render_psnr(a, b)["psnr"] is None or render_psnr(a, b)["psnr"] > 35


def test_eval_render_adds_rendered_psnr_to_every_point_of_mesh_sources(tmp_path):
    import shutil

    from texsandwich.cli import main

    shutil.copytree(SAMPLE.parent, tmp_path / "models" / "torus")
    with pytest.raises(SystemExit) as e:
        main(["eval", "--recipe", "pbr8-400", "--data", str(tmp_path / "models"), "--model", "none",
              "--qualities", "30,70", "--render", "--render-views", "1", "--render-lights", "1",
              "--render-size", "48", "-o", str(tmp_path / "r"), "--quiet"])
    assert e.value.code == 0
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["render"]["sources"] == ["torus:stone"]
    for c in report["curves"]:
        pts = c["render_mean"]
        assert len(pts) == 2 and pts[1]["psnr"] > pts[0]["psnr"] > 15  # quality 70 renders closer than 30
    assert report["render"]["summary"]["bd_rate_percent"] is not None
    assert (tmp_path / "r" / "rd.png").is_file()
