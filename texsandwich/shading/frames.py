"""Per-texel tangent frames from a mesh rasterised in UV space, for texture-space shading.

Each triangle of the primitives that use a material is drawn into the texture at its UV position;
every covered texel gets the interpolated tangent, bitangent and normal (object space) of the
surface point that samples it, and a coverage mask (atlas background is not surface, so it does not
count). Tangents come from the glTF ``TANGENT`` attribute or, without one, from UV derivatives
(the usual per-triangle construction, accumulated per vertex). Tiling UVs outside [0, 1] wrap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
_DTYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}


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


def _normalize(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _tangents(pos: np.ndarray, nrm: np.ndarray, uv: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Per-vertex tangents (xyz, w) from UV derivatives, Gram-Schmidt against the normal."""
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
    tan = _normalize(acc_t - nrm * (acc_t * nrm).sum(-1, keepdims=True))
    w = np.where((np.cross(nrm, tan) * acc_b).sum(-1) < 0, -1.0, 1.0)
    return np.concatenate([tan, w[:, None]], axis=-1)


def uv_frames(gltf_path: Path, material_index: int, height: int, width: int,
              tex_coord: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``frame [9, H, W]`` (tangent, bitangent, normal per texel) and ``mask [H, W]`` for one material."""
    from pygltflib import GLTF2

    gltf = GLTF2().load(str(gltf_path))
    frame = np.zeros((9, height, width), np.float32)
    frame[6:9] = np.array([0, 0, 1], np.float32)[:, None, None]
    mask = np.zeros((height, width), bool)
    for mesh in gltf.meshes or []:
        for prim in mesh.primitives:
            if prim.material != material_index:
                continue
            a = prim.attributes
            uv_acc = getattr(a, f"TEXCOORD_{tex_coord}", None)
            if a.POSITION is None or uv_acc is None:
                continue
            pos, uv = read_accessor(gltf, a.POSITION), read_accessor(gltf, uv_acc)
            tri = (read_accessor(gltf, prim.indices).astype(np.int64).reshape(-1, 3) if prim.indices is not None
                   else np.arange(len(pos)).reshape(-1, 3))
            if a.NORMAL is not None:
                nrm = _normalize(read_accessor(gltf, a.NORMAL))
            else:
                fn = np.cross(pos[tri[:, 1]] - pos[tri[:, 0]], pos[tri[:, 2]] - pos[tri[:, 0]])
                nrm = np.zeros_like(pos)
                for k in range(3):
                    np.add.at(nrm, tri[:, k], fn)
                nrm = _normalize(nrm)
            tan = read_accessor(gltf, a.TANGENT) if a.TANGENT is not None else _tangents(pos, nrm, uv, tri)
            _rasterise(frame, mask, uv, nrm, tan, tri)
    return frame, mask


def _rasterise(frame: np.ndarray, mask: np.ndarray, uv: np.ndarray, nrm: np.ndarray, tan: np.ndarray,
               tri: np.ndarray) -> None:
    h, w = mask.shape
    for t in tri:
        tuv = uv[t]
        tuv = tuv - np.floor(tuv.mean(axis=0))  # wrap tiling UVs into the texture
        px, py = tuv[:, 0] * w - 0.5, tuv[:, 1] * h - 0.5
        x0, x1 = max(int(np.floor(px.min())), 0), min(int(np.ceil(px.max())), w - 1)
        y0, y1 = max(int(np.floor(py.min())), 0), min(int(np.ceil(py.max())), h - 1)
        if x0 > x1 or y0 > y1:
            continue
        det = (py[1] - py[2]) * (px[0] - px[2]) + (px[2] - px[1]) * (py[0] - py[2])
        if abs(det) < 1e-12:
            continue
        gx, gy = np.meshgrid(np.arange(x0, x1 + 1), np.arange(y0, y1 + 1))
        l0 = ((py[1] - py[2]) * (gx - px[2]) + (px[2] - px[1]) * (gy - py[2])) / det
        l1 = ((py[2] - py[0]) * (gx - px[2]) + (px[0] - px[2]) * (gy - py[2])) / det
        l2 = 1.0 - l0 - l1
        inside = (l0 >= -1e-6) & (l1 >= -1e-6) & (l2 >= -1e-6)
        if not inside.any():
            continue
        bary = np.stack([l0[inside], l1[inside], l2[inside]], axis=-1)
        n = _normalize(bary @ nrm[t])
        tg = bary @ tan[t][:, :3]
        tg = _normalize(tg - n * (tg * n).sum(-1, keepdims=True))
        b = np.cross(n, tg) * np.sign(tan[t][0, 3] or 1.0)
        ys, xs = gy[inside], gx[inside]
        frame[0:3, ys, xs] = tg.T
        frame[3:6, ys, xs] = b.T
        frame[6:9, ys, xs] = n.T
        mask[ys, xs] = True
