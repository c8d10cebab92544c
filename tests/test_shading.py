"""The glTF BRDF against hand-computed values, energy sanity, and gradients of the shaded loss."""

from __future__ import annotations

import math

import numpy as np
import torch

from texsandwich.distortion import angular_error_degrees, measure
from texsandwich.shading import ShadedDistortion, eval_directions, linear_to_srgb, shade, srgb_to_linear
from texsandwich.shading.brdf import DIELECTRIC_F0, brdf_terms


def _vec(*v: float) -> torch.Tensor:
    return torch.tensor(v, dtype=torch.float64).view(1, 3, 1, 1)


def test_brdf_matches_hand_computed_values_at_normal_incidence():
    # n = l = v: h = n, D = 1/(pi a^2), V = 1/4, F = f0 -> specular = f0 / (4 pi a^2); diffuse = (1-f0) c / pi
    n = lt = v = _vec(0, 0, 1)
    albedo = torch.full((1, 3, 1, 1), 0.5, dtype=torch.float64)
    rough = torch.full((1, 1, 1, 1), 0.5, dtype=torch.float64)
    diffuse, specular, nl = brdf_terms(n, lt, v, albedo, rough, torch.zeros_like(rough))
    a2 = 0.5**4
    assert torch.allclose(specular, torch.full_like(specular, DIELECTRIC_F0 / (4 * math.pi * a2)))
    assert torch.allclose(diffuse, torch.full_like(diffuse, (1 - DIELECTRIC_F0) * 0.5 / math.pi))
    assert float(nl) == 1.0


def test_metal_has_no_diffuse_and_albedo_tinted_fresnel():
    n = lt = v = _vec(0, 0, 1)
    albedo = torch.tensor([0.9, 0.6, 0.2], dtype=torch.float64).view(1, 3, 1, 1)
    rough = torch.full((1, 1, 1, 1), 0.5, dtype=torch.float64)
    diffuse, specular, _ = brdf_terms(n, lt, v, albedo, rough, torch.ones_like(rough))
    assert float(diffuse.abs().max()) == 0.0
    assert torch.allclose(specular / specular[:, :1], albedo / albedo[:, :1])  # F = f0 = albedo


def test_energy_is_conserved_over_the_hemisphere():
    # integral of (diffuse + specular) * n.l over all light directions <= 1 for a white rough dielectric
    k = 200_000
    g = torch.Generator().manual_seed(0)
    u, w = torch.rand(k, generator=g, dtype=torch.float64), torch.rand(k, generator=g, dtype=torch.float64)
    z, phi = u, 2 * math.pi * w  # uniform over the hemisphere: pdf = 1 / (2 pi)
    r = torch.sqrt(1 - z * z)
    lt = torch.stack([r * torch.cos(phi), r * torch.sin(phi), z]).view(1, 3, 1, k)
    v = torch.tensor([0.6, 0.0, 0.8], dtype=torch.float64).view(1, 3, 1, 1)
    n = _vec(0, 0, 1)
    for rough in (0.3, 0.6, 1.0):
        rr = torch.full((1, 1, 1, 1), rough, dtype=torch.float64)
        diffuse, specular, nl = brdf_terms(n, lt, v, torch.ones(1, 3, 1, 1, dtype=torch.float64), rr, rr * 0)
        albedo_total = float(((diffuse + specular) * nl).mean() * 2 * math.pi)
        assert 0.8 < albedo_total <= 1.0 + 1e-2, (rough, albedo_total)


def test_srgb_round_trip():
    c = torch.linspace(0, 1, 257, dtype=torch.float64)
    assert torch.allclose(linear_to_srgb(srgb_to_linear(c)), c, atol=1e-9)


def test_occlusion_darkens_and_lights_behind_the_surface_leave_only_ambient():
    maps = torch.zeros(1, 8, 2, 2, dtype=torch.float64)
    maps[:, 0:3] = 200.0
    maps[:, 3:6] = torch.tensor([127.5, 127.5, 255.0], dtype=torch.float64).view(1, 3, 1, 1)
    maps[:, 6] = 128.0
    maps[:, 7] = 255.0
    light, view = eval_directions(4)
    open_ = shade(maps, light.double(), view.double())
    maps2 = maps.clone()
    maps2[:, 7] = 0.0
    assert (shade(maps2, light.double(), view.double()) < open_).all()
    # a mesh frame whose normal points away from every light: only the ambient term is left
    frame = torch.tensor([1, 0, 0, 0, 1, 0, 0, 0, -1], dtype=torch.float64).view(1, 9, 1, 1).expand(1, 9, 2, 2)
    away = shade(maps, light.double(), view.double(), frame=frame)
    assert torch.allclose(away, away[:, :1].expand_as(away))


