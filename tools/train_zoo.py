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
from dataclasses import fields
from pathlib import Path

from texsandwich.data import data_root
from texsandwich.train import TrainConfig, train
from texsandwich.zoo import ZOO, ZooEntry


def entry_config(e: ZooEntry, root: Path, steps: int | None = None) -> TrainConfig:
    """The training run a zoo entry describes: every field the two dataclasses share, copied.

    Only three differ in meaning: ``data`` (a folder under ``root``), ``init`` (a zoo id, here its
    weights' path) and the *train* split, which every zoo model uses.
    """
    shared = {f.name for f in fields(TrainConfig)} & {f.name for f in fields(ZooEntry)}
    kwargs = {name: getattr(e, name) for name in shared}
    kwargs.update(data=str(root / e.data), split="train", init=str(ZOO[e.init].path) if e.init else None)
    if steps is not None:
        kwargs["steps"] = steps
    return TrainConfig(**kwargs)


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
        config = entry_config(e, args.data, args.steps)
        e.path.parent.mkdir(parents=True, exist_ok=True)
        print(f"== {zid}: {config}", flush=True)
        summary = train(config, e.path, resume=True)
        print(f"== {zid} done: {json.dumps(summary)}", flush=True)


if __name__ == "__main__":
    main()
