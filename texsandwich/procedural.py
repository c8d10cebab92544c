"""Procedural PBR materials: test and demo data the project makes itself (no downloaded textures).

A height field of summed octave noise gives the normal map (its gradients, OpenGL +Y) and the
occlusion (cavities are darker); albedo and roughness follow the height with their own noise, so
the maps are correlated the way real scanned materials are -- which is what a sandwich exploits.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from texsandwich.assets import Material


def fractal_noise(rng: np.random.Generator, h: int, w: int, octaves: int = 5, base: int = 4) -> np.ndarray:
    """Smooth fractal noise in [0, 1]: bicubically upsampled random grids, halving amplitude per octave."""
    out = np.zeros((h, w), np.float64)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        n = base << o
        grid = rng.random((n + 1, n + 1)).astype(np.float32)
        out += amp * np.asarray(Image.fromarray(grid, "F").resize((w, h), Image.Resampling.BICUBIC), np.float64)
        total += amp
        amp *= 0.5
    out /= total
    return (out - out.min()) / max(out.max() - out.min(), 1e-9)


def procedural_material(height: int = 256, width: int = 256, seed: int = 0, name: str = "procedural") -> Material:
    """A plausible stone-like material with albedo, normal, roughness and occlusion maps."""
    rng = np.random.default_rng(seed)
    hgt = fractal_noise(rng, height, width)
    strength = 6.0 + 6.0 * rng.random()
    gy, gx = np.gradient(hgt * strength)
    n = np.stack([-gx, gy, np.ones_like(hgt)], axis=-1)  # OpenGL: +Y up in the image means -row
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    normal = np.round((n + 1.0) * 127.5).clip(0, 255).astype(np.uint8)
    tint = rng.random(3) * 0.6 + 0.2
    detail = fractal_noise(rng, height, width, octaves=4, base=16)
    albedo = (tint[None, None] * (0.55 + 0.45 * hgt[..., None]) * (0.8 + 0.4 * detail[..., None])).clip(0, 1)
    rough = (0.35 + 0.5 * fractal_noise(rng, height, width, 3, 8) - 0.2 * hgt).clip(0.05, 1.0)
    blur = np.asarray(Image.fromarray(hgt.astype(np.float32), "F").resize(
        (max(width // 8, 1), max(height // 8, 1)), Image.Resampling.BILINEAR).resize((width, height)), np.float64)
    ao = (1.0 - 1.5 * (blur - hgt).clip(0, None)).clip(0.2, 1.0)
    maps = {
        "albedo": np.round(albedo * 255).astype(np.uint8),
        "normal": normal,
        "roughness": np.round(rough * 255).astype(np.uint8)[..., None],
        "occlusion": np.round(ao * 255).astype(np.uint8)[..., None],
    }
    return Material.from_maps(name, maps)


def torus(segments: int = 24, rings: int = 12, major: float = 1.0, minor: float = 0.4
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positions, normals, UVs (u around the ring twice, v around the tube) and CCW triangles of a torus.

    ``2 * segments * rings`` triangles; the UV seam is split (duplicated vertices) so every triangle's
    UVs are continuous, as in an exported asset.
    """
    i = np.arange(segments + 1)[:, None]
    j = np.arange(rings + 1)[None, :]
    a = 2 * np.pi * i / segments  # around the main ring
    b = 2 * np.pi * j / rings  # around the tube
    centre = np.stack([np.cos(a), np.zeros_like(a), np.sin(a)], -1) * np.ones_like(b)[..., None]
    nrm = np.stack([np.cos(a) * np.cos(b), np.sin(b) * np.ones_like(a), np.sin(a) * np.cos(b)], -1)
    pos = (major * centre + minor * nrm).reshape(-1, 3)
    uv = np.stack([2.0 * i / segments * np.ones_like(b), j / rings * np.ones_like(a)], -1).reshape(-1, 2)
    idx = np.arange((segments + 1) * (rings + 1)).reshape(segments + 1, rings + 1)
    q0, q1, q2, q3 = idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]
    tri = np.concatenate([np.stack([q0, q2, q1], -1).reshape(-1, 3), np.stack([q0, q3, q2], -1).reshape(-1, 3)])
    return pos, nrm.reshape(-1, 3), uv, tri


def hdr_scene(height: int = 256, width: int = 256, seed: int = 0) -> np.ndarray:
    """A scene-linear HDR image (1.0 = reference white): sky gradient, a sun 6 stops over white with a
    glow, and textured ground in shadow and light -- smooth gradients where 8 bits band, and detail."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    horizon = 0.55 * height
    t = np.clip(y / horizon, 0, 1)[..., None]
    sky = (1 - t) * np.array([0.12, 0.22, 0.6]) + t * np.array([0.8, 0.75, 0.7])
    sx, sy = 0.7 * width, 0.22 * height
    d2 = ((x - sx) ** 2 + (y - sy) ** 2) / (0.03 * width) ** 2
    sun = (64.0 * (d2 < 1) + 4.0 * np.exp(-d2 / 40))[..., None] * np.array([1.0, 0.95, 0.85])
    ground_tex = fractal_noise(rng, height, width, octaves=5, base=8)[..., None]
    shade = np.where(x < 0.4 * width, 0.08, 0.9)[..., None]  # a shadowed and a lit field
    ground = (0.3 + 0.7 * ground_tex) * np.array([0.55, 0.45, 0.3]) * shade
    img = np.where((y < horizon)[..., None], sky + sun, ground)
    return img.astype(np.float32)
