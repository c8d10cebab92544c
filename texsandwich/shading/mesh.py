"""Triangle geometry of a glTF, flattened into world space: what the texture-space frames and the renderer draw.

One module reads geometry so that the training signal (texels shaded with the mesh's frames) and the
evaluation renders see the same normals and tangents:

- accessors are read with strides, normalised integers and sparse-less buffers (:func:`read_accessor`);
- the default scene's node hierarchy is walked (``matrix`` or TRS), positions go to world space,
  normals by the inverse transpose, tangents by the linear part; a mirroring transform (negative
  determinant) swaps the winding so front faces stay counter-clockwise;
- triangle strips and fans become triangle lists; points and lines are skipped with a notice;
- missing normals are computed (area-weighted face normals); missing tangents from UV derivatives
  accumulated per vertex and Gram-Schmidt-orthogonalised against the normal. That is the
  construction MikkTSpace starts from; it does not split vertices at UV seams the way MikkTSpace does,
  so on meshes whose normal maps were baked with split tangents the frames differ along seams --
  meshes that need the exact frames ship a ``TANGENT`` attribute, and it is used when present.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from texsandwich.errors import InputError

_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
_DTYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN = 4, 5, 6


def read_accessor(gltf, index: int) -> np.ndarray:
    """An accessor's data as ``[count, components]`` float64 (normalized integers scaled to [0, 1] / [-1, 1])."""
    acc = gltf.accessors[index]
    n = _COMPONENTS[acc.type]
    dtype = np.dtype(_DTYPES[acc.componentType]).newbyteorder("<")
    if acc.bufferView is None:
        return np.zeros((acc.count, n))
    bv = gltf.bufferViews[acc.bufferView]
    data = gltf.get_data_from_buffer_uri(gltf.buffers[bv.buffer].uri) if gltf.buffers[bv.buffer].uri else (
        gltf.binary_blob())
    start = (bv.byteOffset or 0) + (acc.byteOffset or 0)
    stride = bv.byteStride or dtype.itemsize * n
    raw = np.frombuffer(data, np.uint8, count=stride * (acc.count - 1) + dtype.itemsize * n, offset=start)
    rows = np.lib.stride_tricks.as_strided(raw, (acc.count, dtype.itemsize * n), (stride, 1))
    out = np.ascontiguousarray(rows).view(dtype).reshape(acc.count, n).astype(np.float64)
    if acc.normalized and dtype.kind in "iu":
        out /= np.iinfo(dtype).max
    return out


