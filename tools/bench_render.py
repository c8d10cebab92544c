"""Render throughput of the evaluation renderer on a 100K-triangle asset with 2K maps (a benchmark).

    .venv/bin/python tools/bench_render.py [--triangles 100000] [--texture 2048] [--size 512]
        [--views 8] [--lights 2] [--ssaa 2] [--backend egl] [--json out.json]

The asset is generated (a torus with a procedural 2K material), so no data is needed. Frames/s
counts every (view, light) image of a full ``Renderer.render`` including rasterising the G-buffers,
and separately the re-render of a second set of maps from cached G-buffers (what ``eval --render``
pays per rate point).
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--triangles", type=int, default=100_000)
    ap.add_argument("--texture", type=int, default=2048)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--views", type=int, default=8)
    ap.add_argument("--lights", type=int, default=2)
    ap.add_argument("--ssaa", type=int, default=2)
    ap.add_argument("--backend", default="egl")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()

    import torch

    from texsandwich.gltf import write_mesh_gltf
    from texsandwich.procedural import procedural_material, torus
    from texsandwich.shading.mesh import load_mesh
    from texsandwich.shading.render import Renderer, load_materials

    seg = math.ceil(math.sqrt(a.triangles / 2))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.gltf"
        write_mesh_gltf(path, *torus(seg, seg), procedural_material(a.texture, a.texture, seed=2, name="bench"))
        t0 = time.perf_counter()
        mesh = load_mesh(path)
        materials = load_materials(path)
        load_s = time.perf_counter() - t0
    r = Renderer(mesh, size=a.size, views=a.views, lights=a.lights, ssaa=a.ssaa, backend=a.backend)
    frames = a.views * a.lights
    t0 = time.perf_counter()
    r.render(materials)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    r.render(materials)
    again = time.perf_counter() - t0
    out = {"backend": r.backend, "triangles": mesh.triangle_count, "texture": a.texture, "size": a.size,
           "ssaa": a.ssaa, "views": a.views, "lights": a.lights, "threads": torch.get_num_threads(),
           "load_seconds": round(load_s, 2), "frames_per_second": round(frames / first, 2),
           "frames_per_second_cached_gbuffers": round(frames / again, 2)}
    print(json.dumps(out, indent=1))
    if a.json:
        a.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
