"""What a Blender material's image textures are, read from its node tree the way glTF sees it.

Roles follow Blender's glTF exporter (and what its importer builds): an image into Base Color is the
albedo; an image through a Normal Map node into Normal is the normal map; an image through Separate
Color whose G feeds Roughness (and B Metallic) is the metallic-roughness map, 'orm' when its R also
feeds the occlusion input of the "glTF Material Output" group; an image straight into Roughness is a
gray roughness map; an image through Separate Color R into the occlusion input alone is occlusion.
Reroute nodes are followed. Anything else (procedural textures, images into other sockets) is not a
role and stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import bpy

GLTF_GROUP_NAMES = ("glTF Material Output", "glTF Settings")


@dataclass
class RoleImage:
    role: str
    """'albedo', 'normal', 'mr', 'orm', 'roughness' or 'occlusion'"""
    node: object
    """the Image Texture node (bpy.types.ShaderNodeTexImage)"""
    normal_strength: float | None = None


def _source(socket):
    """The node feeding ``socket`` (through reroutes) and the output socket used, or (None, None)."""
    while socket is not None and socket.is_linked:
        link = socket.links[0]
        node = link.from_node
        if node.bl_idname == "NodeReroute":
            socket = node.inputs[0]
            continue
        return node, link.from_socket
    return None, None


def _image_node(socket):
    node, _ = _source(socket)
    return node if node is not None and node.bl_idname == "ShaderNodeTexImage" and node.image else None


def _separate_image(socket, channel: str):
    """The image node behind a Separate Color/RGB whose ``channel`` output feeds ``socket``."""
    node, out = _source(socket)
    if node is None or node.bl_idname not in ("ShaderNodeSeparateColor", "ShaderNodeSeparateRGB"):
        return None
    if out.name not in (channel, channel[0]):
        return None
    return _image_node(node.inputs[0])


def uses_nodes(material) -> bool:
    """Whether the material's node tree is what renders (always, from Blender 5.0 on)."""
    if material.node_tree is None:
        return False
    return bpy.app.version >= (5, 0, 0) or material.use_nodes


def principled(material):
    """The Principled BSDF feeding the material output, or None."""
    if not uses_nodes(material):
        return None
    for node in material.node_tree.nodes:
        if node.bl_idname == "ShaderNodeOutputMaterial" and node.is_active_output:
            src, _ = _source(node.inputs["Surface"])
            if src is not None and src.bl_idname == "ShaderNodeBsdfPrincipled":
                return src
    for node in material.node_tree.nodes:
        if node.bl_idname == "ShaderNodeBsdfPrincipled":
            return node
    return None


def _occlusion_socket(material):
    for node in material.node_tree.nodes:
        if (node.bl_idname == "ShaderNodeGroup" and node.node_tree and node.node_tree.name in GLTF_GROUP_NAMES
                and "Occlusion" in node.inputs):
            return node.inputs["Occlusion"]
    return None


def material_roles(material) -> list[RoleImage]:
    """The material's images in glTF roles (empty when it has none this tool codes)."""
    bsdf = principled(material)
    if bsdf is None:
        return []
    out: list[RoleImage] = []
    albedo = _image_node(bsdf.inputs["Base Color"])
    if albedo is not None:
        out.append(RoleImage("albedo", albedo))
    nm, _ = _source(bsdf.inputs["Normal"])
    if nm is not None and nm.bl_idname == "ShaderNodeNormalMap":
        img = _image_node(nm.inputs["Color"])
        if img is not None:
            out.append(RoleImage("normal", img, float(nm.inputs["Strength"].default_value)))
    occ_socket = _occlusion_socket(material)
    occ = _separate_image(occ_socket, "Red") if occ_socket is not None else None
    mr = _separate_image(bsdf.inputs["Roughness"], "Green")
    if mr is not None:
        out.append(RoleImage("orm" if occ is not None and occ.image == mr.image else "mr", mr))
    else:
        rough = _image_node(bsdf.inputs["Roughness"])
        if rough is not None:
            out.append(RoleImage("roughness", rough))
    if occ is not None and not (mr is not None and occ.image == mr.image):
        out.append(RoleImage("occlusion", occ))
    return out


def image_nodes(material) -> list:
    """Every Image Texture node with an image in the material's tree."""
    if not uses_nodes(material):
        return []
    return [n for n in material.node_tree.nodes if n.bl_idname == "ShaderNodeTexImage" and n.image]


PROCEDURAL_PREFIXES = ("ShaderNodeTex",)


def is_procedural(material) -> bool:
    """The material uses texture nodes but no image: glTF exports it without textures."""
    if not uses_nodes(material):
        return False
    tex = [n for n in material.node_tree.nodes if n.bl_idname.startswith(PROCEDURAL_PREFIXES)]
    return bool(tex) and not any(n.bl_idname == "ShaderNodeTexImage" and n.image for n in tex)


def udim_images(materials) -> list[str]:
    """Names of UDIM (tiled) images the materials use."""
    return sorted({n.image.name for m in materials for n in image_nodes(m) if n.image.source == "TILED"})


def world_environment(world):
    """The Environment Texture node (with an image) that lights ``world``: the one feeding the active World
    Output's Surface through a shader's Color (Background, reroutes followed), else the tree's only one;
    None when there is none (a sky texture, a flat colour, or several images mixed)."""
    if world is None or world.node_tree is None:
        return None
    for node in world.node_tree.nodes:
        if node.bl_idname == "ShaderNodeOutputWorld" and node.is_active_output:
            shader, _ = _source(node.inputs["Surface"])
            if shader is not None and "Color" in shader.inputs:
                env, _ = _source(shader.inputs["Color"])
                if env is not None and env.bl_idname == "ShaderNodeTexEnvironment" and env.image:
                    return env
    envs = [n for n in world.node_tree.nodes if n.bl_idname == "ShaderNodeTexEnvironment" and n.image]
    return envs[0] if len(envs) == 1 else None
