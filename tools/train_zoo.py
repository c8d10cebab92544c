"""Train (or resume) every zoo model into ``texsandwich/weights/``: the reproducible recipe of the zoo.

    .venv/bin/python tools/train_zoo.py [--data DIR] [--only ID ...] [--steps N]

Trains on the *train* split of each entry's folder under the data root (every 5th file or material
folder, in sorted order, is held out for evaluation), one model after the other, resuming from
``<weights>.ckpt`` when present.
Prints each model's training time and CPU.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from texsandwich.data import data_root
from texsandwich.train import TrainConfig, train
from texsandwich.zoo import ZOO


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = data_root()
    ap.add_argument("--data", type=Path, default=root, help="shared data root (each entry names its subfolder)")
    ap.add_argument("--only", nargs="*", default=list(ZOO))
    ap.add_argument("--steps", type=int, default=None, help="override every entry's step count")
    args = ap.parse_args()
    if args.data is None or not args.data.is_dir():
        ap.error("no data folder: pass --data or set TEXSANDWICH_DATA")
    for zid in args.only:
        e = ZOO[zid]
        config = TrainConfig(recipe=e.recipe, data=str(args.data / e.data), split="train", lmbda=e.lmbda,
                             preset=e.preset, steps=e.steps if args.steps is None else args.steps, crop=e.crop,
                             batch=e.batch, lr=e.lr, seed=e.seed, refine_steps=e.refine_steps, refine_lr=e.refine_lr,
                             fit_gains=e.fit_gains, refine_qualities=e.refine_qualities,
                             init=str(ZOO[e.init].path) if e.init else None, black_crops=e.black_crops,
                             adapter=e.adapter, plane_gains=e.plane_gains,
                             exposure=e.exposure, tone_strengths=e.tone_strengths,
                             residual_scale=e.residual_scale)
        e.path.parent.mkdir(parents=True, exist_ok=True)
        print(f"== {zid}: {config}", flush=True)
        summary = train(config, e.path, resume=True)
        print(f"== {zid} done: {json.dumps(summary)}", flush=True)


if __name__ == "__main__":
    main()
