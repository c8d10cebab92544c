"""Synthetic UV atlases (training data for rgb-hr2): reproducible, atlas-shaped, made only from the pool."""

from __future__ import annotations

import numpy as np
from PIL import Image

from texsandwich.atlas_synth import SYNTH, atlas_folder, synth_atlas, write_atlases
from texsandwich.data import EXAMPLE_IMAGES


def _pool() -> list[np.ndarray]:
    return [np.asarray(Image.open(EXAMPLE_IMAGES / f).convert("RGB")) for f in ("astronaut.png", "coffee.png")]


def test_an_atlas_is_a_pure_function_of_its_seed_and_pool() -> None:
    pool = _pool()
    a, b, c = synth_atlas(3, pool, 128), synth_atlas(3, pool, 128), synth_atlas(4, pool, 128)
    assert a.shape == (128, 128, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_atlases_have_flat_areas_and_hard_edges_unlike_a_photo() -> None:
    """What makes them atlases: many texels equal to their neighbour (flat fills, black or padded
    background) *and* large steps between neighbours (island borders, lettering)."""
    atlases = [synth_atlas(s, _pool(), 256).astype(np.int16) for s in range(6)]
    flat = np.mean([(np.abs(np.diff(a, axis=1)).max(-1) == 0).mean() for a in atlases])
    steep = np.mean([(np.abs(np.diff(a, axis=1)).max(-1) > 64).mean() for a in atlases])
    photo = _pool()[0].astype(np.int16)
    assert flat > 3 * (np.abs(np.diff(photo, axis=1)).max(-1) == 0).mean()
    assert steep > 0.002


def test_write_atlases_keeps_existing_files_and_atlas_folder_builds_from_a_data_root(tmp_path) -> None:
    out = write_atlases(tmp_path / "a", 2, _pool(), 64)
    assert [p.name for p in out] == ["atlas_00000.png", "atlas_00001.png"]
    first = out[0].stat().st_mtime_ns
    write_atlases(tmp_path / "a", 3, _pool(), 64)
    assert out[0].stat().st_mtime_ns == first and (tmp_path / "a" / "atlas_00002.png").is_file()
    assert SYNTH.startswith("synth:")
    # a data root with a photos folder of its own (two training images: every 5th is held out)
    photos = tmp_path / "root" / "photos"
    photos.mkdir(parents=True)
    for i, a in enumerate(_pool()):
        Image.fromarray(a).save(photos / f"p{i}.png")
    folder = atlas_folder(tmp_path / "root", tmp_path / "cache", count=2, size=64)
    assert len(list(folder.glob("atlas_*.png"))) == 2
    assert atlas_folder(tmp_path / "root", tmp_path / "cache", count=2, size=64) == folder  # made once
