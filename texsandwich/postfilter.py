"""Integrability post-filter for tangent-space normal maps: per-band gains the encoder fits and sends.

A tangent-space normal map is (nearly) the gradient of a height field: (n_x, -n_y) ~ (-dh/dx, -dh/dy)
for gentle slopes, with +Y up (OpenGL) while image rows run down, hence the sign. A gradient field is
curl-free, and on the training materials only 3-15 % of the map's energy (ambientCG, Poly Haven) is in
the divergence-free (rotational) part. Codec noise is not curl-free: about half of it lands in that
part. Splitting the decoded field into its curl-free and divergence-free parts (Helmholtz, via FFT)
and scaling each component of each part per frequency band by a gain fitted with least squares
against the source removes much of that noise and keeps what the source really has -- a Wiener
filter in the basis where signal and noise differ most. The 4 x ``BANDS`` gains are side information
(one byte each in the manifest, ~75 bytes with their key), so the filter adapts to each map and each
quality, as HEVC's successor VVC does with its adaptive loop filter; the decoder only applies them.

Measured (docs/ZOO.md): +0.1 to +1 dB on the normal-444 decodes of the training materials; more where
the codec is coarse and the map is a true gradient field, about nothing on painted/flat normals,
where the fitted gains fall back to 1.

The field is mirror-extended before the FFT (x component odd across vertical edges, y component odd
across horizontal ones, as the derivatives of an even extension of the height are), so atlases that
do not tile get no wrap-around edges; images larger than ``TILE`` are filtered tile by tile with a
halo (the projection is global in principle, but its kernel decays fast).

Tried and not kept (training materials, docs/ZOO.md): two orientation sectors per band (+0.01 to
+0.04 dB for twice the gains), the filter on slopes (n_x/n_z, n_y/n_z), where integrability is exact
(within +-0.02 dB of this, and less robust near grazing normals).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import torch

from texsandwich.tiling import tiled

BANDS = 16
"""Radial frequency bands (square-root spacing: more bands at low frequencies, where signal lives); 16
beat 8 by 0.01-0.14 dB on the training materials for 16 more bytes."""
GAIN_SCALE = 64
"""Gains are stored as integers in 1/64 (exactly reproducible on every machine)."""
MAX_GAIN = 128
"""2.0: gains above 1 only make sense where the decoder lost contrast."""
FIT_SIDE = 1024
"""Gains are fitted on the centre crop of at most this side: 16 numbers need far fewer samples."""
TILE, HALO = 512, 96


@dataclass(frozen=True)
class NormalFilter:
    """Per-band gains of the curl-free part's x, y components, then the divergence-free part's.

    x and y get their own gains because the codec does not treat them alike: in a 4:4:4 bottleneck
    n_x is HEVC luma and n_y chroma (fewer intra modes, coarser in effect), so their noise differs;
    on the training materials that was worth +0.01 to +0.16 dB over one gain per part and band.
    """

    gains: tuple[int, ...]

    def __post_init__(self) -> None:
        g = self.gains
        if len(g) != 4 * BANDS or any(not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_GAIN
                                      for v in g):
            raise ValueError(f"a normal filter has {4 * BANDS} integer gains from 0 to {MAX_GAIN}")

    def to_json(self) -> dict[str, Any]:
        # one hex byte per gain: about half what a JSON list of numbers costs after deflate
        return {"kind": "integrable", "gains": bytes(self.gains).hex()}

    @classmethod
    def from_json(cls, d: Any) -> NormalFilter:
        if not isinstance(d, dict) or set(d) != {"kind", "gains"} or d["kind"] != "integrable":
            raise ValueError("postfilter must be {'kind': 'integrable', 'gains': '<hex>'}")
        if not isinstance(d["gains"], str) or not re.fullmatch(r"(?:[0-9a-f]{2})+", d["gains"]):
            raise ValueError("postfilter gains must be a string of hex bytes")
        return cls(tuple(bytes.fromhex(d["gains"])))

    @property
    def identity(self) -> bool:
        return all(v == GAIN_SCALE for v in self.gains)


def _extend(u: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mirror-extend the field [..., H, W] to [..., 2H, 2W] as the gradient of an even height extension."""
    def ext(a: torch.Tensor, sx: float, sy: float) -> torch.Tensor:
        top = torch.cat([a, sx * a.flip(-1)], -1)
        return torch.cat([top, sy * top.flip(-2)], -2)
    return ext(u, -1.0, 1.0), ext(v, 1.0, -1.0)


