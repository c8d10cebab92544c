"""Shared fixtures: real photos shipped with the project (examples/images, from scikit-image)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "images"


def load(name: str) -> np.ndarray:
    return np.asarray(Image.open(EXAMPLES / f"{name}.png").convert("RGB"))


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    """Real photos: astronaut 512x512, coffee 600x400, chelsea 451x300 (odd width)."""
    return {n: load(n) for n in ("astronaut", "coffee", "chelsea")}


@pytest.fixture(scope="session")
def photo(photos: dict[str, np.ndarray]) -> np.ndarray:
    """A 200x152 crop with detail: small enough for fast tests, odd-free sizes come from chelsea."""
    return np.ascontiguousarray(photos["astronaut"][40:192, 180:380])


@pytest.fixture(scope="session")
def example_dir() -> Path:
    return EXAMPLES
