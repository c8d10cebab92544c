"""Mip-mapped bilinear texture sampling in torch, shared by every render backend.

Sampling happens in torch rather than in the rasteriser so that the GL and CUDA backends only differ
in which pixels a triangle covers: the maps, their filtering and the shading are one code path, and
the original and the decoded textures are shaded from the same rasterised G-buffer.

Filtering is what GL calls ``LINEAR_MIPMAP_LINEAR``: the level of detail is log2 of the larger
screen-space footprint of the pixel in texels (GL spec, 8.14), the two nearest levels are sampled
bilinearly and blended. Levels are 2x2 box averages. Wrap modes are glTF's sampler modes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

REPEAT, CLAMP, MIRROR = 10497, 33071, 33648


def _wrap(i: torch.Tensor, n: int, mode: int) -> torch.Tensor:
    if mode == CLAMP:
        return i.clamp(0, n - 1)
    if mode == MIRROR:
        m = i.remainder(2 * n)
        return torch.where(m < n, m, 2 * n - 1 - m)
    return i.remainder(n)


class MipTexture:
    """A ``[C, H, W]`` float texture and its mip chain."""

    def __init__(self, image: torch.Tensor, wrap_s: int = REPEAT, wrap_t: int = REPEAT) -> None:
        levels = [image.float()]
        while max(levels[-1].shape[1:]) > 1:
            _, h, w = levels[-1].shape
            levels.append(F.interpolate(levels[-1][None], size=(max(h // 2, 1), max(w // 2, 1)), mode="area")[0])
        # stored channels-last: one bilinear tap is one contiguous row of C values
        self.levels = [lv.permute(1, 2, 0).contiguous() for lv in levels]
        self.wrap_s, self.wrap_t = wrap_s, wrap_t

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of level 0."""
        return int(self.levels[0].shape[0]), int(self.levels[0].shape[1])

    def lod(self, duv_dx: torch.Tensor, duv_dy: torch.Tensor) -> torch.Tensor:
        """Level of detail from screen-space UV derivatives ``[N, 2]`` (per pixel of the sample grid)."""
        h, w = self.size
        scale = torch.tensor([w, h], dtype=duv_dx.dtype, device=duv_dx.device)
        dx, dy = duv_dx * scale, duv_dy * scale
        rho2 = torch.maximum((dx * dx).sum(dim=1), (dy * dy).sum(dim=1))
        return 0.5 * torch.log2(rho2.clamp_min(1e-24))

    def _bilinear(self, level: int, uv: torch.Tensor) -> torch.Tensor:
        tex = self.levels[level]
        h, w, c = tex.shape
        x = uv[:, 0] * w - 0.5
        y = uv[:, 1] * h - 0.5
        x0, y0 = torch.floor(x), torch.floor(y)
        fx, fy = (x - x0)[:, None], (y - y0)[:, None]
        x0, y0 = x0.long(), y0.long()
        xa, xb = _wrap(x0, w, self.wrap_s), _wrap(x0 + 1, w, self.wrap_s)
        ya, yb = _wrap(y0, h, self.wrap_t) * w, _wrap(y0 + 1, h, self.wrap_t) * w
        flat = tex.view(h * w, c)

        def g(yy: torch.Tensor, xx: torch.Tensor) -> torch.Tensor:
            return flat.index_select(0, yy + xx)

        top = torch.lerp(g(ya, xa), g(ya, xb), fx)
        return torch.lerp(top, torch.lerp(g(yb, xa), g(yb, xb), fx), fy)

    def sample(self, uv: torch.Tensor, lod: torch.Tensor | None = None) -> torch.Tensor:
        """``[N, C]`` values at ``uv`` ``[N, 2]`` (glTF convention: v down the image) and ``lod`` ``[N]``."""
        top = len(self.levels) - 1
        if lod is None or top == 0:
            return self._bilinear(0, uv)
        lod = lod.clamp(0, top)
        lo = torch.floor(lod).long().clamp(max=top)
        frac = (lod - lo)[:, None]
        out = torch.empty(len(uv), self.levels[0].shape[2], dtype=self.levels[0].dtype, device=uv.device)
        for level in torch.unique(lo).tolist():
            sel = (lo == level).nonzero().squeeze(1)
            a = self._bilinear(level, uv[sel])
            if level < top:
                f = frac[sel]
                a = torch.lerp(a, self._bilinear(level + 1, uv[sel]), f)
            out[sel] = a
        return out
