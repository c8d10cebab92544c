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
