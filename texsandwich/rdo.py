"""Per-file bit allocation: the encoder chooses a quality offset per group of codec images.

Why: one codec quality for all eight planes of a material spends bits the same way on a glossy metal
(whose shaded error is almost all normal-map error) and on a rough stone (where albedo matters), and the
plane gains fitted at training time can only be right on average -- the held-out materials were
glossier than the training ones, and gains that helped in training hurt there. The encoder has the
source, so it can measure: it codes each group at a few qualities, and picks the offsets that minimise
``D + lambda * R`` for this file, where D is the recipe's own distortion (texture-space shaded error for
materials) after the real decoder, post-net and post-filter, and R the bytes. ``lambda`` is the file's own
slope at the nominal quality (the geometric mean of the secants to one step coarser and one step finer),
so the chosen point lies on the file's lower convex hull near the nominal quality -- what an RDO
encoder does inside a picture, done across planes.

The search is coordinate descent over the groups (±``step`` quality, at most ``reach`` away), a few
rounds; every encode is cached, so a 512² crop of a pbr8 material costs ~20 encodes of one plane and a
dozen decodes through the post-net. The offsets go in the manifest; a decoder does not need them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar


@dataclass(frozen=True)
class Allocation:
    """A recipe's allocation search: which codec images move together, and how far."""

    groups: tuple[tuple[int, ...], ...]
    """Codec-image indices that share one offset (images in no group stay at the nominal quality)."""
    step: int = 10
    reach: int = 30
    rounds: int = 2
    crop: int = 512
    """The search runs on a centre crop of at most this size (4K maps cost the same as 512²)."""

    def to_json(self) -> dict[str, object]:
        return {"groups": [list(g) for g in self.groups], "step": self.step, "reach": self.reach,
                "rounds": self.rounds, "crop": self.crop}


Cost = Callable[[tuple[int, ...]], tuple[float, float]]
"""offsets (one per codec image) -> (bits, distortion as MSE)"""


def choose_offsets(cost: Cost, images: int, quality: int, search: Allocation) -> tuple[tuple[int, ...], dict]:
    """The per-image offsets that minimise ``D + lambda R`` (all zeros when nothing beats the nominal).

    Returns the offsets and a record (lambda, the costs tried) for diagnostics.
    """

    def spread(group_offsets: tuple[int, ...]) -> tuple[int, ...]:
        out = [0] * images
        for g, o in zip(search.groups, group_offsets, strict=True):
            for i in g:
                out[i] = o
        return tuple(out)

    def legal(o: int) -> bool:
        return abs(o) <= search.reach and 0 <= quality + o <= 100

    costs: dict[tuple[int, ...], tuple[float, float]] = {}

    def measured(offsets: tuple[int, ...]) -> tuple[float, float]:
        if offsets not in costs:
            costs[offsets] = cost(offsets)
        return costs[offsets]

    zero = (0,) * len(search.groups)
    r0, d0 = measured(spread(zero))
    slopes = []
    for probe in (search.step, -search.step):  # the secant on each side of the nominal point
        if legal(probe):
            r1, d1 = measured(spread((probe,) * len(search.groups)))
            if r1 != r0 and d1 != d0:
                slopes.append(abs((d0 - d1) / (r1 - r0)))
    # D(R) is convex, so the finer side's secant is flatter and the coarser side's steeper than the tangent:
    # their geometric mean. (The finer side alone lets every group buy bits too cheaply: on 12 training
    # normal maps a per-file Cb QP choice scored +2.5 % with it and -1.0 % with this.)
    lam = math.exp(sum(math.log(v) for v in slopes) / len(slopes)) if slopes else 0.0
    if lam == 0.0 or d0 == 0.0:
        return spread(zero), {"lambda": lam, "tried": len(costs)}

    def j(g: tuple[int, ...]) -> float:
        r, d = measured(spread(g))
        return d + lam * r

    best = zero
    for _ in range(search.rounds):
        moved = False
        for k in range(len(search.groups)):
            for d in (-search.step, search.step):
                cand = tuple(o + d if i == k else o for i, o in enumerate(best))
                if legal(cand[k]) and j(cand) < j(best):
                    best, moved = cand, True
        if not moved:
            break
    return spread(best), {"lambda": lam, "tried": len(costs), "group_offsets": list(best)}