def test_shaded_loss_gradcheck():
    torch.manual_seed(0)
    x = 60 + 140 * torch.rand(1, 8, 3, 3, dtype=torch.float64)
    x_hat = (x + 3 * torch.randn_like(x)).requires_grad_(True)
    loss = ShadedDistortion(k=3)

    def f(t: torch.Tensor) -> torch.Tensor:
        return loss(t, x)["mse"]

    assert torch.autograd.gradcheck(f, (x_hat,), eps=1e-4, atol=1e-5, rtol=1e-3)
    g = torch.autograd.grad(f(x_hat), x_hat)[0]
    assert bool(torch.isfinite(g).all()) and all(float(g[0, c].abs().sum()) > 0 for c in range(8))


def test_measure_reports_psnr_and_angular_error():
    import numpy as np

    n = np.zeros((4, 4, 3), np.uint8)
    n[...] = (128, 128, 255)
    m = measure("normal", n, n)
    assert m["psnr"] == math.inf and m["angular_error_deg"] < 1e-6
    t = torch.tensor([[[[255.0]], [[127.5]], [[127.5]]]])  # +X vs +Z: 90 degrees
    z = torch.tensor([[[[127.5]], [[127.5]], [[255.0]]]])
    assert abs(float(angular_error_degrees(t, z)) - 90.0) < 1e-4


def _quad_gltf(path, mirror_u: bool = False):
    """A unit quad in the XY plane facing +Z; u runs along +X (or -X), v down the image (-Y)."""
    import base64

    import numpy as np
    from pygltflib import GLTF2, Accessor, Asset, Attributes, Buffer, BufferView, Mesh, Primitive

    pos = np.array([[-1, 1, 0], [1, 1, 0], [1, -1, 0], [-1, -1, 0]], np.float32)
    nrm = np.tile(np.array([0, 0, 1], np.float32), (4, 1))
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
    if mirror_u:
        uv[:, 0] = 1 - uv[:, 0]
    idx = np.array([0, 3, 2, 0, 2, 1], np.uint32)
    blob = pos.tobytes() + nrm.tobytes() + uv.tobytes() + idx.tobytes()
    views = [BufferView(buffer=0, byteOffset=0, byteLength=48), BufferView(buffer=0, byteOffset=48, byteLength=48),
             BufferView(buffer=0, byteOffset=96, byteLength=32), BufferView(buffer=0, byteOffset=128, byteLength=24)]
    acc = [Accessor(bufferView=0, componentType=5126, count=4, type="VEC3"),
           Accessor(bufferView=1, componentType=5126, count=4, type="VEC3"),
           Accessor(bufferView=2, componentType=5126, count=4, type="VEC2"),
           Accessor(bufferView=3, componentType=5125, count=6, type="SCALAR")]
    prim = Primitive(attributes=Attributes(POSITION=0, NORMAL=1, TEXCOORD_0=2), indices=3, material=0)
    g = GLTF2(asset=Asset(version="2.0"), meshes=[Mesh(primitives=[prim])], accessors=acc, bufferViews=views,
              buffers=[Buffer(byteLength=len(blob), uri="data:application/octet-stream;base64,"
                              + base64.b64encode(blob).decode())])
    g.save(str(path))
    return path


def test_uv_frames_of_a_quad_follow_the_gltf_tangent_convention(tmp_path):
    from texsandwich.shading.frames import uv_frames

    frame, mask = uv_frames(_quad_gltf(tmp_path / "q.gltf"), 0, 16, 16)
    assert mask.all()
    assert np.allclose(frame[:, 8, 8], [1, 0, 0, 0, 1, 0, 0, 0, 1], atol=1e-6)  # T=+X, B=+Y (image up), N=+Z
    frame, _ = uv_frames(_quad_gltf(tmp_path / "m.gltf", mirror_u=True), 0, 16, 16)
    assert np.allclose(frame[:, 8, 8], [-1, 0, 0, 0, 1, 0, 0, 0, 1], atol=1e-6)  # mirrored u: T=-X, B still up


def test_mesh_frame_and_mask_weight_the_shaded_error():
    x = 60 + 140 * torch.rand(1, 8, 4, 4, dtype=torch.float64)
    x_hat = x.clone()
    x_hat[..., :2, :] += 20  # error only in the top half
    mask = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    mask[..., 2:, :] = 1  # ...which is background
    assert float(ShadedDistortion()(x_hat, x, mask=mask)["mse"]) == 0.0
    flat = torch.tensor([1, 0, 0, 0, 1, 0, 0, 0, 1], dtype=torch.float64).view(1, 9, 1, 1).expand(1, 9, 4, 4)
    assert float(ShadedDistortion()(x_hat, x, frame=flat)["mse"]) > 0
