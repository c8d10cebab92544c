"""Runs inside Blender's Python (the PyPI ``bpy`` module, see ``make test-blender``).

The add-on is enabled from this checkout; the CLI comes from ``$TEXSANDWICH_CLI`` (the Makefile
points it at the project's ``.venv``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ADDON_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ADDON_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

bpy = pytest.importorskip("bpy")


@pytest.fixture(scope="session")
def cli() -> Path:
    path = os.environ.get("TEXSANDWICH_CLI") or str(ADDON_ROOT.parent / ".venv" / "bin" / "texsandwich")
    if not Path(path).is_file():
        pytest.fail(f"the texsandwich CLI is needed at {path} (run 'make' first or set TEXSANDWICH_CLI)")
    os.environ["TEXSANDWICH_CLI"] = path
    return Path(path)


@pytest.fixture(scope="session")
def addon(cli):
    import addon_utils

    mod = addon_utils.enable("texsandwich_blender", default_set=True, handle_error=None)
    assert mod is not None, "the add-on did not enable"
    yield sys.modules["texsandwich_blender"]
    addon_utils.disable("texsandwich_blender")
