"""Renders for docs/blender.md: the generated scene before and after a round trip through the add-on.

Runs in the Blender venv (``make test-blender`` creates it)::

    TEXSANDWICH_CLI=.venv/bin/texsandwich .venv-blender/bin/python tools/blender_screenshots.py -o docs/images

Builds the add-on's test scene (generated sphere and cubes, generated 512² textures), renders it with
Cycles (CPU, headless), exports it with File › Export › glTF with texsandwich textures, imports the
result into an empty file, renders again with the same camera, light and seed, and writes
``blender-roundtrip.png`` (original | compressed | 8x difference) and ``blender-report.txt``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "blender_addon"), str(ROOT / "blender_addon" / "tests")]

import bpy  # noqa: E402
import numpy as np  # noqa: E402
import scene  # noqa: E402


def stage(size: tuple[int, int], samples: int) -> None:
    """Camera, sun, grey world, Cycles: the same for both renders."""
    bpy.ops.object.camera_add(location=(1.25, -7.0, 1.6), rotation=(1.36, 0, 0))
    bpy.context.scene.camera = bpy.context.active_object
    bpy.ops.object.light_add(type="SUN", rotation=(0.9, 0.1, 0.5))
    bpy.context.active_object.data.energy = 4.0
    world = bpy.data.worlds.new("grey")
    world.color = (0.25, 0.25, 0.27)
    s = bpy.context.scene
    s.world = world
    s.render.engine = "CYCLES"
    s.cycles.device, s.cycles.samples, s.cycles.seed = "CPU", samples, 1
    s.render.resolution_x, s.render.resolution_y = size
    s.render.resolution_percentage = 100


def render(path: Path) -> np.ndarray:
    from texsandwich_blender.pixels import image_array

    bpy.context.scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    img = bpy.data.images.load(str(path))
    a = image_array(img)[..., :3]
    bpy.data.images.remove(img)
    return a


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "images")
    ap.add_argument("--quality", type=int, default=50)
    ap.add_argument("--texture-size", type=int, default=512)
    ap.add_argument("--samples", type=int, default=32)
    args = ap.parse_args()
    import addon_utils  # importable once bpy is
    from texsandwich_blender.pixels import write_png

    args.output.mkdir(parents=True, exist_ok=True)
    scene.build_scene(procedural=False, size=args.texture_size)
    addon_utils.enable("texsandwich_blender", default_set=True, handle_error=None)
    size = (640, 300)
    with tempfile.TemporaryDirectory() as tmp:
        stage(size, args.samples)
        before = render(Path(tmp) / "before.png")
        r = bpy.ops.export_scene.texsandwich_gltf(filepath=str(Path(tmp) / "export" / "scene.gltf"),
                                                  quality=args.quality)
        assert r == {"FINISHED"}, r
        report = bpy.data.texts["texsandwich report"].as_string()
        scene.reset()
        assert bpy.ops.import_scene.texsandwich_gltf(filepath=str(Path(tmp) / "export" / "scene.gltf")) == {
            "FINISHED"}
        stage(size, args.samples)
        after = render(Path(tmp) / "after.png")
    diff = np.clip(np.abs(before.astype(int) - after.astype(int)) * 8, 0, 255).astype(np.uint8)
    gap = np.full((before.shape[0], 6, 3), 255, np.uint8)
    write_png(args.output / "blender-roundtrip.png", np.concatenate([before, gap, after, gap, diff], axis=1))
    mse = ((before.astype(float) - after.astype(float)) ** 2).mean()
    psnr = 10 * np.log10(255**2 / mse) if mse else float("inf")
    report += f"\nrendered (Cycles, {args.samples} samples, same seed) PSNR original vs compressed: {psnr:.2f} dB\n"
    (args.output / "blender-report.txt").write_text(report.replace(tmp, "OUT"))
    print(report)


if __name__ == "__main__":
    main()
