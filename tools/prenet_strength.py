"""Could the encoder weaken the pre-net per image? Weights with the pre-net's residual scaled, and the pick.

The question (docs/ZOO.md, ``rgb-hr2``): on smooth texture atlases the photo-trained pre-net costs bits the
post-only control does not spend. An encoder could choose, per image and quality, a pre-net residual
scaled by s < 1 (an RD decision; the decoder and the post-net unchanged) if the post-net still decoded
such planes well. Two steps, with an ``eval`` between them:

    .venv/bin/python tools/prenet_strength.py weights rgb-hr2-ycc-c19-medium-gpu2 0 0.5 0.75 -o /tmp/var
    texsandwich eval --recipe rgb-hr2 --data ../shared/data/models --model /tmp/var/prenet-s000.safetensors \\
        --model /tmp/var/prenet-s050.safetensors --model /tmp/var/prenet-s075.safetensors --codec heic \\
        --qualities 40,50,60,70,80,90 --bpp-range 0.2 1.0 -o VARIANTS
    .venv/bin/python tools/prenet_strength.py pick REFERENCE VARIANTS --exclude BoomBoxWithAxes:M_Coordinates

``REFERENCE`` is a report at the same qualities holding the full model and its post-only control
(``docs/results/rgb-hr2-heic-textures-encoder-opt-20``). ``pick`` chooses, per image and quality, the
curve with the lowest measured ``MSE + λ·bpp`` (λ: the full model's own secant slope there, as the
encoder's search takes it) and prints BD-PSNR of every curve and of the pick vs the control and the
baselines over 0.2-1.0 bpp.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from safetensors.torch import load_file, save_file

from texsandwich.evaluate import Curve, bd_summary
from texsandwich.zoo import ZOO

WINDOW = (0.2, 1.0)
RESIDUAL_OUT = ("pre_net.mlp.out.weight", "pre_net.mlp.out.bias", "pre_net.s")
"""The residual is ``scale * (mlp(z) + s * unet(z))``: scaling these three scales it exactly."""


def write_weights(model: str, strengths: list[float], out: Path) -> None:
    path = ZOO[model].path if model in ZOO else Path(model)
    data = Path(path).read_bytes()
    meta = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])["__metadata__"]
    tensors = load_file(str(path))
    out.mkdir(parents=True, exist_ok=True)
    for s in strengths:
        scaled = {k: (v.float() * s).half() if k in RESIDUAL_OUT else v for k, v in tensors.items()}
        save_file(scaled, str(out / f"prenet-s{round(s * 100):03d}.safetensors"), metadata=meta)


def _curves(folder: Path) -> dict[str, Curve]:
    report = json.loads((folder / "report.json").read_text())
    return {c["name"]: Curve.from_json(c) for c in report["curves"]}


def pick(reference: Path, variants: Path, full: str, control: str, exclude: set[str]) -> None:
    ref, var = _curves(reference), _curves(variants)
    names = [full] + [n for n in var if n.startswith("prenet-")]
    pool = {**ref, **{n: var[n] for n in names[1:]}}
    images = [i for i in pool[full].per_image if i not in exclude]

    def mse(psnr: float) -> float:
        return 255.0 ** 2 * 10 ** (-psnr / 10)

    chosen: dict[str, list[tuple[float, float]]] = {}
    for im in images:
        base, row = pool[full].per_image[im], []
        for q in range(len(base)):
            (b0, p0), (b1, p1) = base[q], base[q + 1 if q + 1 < len(base) else q - 1]
            lam = max((mse(p0) - mse(p1)) / (b1 - b0), 0.0) if b1 != b0 else 0.0
            best = min(names, key=lambda n: mse(pool[n].per_image[im][q][1]) + lam * pool[n].per_image[im][q][0])
            row.append(pool[best].per_image[im][q])
            if best != full:
                print(f"{im} q-index {q}: {best}")
        chosen[im] = row

    def mean(per_image: dict[str, list[tuple[float, float]]]) -> list[tuple[float, float]]:
        a = np.array([per_image[i] for i in images])
        return [(float(r), float(d)) for r, d in a.mean(axis=0)]

    baselines = [mean(c.per_image) for c in ref.values() if c.kind == "baseline"]
    for name, curve in [*((n, mean(pool[n].per_image)) for n in names), ("per-image pick", mean(chosen))]:
        vs_control = bd_summary([mean(ref[control].per_image)], [curve], WINDOW)["bd_psnr_db"]
        vs_base = bd_summary(baselines, [curve], WINDOW)["bd_psnr_db"]
        print(f"{name:34s} BD-PSNR vs control {vs_control:+.2f} dB, vs baselines {vs_base:+.2f} dB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("weights", help="write the model with its pre-net residual scaled by each strength")
    w.add_argument("model")
    w.add_argument("strengths", nargs="+", type=float)
    w.add_argument("-o", "--output", type=Path, required=True)
    p = sub.add_parser("pick", help="per image and quality, the curve with the lowest MSE + λ·bpp")
    p.add_argument("reference", type=Path)
    p.add_argument("variants", type=Path)
    p.add_argument("--full", default="rgb-hr2-ycc-c19-medium-gpu2")
    p.add_argument("--control", default="rgb-hr2-ycc-post-only-c19-medium-gpu2")
    p.add_argument("--exclude", action="append", default=[])
    args = ap.parse_args()
    if args.cmd == "weights":
        write_weights(args.model, args.strengths, args.output)
    else:
        pick(args.reference, args.variants, args.full, args.control, set(args.exclude))


if __name__ == "__main__":
    main()
