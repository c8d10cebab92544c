"""The add-on in a real Blender (the ``bpy`` module), headless, against the real CLI and codecs."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import bpy
import numpy as np
import pytest
import scene


def _export(path: Path, **kw) -> set[str]:
    return bpy.ops.export_scene.texsandwich_gltf(filepath=str(path), **kw)


def _fails(op, *args, **kw) -> str:
    """Run an operator that must fail; in background mode an ERROR report raises. Returns the message."""
    with pytest.raises(RuntimeError) as e:
        op(*args, **kw)
    return str(e.value)


def _node_values(mat) -> list[tuple[str, str, object]]:
    """Each node's type, image name and unlinked input values (what the importer set)."""
    out = []
    for n in mat.node_tree.nodes:
        values = tuple((i.name, tuple(i.default_value) if hasattr(i.default_value, "__len__") else i.default_value)
                       for i in n.inputs if not i.is_linked and hasattr(i, "default_value"))
        out.append((n.bl_idname, getattr(getattr(n, "image", None), "name", ""), values))
    return sorted(out, key=repr)


def _links(mat) -> set[tuple[str, str, str, str]]:
    return {(lk.from_node.bl_idname, lk.from_socket.name, lk.to_node.bl_idname, lk.to_socket.name)
            for lk in mat.node_tree.links}


@pytest.fixture
def exported(addon, tmp_path):
    """The generated scene exported once at quality 60 (the files, and the add-on's last message)."""
    scene.build_scene()
    out = tmp_path / "export" / "scene.gltf"
    assert _export(out, quality=60) == {"FINISHED"}, addon.operators.LAST
    return out, dict(addon.operators.LAST)


def test_export_turns_every_texture_into_tsw(exported):
    out, last = exported
    files = sorted(p.name for p in out.parent.iterdir())
    assert files == ["library.json", "scene.0.stone.tsw", "scene.1.paint.albedo.tsw", "scene.bin", "scene.gltf"]
    gltf = json.loads(out.read_text())
    assert len(gltf["images"]) == 4  # albedo, normal, ORM of stone; albedo of paint: no PNG left
    for img in gltf["images"]:
        assert img["uri"].endswith(".tsw") and (out.parent / img["uri"]).is_file()
        assert img["extras"]["texsandwich"]["tsw"] == img["uri"]
    index = json.loads((out.parent / "library.json").read_text())
    recipes = {m["name"]: m["recipe"] for m in index["assets"][0]["materials"]}
    assert recipes == {"stone": "pbr8-400", "paint": "per-texture"}
    # the report: per texture bytes, totals, shaded PSNR per material, and the procedural material named
    text = bpy.data.texts["texsandwich report"].as_string()
    for needle in ("stone_albedo.png", "stone_normal.png", "stone_orm.png", "paint_albedo.png",
                   "scene.0.stone.tsw", "material stone: pbr8-400, shaded PSNR", "material noise: procedural"):
        assert needle in text, needle
    assert last["level"] == "INFO" and "smaller" in last["message"] and "shaded PSNR" in last["message"]
    tsw_bytes = sum(p.stat().st_size for p in out.parent.glob("*.tsw"))
    assert f"{tsw_bytes / 1024:,.1f} KiB" in last["message"]


