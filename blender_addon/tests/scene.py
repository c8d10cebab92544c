"""A generated test scene: generated geometry and generated textures, no files from outside."""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np


def _image(name: str, array: np.ndarray, colorspace: str, folder: Path | None):
    h, w, c = array.shape
    img = bpy.data.images.new(name, w, h, alpha=False)
    rgba = np.ones((h, w, 4), np.float32)
    rgba[..., :c] = array / 255.0
    img.pixels.foreach_set(rgba[::-1].ravel())
    if folder is not None:  # a file next to the .blend; otherwise packed
        img.filepath_raw = str(folder / f"{name}.png")
        img.file_format = "PNG"
        img.save()
    else:
        img.pack()
    img.colorspace_settings.name = colorspace
    return img


def textures(size: int = 96, seed: int = 0) -> dict[str, np.ndarray]:
    """Albedo, unit normals and ORM with structure and grain (like scanned materials, not flat)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    grain = rng.normal(0, 1, (size, size))
    blobs = np.sin(9 * x + 3 * np.sin(7 * y)) * np.cos(11 * y)
    albedo = np.stack([120 + 60 * blobs + 12 * grain, 90 + 40 * blobs + 10 * grain, 70 + 20 * blobs + 8 * grain], -1)
    gx, gy = np.gradient(blobs + 0.15 * grain)
    n = np.stack([-gx * 8, -gy * 8, np.ones_like(gx)], -1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    normal = (n * 0.5 + 0.5) * 255
    orm = np.stack([200 + 40 * blobs, 140 + 60 * blobs + 15 * grain, np.where(blobs > 0.6, 230.0, 10.0)], -1)
    return {k: np.clip(np.round(v), 0, 255).astype(np.uint8) for k, v in
            {"albedo": albedo, "normal": normal, "orm": orm}.items()}


def gltf_output_group():
    g = bpy.data.node_groups.get("glTF Material Output")
    if g is None:
        g = bpy.data.node_groups.new("glTF Material Output", "ShaderNodeTree")
        g.interface.new_socket("Occlusion", in_out="INPUT", socket_type="NodeSocketFloat")
    return g


def pbr_material(name: str, folder: Path | None, seed: int = 0, normal_strength: float = 0.8, size: int = 96):
    """Base colour, Normal Map, ORM through Separate Color (G roughness, B metallic, R occlusion)."""
    t = textures(size, seed=seed)
    mat = bpy.data.materials.new(name)
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes["Principled BSDF"]
    ta, tn, to = (nodes.new("ShaderNodeTexImage") for _ in range(3))
    ta.image = _image(f"{name}_albedo", t["albedo"], "sRGB", folder)
    tn.image = _image(f"{name}_normal", t["normal"], "Non-Color", folder)
    to.image = _image(f"{name}_orm", t["orm"], "Non-Color", folder)
    nm = nodes.new("ShaderNodeNormalMap")
    nm.inputs["Strength"].default_value = normal_strength
    sep = nodes.new("ShaderNodeSeparateColor")
    group = nodes.new("ShaderNodeGroup")
    group.node_tree = gltf_output_group()
    links.new(ta.outputs["Color"], bsdf.inputs["Base Color"])
    links.new(tn.outputs["Color"], nm.inputs["Color"])
    links.new(nm.outputs["Normal"], bsdf.inputs["Normal"])
    links.new(to.outputs["Color"], sep.inputs["Color"])
    links.new(sep.outputs["Green"], bsdf.inputs["Roughness"])
    links.new(sep.outputs["Blue"], bsdf.inputs["Metallic"])
    links.new(sep.outputs["Red"], group.inputs["Occlusion"])
    return mat


def albedo_material(name: str, folder: Path | None, size: int = 96):
    mat = bpy.data.materials.new(name)
    tex = mat.node_tree.nodes.new("ShaderNodeTexImage")
    tex.image = _image(f"{name}_albedo", textures(size, seed=3)["albedo"][::-1].copy(), "sRGB", folder)
    mat.node_tree.links.new(tex.outputs["Color"], mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"])
    return mat


def procedural_material(name: str):
    mat = bpy.data.materials.new(name)
    noise = mat.node_tree.nodes.new("ShaderNodeTexNoise")
    mat.node_tree.links.new(noise.outputs["Color"], mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"])
    return mat


def _object(kind: str, location: tuple[float, float, float], material):
    if kind == "sphere":
        bpy.ops.mesh.primitive_uv_sphere_add(segments=32, ring_count=16, location=location)
    else:
        bpy.ops.mesh.primitive_cube_add(size=1.5, location=location)
    ob = bpy.context.active_object
    ob.data.materials.append(material)
    return ob


def reset() -> None:
    """An empty file without reloading preferences (which would disable the add-on under test)."""
    for coll in (bpy.data.objects, bpy.data.meshes, bpy.data.materials, bpy.data.images, bpy.data.texts,
                 bpy.data.node_groups, bpy.data.cameras, bpy.data.lights, bpy.data.worlds):
        bpy.data.batch_remove(list(coll))
    for c in list(bpy.data.collections):
        bpy.data.collections.remove(c)


def build_scene(folder: Path | None = None, procedural: bool = True, size: int = 96) -> None:
    """Empty the file, then: a sphere with a full PBR material, a cube with only a base colour, and
    (``procedural``) a cube with a procedural noise material."""
    reset()
    _object("sphere", (0, 0, 0), pbr_material("stone", folder, size=size))
    _object("cube", (2.5, 0, 0), albedo_material("paint", folder, size=size))
    if procedural:
        _object("cube", (-2.5, 0, 0), procedural_material("noise"))


def sky(h: int = 48, w: int = 96) -> np.ndarray:
    """A generated HDR sky, top row first: a ramp over 10 stops and a sun ~60x white (scene-linear RGB)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = 2.0 ** (10 * y / h - 6)
    sun = 60.0 * np.exp(-((x - w / 3) ** 2 + (y - h / 4) ** 2) / 8)
    return np.stack([ramp * 0.6 + sun, ramp * 0.8 + sun, ramp + sun * 0.9], -1)


