"""Where the shared training and evaluation data lives (never inside the project).

``$TEXSANDWICH_DATA`` wins; otherwise ``../shared/data`` next to the checkout. Tools fall back to the
bundled sample photos so they still run on a bare clone.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_IMAGES = PROJECT_ROOT / "examples" / "images"


def data_root() -> Path | None:
    """The shared data folder, or None when this machine has none."""
    env = os.environ.get("TEXSANDWICH_DATA")
    for d in ([Path(env)] if env else []) + [PROJECT_ROOT.parent / "shared" / "data"]:
        if d.is_dir():
            return d
    return None


def photos_dir() -> Path:
    """Photo folder for benchmarks: shared ``photos/`` when present, else the bundled samples."""
    root = data_root()
    return root / "photos" if root and (root / "photos").is_dir() else EXAMPLE_IMAGES


HOLDOUT_EVERY = 5
"""The evaluation split: files whose index in sorted order is a multiple of 5 (20%) are held out."""


def list_images(folder: Path, split: str = "all", suffixes: tuple[str, ...] | None = None) -> list[Path]:
    """Image files of ``folder`` (sorted, not recursive), optionally one side of the fixed split.

    ``split='train'`` drops every 5th file (index 0, 5, 10, ... in sorted order), ``'eval'`` keeps only
    those, ``'all'`` keeps everything. The rule depends on file names only, so it is the same on every
    machine and for every recipe.
    """
    from texsandwich.images import IMAGE_SUFFIXES

    suffixes = suffixes or IMAGE_SUFFIXES
    return split_items(sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in suffixes),
                       split)


def split_items(items: list[Path], split: str) -> list[Path]:
    """One side of the fixed split of sorted ``items``: 'train' drops every 5th, 'eval' keeps only those."""
    if split == "train":
        return [p for i, p in enumerate(items) if i % HOLDOUT_EVERY]
    if split == "eval":
        return [p for i, p in enumerate(items) if i % HOLDOUT_EVERY == 0]
    if split != "all":
        raise ValueError("split must be train, eval or all")
    return items
