"""Deferred renderer for evaluation: rasterise -> interpolate -> sample maps -> shade -> antialias.

The rasteriser (:mod:`texsandwich.shading.raster`, GL or CUDA) writes a G-buffer per view at
``ssaa`` times the output size; everything after it is torch, shared by the backends: maps are
sampled with mip-mapped bilinear filtering (:mod:`texsandwich.shading.texture`), shaded per sample
by the *same* :func:`texsandwich.shading.brdf.shade` the training loss uses (directional light of
irradiance ``LIGHT`` plus ``AMBIENT`` x albedo x occlusion), then box-filtered ``ssaa x ssaa`` to the
output size (supersampling antialias: 4 samples per pixel by default, the same in every backend).
The background is black; the coverage mask is the fraction of a pixel's samples that hit the mesh.

The G-buffers are kept, so rendering a second set of textures (the decoded ones) costs only the
sampling and shading. glTF factors (base colour, metallic, roughness), ``normalTexture.scale``,
``occlusionTexture.strength``, samplers' wrap modes and the base colour's ``KHR_texture_transform``
apply; emission, alpha, clearcoat, sheen, transmission and other extensions do not -- they are the
same in the original and the decoded asset, and leaving them out keeps the comparison about the maps
the sandwich codes (docs/DECISIONS.md).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from texsandwich.assets import FILL
from texsandwich.shading.brdf import linear_to_srgb, shade, srgb_to_linear, unit
from texsandwich.shading.camera import Camera, orbit_cameras, view_lights
from texsandwich.shading.mesh import Mesh
from texsandwich.shading.raster import LAYOUT, make_rasterizer
from texsandwich.shading.texture import REPEAT, MipTexture

MAX_TEXTURE = 4096
"""Maps larger than this are downsampled for rendering (with a notice): a 8K 9-channel float pyramid
would need 3 GiB and renders at 512 px cannot show the difference."""

CHANNELS = ("albedo", "normal", "roughness", "occlusion", "metallic")


@dataclass
class RenderMaterial:
    """One glTF material's maps (``[9, H, W]``: albedo 3, normal 3, roughness, occlusion, metallic) and factors."""

    texture: MipTexture
    base_color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    """linear RGB factor"""
    metallic: float = 1.0
    roughness: float = 1.0
    normal_scale: float = 1.0
    occlusion_strength: float = 1.0
    uv_transform: np.ndarray = field(default_factory=lambda: np.eye(3))

    @classmethod
    def from_maps(cls, maps: dict[str, np.ndarray], gltf_material=None, sampler=None,
                  name: str = "material") -> RenderMaterial:
        """From ``[H, W, c]`` uint8 maps (missing ones take glTF's defaults) and a pygltflib material."""
        return cls(map_texture(maps, sampler, name)).with_factors(gltf_material)

    def with_factors(self, mat) -> RenderMaterial:
        """A copy (sharing the texture) with a pygltflib material's factors, scale, strength, transform."""
        out = RenderMaterial(self.texture)
        if mat is not None:
            out._factors(mat)
        return out

    def _factors(self, mat) -> None:
        pbr = mat.pbrMetallicRoughness
        if pbr is not None:
            if pbr.baseColorFactor is not None:
                self.base_color = tuple(float(v) for v in pbr.baseColorFactor[:3])
            self.metallic = 1.0 if pbr.metallicFactor is None else float(pbr.metallicFactor)
            self.roughness = 1.0 if pbr.roughnessFactor is None else float(pbr.roughnessFactor)
            info = pbr.baseColorTexture
            ext = (getattr(info, "extensions", None) or {}).get("KHR_texture_transform") if info else None
            if ext:
                self.uv_transform = texture_transform(ext)
        if mat.normalTexture is not None and mat.normalTexture.scale is not None:
            self.normal_scale = float(mat.normalTexture.scale)
        if mat.occlusionTexture is not None and mat.occlusionTexture.strength is not None:
            self.occlusion_strength = float(mat.occlusionTexture.strength)

    def sample(self, uv: torch.Tensor, duv_dx: torch.Tensor, duv_dy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``maps [N, 8]`` (0..255, the shader's input) and ``metallic [N, 1]`` at ``uv`` with factors applied."""
        if not np.allclose(self.uv_transform, np.eye(3)):
            m = torch.from_numpy(self.uv_transform[:2].astype(np.float32)).to(uv.device)
            uv = uv @ m[:, :2].T + m[:, 2]
            duv_dx, duv_dy = duv_dx @ m[:, :2].T, duv_dy @ m[:, :2].T
        v = self.texture.sample(uv, self.texture.lod(duv_dx, duv_dy))
        albedo, normal, rough, occ, metal = v[:, 0:3], v[:, 3:6], v[:, 6:7], v[:, 7:8], v[:, 8:9]
        if self.base_color != (1.0, 1.0, 1.0):
            lin = srgb_to_linear((albedo / 255).clamp(0, 1)) * torch.tensor(self.base_color, device=uv.device)
            albedo = linear_to_srgb(lin.clamp(0, 1)) * 255
        if self.normal_scale != 1.0:
            n = normal / 127.5 - 1
            n = torch.cat([n[:, :2] * self.normal_scale, n[:, 2:]], 1)
            normal = (unit(n, 1) + 1) * 127.5
        rough = rough * self.roughness
        occ = 255 + self.occlusion_strength * (occ - 255)
        return torch.cat([albedo, normal, rough, occ], 1), metal * self.metallic


def map_texture(maps: dict[str, np.ndarray], sampler=None, name: str = "material") -> MipTexture:
    """The ``[9, H, W]`` mip texture of a material's maps; a missing map is 1.0 so its factor alone decides."""
    size = next(iter(maps.values())).shape[:2]
    fill = {**FILL, "metallic": (255,)}  # glTF's defaults, but metallic 1 (its factor then says how metal)
    planes = []
    for n in CHANNELS:
        m = maps.get(n)
        if m is None:
            m = np.broadcast_to(np.array(fill[n], np.uint8), (*size, len(fill[n])))
        planes.append(np.asarray(m).reshape(*size, -1))
    image = torch.from_numpy(np.concatenate(planes, axis=2).astype(np.float32)).permute(2, 0, 1)
    if max(size) > MAX_TEXTURE:
        f = MAX_TEXTURE / max(size)
        warnings.warn(f"{name}: {size[1]}x{size[0]} maps downsampled by {1 / f:g} for rendering", stacklevel=2)
        image = torch.nn.functional.interpolate(image[None], scale_factor=f, mode="area")[0]
    wrap = (getattr(sampler, "wrapS", None) or REPEAT, getattr(sampler, "wrapT", None) or REPEAT)
    return MipTexture(image, *wrap)


def _sampler(gltf, mat):
    """The sampler of a material's base colour texture (else its normal texture's), or None."""
    pbr = mat.pbrMetallicRoughness
    for info in ((pbr.baseColorTexture if pbr else None), mat.normalTexture):
        if info is not None and info.index is not None:
            sampler = gltf.textures[info.index].sampler
            return gltf.samplers[sampler] if sampler is not None and gltf.samplers else None
    return None


class SceneMaterials:
    """A glTF's materials for rendering, by material index, and copies with some materials' maps swapped.

    Materials that share images share one texture pyramid; materials without textures render with
    their factors; glTF's default material stands in for primitives without one.
    """

    def __init__(self, path: Path) -> None:
        from texsandwich.gltf import read_gltf

        with warnings.catch_warnings():  # a glTF material without some map is normal: its factor stands in
            warnings.filterwarnings("ignore", message=r".*: no \w+ map; using")
            self.gltf, self.textured = read_gltf(path, require=False, warn_resample=False)
        flat = default_material()
        self.base = {i: flat.with_factors(m) for i, m in enumerate(self.gltf.materials or [])}
        for gm in self.textured:
            tex = map_texture(gm.material.maps(), self._sampler(gm.material_indices[0]), gm.material.name)
            for mi in gm.material_indices:
                self.base[mi] = RenderMaterial(tex).with_factors(self.gltf.materials[mi])

    def _sampler(self, index: int):
        return _sampler(self.gltf, self.gltf.materials[index])

    def replaced(self, replace: dict[int, dict[str, np.ndarray]]) -> dict[int, RenderMaterial]:
        """The materials with ``replace`` (material index -> maps) swapped in, factors kept."""
        out = dict(self.base)
        textures: dict[int, MipTexture] = {}
        for mi, maps in replace.items():
            key = id(maps)  # materials given the same maps share one pyramid
            if key not in textures:
                textures[key] = map_texture(maps, self._sampler(mi), f"material {mi}")
            out[mi] = RenderMaterial(textures[key]).with_factors(self.gltf.materials[mi])
        return out


def load_materials(path: Path, replace: dict[int, dict[str, np.ndarray]] | None = None
                   ) -> dict[int, RenderMaterial]:
    """Every material of a glTF for rendering, by material index; ``replace`` swaps some materials' maps."""
    scene = SceneMaterials(path)
    return scene.replaced(replace) if replace else scene.base


def texture_transform(ext: dict) -> np.ndarray:
    """KHR_texture_transform as a 3x3 UV matrix (translation * rotation * scale)."""
    ox, oy = ext.get("offset", [0.0, 0.0])
    r = float(ext.get("rotation", 0.0))
    sx, sy = ext.get("scale", [1.0, 1.0])
    t = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]], float)
    rot = np.array([[math.cos(r), math.sin(r), 0], [-math.sin(r), math.cos(r), 0], [0, 0, 1]], float)
    s = np.diag([sx, sy, 1.0])
    return t @ rot @ s


