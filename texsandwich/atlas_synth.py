"""Synthetic UV texture atlases: training data shaped like the base colour maps of real game assets.

Why: ``rgb-hr2`` is the recipe a texture pipeline uses (4K masters through a 2K decoder), but the only
atlases in the shared data are the glTF models, which are the held-out texture set. Photos and tileable
material scans lack what atlases have: islands with hard, often aliased borders on a flat background,
edge padding, flat and gently shaded fills next to scanned detail, and lettering or decals
(docs/DECISIONS.md, "Synthetic atlases"). This module paints such atlases from a pool of *training*
images (the photos' and the material library's train splits), so nothing of the held-out set enters
training, and it was written from what atlases are in general, not fitted to the held-out ones.

Every atlas is a pure function of its seed and the pool, so a zoo entry that trains on them is
reproducible.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from scipy import ndimage

from texsandwich.images import write_png
from texsandwich.procedural import fractal_noise

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
GLYPHS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-./ "


def _fonts() -> list[Path]:
    """TrueType fonts on this machine, sorted so a seed picks the same font on a machine with the same
    fonts (an empty list makes :func:`_font` use Pillow's built-in scalable font)."""
    return sorted(p for d in FONT_DIRS if d.is_dir() for p in d.rglob("*.ttf"))


def _font(rng: np.random.Generator, fonts: list[Path], size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if fonts:
        return ImageFont.truetype(str(fonts[rng.integers(len(fonts))]), size)
    return ImageFont.load_default(size=size)


def _colour(rng: np.random.Generator) -> np.ndarray:
    """A material-like colour: mostly muted, sometimes saturated (paint, plastic)."""
    c = rng.random(3)
    grey = c.mean()
    mix = rng.uniform(0.3, 1.0) if rng.random() < 0.3 else rng.uniform(0.0, 0.5)
    return (grey + (c - grey) * mix) * 255.0


def _polygon_mask(rng: np.random.Generator, h: int, w: int, aliased: bool) -> np.ndarray:
    """A random island: a rotated rectangle or a star-convex polygon, inside an ``h`` x ``w`` box."""
    if rng.random() < 0.5:
        a = rng.uniform(0, np.pi)
        rw, rh = rng.uniform(0.3, 0.5) * w, rng.uniform(0.3, 0.5) * h
        corners = np.array([[-rw, -rh], [rw, -rh], [rw, rh], [-rw, rh]])
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        pts = corners @ rot.T * (0.7 if rng.random() < 0.5 else 1.0)
    else:
        n = int(rng.integers(5, 11))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        rad = rng.uniform(0.25, 0.5, n)
        pts = np.stack([np.cos(ang) * rad * w, np.sin(ang) * rad * h], axis=1)
    pts = pts + np.array([w / 2, h / 2])
    scale = 1 if aliased else 4  # antialiased borders: drawn at 4x and box-filtered down
    img = Image.new("L", (w * scale, h * scale), 0)
    ImageDraw.Draw(img).polygon([tuple(p) for p in pts * scale], fill=255)
    if scale > 1:
        img = img.resize((w, h), Image.Resampling.BOX)
    return np.asarray(img, np.float32) / 255.0


def _fill(rng: np.random.Generator, h: int, w: int, pool: list[np.ndarray]) -> np.ndarray:
    """An island's content: scanned detail, a flat or gently shaded fill, or a regular pattern."""
    kind = rng.choice(4, p=[0.45, 0.3, 0.1, 0.15])
    if kind == 0 and pool:  # a crop of a training image, rescaled and turned
        src = pool[rng.integers(len(pool))]
        s = rng.uniform(0.5, 1.5)
        ch, cw = min(int(h / s) + 1, src.shape[0]), min(int(w / s) + 1, src.shape[1])
        y, x = rng.integers(src.shape[0] - ch + 1), rng.integers(src.shape[1] - cw + 1)
        crop = np.rot90(src[y : y + ch, x : x + cw], int(rng.integers(4)))
        out = np.asarray(Image.fromarray(np.ascontiguousarray(crop)).resize((w, h), Image.Resampling.BICUBIC),
                         np.float32)
    elif kind == 1 or (kind == 0 and not pool):  # flat colour with baked shading (AO-like gradients)
        out = np.broadcast_to(_colour(rng), (h, w, 3)).astype(np.float32)
    elif kind == 2:  # coloured noise (painted grunge)
        n = fractal_noise(rng, h, w, octaves=int(rng.integers(3, 7)), base=int(rng.integers(2, 8)))[..., None]
        out = _colour(rng) * (1 - n) + _colour(rng) * n
    else:  # stripes or checks: trims, fabric, panels
        period = rng.uniform(4, 40)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        a = rng.uniform(0, np.pi)
        t = (xx * np.cos(a) + yy * np.sin(a)) / period
        m = (np.floor(t) % 2) if rng.random() < 0.6 else (np.floor(t) + np.floor(
            (-xx * np.sin(a) + yy * np.cos(a)) / period)) % 2
        out = _colour(rng) * (1 - m[..., None]) + _colour(rng) * m[..., None]
    if rng.random() < 0.7:  # baked light: a smooth multiplier, as in most game atlases
        shade = 0.55 + 0.45 * fractal_noise(rng, h, w, octaves=2, base=2)[..., None]
        out = out * shade
    return np.clip(out, 0, 255)


def _decals(rng: np.random.Generator, canvas: Image.Image, fonts: list[Path]) -> None:
    """Lettering, lines and dots with sharp edges: labels, panel lines, screws."""
    draw = ImageDraw.Draw(canvas)
    w, h = canvas.size
    for _ in range(int(rng.integers(0, 13))):
        colour = tuple(int(v) for v in _colour(rng))
        kind = rng.random()
        if kind < 0.55:
            size = int(rng.integers(8, 64))
            text = "".join(rng.choice(list(GLYPHS), int(rng.integers(2, 14))))
            draw.text((int(rng.integers(w)), int(rng.integers(h))), text, fill=colour, font=_font(rng, fonts, size))
        elif kind < 0.85:
            x0, y0, x1, y1 = rng.integers(0, w, 4)
            draw.line([(int(x0), int(y0)), (int(x1), int(y1))], fill=colour, width=int(rng.integers(1, 5)))
        else:
            x, y, r = int(rng.integers(w)), int(rng.integers(h)), int(rng.integers(2, 14))
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)


def synth_atlas(seed: int, pool: list[np.ndarray], size: int = 512, fonts: list[Path] | None = None) -> np.ndarray:
    """One ``[size, size, 3]`` uint8 atlas from training images ``pool`` (``[H, W, 3]`` uint8)."""
    rng = np.random.default_rng(seed)
    fonts = _fonts() if fonts is None else fonts
    background = rng.choice(3, p=[0.5, 0.3, 0.2])  # black, a flat colour, or edge padding everywhere
    canvas = np.zeros((size, size, 3), np.float32)
    if background == 1:
        canvas[:] = _colour(rng)
    covered = np.zeros((size, size), np.float32)
    for _ in range(int(rng.integers(6, 21))):  # dense, as packers leave little empty space
        ih, iw = (int(v) for v in rng.integers(size // 8, size // 2, 2))
        y, x = int(rng.integers(0, size - ih)), int(rng.integers(0, size - iw))
        mask = _polygon_mask(rng, ih, iw, aliased=rng.random() < 0.4)[..., None]
        fill = _fill(rng, ih, iw, pool)
        region = canvas[y : y + ih, x : x + iw]
        canvas[y : y + ih, x : x + iw] = region * (1 - mask) + fill * mask
        covered[y : y + ih, x : x + iw] = np.maximum(covered[y : y + ih, x : x + iw], mask[..., 0])
    inside = covered > 0.5
    if inside.any() and (background == 2 or rng.random() < 0.4):
        # edge padding (dilation), as bakers write it: every texel outside the islands takes the colour of
        # the nearest island texel, either everywhere or within a few texels' margin
        dist, (iy, ix) = ndimage.distance_transform_edt(~inside, return_indices=True)
        padded = canvas[iy, ix]
        reach = np.inf if background == 2 else rng.integers(2, 16)
        canvas = np.where(((dist > 0) & (dist <= reach))[..., None], padded, canvas)
    img = Image.fromarray(np.clip(canvas + 0.5, 0, 255).astype(np.uint8))
    _decals(rng, img, fonts)
    if rng.random() < 0.2:  # some atlases were themselves resized or baked soft
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    return np.asarray(img)


def write_atlases(folder: Path, count: int, pool: list[np.ndarray], size: int = 512, seed: int = 0) -> list[Path]:
    """Write ``count`` atlases as PNG into ``folder`` (made if needed); existing files are kept."""
    folder.mkdir(parents=True, exist_ok=True)
    fonts = _fonts()
    out = []
    for i in range(count):
        path = folder / f"atlas_{seed + i:05d}.png"
        if not path.exists():  # written whole or not at all, so an interrupted run never leaves a torn atlas
            write_png(path, synth_atlas(seed + i, pool, size, fonts))
        out.append(path)
    return out


SYNTH = "synth:atlases"
"""How a zoo entry names this data in its ``data`` folders (``tools/train_zoo.py`` makes it on demand)."""
COUNT = 200
SIZE = 512
POOL = ("photos", "materials")
"""Folders under the data root whose *train* split paints the islands' scanned content."""


def atlas_folder(root: Path, cache: Path, count: int = COUNT, size: int = SIZE) -> Path:
    """The synthetic atlases for training, made once under ``cache`` from ``root``'s training images.

    The folder's name carries the generator's settings, so a change to them makes a new folder rather
    than mixing atlases of two generators. Any image kind counts (``atlas_*.webp`` too), so a copy
    re-saved as lossless WebP to travel to a GPU machine (docs/GPU.md) is used as it is.
    """
    from texsandwich.recipes import get_recipe
    from texsandwich.sources import read_source, training_sources

    folder = cache / f"atlases-v1-{count}x{size}"
    if len(list(folder.glob("atlas_*.*"))) >= count:
        return folder
    recipe = get_recipe("rgb-hr2")
    folders = [str(root / d) for d in POOL if (root / d).is_dir()]
    files = training_sources(os.pathsep.join(folders), recipe, "train") if folders else []
    pool = [read_source(f, recipe).array for f in files]
    write_atlases(folder, count, pool, size)
    return folder