def test_export_can_send_base_colours_at_half_resolution(addon, tmp_path):
    scene.build_scene(procedural=False)
    out = tmp_path / "hr2" / "scene.gltf"
    assert _export(out, quality=60, recipe="rgb-hr2") == {"FINISHED"}, addon.operators.LAST
    index = json.loads((out.parent / "library.json").read_text())
    recipes = {m["name"]: m["recipes"] for m in index["assets"][0]["materials"]}
    assert recipes["stone"] == {"albedo": "rgb-hr2", "normal": "normal-444", "orm": "rgb-444"}
    assert recipes["paint"] == {"albedo": "rgb-hr2"}
    assert "shaded PSNR" in addon.operators.LAST["message"]
    # the material panel takes the same choice
    mat = bpy.data.materials["stone"]
    sizes = {n.name: tuple(n.image.size) for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeTexImage"}
    assert _compress_active(mat, quality=60, recipe="rgb-hr2") == {"FINISHED"}, addon.operators.LAST
    assert mat["texsandwich"]["recipe"] == "per-texture" and mat["texsandwich"]["shaded_psnr"] > 25
    assert {n.name: tuple(n.image.size) for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeTexImage"} == sizes


def test_import_builds_blenders_own_nodes_and_decodes_like_the_cli(exported, cli, tmp_path):
    out, _ = exported
    scene.reset()
    assert bpy.ops.import_scene.texsandwich_gltf(filepath=str(out)) == {"FINISHED"}
    stone = bpy.data.materials["stone"]
    links = _links(stone)
    for link in [("ShaderNodeTexImage", "Color", "ShaderNodeBsdfPrincipled", "Base Color"),
                 ("ShaderNodeTexImage", "Color", "ShaderNodeNormalMap", "Color"),
                 ("ShaderNodeNormalMap", "Normal", "ShaderNodeBsdfPrincipled", "Normal"),
                 ("ShaderNodeSeparateColor", "Green", "ShaderNodeBsdfPrincipled", "Roughness"),
                 ("ShaderNodeSeparateColor", "Blue", "ShaderNodeBsdfPrincipled", "Metallic"),
                 ("ShaderNodeSeparateColor", "Red", "ShaderNodeGroup", "Occlusion")]:
        assert link in links, link
    nm = next(n for n in stone.node_tree.nodes if n.bl_idname == "ShaderNodeNormalMap")
    assert nm.inputs["Strength"].default_value == pytest.approx(0.8)
    assert ("ShaderNodeTexImage", "Color", "ShaderNodeBsdfPrincipled", "Base Color") in _links(
        bpy.data.materials["paint"])
    # every image packed, and its pixels exactly what 'texsandwich decompress' writes
    ref = tmp_path / "ref"
    subprocess.run([str(cli), "decompress", str(out), "-o", str(ref / "scene.gltf"), "-q"], check=True)
    ref_images = json.loads((ref / "scene.gltf").read_text())["images"]
    from texsandwich_blender.pixels import image_array

    assert len(ref_images) == 4
    for entry in ref_images:
        img = bpy.data.images[entry["name"]]
        assert img.packed_file is not None
        expected = bpy.data.images.load(str(ref / entry["uri"]))
        a, b = image_array(img), image_array(expected)
        assert a.shape == b.shape and np.array_equal(a, b), entry["name"]
        bpy.data.images.remove(expected)
    assert bpy.data.images["stone_albedo"].colorspace_settings.name == "sRGB"
    assert bpy.data.images["stone_normal"].colorspace_settings.name == "Non-Color"
    # the node trees are exactly what Blender's own importer builds for the decoded PNGs
    ours = {m.name: (_links(m), _node_values(m)) for m in bpy.data.materials}
    scene.reset()
    assert bpy.ops.import_scene.gltf(filepath=str(ref / "scene.gltf")) == {"FINISHED"}
    assert ours == {m.name: (_links(m), _node_values(m)) for m in bpy.data.materials}


def test_a_cancelled_export_leaves_nothing(addon, cli, tmp_path):
    from texsandwich_blender.jobs import ExportJob

    scene.build_scene()
    out = tmp_path / "cancel" / "scene.gltf"
    job = ExportJob(cli, str(out), 60, "heic", "AUTO", False)
    job.begin(bpy.context)
    assert job.job is not None and job.job.process.poll() is None  # the CLI is running
    job.cancel()
    assert job.job.process.returncode != 0
    assert list(out.parent.iterdir()) == []  # no staging folder, no partial .tsw, no glTF


def test_cli_missing_or_too_old_is_one_clear_message(addon, tmp_path, monkeypatch):
    scene.build_scene(procedural=False)
    prefs = bpy.context.preferences.addons["texsandwich_blender"].preferences
    prefs.cli_path = str(tmp_path / "nowhere" / "texsandwich")
    try:
        msg = _fails(_export, tmp_path / "a" / "scene.gltf")
        assert "not found" in msg and "0.2.0" in msg
        old = tmp_path / "old-texsandwich"
        old.write_text("#!/bin/sh\necho 'texsandwich, version 0.1.0'\n")
        old.chmod(old.stat().st_mode | stat.S_IXUSR)
        prefs.cli_path = str(old)
        assert "is texsandwich 0.1.0; this add-on needs 0.2.0 or newer" in _fails(bpy.ops.texsandwich.test_cli)
        assert "needs 0.2.0" in _fails(_export, tmp_path / "b" / "scene.gltf")
        assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())
    finally:
        prefs.cli_path = ""
    assert bpy.ops.texsandwich.test_cli() == {"FINISHED"}
    assert re.match(r"Using texsandwich \d+\.\d+\.\d+ at ", addon.operators.LAST["message"])


def test_udim_unwritable_folder_and_untextured_scenes(addon, tmp_path):
    scene.build_scene(procedural=False)
    bpy.data.images["stone_albedo"].source = "TILED"
    assert "UDIM tiles are not supported yet (image stone_albedo)" in _fails(_export, tmp_path / "udim" / "scene.gltf")
    assert not any((tmp_path / "udim").iterdir())

    scene.build_scene(procedural=False)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert "cannot create the export folder" in _fails(_export, blocker / "scene.gltf")

    scene.reset()
    bpy.ops.mesh.primitive_cube_add()
    bpy.context.active_object.data.materials.append(scene.procedural_material("noise"))
    out = tmp_path / "plain" / "scene.gltf"
    assert _export(out) == {"FINISHED"}
    assert "uncompressed" in addon.operators.LAST["message"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["scene.bin", "scene.gltf"]


def test_import_of_an_ordinary_gltf_goes_straight_to_blender(addon, tmp_path):
    scene.build_scene(procedural=False)
    plain = tmp_path / "plain" / "scene.gltf"
    bpy.ops.export_scene.gltf(filepath=str(plain), export_format="GLTF_SEPARATE")
    scene.reset()
    assert bpy.ops.import_scene.texsandwich_gltf(filepath=str(plain)) == {"FINISHED"}
    assert "imported as it is" in addon.operators.LAST["message"]
    assert "stone" in bpy.data.materials
    assert "no such file" in _fails(bpy.ops.import_scene.texsandwich_gltf, filepath=str(tmp_path / "missing.gltf"))


def _compress_active(mat, **kw):
    with bpy.context.temp_override(material=mat):
        return bpy.ops.material.texsandwich_compress(**kw)


@pytest.mark.parametrize("saved", [False, True])
def test_material_panel_compresses_in_place_and_reverts(addon, tmp_path, saved):
    from texsandwich_blender.pixels import image_array

    folder = tmp_path / "blend"
    folder.mkdir()
    scene.build_scene(folder=folder if saved else None, procedural=False)
    if saved:
        bpy.ops.wm.save_as_mainfile(filepath=str(folder / "scene.blend"))
    mat = bpy.data.materials["stone"]
    originals = {n.name: n.image for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeTexImage"}
    before = {name: image_array(img) for name, img in originals.items()}
    assert _compress_active(mat, quality=70, pack=False) == {"FINISHED"}, addon.operators.LAST
    info = mat["texsandwich"]
    assert info["recipe"] == "pbr8-400" and 0 < info["bytes_out"] < info["bytes_in"] and info["shaded_psnr"] > 25
    for name, node in ((n.name, n) for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeTexImage"):
        assert node.image.name == originals[name].name + ".tsw" and node["texsandwich"] == originals[name].name
        a = image_array(node.image).astype(float)
        assert 0 < np.abs(a - before[name]).mean() < 12  # decoded: close to the source, not the source
        assert (node.image.packed_file is not None) == (not saved)
    if saved:
        stored = folder / "texsandwich" / "stone"
        assert any(stored.glob("*.tsw")) and len(list(stored.glob("*.png"))) == 3
        assert info["storage"] == str(stored)
    from texsandwich_blender.jobs import material_summary

    assert "shaded PSNR" in material_summary(mat)
    assert "already compressed" in _fails(_compress_active, mat)
    with bpy.context.temp_override(material=mat):
        assert bpy.ops.material.texsandwich_revert() == {"FINISHED"}
    assert "texsandwich" not in mat
    for name, node in ((n.name, n) for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeTexImage"):
        assert node.image == originals[name] and np.array_equal(image_array(node.image), before[name])
    assert not [i for i in bpy.data.images if i.name.endswith(".tsw")]


def test_material_with_procedural_textures_only_is_refused(addon):
    scene.reset()
    mat = scene.procedural_material("noise")
    assert "has no image texture in a glTF PBR input" in _fails(_compress_active, mat)


def test_gray_roughness_image_goes_through_and_comes_back_gray(addon, tmp_path):
    from texsandwich_blender.pixels import image_array

    scene.build_scene(procedural=False)
    mat = bpy.data.materials["stone"]
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes["Principled BSDF"]
    rough = nodes.new("ShaderNodeTexImage")
    gray = np.repeat(scene.textures(seed=7)["orm"][..., 1:2], 3, axis=2)
    rough.image = scene._image("stone_rough", gray, "Non-Color", None)
    links.new(rough.outputs["Color"], bsdf.inputs["Roughness"])
    from texsandwich_blender.nodes import material_roles

    assert {r.role for r in material_roles(mat)} == {"albedo", "normal", "roughness", "occlusion"}
    assert _compress_active(mat, quality=80) == {"FINISHED"}, addon.operators.LAST
    a = image_array(rough.image)
    assert np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 0], a[..., 2])
    assert np.abs(a[..., 0].astype(float) - gray[..., 0]).mean() < 12


def test_a_base_colour_alpha_the_material_uses_comes_back(addon, tmp_path):
    from texsandwich_blender.pixels import image_array

    scene.build_scene(procedural=False)
    mat = bpy.data.materials["stone"]
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    albedo = next(n for n in nodes if n.bl_idname == "ShaderNodeTexImage" and n.image.name.endswith("albedo"))
    h, w = albedo.image.size[1], albedo.image.size[0]
    rgba = image_array(albedo.image).astype(np.float32) / 255.0
    cut = np.zeros((h, w), np.float32)
    cut[:, : w // 2] = 1.0  # a cut-out: left half opaque
    rgba[..., 3] = cut
    leaf = bpy.data.images.new("leaf", w, h, alpha=True)
    leaf.pixels.foreach_set(rgba[::-1].ravel())
    leaf.pack()
    albedo.image = leaf
    links.new(albedo.outputs["Alpha"], nodes["Principled BSDF"].inputs["Alpha"])
    out = tmp_path / "export" / "scene.gltf"  # the export path: Blender's exporter writes the alpha mode
    assert _export(out, quality=80) == {"FINISHED"}, addon.operators.LAST
    stone = next(m for m in json.loads(out.read_text())["materials"] if m["name"] == "stone")
    assert stone.get("alphaMode") in ("BLEND", "MASK"), stone
    assert (out.parent / "scene.0.stone.tsw").read_bytes()[8:10] == b"\0\5", "the alpha is in the file"
    assert _compress_active(mat, quality=80) == {"FINISHED"}, addon.operators.LAST
    back = image_array(albedo.image)
    assert albedo.image.name == "leaf.tsw"
    assert np.abs(back[..., 3].astype(float) - cut * 255).mean() < 2, "the cut-out survives"


def test_addon_package_has_both_manifests():
    root = Path(__file__).resolve().parents[1] / "texsandwich_blender"
    import tomllib

    manifest = tomllib.loads((root / "blender_manifest.toml").read_text())
    import texsandwich_blender

    assert manifest["id"] == "texsandwich_blender" and manifest["type"] == "add-on"
    assert manifest["version"] == ".".join(map(str, texsandwich_blender.bl_info["version"]))
    assert texsandwich_blender.bl_info["blender"] == (3, 6, 0)
    assert "import torch" not in "".join(p.read_text() for p in root.glob("*.py"))
    assert os.environ.get("TEXSANDWICH_CLI")


INSTALL = """
import sys, bpy, addon_utils
zip_path, how = sys.argv[-2:]
if how == "extension":
    r = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    name = "bl_ext.user_default.texsandwich_blender"
else:
    r = bpy.ops.preferences.addon_install(filepath=zip_path)
    addon_utils.enable("texsandwich_blender", default_set=True)
    name = "texsandwich_blender"
assert r == {"FINISHED"}, r
assert name in sys.modules and name in bpy.context.preferences.addons, list(bpy.context.preferences.addons.keys())
assert bpy.ops.export_scene.texsandwich_gltf.poll() and bpy.ops.import_scene.texsandwich_gltf.poll()
print("INSTALLED", name)
"""


@pytest.mark.parametrize("how", ["extension", "legacy"])
def test_built_zip_installs(tmp_path, how):
    """``make blender-addon``'s zip installs through Blender's own installers (4.2+ extension, legacy)."""
    root = Path(__file__).resolve().parents[2]
    built = subprocess.run([sys.executable, str(root / "tools" / "build_blender_addon.py"), "-o", str(tmp_path)],
                           check=True, capture_output=True, text=True).stdout.strip()
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "blender-user")}
    (tmp_path / "install.py").write_text(INSTALL)
    r = subprocess.run([sys.executable, str(tmp_path / "install.py"), built, how], env=env, capture_output=True,
                       text=True, timeout=300)
    assert "INSTALLED" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]


class _Recorder:
    """Stands in for Blender's window manager / workspace so the modal path runs headless."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __getattr__(self, name):
        return lambda *a, **k: self.calls.append((name, *a)) or "timer"


class _Context:
    def __init__(self) -> None:
        self.window_manager, self.workspace, self.window = _Recorder(), _Recorder(), object()
        self.scene = bpy.context.scene
        self.selected_objects = bpy.context.selected_objects


class _Event:
    def __init__(self, kind: str) -> None:
        self.type = kind


def _modal_export(cli, out: Path):
    """An export begun as the operator begins it, and a runner about to receive modal events."""
    from texsandwich_blender.jobs import ExportJob
    from texsandwich_blender.operators import JobRunner

    scene.build_scene(procedural=False)
    job, ctx, runner = ExportJob(cli, str(out), 60, "heic", "AUTO", False), _Context(), JobRunner()
    runner.reports = []
    runner.report = lambda level, msg: runner.reports.append((level, msg))
    job.begin(ctx)
    runner._job, runner._timer = job, "timer"
    return job, ctx, runner


def test_modal_path_reports_progress_then_finishes(addon, cli, tmp_path):
    """What an interactive export does on each timer tick: progress bar, status text, then the report."""
    out = tmp_path / "modal" / "scene.gltf"
    _, ctx, runner = _modal_export(cli, out)
    while (state := runner.modal(ctx, _Event("TIMER"))) == {"PASS_THROUGH"}:
        time.sleep(0.05)
    assert state == {"FINISHED"} and (out.parent / "scene.0.stone.tsw").is_file()
    updates = [c[1] for c in ctx.window_manager.calls if c[0] == "progress_update"]
    assert updates and updates == sorted(updates) and updates[-1] == 100
    status = [c[1] for c in ctx.workspace.calls if c[0] == "status_text_set"]
    assert any("Esc cancels" in str(s) for s in status) and status[-1] is None  # cleared at the end
    assert ("progress_end",) in ctx.window_manager.calls and ("event_timer_remove", "timer") in ctx.window_manager.calls
    assert runner.reports[0][0] == {"INFO"} and "smaller" in runner.reports[0][1]


def test_modal_escape_cancels_and_leaves_nothing(addon, cli, tmp_path):
    out = tmp_path / "esc" / "scene.gltf"
    job, ctx, runner = _modal_export(cli, out)
    assert runner.modal(ctx, _Event("TIMER")) == {"PASS_THROUGH"}
    assert runner.modal(ctx, _Event("ESC")) == {"CANCELLED"}
    assert runner.reports == [({"WARNING"}, "texsandwich export cancelled; nothing was written")]
    assert list(out.parent.iterdir()) == [] and job.job.process.returncode != 0


def test_export_and_material_panel_with_a_psnr_target(addon, tmp_path):
    scene.build_scene(procedural=False)
    out = tmp_path / "target" / "scene.gltf"
    assert _export(out, rate="TARGET", target_psnr=38.0) == {"FINISHED"}
    mats = json.loads((out.parent / "library.json").read_text())["assets"][0]["materials"]
    assert all(m["shaded_psnr"] >= 38.0 and 1 <= m["quality"] <= 100 for m in mats)
    assert ", quality " in bpy.data.texts["texsandwich report"].as_string()
    mat = bpy.data.materials["stone"]
    assert _compress_active(mat, rate="TARGET", target_psnr=36.0) == {"FINISHED"}
    info = mat["texsandwich"]
    assert info["shaded_psnr"] >= 36.0 and info["target_psnr"] == 36.0 and 1 <= info["quality"] <= 100


def test_export_and_material_panel_with_a_size_budget(addon, tmp_path):
    scene.build_scene(procedural=False)
    out = tmp_path / "budget" / "scene.gltf"
    assert _export(out, rate="SIZE", target_mb=0.004) == {"FINISHED"}  # 4,000 bytes for the model's textures
    assert sum(p.stat().st_size for p in out.parent.glob("*.tsw")) <= 4000
    mats = json.loads((out.parent / "library.json").read_text())["assets"][0]["materials"]
    assert len({m["quality"] for m in mats}) == 1  # one quality for the whole model
    mat = bpy.data.materials["stone"]
    assert _compress_active(mat, rate="SIZE", target_mb=0.002) == {"FINISHED"}
    info = mat["texsandwich"]
    assert info["bytes_out"] <= 2000 and info["target_size"] == "0.002M" and info["target_psnr"] == 0.0


class _Layout:
    """Records what a draw() puts on screen (headless Blender has no UI to draw into)."""

    def __init__(self, lines: list) -> None:
        self.lines = lines

    def __getattr__(self, name):
        def call(*args, **kw):
            self.lines.append((name, args, kw))
            return self
        return call


def _draw(cls, context) -> list:
    from types import SimpleNamespace

    lines: list = []
    panel = SimpleNamespace(layout=_Layout(lines), **{k: getattr(cls, k) for k in ("bl_idname", "bl_context", "summary")
                                                      if hasattr(cls, k)})
    if hasattr(cls, "draw_source"):
        panel.draw_source = lambda ctx, owner: cls.draw_source(panel, ctx, owner)
    cls.draw(panel, context)
    return lines


def test_panel_and_preferences_draw(addon, tmp_path):
    from types import SimpleNamespace

    from texsandwich_blender.ui import MATERIAL_PT_texsandwich, TexsandwichPreferences

    scene.build_scene(procedural=False)
    mat = bpy.data.materials["stone"]
    ctx = SimpleNamespace(material=mat, scene=bpy.context.scene, preferences=bpy.context.preferences)
    texts = [kw.get("text", "") for _, _, kw in _draw(MATERIAL_PT_texsandwich, ctx)]
    assert any(t.startswith("albedo: stone_albedo") for t in texts)
    assert any(t.startswith("orm: stone_orm") for t in texts)
    assert _compress_active(mat, quality=60) == {"FINISHED"}
    texts = [kw.get("text", "") for _, _, kw in _draw(MATERIAL_PT_texsandwich, ctx)]
    assert any("shaded PSNR" in t for t in texts) and any(t.startswith("Compressed (pbr8-400, HEIC q60") for t in texts)
    prefs = bpy.context.preferences.addons["texsandwich_blender"].preferences
    texts = [kw.get("text", "") for _, _, kw in _draw(TexsandwichPreferences, SimpleNamespace(
        preferences=bpy.context.preferences))]
    assert prefs.cli_path == "" and any(re.match(r"Using texsandwich \d+\.\d+\.\d+ at ", t) for t in texts)


def _compress_world(world, **kw):
    with bpy.context.temp_override(world=world):
        return bpy.ops.world.texsandwich_compress(**kw)


def _float_pixels(image) -> np.ndarray:
    w, h = image.size
    px = np.empty(w * h * image.channels, np.float32)
    image.pixels.foreach_get(px)
    return px.reshape(h, w, image.channels)[::-1, :, :3]


@pytest.mark.parametrize("suffix,packed", [(".exr", False), (".hdr", True), (".hdr", False)])
def test_world_environment_is_compressed_in_its_own_kind_and_reverts(addon, tmp_path, suffix, packed):
    from texsandwich_blender.jobs import world_summary

    scene.reset()
    folder = tmp_path / "blend"
    folder.mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "scene.blend"))
    world = scene.world_with_environment(folder / f"sky{suffix}", scene.sky(), packed=packed)
    node = next(n for n in world.node_tree.nodes if n.bl_idname == "ShaderNodeTexEnvironment")
    original, before = node.image, _float_pixels(node.image)
    assert _compress_world(world, quality=85, pack=packed) == {"FINISHED"}, addon.operators.LAST
    info = world["texsandwich"]
    assert info["recipe"] == "hdr-444" and 0 < info["bytes_out"] < info["bytes_in"] and info["psnr"] > 35
    assert node.image.name == f"{original.name}.tsw" and node["texsandwich"] == original.name
    assert node.image.is_float and node.image.colorspace_settings.name == original.colorspace_settings.name
    after = _float_pixels(node.image)
    # decoded: the same light within the codec's error (log ratio of the mean; the sun kept its brightness)
    assert abs(np.log(after.mean() / before.mean())) < 0.05 and after.max() > 0.7 * before.max()
    assert not np.array_equal(after, before)
    assert node.image.filepath.endswith(suffix)  # Radiance back as Radiance, EXR as EXR
    assert (node.image.packed_file is not None) == packed
    if not packed:
        stored = folder / "texsandwich" / f"world_{world.name.replace(' ', '_')}"
        assert sorted(p.suffix for p in stored.iterdir()) == sorted([".tsw", suffix]) and info["storage"] == str(stored)
    assert "PSNR (16-bit PQ signal)" in world_summary(world)
    assert "already compressed" in _fails(_compress_world, world)
    with bpy.context.temp_override(world=world):
        assert bpy.ops.world.texsandwich_revert() == {"FINISHED"}
    assert "texsandwich" not in world and node.image == original and "texsandwich" not in node
    assert not [i for i in bpy.data.images if i.name.endswith(".tsw")]


def test_an_8bit_environment_goes_through_the_colour_recipe_and_worlds_without_one_are_refused(addon, tmp_path):
    scene.reset()
    sky8 = np.clip(scene.sky() ** (1 / 2.2) * 200, 0, 255).round()
    from types import SimpleNamespace

    from texsandwich_blender.ui import WORLD_PT_texsandwich

    world = scene.world_with_environment(tmp_path / "sky8.png", sky8)
    ctx = SimpleNamespace(world=world, scene=bpy.context.scene)
    texts = [kw.get("text", "") for _, _, kw in _draw(WORLD_PT_texsandwich, ctx)]
    assert "environment: sky8.png (96x48, 8-bit)" in texts
    assert _compress_world(world, quality=70, pack=True) == {"FINISHED"}, addon.operators.LAST
    info = world["texsandwich"]
    assert info["recipe"] == "rgb-420" and info["storage"] == "packed" and info["psnr"] > 30
    texts = [kw.get("text", "") for _, _, kw in _draw(WORLD_PT_texsandwich, ctx)]
    assert "Compressed (rgb-420, HEIC q70)" in texts and any(t.endswith(" dB") and "x)" in t for t in texts)
    plain = bpy.data.worlds.new("flat colour")
    assert "has no Environment Texture image" in _fails(_compress_world, plain)
    edited = scene.world_with_environment(tmp_path / "edited.exr", scene.sky())
    image = next(n for n in edited.node_tree.nodes if n.bl_idname == "ShaderNodeTexEnvironment").image
    image.pixels[0] = 5.0  # painted, not saved: the file is not what the user sees
    assert "unsaved changes" in _fails(_compress_world, edited)
    # a CLI new enough for materials but not for environments says which version this needs
    prefs = bpy.context.preferences.addons["texsandwich_blender"].preferences
    old = tmp_path / "older-texsandwich"
    old.write_text("#!/bin/sh\necho 'texsandwich, version 0.6.9'\n")
    old.chmod(old.stat().st_mode | stat.S_IXUSR)
    prefs.cli_path = str(old)
    try:
        fresh = scene.world_with_environment(tmp_path / "fresh.exr", scene.sky())
        assert "needs texsandwich 0.6.10 or newer" in _fails(_compress_world, fresh)
    finally:
        prefs.cli_path = ""