def default_material() -> RenderMaterial:
    """glTF's default material (white, fully metallic factor 1 and roughness 1), for primitives without one."""
    return RenderMaterial(map_texture({"albedo": np.full((1, 1, 3), 255, np.uint8)}))


@dataclass
class GBuffer:
    """The covered samples of one view: flat indices into the ``S x S`` grid and their attributes."""

    size: int
    index: torch.Tensor
    position: torch.Tensor
    normal: torch.Tensor
    tangent: torch.Tensor
    uv: torch.Tensor
    duv_dx: torch.Tensor
    duv_dy: torch.Tensor
    facing: torch.Tensor
    material: torch.Tensor

    @classmethod
    def from_samples(cls, size: int, index: np.ndarray, c: np.ndarray) -> GBuffer:
        """From a rasteriser's covered sample indices and ``[N, 20]`` attributes (:data:`LAYOUT`)."""
        c = torch.from_numpy(np.ascontiguousarray(c))
        return cls(size, torch.from_numpy(index.astype(np.int64)), c[:, LAYOUT["position"]], c[:, LAYOUT["normal"]],
                   c[:, LAYOUT["tangent"]], c[:, LAYOUT["uv"]], c[:, LAYOUT["duv_dx"]], c[:, LAYOUT["duv_dy"]],
                   c[:, LAYOUT["facing"]], c[:, LAYOUT["material"]].round().long())

    def frames(self) -> torch.Tensor:
        """``[N, 9]`` world-space tangent, bitangent, normal (flipped on back faces, as glTF viewers do)."""
        n = unit(self.normal, 1, 1e-8)
        t = self.tangent[:, :3]
        t = t - n * (t * n).sum(1, keepdim=True)
        t = unit(t, 1, 1e-8)
        w = torch.where(self.tangent[:, 3:4] < 0, -1.0, 1.0)
        b = torch.cross(n, t, dim=1) * w
        f = self.facing[:, None]
        return torch.cat([t * f, b * f, n * f], 1)