_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
               "g": 1000**3, "gb": 1000**3, "gib": 1024**3}
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class SizeTarget:
    """A file-size budget: ``bytes`` for every file, or ``bpp`` bits per source pixel (what a tree of
    images of different sizes wants: the same budget per pixel, as ``compress`` reports it)."""

    bytes: int | None = None
    bpp: float | None = None

    @classmethod
    def parse(cls, text: str) -> SizeTarget:
        """``"150000"``, ``"150K"``/``"150KB"`` (10^3), ``"150KiB"`` (2^10), ``M``/``MiB``, ``G``/``GiB``, or
        ``"0.5bpp"``; raises ValueError naming what it takes."""
        m = _SIZE.fullmatch(text)
        unit = m.group(2).lower() if m else ""
        if m and unit == "bpp" and float(m.group(1)) > 0:
            return cls(bpp=float(m.group(1)))
        if m and unit in _SIZE_UNITS and float(m.group(1)) * _SIZE_UNITS[unit] >= 1:
            return cls(bytes=int(float(m.group(1)) * _SIZE_UNITS[unit]))
        raise ValueError(f"{text!r} is not a size: give bytes (150000, 150K, 1.5M, 150KiB) or bits per pixel "
                         "(0.5bpp), above 0")

    def bytes_for(self, pixels: int) -> int:
        """The budget in bytes for a file of ``pixels`` source pixels."""
        return self.bytes if self.bytes is not None else max(1, int(self.bpp * pixels / 8))

    def __str__(self) -> str:
        return f"{self.bpp:g} bpp" if self.bpp is not None else f"{self.bytes:,} bytes"

    def missed(self, size: int, budget: int) -> str:
        """What a warning says when even the coarsest quality (0) gives ``size`` bytes over ``budget``."""
        per_pixel = f" ({budget:,} bytes)" if self.bpp is not None else ""
        return f"{size:,} bytes at quality 0, the coarsest, above the target {self}{per_pixel}"


class _Measured(Protocol):
    psnr: float


_C = TypeVar("_C", bound=_Measured)
_T = TypeVar("_T")


def search_quality(code: Callable[[int], _C], target: float, start: int = 50) -> tuple[int, _C, bool]:
    """The lowest codec quality whose PSNR reaches ``target``, each try one real encode and decode
    (``code(quality)``, whose result has the ``psnr`` it measured).

    Returns (quality, coded, reached); not reached: quality 100's. PSNR rises with quality for these
    codecs, close to linearly over tens of steps (the quantiser's QP is linear in quality, PSNR nearly
    linear in QP), so the next try is where the line through the nearest tries on either side of the
    target crosses it -- or, before the target is bracketed, where the line through the last two tries
    does. That takes 4-5 encodes where bisection over 1..100 takes 7. Every try lies strictly between
    the highest quality known to miss and the lowest known to reach, and a try that does not halve that
    bracket within two steps is followed by a bisection step, so small wiggles cannot make it slow; with
    a wiggle the result reaches the target but may be a step above the very lowest, as bisection's may.
    """
    _, hi, tried = _bracket(code, lambda c: c.psnr, target, start)
    if hi > 100:
        return 100, tried[100], False
    return hi, tried[hi], True


def search_size(code: Callable[[int], _T], budget: int, start: int = 50,
                size: Callable[[_T], int] = lambda c: len(c.data)) -> tuple[int, _T, bool]:
    """The highest codec quality whose file (``size(code(quality))`` bytes, by default its ``data``'s length)
    fits in ``budget`` bytes, each try one real encode (no decode needed: the size is known once encoded).

    Returns (quality, coded, fits); does not fit: quality 0's, the smallest the codec makes. The same
    search as :func:`search_quality` on the log of the size, which is close to linear in quality over
    tens of steps (bits halve every ~6 QP, QP is linear in quality), so it also takes 4-5 encodes; it
    walks 1..100 as that one does, and tries 0 only when 1 does not fit.
    """
    lo, _, tried = _bracket(code, lambda c: math.log(max(size(c), 1)), math.log(budget + 0.5), start)
    if lo >= 1:
        return lo, tried[lo], True
    coarsest = code(0)  # even quality 1 is larger than the budget
    return 0, coarsest, size(coarsest) <= budget


def _bracket(code: Callable[[int], _T], score: Callable[[_T], float], target: float,
             start: int) -> tuple[int, int, dict[int, _T]]:
    """Encode until the qualities ``lo`` (the highest known with ``score < target``, 0: none) and ``hi``
    (the lowest known with ``score >= target``, 101: none) are adjacent; both ends were tried when they
    lie in 1..100. ``score`` must rise with quality (PSNR; the log of the size)."""
    tried: dict[int, _T] = {}
    scores: dict[int, float] = {}
    lo, hi = 0, 101
    widths = [hi - lo]
    q = min(100, max(1, start))
    while True:
        tried[q] = code(q)
        scores[q] = score(tried[q])
        if scores[q] >= target:
            hi = q
        else:
            lo = q
        if hi - lo <= 1:
            return lo, hi, tried
        widths.append(hi - lo)
        q = _next_quality(scores, lo, hi, target, slow=len(widths) > 2 and widths[-1] * 2 > widths[-3])


def _next_quality(scores: dict[int, float], lo: int, hi: int, target: float, slow: bool) -> int:
    """The next quality to try, strictly inside (lo, hi): on the line through the two tries nearest the
    target (interpolated inside a bracket, extrapolated outside one), or the middle when that is slow."""
    middle = (lo + hi) // 2  # strictly inside: hi - lo > 1
    if slow:
        return middle
    if lo >= 1 and hi <= 100:  # bracketed: interpolate between its ends
        a, b = lo, hi
    else:  # one-sided: the two tries nearest the open end
        known = sorted(scores)
        a, b = (known[-2:] if hi > 100 else known[:2]) if len(known) > 1 else (known[0], known[0])
    pa, pb = scores[a], scores[b]
    if a == b or not pb > pa:  # one try, or no slope to follow: halfway into what is left
        return middle
    guess = math.ceil(a + (target - pa) * (b - a) / (pb - pa) - 1e-9)
    return min(max(guess, lo + 1), hi - 1)