def world_with_environment(path: Path, pixels: np.ndarray, packed: bool = False):
    """A new world lit by an Environment Texture of ``pixels`` saved as ``path`` (its suffix picks EXR,
    Radiance HDR or PNG; float pixels for the first two, 0-255 for PNG), loaded back from that file."""
    fmt = {".exr": "OPEN_EXR", ".hdr": "HDR", ".png": "PNG"}[path.suffix]
    h, w, _ = pixels.shape
    img = bpy.data.images.new(path.stem, w, h, float_buffer=fmt != "PNG")
    rgba = np.ones((h, w, 4), np.float32)
    rgba[..., :3] = pixels / (255.0 if fmt == "PNG" else 1.0)
    img.pixels.foreach_set(rgba[::-1].ravel())
    img.filepath_raw = str(path)
    img.file_format = fmt
    img.save()
    bpy.data.images.remove(img)
    img = bpy.data.images.load(str(path))
    if packed:
        img.pack()
    world = bpy.data.worlds.new(f"world {path.stem}")
    bpy.context.scene.world = world
    if bpy.app.version < (5, 0, 0):
        world.use_nodes = True
    nodes = world.node_tree.nodes
    background = next((n for n in nodes if n.bl_idname == "ShaderNodeBackground"), None) or nodes.new(
        "ShaderNodeBackground")
    out = next((n for n in nodes if n.bl_idname == "ShaderNodeOutputWorld"), None) or nodes.new("ShaderNodeOutputWorld")
    env = nodes.new("ShaderNodeTexEnvironment")
    env.image = img
    world.node_tree.links.new(env.outputs["Color"], background.inputs["Color"])
    world.node_tree.links.new(background.outputs["Background"], out.inputs["Surface"])
    return world