@dataclass
class Renders:
    """``images [V, M, H, W, 3]`` uint8 and ``coverage [V, H, W]`` (fraction of samples on the mesh)."""

    images: np.ndarray
    coverage: np.ndarray
    region: np.ndarray
    """``[V, H, W]`` fraction of samples on the materials asked for (``coverage`` when all)."""


class Renderer:
    """A mesh, a fixed set of N views x M lights, and a rasteriser; renders any set of materials."""

    def __init__(self, mesh: Mesh, size: int = 512, views: int = 8, lights: int = 2, seed: int = 0,
                 backend: str = "auto", ssaa: int = 2, cameras: list[Camera] | None = None,
                 light_dirs: list[np.ndarray] | None = None) -> None:
        self.mesh, self.size, self.ssaa = mesh, size, ssaa
        centre, radius = mesh.bounds()
        self.cameras = cameras if cameras is not None else orbit_cameras(centre, radius, views, seed)
        self.lights = light_dirs if light_dirs is not None else [
            view_lights(c, centre, lights, seed, i) for i, c in enumerate(self.cameras)]
        self.rasterizer = make_rasterizer(mesh, backend)
        self.backend = self.rasterizer.name
        self._gbuffers: dict[int, GBuffer] = {}

    def gbuffer(self, view: int) -> GBuffer:
        if view not in self._gbuffers:
            s = self.size * self.ssaa
            self._gbuffers[view] = GBuffer.from_samples(s, *self.rasterizer.gbuffer(self.cameras[view], s))
        return self._gbuffers[view]

    def render(self, materials: dict[int, RenderMaterial], region: set[int] | None = None) -> Renders:
        """Every view under its lights; ``materials`` maps glTF material index -> maps (-1: default)."""
        v, m, s, f = len(self.cameras), len(self.lights[0]), self.size * self.ssaa, self.ssaa
        images = np.zeros((v, m, self.size, self.size, 3), np.uint8)
        coverage = np.zeros((v, self.size, self.size), np.float32)
        region_cov = np.zeros_like(coverage)
        fallback = default_material()
        for vi, cam in enumerate(self.cameras):
            g = self.gbuffer(vi)
            n = len(g.index)
            maps = torch.zeros(n, 8)
            metal = torch.zeros(n, 1)
            for mat in torch.unique(g.material).tolist():
                sel = (g.material == mat).nonzero().squeeze(1)
                a, b = materials.get(mat, fallback).sample(g.uv[sel], g.duv_dx[sel], g.duv_dy[sel])
                maps[sel], metal[sel] = a, b
            if cam.orthographic:
                view = torch.from_numpy(-cam.forward.astype(np.float32)).expand(n, 3)
            else:
                view = torch.from_numpy(cam.position.astype(np.float32)) - g.position
                view = unit(view, 1, 1e-8)
            light = torch.from_numpy(np.asarray(self.lights[vi], np.float32))  # [M, 3]
            with torch.no_grad():
                col = shade(maps.T[None, :, :, None], light[None, :, :, None, None].expand(1, m, 3, n, 1),
                            view.T[None, None, :, :, None].expand(1, m, 3, n, 1), metal.T[None, :, :, None],
                            g.frames().T[None, :, :, None])  # [1, M, 3, N, 1]
            col = col[0, :, :, :, 0]  # [M, 3, N]
            grid = torch.zeros(m, 3, s * s)
            grid[:, :, g.index] = col
            img = torch.nn.functional.avg_pool2d(grid.view(m, 3, s, s), f)
            images[vi] = np.round(img.permute(0, 2, 3, 1).clamp(0, 255).numpy()).astype(np.uint8)
            hit = torch.zeros(s * s)
            hit[g.index] = 1.0
            coverage[vi] = torch.nn.functional.avg_pool2d(hit.view(1, 1, s, s), f)[0, 0].numpy()
            if region is None:
                region_cov[vi] = coverage[vi]
            else:
                r = torch.zeros(s * s)
                r[g.index] = torch.isin(g.material, torch.tensor(sorted(region))).float()
                region_cov[vi] = torch.nn.functional.avg_pool2d(r.view(1, 1, s, s), f)[0, 0].numpy()
        return Renders(images, coverage, region_cov)

    def close(self) -> None:
        self.rasterizer.release()


