"""Cameras and lights of the fixed evaluation set: seeded, so every render of an asset sees the same scene.

Views orbit the asset's bounding sphere on a Fibonacci spiral (even coverage for any N) between
30 degrees below and 60 degrees above the horizon (glTF's +Y is up), turned about +Y by a seeded
angle, at a distance where the sphere fills the frame. Each view gets M directional lights drawn
(seeded) from a cone of 60 degrees around the direction to the camera, so that the side the camera
sees is lit rather than the back of the asset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FOV_DEGREES = 35.0
LIGHT_CONE_DEGREES = 60.0


@dataclass(frozen=True)
class Camera:
    """A pinhole (or orthographic) camera: world->clip matrix and its position."""

    position: np.ndarray
    view: np.ndarray
    """4x4 world -> eye (OpenGL: the camera looks down -Z)"""
    projection: np.ndarray
    """4x4 eye -> clip"""

    @property
    def clip(self) -> np.ndarray:
        return self.projection @ self.view

    @property
    def orthographic(self) -> bool:
        return bool(self.projection[3, 3] == 1.0)

    @property
    def forward(self) -> np.ndarray:
        """Unit direction the camera looks along (world space)."""
        return -self.view[2, :3]


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray | None = None) -> np.ndarray:
    up = np.array([0.0, 1.0, 0.0]) if up is None else up
    f = target - eye
    f = f / np.linalg.norm(f)
    if abs(float(f @ up)) > 0.999:  # looking straight up or down: any other up will do
        up = np.array([0.0, 0.0, 1.0])
    s = np.cross(f, up)
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = s, u, -f
    m[:3, 3] = -m[:3, :3] @ eye
    return m


def perspective(fov_y_degrees: float, near: float, far: float, aspect: float = 1.0) -> np.ndarray:
    f = 1.0 / math.tan(math.radians(fov_y_degrees) / 2)
    return np.array([[f / aspect, 0, 0, 0], [0, f, 0, 0],
                     [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)], [0, 0, -1, 0]])


def orthographic(half_height: float, near: float, far: float, aspect: float = 1.0) -> np.ndarray:
    return np.array([[1 / (half_height * aspect), 0, 0, 0], [0, 1 / half_height, 0, 0],
                     [0, 0, -2 / (far - near), -(far + near) / (far - near)], [0, 0, 0, 1]])


def orbit_cameras(centre: np.ndarray, radius: float, n: int, seed: int = 0) -> list[Camera]:
    """``n`` perspective cameras around a bounding sphere (see the module docstring)."""
    rng = np.random.default_rng(seed)
    turn = rng.uniform(0, 2 * math.pi)
    dist = radius / math.sin(math.radians(FOV_DEGREES) / 2) * 1.02
    lo, hi = math.sin(math.radians(-30)), math.sin(math.radians(60))
    golden = math.pi * (3 - math.sqrt(5))
    out = []
    for i in range(n):
        y = hi - (hi - lo) * (i + 0.5) / n
        r = math.sqrt(1 - y * y)
        a = turn + golden * i
        d = np.array([r * math.cos(a), y, r * math.sin(a)])
        eye = centre + dist * d
        out.append(Camera(eye, look_at(eye, centre), perspective(FOV_DEGREES, max(dist - radius * 1.05, dist * 1e-3),
                                                                 dist + radius * 1.05)))
    return out


def view_lights(camera: Camera, centre: np.ndarray, m: int, seed: int = 0, index: int = 0) -> np.ndarray:
    """``[m, 3]`` unit directions *towards* the lights, in a cone around the direction to the camera."""
    rng = np.random.default_rng([seed, index])
    axis = camera.position - centre
    axis = axis / np.linalg.norm(axis)
    helper = np.array([0.0, 1.0, 0.0]) if abs(axis[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e1 = np.cross(axis, helper)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    cos_max = math.cos(math.radians(LIGHT_CONE_DEGREES))
    out = []
    for _ in range(m):
        c = rng.uniform(cos_max, 1.0)  # uniform on the spherical cap
        phi = rng.uniform(0, 2 * math.pi)
        s = math.sqrt(1 - c * c)
        out.append(c * axis + s * (math.cos(phi) * e1 + math.sin(phi) * e2))
    return np.array(out).reshape(m, 3)
