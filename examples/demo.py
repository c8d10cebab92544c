"""`make demo`: compress the bundled sample photos with every RGB recipe and compare with the plain codec.

For now the sandwich runs with ``--model none`` (each recipe's fixed plain-codec adaptation); learned
models replace it without changing this script. It also drives the CLI end to end (compress a folder,
inspect, unpack the standard HEIC files, decompress to PNG) into ``out/demo/``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from texsandwich.models import load_model
from texsandwich.pipeline import baseline, compress, psnr
from texsandwich.recipes import RECIPES

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "examples" / "images"
OUT = ROOT / "out" / "demo"
QUALITY = 50


def cli(*args: str) -> None:
    cmd = [sys.executable, "-m", "texsandwich", *args]
    print("$ texsandwich " + " ".join(args), flush=True)
    subprocess.run(cmd, check=True)


def main() -> None:
    photos = sorted(IMAGES.glob("*.png"))
    print(f"Sample photos: {', '.join(p.name for p in photos)}; HEIC and JPEG at quality {QUALITY}.")
    print("Rows compare settings, not equal rates: R-D curves and BD-rate come from 'texsandwich eval'.\n")
    print(f"{'image':10s} {'recipe':8s} {'codec':5s} {'what':18s} {'bytes':>8s} {'bpp':>6s} {'PSNR dB':>8s}")
    for path in photos:
        image = np.asarray(Image.open(path).convert("RGB"))
        pixels = image.shape[0] * image.shape[1]
        for recipe in RECIPES.values():
            model = load_model("none", recipe)
            for codec in ("heic", "jpeg"):
                rows = []
                c = compress(image, recipe, model, codec, QUALITY)
                rows.append(("sandwich (none)", len(c.data), psnr(c.reconstruction, image)))
                for base in recipe.baselines:
                    data, rec = baseline(image, base, codec, QUALITY)
                    rows.append((f"plain {base.name}", len(data), psnr(rec, image)))
                for what, size, db in rows:
                    bpp = 8 * size / pixels
                    print(f"{path.stem:10s} {recipe.id:8s} {codec:5s} {what:18s} {size:8d} {bpp:6.3f} {db:8.2f}")
    print()
    OUT.mkdir(parents=True, exist_ok=True)
    cli("compress", str(IMAGES), "-o", str(OUT / "tsw"), "--recipe", "rgb-420", "--quality", str(QUALITY), "--force")
    first = sorted((OUT / "tsw").glob("*.tsw"))[0]
    cli("info", str(first))
    cli("unpack", str(first), "-o", str(OUT / "unpacked"), "--force")
    cli("decompress", str(OUT / "tsw"), "-o", str(OUT / "png"), "--force")
    print(f"\nOutputs in {OUT.relative_to(ROOT)}/: .tsw files, the standard HEIC images inside one, decoded PNGs.")


if __name__ == "__main__":
    main()
