"""Per-texel tangent frames from a mesh rasterised in UV space, for texture-space shading.

Each triangle of the primitives that use a material is drawn into the texture at its UV position;
every covered texel gets the interpolated tangent, bitangent and normal (world space) of the
surface point that samples it, and a coverage mask (atlas background is not surface, so it does not
count). Normals and tangents are :mod:`texsandwich.shading.mesh`'s (glTF attributes, or computed the
documented way). Tiling UVs outside [0, 1] wrap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from texsandwich.shading.mesh import load_mesh, normalize


def uv_frames(gltf_path: Path, material_index: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``frame [9, H, W]`` (tangent, bitangent, normal per texel, world space) and ``mask [H, W]``.

    Geometry comes from :func:`~texsandwich.shading.mesh.load_mesh`, the same the renderer draws.
    """
    frame = np.zeros((9, height, width), np.float32)
    frame[6:9] = np.array([0, 0, 1], np.float32)[:, None, None]
    mask = np.zeros((height, width), bool)
    for p in load_mesh(gltf_path).primitives:
        if p.material == material_index:
            _rasterise(frame, mask, p.uvs.astype(np.float64), p.normals.astype(np.float64),
                       p.tangents.astype(np.float64), p.triangles)
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
        n = normalize(bary @ nrm[t])
        tg = bary @ tan[t][:, :3]
        tg = normalize(tg - n * (tg * n).sum(-1, keepdims=True))
        b = np.cross(n, tg) * np.sign(tan[t][0, 3] or 1.0)
        ys, xs = gy[inside], gx[inside]
        frame[0:3, ys, xs] = tg.T
        frame[3:6, ys, xs] = b.T
        frame[6:9, ys, xs] = n.T
        mask[ys, xs] = True
