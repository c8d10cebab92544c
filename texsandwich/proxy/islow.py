"""libjpeg's "islow" integer DCT and IDCT (jfdctint.c / jidctint.c), emulated in torch.

JPEG encoders and decoders do not compute the real-valued DCT: libjpeg-turbo (Pillow's JPEG) uses
13-bit fixed-point butterflies with rounding shifts between passes, and its quantiser rounds the
x8-scaled integer coefficients. At coarse steps those small differences flip coefficients across
decision boundaries, which costs a float proxy several dB of agreement with the real decoder. The
proxy uses these functions for its forward values (so that, at an integer step, it reproduces
libjpeg's decode) and the orthonormal float DCT for gradients.

Everything runs in float64 with ``floor`` for the arithmetic shifts, which is exact for the integer
inputs the codec sees and still defined for the real-valued step a model learns.
"""

from __future__ import annotations

import torch

CONST_BITS = 13
PASS1_BITS = 2
FIX_0_298631336 = 2446
FIX_0_390180644 = 3196
FIX_0_541196100 = 4433
FIX_0_765366865 = 6270
FIX_0_899976223 = 7373
FIX_1_175875602 = 9633
FIX_1_501321110 = 12299
FIX_1_847759065 = 15137
FIX_1_961570560 = 16069
FIX_2_053119869 = 16819
FIX_2_562915447 = 20995
FIX_3_072711026 = 25172


def _descale(x: torch.Tensor, n: int) -> torch.Tensor:
    """``(x + 2^(n-1)) >> n`` (arithmetic shift = floor division)."""
    return torch.floor((x + float(1 << (n - 1))) / float(1 << n))


def _odd(t4: torch.Tensor, t5: torch.Tensor, t6: torch.Tensor, t7: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The shared odd-part rotation of both transforms (Loeffler-Ligtenberg-Moschytz)."""
    z1, z2, z3, z4 = t4 + t7, t5 + t6, t4 + t6, t5 + t7
    z5 = (z3 + z4) * FIX_1_175875602
    t4, t5, t6, t7 = t4 * FIX_0_298631336, t5 * FIX_2_053119869, t6 * FIX_3_072711026, t7 * FIX_1_501321110
    z1, z2 = z1 * -FIX_0_899976223, z2 * -FIX_2_562915447
    z3, z4 = z3 * -FIX_1_961570560 + z5, z4 * -FIX_0_390180644 + z5
    return t4 + z1 + z3, t5 + z2 + z4, t6 + z2 + z3, t7 + z1 + z4


def _fdct_pass(d: torch.Tensor, first: bool) -> torch.Tensor:
    """One 1-D jfdctint pass along the last axis."""
    x = d.unbind(-1)
    t0, t7 = x[0] + x[7], x[0] - x[7]
    t1, t6 = x[1] + x[6], x[1] - x[6]
    t2, t5 = x[2] + x[5], x[2] - x[5]
    t3, t4 = x[3] + x[4], x[3] - x[4]
    t10, t13, t11, t12 = t0 + t3, t0 - t3, t1 + t2, t1 - t2
    shift = CONST_BITS - PASS1_BITS if first else CONST_BITS + PASS1_BITS
    if first:
        out0, out4 = (t10 + t11) * float(1 << PASS1_BITS), (t10 - t11) * float(1 << PASS1_BITS)
    else:
        out0, out4 = _descale(t10 + t11, PASS1_BITS), _descale(t10 - t11, PASS1_BITS)
    z1 = (t12 + t13) * FIX_0_541196100
    out2 = _descale(z1 + t13 * FIX_0_765366865, shift)
    out6 = _descale(z1 - t12 * FIX_1_847759065, shift)
    o7, o5, o3, o1 = _odd(t4, t5, t6, t7)
    out = [out0, _descale(o1, shift), out2, _descale(o3, shift), out4, _descale(o5, shift), out6, _descale(o7, shift)]
    return torch.stack(out, dim=-1)


def fdct_islow(blocks: torch.Tensor) -> torch.Tensor:
    """Forward DCT of level-shifted integer ``[..., 8, 8]`` blocks, scaled by 8 as libjpeg leaves it."""
    rows = _fdct_pass(blocks.double(), first=True)
    return _fdct_pass(rows.transpose(-1, -2), first=False).transpose(-1, -2)


def _idct_pass(c: torch.Tensor, first: bool) -> torch.Tensor:
    """One 1-D jidctint pass along the last axis (columns first in libjpeg: callers transpose)."""
    x = c.unbind(-1)
    z1 = (x[2] + x[6]) * FIX_0_541196100
    t2 = z1 - x[6] * FIX_1_847759065
    t3 = z1 + x[2] * FIX_0_765366865
    t0 = (x[0] + x[4]) * float(1 << CONST_BITS)
    t1 = (x[0] - x[4]) * float(1 << CONST_BITS)
    t10, t13, t11, t12 = t0 + t3, t0 - t3, t1 + t2, t1 - t2
    o0, o1, o2, o3 = _odd(x[7], x[5], x[3], x[1])
    n = CONST_BITS - PASS1_BITS if first else CONST_BITS + PASS1_BITS + 3
    out = [t10 + o3, t11 + o2, t12 + o1, t13 + o0, t13 - o0, t12 - o1, t11 - o2, t10 - o3]
    return torch.stack([_descale(v, n) for v in out], dim=-1)


def idct_islow(dequantised: torch.Tensor) -> torch.Tensor:
    """Inverse DCT of ``[..., 8, 8]`` dequantised coefficients (index x step) to level-shifted samples."""
    cols = _idct_pass(dequantised.double().transpose(-1, -2), first=True).transpose(-1, -2)
    return _idct_pass(cols, first=False)


def quantise_index(scaled: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
    """libjpeg's quantiser on x8-scaled coefficients: ``sign(t) * floor((|t| + 4Δ) / 8Δ)``."""
    u = scaled / (8.0 * step.double())
    return torch.sign(u) * torch.floor(u.abs() + 0.5)