def render_psnr(reference: Renders, test: Renders) -> dict[str, object]:
    """PSNR (peak 255, RGB) over the pixels the mesh (or the asked-for materials) covers, per frame and overall."""
    mask = reference.region > 0
    per = []
    sq_total, n_total = 0.0, 0
    for vi in range(reference.images.shape[0]):
        for li in range(reference.images.shape[1]):
            a = reference.images[vi, li][mask[vi]].astype(np.float64)
            b = test.images[vi, li][mask[vi]].astype(np.float64)
            sq = float(((a - b) ** 2).sum())
            sq_total, n_total = sq_total + sq, n_total + a.size
            per.append({"view": vi, "light": li, "pixels": int(mask[vi].sum()), "mse": sq / max(a.size, 1),
                        "psnr": psnr_of(sq / max(a.size, 1))})
    mse = sq_total / max(n_total, 1)
    return {"mse": mse, "psnr": psnr_of(mse), "frames": per}


def psnr_of(mse: float) -> float | None:
    """PSNR in dB for peak 255; None (JSON null) for identical images, whose PSNR is infinite."""
    return None if mse <= 0 else 10 * math.log10(255.0**2 / mse)


def contact_sheet(original: Renders, decoded: Renders, path: Path, thumb: int = 256, gain: float = 10.0) -> None:
    """Rows of original | decoded | ``gain`` x |error| for every view and light (error inside coverage only)."""
    from PIL import Image

    from texsandwich.fsutil import atomic_write
    from texsandwich.images import encode_png

    rows = []
    v, m = original.images.shape[:2]
    for vi in range(v):
        for li in range(m):
            a, b = original.images[vi, li], decoded.images[vi, li]
            err = np.abs(a.astype(np.int16) - b.astype(np.int16)) * gain
            err = (err * (original.coverage[vi] > 0)[..., None]).clip(0, 255).astype(np.uint8)
            row = np.concatenate([a, b, err], axis=1)
            if thumb < a.shape[0]:
                im = Image.fromarray(row).resize((3 * thumb, thumb), Image.Resampling.BOX)
                row = np.asarray(im)
            rows.append(row)
    atomic_write(path, encode_png(np.concatenate(rows, axis=0)))
