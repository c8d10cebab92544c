"""Rasterisers that turn a mesh and a camera into a G-buffer: the only part of rendering a backend owns.

A backend draws every primitive with depth test (back faces culled unless the material is
double-sided) and returns the samples of an ``S x S`` grid that the mesh covers: their flat indices
(rows top to bottom) and a float32 ``[N, 20]`` array of attributes laid out as :data:`LAYOUT`.
Texture sampling and shading happen afterwards in torch (:mod:`texsandwich.shading.render`), the same
for every backend.

- ``egl``: moderngl on a headless EGL context -- Mesa llvmpipe on machines without a GPU, the
  vendor's EGL on machines with one. Needs the Debian packages in :data:`EGL_PACKAGES`.
- ``nvdiffrast``: NVIDIA's CUDA rasteriser, used when ``import nvdiffrast.torch`` works and CUDA is
  present. It is not on PyPI; the user installs it (``pip install git+https://github.com/NVlabs/nvdiffrast``).
"""

from __future__ import annotations

import numpy as np

from texsandwich.errors import InputError
from texsandwich.shading.camera import Camera
from texsandwich.shading.mesh import Mesh

LAYOUT = {"position": slice(0, 3), "covered": 3, "normal": slice(4, 7), "material": 7, "tangent": slice(8, 12),
          "uv": slice(12, 14), "duv_dx": slice(14, 16), "duv_dy": slice(16, 18), "facing": 18}
EGL_PACKAGES = "libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1"
BACKENDS = ("auto", "nvdiffrast", "egl")


class BackendError(InputError):
    """A render backend cannot start here (one line saying what to install)."""


def _vertex_block(mesh: Mesh) -> list[tuple[np.ndarray, np.ndarray, int, bool]]:
    """Per primitive: interleaved ``[V, 12]`` float32 (pos, normal, tangent, uv), triangles, material, 2-sided."""
    return [(np.ascontiguousarray(np.concatenate([p.positions, p.normals, p.tangents, p.uvs], 1), np.float32),
             np.ascontiguousarray(p.triangles, np.int32), p.material, p.double_sided) for p in mesh.primitives]


_VERTEX = """
#version 330
uniform mat4 u_clip;
in vec3 in_pos; in vec3 in_nrm; in vec4 in_tan; in vec2 in_uv;
out vec3 v_pos; out vec3 v_nrm; out vec4 v_tan; out vec2 v_uv;
void main() {
    v_pos = in_pos; v_nrm = in_nrm; v_tan = in_tan; v_uv = in_uv;
    gl_Position = u_clip * vec4(in_pos, 1.0);
}
"""
_FRAGMENT = """
#version 330
uniform float u_material;
in vec3 v_pos; in vec3 v_nrm; in vec4 v_tan; in vec2 v_uv;
layout(location = 0) out vec4 g0;
layout(location = 1) out vec4 g1;
layout(location = 2) out vec4 g2;
layout(location = 3) out vec4 g3;
layout(location = 4) out vec4 g4;
void main() {
    vec2 dx = dFdx(v_uv), dy = dFdy(v_uv);
    g0 = vec4(v_pos, 1.0);
    g1 = vec4(v_nrm, u_material);
    g2 = v_tan;
    g3 = vec4(v_uv, dx);
    g4 = vec4(dy, gl_FrontFacing ? 1.0 : -1.0, 0.0);
}
"""

_EGL_CONTEXT = None


def egl_context():
    """One headless GL context per process (creating one costs tens of milliseconds)."""
    global _EGL_CONTEXT
    if _EGL_CONTEXT is None:
        try:
            import moderngl
        except ImportError:
            raise BackendError("render backend egl needs the Python package moderngl (pip install moderngl)") from None
        try:
            _EGL_CONTEXT = moderngl.create_context(standalone=True, backend="egl", require=330)
        except Exception as e:  # missing libEGL / no EGL device: say what to install
            raise BackendError(f"render backend egl cannot start an EGL context ({type(e).__name__}: {e}); "
                               f"install the Debian packages {EGL_PACKAGES}") from None
    return _EGL_CONTEXT


