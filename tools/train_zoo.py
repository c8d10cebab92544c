"""Train (or resume) every zoo model into ``texsandwich/weights/``: the reproducible recipe of the zoo.

    .venv/bin/python tools/train_zoo.py [--data DIR] [--only ID ...] [--steps N] [--set KEY=VALUE ...]
                                        [--split SPLIT] [--out DIR] [--threads N]

Trains on the *train* split of each entry's folder under the data root (every 5th file or material
folder, in sorted order, is held out for evaluation), one model after the other, resuming from
``<weights>.ckpt`` when present.
Prints each model's training time and CPU (or GPU).

On a lent GPU machine (docs/GPU.md) the data travels as a copy of the train split alone, so that run
passes ``--split all`` (the copy *is* the train split), ``--out`` (weights come back through ``$OUT``)
and ``--threads`` (several trainings share the machine's cores).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
from dataclasses import fields
from pathlib import Path

from texsandwich.atlas_synth import SYNTH, atlas_folder
from texsandwich.data import data_root
from texsandwich.train import TrainConfig, train
from texsandwich.zoo import ZOO, ZooEntry


def entry_config(e: ZooEntry, root: Path, split: str = "train",
                 overrides: dict[str, object] | None = None) -> TrainConfig:
    """The training run a zoo entry describes: every field the two dataclasses share, copied.

    Only three differ in meaning: ``data`` (folders under ``root``, joined with ``os.pathsep``), ``init``
    (a zoo id, here its weights' path) and the split (*train* for every zoo model; ``all`` only for a
    folder that holds the train split alone). ``overrides`` replace any TrainConfig field (``--steps``,
    ``--set``).
    """
    shared = {f.name for f in fields(TrainConfig)} & {f.name for f in fields(ZooEntry)}
    kwargs = {name: getattr(e, name) for name in shared}
    folders = (e.data,) if isinstance(e.data, str) else e.data
    kwargs.update(data=os.pathsep.join(str(_folder(root, d)) for d in folders), split=split,
                  init=str(ZOO[e.init].path) if e.init else None)
    unknown = set(overrides or {}) - {f.name for f in fields(TrainConfig)}
    if unknown:
        raise SystemExit(f"--set: no training setting named {', '.join(sorted(unknown))}")
    kwargs.update(overrides or {})
    return TrainConfig(**kwargs)


def _folder(root: Path, name: str) -> Path:
    """A data folder under ``root``, or generated training data made on demand (``synth:atlases``)."""
    if name == SYNTH:
        return atlas_folder(root, Path(os.environ.get("TEXSANDWICH_CACHE", Path.home() / ".cache/texsandwich")))
    return root / name


def parse_set(items: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs, each value a Python literal (``steps=200``, ``refine_qualities=(10, 60)``)."""
    out: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--set {item}: expected KEY=VALUE")
        try:
            out[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            out[key.strip()] = value.strip()  # a bare word: a string setting (refine_codecs=heic)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = data_root()
    ap.add_argument("--data", type=Path, default=root, help="shared data root (each entry names its subfolder)")
    ap.add_argument("--only", nargs="*", default=list(ZOO))
    ap.add_argument("--steps", type=int, default=None, help="override every entry's step count")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override training settings")
    ap.add_argument("--split", default="train", choices=("train", "all"),
                    help="'all' only for a folder holding the train split alone (a copy sent to a GPU)")
    ap.add_argument("--out", type=Path, default=None, help="write weights here instead of texsandwich/weights")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads per training (default: all cores)")
    args = ap.parse_args()
    if args.data is None or not args.data.is_dir():
        ap.error("no data folder: pass --data or set TEXSANDWICH_DATA")
    overrides = {**({"steps": args.steps} if args.steps is not None else {}), **parse_set(args.set)}
    for zid in args.only:
        e = ZOO[zid]
        config = entry_config(e, args.data, args.split, overrides)
        path = args.out / e.path.name if args.out else e.path
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"== {zid}: {config}", flush=True)
        summary = train(config, path, resume=True, threads=args.threads)
        print(f"== {zid} done: {json.dumps(summary)}", flush=True)


if __name__ == "__main__":
    main()