def normalize(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def vertex_normals(pos: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Area-weighted average of the face normals around each vertex (for meshes without NORMAL)."""
    fn = np.cross(pos[tri[:, 1]] - pos[tri[:, 0]], pos[tri[:, 2]] - pos[tri[:, 0]])
    nrm = np.zeros_like(pos)
    for k in range(3):
        np.add.at(nrm, tri[:, k], fn)
    return normalize(nrm)


def vertex_tangents(pos: np.ndarray, nrm: np.ndarray, uv: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Per-vertex tangents ``[V, 4]`` (xyz, handedness w) from UV derivatives, orthogonal to the normal."""
    p0, p1, p2 = pos[tri[:, 0]], pos[tri[:, 1]], pos[tri[:, 2]]
    t0, t1, t2 = uv[tri[:, 0]], uv[tri[:, 1]], uv[tri[:, 2]]
    e1, e2 = p1 - p0, p2 - p0
    d1, d2 = t1 - t0, t2 - t0
    r = d1[:, 0] * d2[:, 1] - d2[:, 0] * d1[:, 1]
    r = np.where(np.abs(r) < 1e-12, 1e-12, r)
    t = (e1 * d2[:, 1:2] - e2 * d1[:, 1:2]) / r[:, None]  # along +u
    # glTF's v runs down the image while a normal map's +Y is up the image: the bitangent is -dP/dv
    b = -(e2 * d1[:, 0:1] - e1 * d2[:, 0:1]) / r[:, None]
    acc_t, acc_b = np.zeros_like(pos), np.zeros_like(pos)
    for k in range(3):
        np.add.at(acc_t, tri[:, k], t)
        np.add.at(acc_b, tri[:, k], b)
    tan = normalize(acc_t - nrm * (acc_t * nrm).sum(-1, keepdims=True))
    w = np.where((np.cross(nrm, tan) * acc_b).sum(-1) < 0, -1.0, 1.0)
    return np.concatenate([tan, w[:, None]], axis=-1)


def triangles(mode: int | None, indices: np.ndarray) -> np.ndarray | None:
    """``[T, 3]`` triangle list from a primitive's indices; None for points and lines."""
    mode = TRIANGLES if mode is None else mode
    idx = indices.astype(np.int64)
    if mode == TRIANGLES:
        return idx[: len(idx) // 3 * 3].reshape(-1, 3)
    if mode == TRIANGLE_STRIP:
        k = np.arange(len(idx) - 2)
        tri = np.stack([idx[k], idx[k + 1], idx[k + 2]], axis=1)
        odd = k % 2 == 1  # every other triangle of a strip is wound the other way
        tri[odd] = tri[odd][:, [1, 0, 2]]
        return tri
    if mode == TRIANGLE_FAN:
        k = np.arange(1, len(idx) - 1)
        return np.stack([np.full_like(k, idx[0]), idx[k], idx[k + 1]], axis=1)
    return None


def _quat_matrix(q: list[float]) -> np.ndarray:
    x, y, z, w = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def node_matrix(node) -> np.ndarray:
    """A node's local 4x4 transform (``matrix`` is column-major in glTF)."""
    if node.matrix:
        return np.array(node.matrix, np.float64).reshape(4, 4).T
    m = np.eye(4)
    m[:3, :3] = _quat_matrix(node.rotation or [0, 0, 0, 1]) * np.array(node.scale or [1, 1, 1])[None, :]
    m[:3, 3] = node.translation or [0, 0, 0]
    return m


@dataclass
class Primitive:
    """One drawable piece: world-space vertices of one material."""

    material: int
    """glTF material index (-1: none, drawn with glTF's default material)"""
    positions: np.ndarray
    normals: np.ndarray
    tangents: np.ndarray
    """``[V, 4]``: xyz and handedness"""
    uvs: np.ndarray
    triangles: np.ndarray
    double_sided: bool = False


@dataclass
class Mesh:
    """All primitives of a glTF's default scene, in world space."""

    primitives: list[Primitive] = field(default_factory=list)

    @property
    def triangle_count(self) -> int:
        return int(sum(len(p.triangles) for p in self.primitives))

    def bounds(self) -> tuple[np.ndarray, float]:
        """Centre and radius of a sphere around every vertex (box centre, farthest vertex)."""
        pts = np.concatenate([p.positions for p in self.primitives])
        centre = (pts.min(0) + pts.max(0)) / 2
        return centre, float(max(np.linalg.norm(pts - centre, axis=1).max(), 1e-6))


def _textured(gltf, material: int) -> bool:
    if material < 0 or not gltf.materials:
        return False
    m = gltf.materials[material]
    pbr = m.pbrMetallicRoughness
    infos = [m.normalTexture, m.occlusionTexture]
    if pbr is not None:
        infos += [pbr.baseColorTexture, pbr.metallicRoughnessTexture]
    return any(i is not None and i.index is not None for i in infos)


def load_mesh(path: Path, gltf=None) -> Mesh:
    """World-space triangles of the default scene (scene 0 when none is marked; every mesh if there are no nodes)."""
    from texsandwich.gltf import load_gltf

    path = Path(path)
    gltf = gltf if gltf is not None else load_gltf(path)
    if gltf.scenes:
        roots = gltf.scenes[gltf.scene or 0].nodes or []
    else:  # no scenes: every node that is nobody's child
        children = {c for n in gltf.nodes or [] for c in (n.children or [])}
        roots = [i for i in range(len(gltf.nodes or [])) if i not in children]
    instances: list[tuple[int, np.ndarray]] = []
    stack = [(i, np.eye(4)) for i in roots]
    while stack:
        ni, parent = stack.pop()
        node = gltf.nodes[ni]
        world = parent @ node_matrix(node)
        stack.extend((c, world) for c in node.children or [])
        if node.mesh is not None:
            instances.append((node.mesh, world))
    if not gltf.nodes:  # a bare file of meshes (no scene graph): every mesh once, untransformed
        instances = [(i, np.eye(4)) for i in range(len(gltf.meshes or []))]
    mesh = Mesh()
    skipped: set[int] = set()
    for mi, world in instances:
        for pi, prim in enumerate(gltf.meshes[mi].primitives):
            p = _primitive(gltf, path, prim, world, f"mesh {mi} primitive {pi}", skipped)
            if p is not None:
                mesh.primitives.append(p)
    if skipped:
        warnings.warn(f"{path}: {len(skipped)} primitive(s) of points or lines not rendered", stacklevel=2)
    if not mesh.primitives:
        raise InputError(f"{path}: no triangles to render")
    return mesh


def _primitive(gltf, path: Path, prim, world: np.ndarray, where: str, skipped: set) -> Primitive | None:
    a = prim.attributes
    if a.POSITION is None:
        raise InputError(f"{path}: {where} has no POSITION")
    pos = read_accessor(gltf, a.POSITION)
    idx = read_accessor(gltf, prim.indices)[:, 0] if prim.indices is not None else np.arange(len(pos))
    tri = triangles(prim.mode, idx)
    if tri is None:
        skipped.add(id(prim))
        return None
    material = -1 if prim.material is None else int(prim.material)
    if a.TEXCOORD_0 is not None:
        uv = read_accessor(gltf, a.TEXCOORD_0)
    elif _textured(gltf, material):
        raise InputError(f"{path}: {where} has textures but no TEXCOORD_0 (UVs); re-export it with UVs")
    else:
        uv = np.zeros((len(pos), 2))
    nrm = normalize(read_accessor(gltf, a.NORMAL)) if a.NORMAL is not None else vertex_normals(pos, tri)
    tan = read_accessor(gltf, a.TANGENT) if a.TANGENT is not None else vertex_tangents(pos, nrm, uv, tri)
    lin = world[:3, :3]
    det = float(np.linalg.det(lin))
    wpos = pos @ lin.T + world[:3, 3]
    inv_t = np.linalg.inv(lin).T if abs(det) > 1e-20 else lin
    wn = normalize(nrm @ inv_t.T)
    wt = np.concatenate([normalize(tan[:, :3] @ lin.T), tan[:, 3:4] * (1.0 if det >= 0 else -1.0)], axis=1)
    if det < 0:  # a mirroring transform turns counter-clockwise triangles clockwise
        tri = tri[:, [0, 2, 1]]
    mat = gltf.materials[material] if 0 <= material < len(gltf.materials or []) else None
    return Primitive(material, wpos.astype(np.float32), wn.astype(np.float32), wt.astype(np.float32),
                     uv.astype(np.float32), tri.astype(np.int32), bool(mat and mat.doubleSided))


def uv_sphere(segments: int = 32, rings: int = 16) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positions, normals, UVs and triangles of a unit UV sphere (a material preview without a mesh)."""
    lat = np.linspace(0, math.pi, rings + 1)
    lon = np.linspace(0, 2 * math.pi, segments + 1)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    pos = np.stack([np.sin(la) * np.cos(lo), np.cos(la), -np.sin(la) * np.sin(lo)], -1).reshape(-1, 3)
    uv = np.stack([lo / (2 * math.pi), la / math.pi], -1).reshape(-1, 2) * np.array([2.0, 1.0])
    tri = []
    for i in range(rings):
        for j in range(segments):
            a, b = i * (segments + 1) + j, (i + 1) * (segments + 1) + j
            tri += [[a, b, a + 1], [a + 1, b, b + 1]]
    return pos, pos.copy(), uv, np.array(tri, np.int64)