class EglRasterizer:
    """moderngl on EGL: five float32 render targets, read back once per view."""

    name = "egl"

    def __init__(self, mesh: Mesh) -> None:
        import moderngl

        self.ctx = egl_context()
        self.prog = self.ctx.program(vertex_shader=_VERTEX, fragment_shader=_FRAGMENT)
        self.draws = []
        for verts, tri, material, two_sided in _vertex_block(mesh):
            vbo = self.ctx.buffer(verts.tobytes())
            ibo = self.ctx.buffer(tri.tobytes())
            vao = self.ctx.vertex_array(self.prog, [(vbo, "3f 3f 4f 2f", "in_pos", "in_nrm", "in_tan", "in_uv")],
                                        index_buffer=ibo, index_element_size=4)
            self.draws.append((vao, material, two_sided, (vbo, ibo)))
        self._fbo: tuple[int, object] | None = None
        self._moderngl = moderngl

    def _framebuffer(self, size: int):
        if self._fbo is None or self._fbo[0] != size:
            targets = [self.ctx.texture((size, size), 4, dtype="f4") for _ in range(5)]
            depth = self.ctx.depth_renderbuffer((size, size))
            self._fbo = (size, self.ctx.framebuffer(color_attachments=targets, depth_attachment=depth))
        return self._fbo[1]

    def gbuffer(self, camera: Camera, size: int) -> tuple[np.ndarray, np.ndarray]:
        mgl = self._moderngl
        fbo = self._framebuffer(size)
        fbo.use()
        fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        self.ctx.enable(mgl.DEPTH_TEST)
        self.ctx.front_face = "ccw"
        self.prog["u_clip"].write(camera.clip.T.astype(np.float32).tobytes())
        for vao, material, two_sided, _ in self.draws:
            if two_sided:
                self.ctx.disable(mgl.CULL_FACE)
            else:
                self.ctx.enable(mgl.CULL_FACE)
            self.prog["u_material"].value = float(material)
            vao.render(mgl.TRIANGLES)
        self.ctx.finish()
        import torch

        planes = [torch.frombuffer(bytearray(fbo.read(components=4, attachment=i, dtype="f4")),
                                   dtype=torch.float32).view(size * size, 4) for i in range(5)]
        hit = (planes[0][:, 3] > 0.5).nonzero().squeeze(1)
        covered = torch.cat([p.index_select(0, hit) for p in planes], dim=1)
        index = (size - 1 - hit // size) * size + hit % size  # GL rows run bottom to top
        return index.numpy(), covered.numpy()

    def release(self) -> None:
        for vao, _, _, bufs in self.draws:
            vao.release()
            for b in bufs:
                b.release()
        self.draws = []


class NvdiffrastRasterizer:
    """nvdiffrast's CUDA rasteriser; culling and facing are computed here (it rasterises both sides)."""

    name = "nvdiffrast"

    def __init__(self, mesh: Mesh) -> None:
        import torch

        dr = _import_nvdiffrast()
        self.dr, self.torch = dr, torch
        self.ctx = dr.RasterizeCudaContext()
        dev = torch.device("cuda")
        blocks = _vertex_block(mesh)
        offset, attrs, tris, mats, sided = 0, [], [], [], []
        for verts, tri, material, two_sided in blocks:
            attrs.append(verts)
            tris.append(tri + offset)
            mats.append(np.full(len(tri), material, np.float32))
            sided.append(np.full(len(tri), two_sided))
            offset += len(verts)
        self.attrs = torch.from_numpy(np.concatenate(attrs)).to(dev)
        self.tri = torch.from_numpy(np.concatenate(tris)).to(dev)
        self.tri_material = torch.from_numpy(np.concatenate(mats)).to(dev)
        self.two_sided = torch.from_numpy(np.concatenate(sided)).to(dev)

    def gbuffer(self, camera: Camera, size: int) -> tuple[np.ndarray, np.ndarray]:
        torch, dr = self.torch, self.dr
        pos = self.attrs[:, 0:3]
        clip = torch.cat([pos, torch.ones_like(pos[:, :1])], 1) @ torch.from_numpy(
            camera.clip.T.astype(np.float32)).to(pos.device)
        ndc = clip[:, :2] / clip[:, 3:4]
        a, b, c = ndc[self.tri[:, 0].long()], ndc[self.tri[:, 1].long()], ndc[self.tri[:, 2].long()]
        area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
        front = area > 0
        keep = (front | self.two_sided).nonzero().squeeze(1)
        tri = self.tri[keep].contiguous()
        rast, rast_db = dr.rasterize(self.ctx, clip[None].contiguous(), tri, resolution=[size, size], grad_db=True)
        attr, _ = dr.interpolate(self.attrs[None], rast, tri)
        _, uv_da = dr.interpolate(self.attrs[None, :, 10:12].contiguous(), rast, tri, rast_db=rast_db,
                                  diff_attrs="all")
        tri_id = rast[0, ..., 3].long() - 1
        covered = tri_id >= 0
        orig = keep[tri_id.clamp_min(0)]
        out = torch.zeros(size, size, 20, device=pos.device)
        out[..., 0:3] = attr[0, ..., 0:3]
        out[..., 3] = covered.float()
        out[..., 4:7] = attr[0, ..., 3:6]
        out[..., 7] = self.tri_material[orig]
        out[..., 8:12] = attr[0, ..., 6:10]
        out[..., 12:14] = attr[0, ..., 10:12]
        da = uv_da[0]  # (du/dX, du/dY, dv/dX, dv/dY)
        out[..., 14], out[..., 15], out[..., 16], out[..., 17] = da[..., 0], da[..., 2], da[..., 1], da[..., 3]
        out[..., 18] = torch.where(front[orig], 1.0, -1.0)
        out = out.flip(0).reshape(size * size, 20)  # nvdiffrast's row 0 is the bottom, like GL
        hit = covered.flip(0).reshape(-1).nonzero().squeeze(1)
        return hit.cpu().numpy(), out[hit].cpu().numpy()

    def release(self) -> None:
        pass


def _import_nvdiffrast():
    try:
        import nvdiffrast.torch as dr
    except ImportError:
        raise BackendError("render backend nvdiffrast is not installed "
                           "(pip install git+https://github.com/NVlabs/nvdiffrast; it needs CUDA)") from None
    import torch

    if not torch.cuda.is_available():
        raise BackendError("render backend nvdiffrast needs CUDA, and torch sees no CUDA device")
    return dr


def make_rasterizer(mesh: Mesh, backend: str = "auto"):
    """The rasteriser for ``backend``; ``auto`` tries nvdiffrast, then egl, and names what to install."""
    if backend not in BACKENDS:
        raise InputError(f"unknown render backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend in ("auto", "nvdiffrast"):
        try:
            return NvdiffrastRasterizer(mesh)
        except BackendError as e:
            if backend == "nvdiffrast":
                raise
            first = str(e)
    try:
        return EglRasterizer(mesh)
    except BackendError as e:
        if backend == "egl":
            raise
        raise BackendError(f"no render backend can start: {first}; {e}") from None