def _parts(u: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Spectra of the curl-free (cu, cv) and divergence-free (du, dv) parts, and each bin's band."""
    h, w = u.shape[-2:]
    fy = torch.fft.fftfreq(h, dtype=torch.float32)[:, None]
    fx = torch.fft.rfftfreq(w, dtype=torch.float32)[None, :]
    k2 = fx * fx + fy * fy
    k2[0, 0] = 1.0
    uf, vf = torch.fft.rfft2(u.float()), torch.fft.rfft2(v.float())
    along = (fx * uf + fy * vf) / k2
    cu, cv = fx * along, fy * along
    cu[..., 0, 0], cv[..., 0, 0] = uf[..., 0, 0], vf[..., 0, 0]  # the mean belongs to neither: keep it whole
    radius = torch.sqrt(k2 / 0.5).clamp(max=1.0)
    radius[0, 0] = 0.0
    band = (radius.sqrt() * BANDS).long().clamp(max=BANDS - 1)
    return cu, cv, uf - cu, vf - cv, band


def _field(normal: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(n_x, -n_y) on the 0..255 scale, centred on 127.5, from [..., 3, H, W]."""
    return normal[..., 0, :, :] - 127.5, 127.5 - normal[..., 1, :, :]


def _weights(h: int, w: int) -> torch.Tensor:
    """How many times each rfft bin stands for itself in the full spectrum (Parseval for real fields)."""
    c = torch.full((w // 2 + 1,), 2.0, dtype=torch.float32)
    c[0] = 1.0
    if w % 2 == 0:
        c[-1] = 1.0
    return c.expand(h, -1)


def centre(x: torch.Tensor) -> tuple[slice, slice]:
    """The centre crop (at most ``FIT_SIDE`` square) that gains are fitted and judged on."""
    h, w = x.shape[-2:]
    ch, cw = min(h, FIT_SIDE), min(w, FIT_SIDE)
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    return slice(y0, y0 + ch), slice(x0, x0 + cw)


def fit(source: torch.Tensor, decoded: torch.Tensor) -> NormalFilter:
    """Least-squares gains that bring ``decoded``'s normal field closest to ``source``'s.

    Both are ``[3, H, W]`` (or ``[1, 3, H, W]``) on the 0..255 scale, channels n_x, n_y, n_z.
    """
    source, decoded = source.reshape(-1, *source.shape[-2:])[:3], decoded.reshape(-1, *decoded.shape[-2:])[:3]
    rows, cols = centre(source)
    crop = (slice(None), rows, cols)
    ch, cw = rows.stop - rows.start, cols.stop - cols.start
    s, d = _parts(*_extend(*_field(source[crop]))), _parts(*_extend(*_field(decoded[crop])))
    band = s[4]
    wt = _weights(2 * ch, 2 * cw)
    gains = []
    for part in (0, 2):
        for comp in (0, 1):
            sx, dx = s[part + comp], d[part + comp]
            num = wt * (dx.conj() * sx).real
            den = wt * dx.abs() ** 2
            for k in range(BANDS):
                m = band == k
                nk, dk = float(num[m].double().sum()), float(den[m].double().sum())
                g = nk / dk if dk > 1e-9 else 1.0
                gains.append(round(min(max(g, 0.0), MAX_GAIN / GAIN_SCALE) * GAIN_SCALE))
    return NormalFilter(tuple(gains))


def _apply_tile(f: NormalFilter, x: torch.Tensor) -> torch.Tensor:
    """The filtered normal field of a tile ``[B, 3, H, W]`` (n_z rebuilt from the filtered n_x, n_y)."""
    h, w = x.shape[-2:]
    cu, cv, du, dv, band = _parts(*_extend(*_field(x)))
    g = torch.tensor(f.gains, dtype=torch.float32) / GAIN_SCALE
    gcu, gcv, gdu, gdv = (g[i * BANDS:(i + 1) * BANDS][band] for i in range(4))
    gcu[0, 0] = gcv[0, 0] = 1.0
    u = torch.fft.irfft2(gcu * cu + gdu * du, s=(2 * h, 2 * w))[..., :h, :w]
    v = torch.fft.irfft2(gcv * cv + gdv * dv, s=(2 * h, 2 * w))[..., :h, :w]
    nx, ny = (u / 127.5).clamp(-1, 1), (-v / 127.5).clamp(-1, 1)
    nz = (1 - nx * nx - ny * ny).clamp(min=0).sqrt()
    return (torch.stack([nx, ny, nz], -3) * 127.5 + 127.5).clamp(0, 255).to(x.dtype)


def apply(f: NormalFilter | None, x: torch.Tensor, first: int = 0, inplace: bool = False) -> torch.Tensor:
    """``x`` ``[B, C, H, W]`` (0..255 scale) with its normal channels ``first..first+2`` filtered.

    ``inplace`` writes into ``x`` (the decoder's own buffer: a 4K material is 0.5 GB of float32, not
    worth copying).
    """
    if f is None or f.identity:
        return x
    out = x if inplace else x.clone()
    out[:, first : first + 3] = tiled(lambda t: _apply_tile(f, t), x[:, first : first + 3], tile=TILE, halo=HALO)
    return out
