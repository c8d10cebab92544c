"""Fitting a sandwich's per-plane gains with the real codec: how one codec quality is shared by planes.

Every bottleneck plane is coded at the same codec quality, so the only way to give the normal map
more bits than the occlusion map is to raise its contrast before the codec (and lower it after).
The best gains depend on the real codec and on the distortion (shaded error weighs normals far
above roughness), neither of which the JPEG-like proxy models well, so they are fitted directly:
coordinate search over the planes, each step scored by the BD-rate of real encodes (through the
``.tsw`` path) against the recipe's baselines on crops of the *training* sources.
"""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from texsandwich.distortion import measure
from texsandwich.metrics import bd_rate
from texsandwich.pipeline import baseline, compress
from texsandwich.sandwich import Sandwich
from texsandwich.sources import Source

GAIN_RANGE = (0.25, 4.0)


def crop_sources(sources: list[Source], size: int) -> list[Source]:
    """Centre crops (and their side information), so each score costs seconds, not minutes."""
    out = []
    for s in sources:
        h, w = s.array.shape[:2]
        y, x = max((h - size) // 2, 0), max((w - size) // 2, 0)
        cut = (slice(y, y + size), slice(x, x + size))
        out.append(Source(s.name, np.ascontiguousarray(s.array[cut]),
                          {k: np.ascontiguousarray(v[cut]) for k, v in s.side.items()}))
    return out


def _curve(sources: list[Source], kind: str, code, qualities: list[int]) -> list[tuple[float, float]]:
    pts = np.zeros((len(qualities), 2))
    for s in sources:
        px = s.array.shape[0] * s.array.shape[1]
        for i, q in enumerate(qualities):
            data, rec = code(s.array, q)
            pts[i] += (8 * len(data) / px, measure(kind, rec, s.array, s.side)["psnr"])
    pts /= len(sources)
    return [(float(r), float(d)) for r, d in pts]


@torch.no_grad()
def fit_plane_gains(model: Sandwich, sources: list[Source], codec: str = "heic",
                    qualities: tuple[int, ...] = (20, 40, 60, 80), rounds: int = 2,
                    factors: tuple[float, ...] = (0.7, 1.4), progress: bool = True) -> dict[str, object]:
    """Set ``model.plane_gain`` to the coordinate-search optimum; returns the search's record."""
    recipe = model.recipe
    kind = recipe.distortion
    qs = list(qualities)
    anchors = [_curve(sources, kind, lambda a, q, b=b: baseline(a, b, codec, q), qs) for b in recipe.baselines]

    def code(a: np.ndarray, q: int) -> tuple[bytes, np.ndarray]:
        c = compress(a, recipe, model, codec, q)
        return c.data, c.reconstruction

    def score() -> float:
        try:
            return bd_rate(anchors, _curve(sources, kind, code, qs))
        except ValueError:
            return float("inf")

    # planes the pre-processor leaves constant (e.g. the flat third normal plane) have nothing to share
    probe = torch.cat([model.pre_net(torch.from_numpy(s.array).permute(2, 0, 1)[None].float()) for s in sources[:4]])
    active = [p for p in range(probe.shape[1]) if float(probe[:, p].std()) > 0.5]
    best = score()
    history = [{"gains": model.plane_gain.tolist(), "bd_rate": best}]
    bar = tqdm(total=rounds * len(active) * len(factors), disable=not progress, unit="score", desc="plane gains")
    for _ in range(rounds):
        for p in active:
            for f in factors:
                old = float(model.plane_gain[p])
                new = float(np.clip(old * f, *GAIN_RANGE))
                if new == old:
                    bar.update(1)
                    continue
                model.plane_gain[p] = new
                s = score()
                bar.update(1)
                if s < best:
                    best = s
                    history.append({"gains": model.plane_gain.tolist(), "bd_rate": best})
                    bar.set_postfix(bd_rate=f"{best:+.2f}%")
                else:
                    model.plane_gain[p] = old
    bar.close()
    return {"bd_rate_train": best, "gains": model.plane_gain.tolist(), "history": history}
