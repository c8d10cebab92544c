"""`make demo`: the bundled sample photos through every RGB recipe's zoo model vs the plain codec at equal size.

For each photo and recipe: the sandwich (the recipe's default zoo model, or ``--model none`` when no
weights are installed) at HEIC quality 50, and the plain HEIC baseline (best variant of the recipe:
YCbCr 4:2:0 / 4:4:4, or the gray image for rgb-400) at the quality whose file is closest in size.
Prints bpp, PSNR and the gain, and writes to ``demo_out/``: side-by-side PNGs (original | plain |
sandwich), the decoded bottleneck planes as PNG, and the ``.tsw`` files; then the same for a
procedural PBR material with ``pbr8-400`` (quality = texture-space shaded PSNR, plain = per-component
HEIC), and drives the CLI once (compress a folder and a material, info, unpack, decompress, and a glTF
model compressed and rendered against its original: ``demo_out/torus_renders/contact_sheet.png``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from texsandwich.assets import PBR8, write_material_folder
from texsandwich.container import read_tsw
from texsandwich.distortion import measure
from texsandwich.metrics import psnr
from texsandwich.models import default_model, load_model
from texsandwich.pipeline import baseline, compress, decode_bottleneck
from texsandwich.procedural import procedural_material
from texsandwich.recipes import RECIPES
from texsandwich.shading import eval_directions, shade

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "examples" / "images"
OUT = ROOT / "demo_out"
CODEC, QUALITY = "heic", 50


def plain_at_size(image: np.ndarray, recipe, target: int, quality=psnr) -> tuple[int, np.ndarray, str, int]:
    """The baseline file closest in size to ``target`` bytes over qualities and variants."""
    best = None
    for base in recipe.baselines:
        lo, hi = 0, 100
        while lo < hi:  # smallest quality whose file is at least the target size
            mid = (lo + hi) // 2
            if len(baseline(image, base, CODEC, mid)[0]) < target:
                lo = mid + 1
            else:
                hi = mid
        for q in {max(lo - 1, 0), lo}:
            data, rec = baseline(image, base, CODEC, q)
            cand = (abs(len(data) - target), -quality(rec, image), len(data), rec, base.name, q)
            if best is None or cand[:2] < best[:2]:
                best = cand
    return best[2], best[3], best[4], best[5]


def cli(*args: str) -> None:
    print("$ texsandwich " + " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", "texsandwich", *args], check=True)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    photos = sorted(IMAGES.glob("*.png"))
    print(f"HEIC quality {QUALITY} for the sandwich; plain HEIC at the quality giving the closest file size.\n")
    print(f"{'image':10s} {'recipe':8s} {'model':28s} {'bpp':>6s} {'PSNR':>6s} | {'plain':22s} {'bpp':>6s} "
          f"{'PSNR':>6s} | {'gain dB':>7s}")
    for path in photos:
        image = np.asarray(Image.open(path).convert("RGB"))
        px = image.shape[0] * image.shape[1]
        for recipe in (r for r in RECIPES.values() if r.source_kind == "rgb8"):
            spec = default_model(recipe)
            model = load_model(spec, recipe)
            c = compress(image, recipe, model, CODEC, QUALITY)
            size, rec, name, q = plain_at_size(image, recipe, len(c.data))
            ps, pp = psnr(c.reconstruction, image), psnr(rec, image)
            print(f"{path.stem:10s} {recipe.id:8s} {spec:28s} {8 * len(c.data) / px:6.3f} {ps:6.2f} | "
                  f"{name + f' q{q}':22s} {8 * size / px:6.3f} {pp:6.2f} | {ps - pp:+7.2f}")
            stem = f"{path.stem}.{recipe.id}"
            (OUT / f"{stem}.tsw").write_bytes(c.data)
            side = np.concatenate([image, rec, c.reconstruction], axis=1)
            Image.fromarray(side).save(OUT / f"{stem}.side_by_side.png")
            planes = [p for img in decode_bottleneck(read_tsw(c.data)) for p in img]
            size_wh = (image.shape[1], image.shape[0])
            full = [np.asarray(Image.fromarray(p).resize(size_wh, Image.NEAREST)) for p in planes]
            Image.fromarray(np.concatenate(full, axis=1)).save(OUT / f"{stem}.bottleneck.png")
    print(f"\nWrote {OUT.relative_to(ROOT)}/<image>.<recipe>.side_by_side.png (original | plain | sandwich), "
          "*.bottleneck.png (decoded planes) and *.tsw\n")
    material_demo()
    hdr_demo()
    cli("compress", str(IMAGES), "-o", str(OUT / "cli"), "--recipe", "rgb-420", "--force")
    first = sorted((OUT / "cli").glob("*.tsw"))[0]
    cli("info", str(first))
    cli("unpack", str(first), "-o", str(OUT / "unpacked"), "--force")
    cli("decompress", str(OUT / "cli"), "-o", str(OUT / "png"), "--force")
    # a slower encoder, the same decoder: rgb-hr2 with and without 10 steps of encoder-side optimisation
    for steps in ("0", "10"):
        cli("compress", str(IMAGES / "chelsea.png"), "-o", str(OUT / f"chelsea.hr2.steps{steps}.tsw"),
            "--recipe", "rgb-hr2", "--quality", "50", "--encoder-steps", steps, "--force")
    # a cut-out (a decal or leaf texture): the alpha is coded beside the colour and written back (TGA here)
    rgb = np.asarray(Image.open(IMAGES / "chelsea.png").convert("RGB"))
    yy, xx = np.mgrid[: rgb.shape[0], : rgb.shape[1]]
    alpha = np.where(np.hypot(yy - rgb.shape[0] / 2, xx - rgb.shape[1] / 2) < min(rgb.shape[:2]) / 2.5, 255, 0)
    Image.fromarray(np.dstack([rgb, alpha.astype(np.uint8)])).save(OUT / "cutout.png")
    cli("compress", str(OUT / "cutout.png"), "-o", str(OUT / "cutout.tsw"), "--recipe", "rgb-hr2", "--force")
    cli("decompress", str(OUT / "cutout.tsw"), "-o", str(OUT / "cutout_decoded.tga"), "--force")
    cli("compress", str(OUT / "material"), "-o", str(OUT / "material.tsw"), "--recipe", "pbr8-400", "--force")
    cli("decompress", str(OUT / "material.tsw"), "-o", str(OUT / "material_decoded"), "--force")
    # a glTF model: compress its textures, then render original vs decoded (rendered PSNR, contact sheet)
    torus = ROOT / "texsandwich" / "samples" / "torus" / "torus.gltf"
    cli("compress", str(torus), "-o", str(OUT / "torus") + "/", "--force")
    cli("render", str(torus), "--textures", str(OUT / "torus" / "torus.gltf"), "--views", "4", "--lights", "1",
        "--size", "256", "-o", str(OUT / "torus_renders"), "--force")


def material_demo() -> None:
    """A procedural material through pbr8-400 vs per-component HEIC at equal size, in shaded PSNR."""
    recipe = RECIPES["pbr8-400"]
    mat = procedural_material(384, 384, seed=7, name="material")
    write_material_folder(mat, OUT / "material")
    x = mat.stack(PBR8)
    spec = default_model(recipe)
    c = compress(x, recipe, load_model(spec, recipe), CODEC, QUALITY)

    def shaded(rec: np.ndarray, src: np.ndarray) -> float:
        return measure("shaded", rec, src)["psnr"]

    size, rec, name, q = plain_at_size(x, recipe, len(c.data), shaded)
    px = x.shape[0] * x.shape[1]
    ps, pp = shaded(c.reconstruction, x), shaded(rec, x)
    print(f"\n{'material':10s} {'recipe':8s} {'model':14s} {'bpp':>6s} {'shaded':>6s} | {'plain':22s} {'bpp':>6s} "
          f"{'shaded':>6s} | {'gain dB':>7s}")
    print(f"{'procedural':10s} {recipe.id:8s} {spec:14s} {8 * len(c.data) / px:6.3f} {ps:6.2f} | "
          f"{name + f' q{q}':22s} {8 * size / px:6.3f} {pp:6.2f} | {ps - pp:+7.2f}")
    light, view = eval_directions(8)
    views = []
    for m in (x, rec, c.reconstruction):
        t = torch.from_numpy(m).permute(2, 0, 1)[None].double()
        views.append(shade(t, light[:1].double(), view[:1].double())[0, 0].permute(1, 2, 0).round().byte().numpy())
    Image.fromarray(np.concatenate(views, axis=1)).save(OUT / "material.shaded_side_by_side.png")
    print(f"Wrote {OUT.relative_to(ROOT)}/material.shaded_side_by_side.png (shaded: original | plain | sandwich)\n")


def hdr_demo() -> None:
    """A generated HDR scene (EXR through PQ) through hdr-444 vs the top 8 bits through HEIC at equal size."""
    from texsandwich.hdr.io import HdrSource, write_exr
    from texsandwich.hdr.transfer import linear_psnr, linear_to_pq16, pq16_to_linear
    from texsandwich.pipeline import lossless
    from texsandwich.procedural import hdr_scene

    recipe = RECIPES["hdr-444"]
    lin = hdr_scene(256, 320, seed=4)
    write_exr(OUT / "hdr_scene.exr", lin)
    x = linear_to_pq16(lin)
    spec = default_model(recipe)
    c = compress(x, recipe, load_model(spec, recipe), CODEC, 90, hdr=HdrSource("exr", "pq"))
    size, rec, name, q = plain_at_size(x, recipe, len(c.data))
    px = x.shape[0] * x.shape[1]
    ceiling = psnr(lossless(x, "top8"), x)
    print(f"{'HDR scene':10s} {'recipe':8s} {'model':14s} {'bpp':>6s} {'PSNR16':>6s} {'linear':>6s} | "
          f"{'plain':12s} {'bpp':>6s} {'PSNR16':>6s} {'linear':>6s} | top-8 lossless {ceiling:.2f} dB")
    print(f"{'generated':10s} {recipe.id:8s} {spec:14s} {8 * len(c.data) / px:6.3f} {psnr(c.reconstruction, x):6.2f} "
          f"{linear_psnr(c.reconstruction, x):6.2f} | {name + f' q{q}':12s} {8 * size / px:6.3f} {psnr(rec, x):6.2f} "
          f"{linear_psnr(rec, x):6.2f} |")
    write_exr(OUT / "hdr_scene.decoded.exr", pq16_to_linear(c.reconstruction))

    def view(signal: np.ndarray, stops: float) -> np.ndarray:  # an exposure of the linear image, sRGB-ish gamma
        return (np.clip(pq16_to_linear(signal) * 2.0**stops, 0, 1) ** (1 / 2.2) * 255).round().astype(np.uint8)

    rows = [np.concatenate([view(a, s) for a in (x, rec, c.reconstruction)], axis=1) for s in (0, 3)]
    Image.fromarray(np.concatenate(rows, axis=0)).save(OUT / "hdr_scene.side_by_side.png")
    print(f"Wrote {OUT.relative_to(ROOT)}/hdr_scene.exr, hdr_scene.decoded.exr and hdr_scene.side_by_side.png "
          "(original | top 8 bits | sandwich; exposure 0 and +3 stops, where banding shows)\n")


if __name__ == "__main__":
    main()
