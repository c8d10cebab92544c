"""``texsandwich render``: an asset (and optionally a decoded or compressed version of its textures) to
renders, a contact sheet and rendered-PSNR metrics.

What can be rendered: a glTF (``.gltf``/``.glb``; a compressed one is decoded first), or -- to preview
a material without a mesh -- a material folder or a material ``.tsw`` on a generated UV sphere.
What ``--textures`` may point at: a decoded or compressed glTF of the same asset (materials matched by
index), a folder holding one, or, for an asset with a single textured material, a material folder or
a material ``.tsw``.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from texsandwich.assets import Material, is_material_folder, read_material_folder
from texsandwich.decoding import Decoder, read_tsw_file
from texsandwich.errors import InputError, UsageError
from texsandwich.fsutil import atomic_write
from texsandwich.gltf import GLTF_SUFFIXES, compressed_tsw_files, read_gltf, write_decompressed_gltf, write_mesh_gltf
from texsandwich.images import encode_png
from texsandwich.shading.mesh import load_mesh, uv_sphere
from texsandwich.shading.render import Renderer, Renders, contact_sheet, load_materials, render_psnr


@dataclass
class RenderOptions:
    views: int = 8
    lights: int = 2
    size: int = 512
    backend: str = "auto"
    seed: int = 0
    ssaa: int = 2


SPHERE = "preview_sphere.gltf"
"""The glTF a material folder or material ``.tsw`` is rendered on (written into the render's work folder)."""


@contextlib.contextmanager
def _sphere_said_once() -> Iterator[None]:
    """Reading the generated sphere glTF again repeats every warning its material's folder or ``.tsw`` gave
    when it was read (as ``preview_sphere.gltf:NAME: ...``): those are left out."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=rf".*{re.escape(SPHERE)}:")
        yield


def _sphere_gltf(material: Material, folder: Path) -> Path:
    path = folder / SPHERE
    write_mesh_gltf(path, *uv_sphere(64, 32), material, "preview_sphere")
    return path


def renderable(path: Path, work: Path, decoder: Decoder) -> Path:
    """A plain glTF to render for ``path`` (decoding a compressed glTF, or a material on a sphere)."""
    path = Path(path)
    if path.suffix.lower() in GLTF_SUFFIXES:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        if path.suffix.lower() == ".gltf" and compressed_tsw_files(path):
            out = work / f"decoded-{len(list(work.iterdir()))}" / path.name
            write_decompressed_gltf(path, out, decoder.maps)
            return out
        return path
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in GLTF_SUFFIXES)
        if len(found) == 1:
            return renderable(found[0], work, decoder)
        if is_material_folder(path):
            sub = work / f"sphere-{len(list(work.iterdir()))}"
            return _sphere_gltf(read_material_folder(path), sub)
        raise InputError(f"{path}: neither a material folder nor a folder with one .gltf/.glb")
    if path.suffix.lower() == ".tsw":
        tsw = read_tsw_file(path)
        sub = work / f"sphere-{len(list(work.iterdir()))}"
        return _sphere_gltf(decoder.material(tsw, path.stem), sub)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    raise InputError(f"{path}: cannot render this; give a .gltf/.glb, a material folder or a material .tsw")


def replacement_maps(asset: Path, textures: Path, work: Path, decoder: Decoder) -> dict[int, dict[str, np.ndarray]]:
    """Material index -> maps of the asset's materials as ``textures`` has them."""
    _, mats = read_gltf(asset, require=False, warn_fill=False, warn_resample=False)
    textures = Path(textures)
    single = (textures.suffix.lower() == ".tsw" or (textures.is_dir() and is_material_folder(textures)
                                                    and not any(p.suffix.lower() in GLTF_SUFFIXES
                                                                for p in textures.iterdir())))
    if single:
        if len(mats) != 1:
            raise InputError(f"{textures}: one material's maps, but {asset.name} has {len(mats)} textured materials; "
                             "give the decoded or compressed glTF instead")
        material = (decoder.material(read_tsw_file(textures), textures.stem) if textures.suffix.lower() == ".tsw"
                    else read_material_folder(textures))
        maps = material.maps()
        return dict.fromkeys(mats[0].material_indices, maps)
    other = renderable(textures, work, decoder)
    g_asset, _ = read_gltf(asset, require=False, warn_fill=False, warn_resample=False)
    g_other, other_mats = read_gltf(other, require=False, warn_fill=False, warn_resample=False)
    if len(g_asset.materials or []) != len(g_other.materials or []):
        raise InputError(f"{textures}: has {len(g_other.materials or [])} materials, {asset.name} has "
                         f"{len(g_asset.materials or [])}; is it a version of the same asset?")
    return {mi: gm.material.maps() for gm in other_mats for mi in gm.material_indices}


def _write_frames(renders: Renders, folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for vi in range(renders.images.shape[0]):
        for li in range(renders.images.shape[1]):
            name = f"view{vi:02d}_light{li:02d}.png"
            atomic_write(folder / name, encode_png(renders.images[vi, li]))
            names.append(name)
    return names


def render_asset(asset: Path, textures: Path | None, out_dir: Path, options: RenderOptions, force: bool = False,
                 model_spec: str | None = None) -> dict[str, object]:
    """Render ``asset`` (and ``textures``) into ``out_dir``; returns the metrics written to metrics.json.

    Everything is written into a temporary sibling folder first and renamed at the end, so an
    interrupted render leaves no half-filled output folder.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise UsageError(f"{out_dir} exists; pass --force to replace it")
    started = time.monotonic()
    decoder = Decoder(model_spec)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".render-", dir=out_dir.parent) as tmp:
        work = Path(tmp) / "work"
        stage = Path(tmp) / "out"
        work.mkdir()
        stage.mkdir()
        gltf = renderable(Path(asset), work, decoder)
        with _sphere_said_once():
            replace = replacement_maps(gltf, textures, work, decoder) if textures is not None else None
        mesh = load_mesh(gltf)
        renderer = Renderer(mesh, options.size, options.views, options.lights, options.seed, options.backend,
                            options.ssaa)
        with _sphere_said_once():
            base = load_materials(gltf)
        original = renderer.render(base)
        del base
        metrics: dict[str, object] = {
            "asset": str(asset), "textures": None if textures is None else str(textures), "backend": renderer.backend,
            "triangles": mesh.triangle_count, "views": options.views, "lights": options.lights,
            "size": options.size, "ssaa": options.ssaa, "seed": options.seed,
            "cameras": [c.position.round(6).tolist() for c in renderer.cameras],
            "light_directions": [np.round(lt, 6).tolist() for lt in renderer.lights],
            "coverage": float(original.coverage.mean()),
        }
        if replace is None:
            metrics["frames"] = _write_frames(original, stage)
        else:
            with _sphere_said_once():
                swapped = load_materials(gltf, replace)
            decoded = renderer.render(swapped)
            _write_frames(original, stage / "original")
            _write_frames(decoded, stage / "decoded")
            contact_sheet(original, decoded, stage / "contact_sheet.png")
            m = render_psnr(original, decoded)
            metrics.update(psnr=m["psnr"], mse=m["mse"], per_view=per_view(m), frames=m["frames"])
        renderer.close()
        metrics["seconds"] = round(time.monotonic() - started, 2)
        atomic_write(stage / "metrics.json", (json.dumps(metrics, indent=1) + "\n").encode())
        if out_dir.exists():
            shutil.rmtree(out_dir)
        stage.rename(out_dir)
    return metrics


def per_view(m: dict) -> list[dict[str, object]]:
    """Rendered PSNR per view (all its lights pooled)."""
    from texsandwich.shading.render import psnr_of

    out = []
    views = sorted({f["view"] for f in m["frames"]})
    for v in views:
        fr = [f for f in m["frames"] if f["view"] == v]
        n = sum(f["pixels"] for f in fr)
        mse = sum(f["mse"] * f["pixels"] for f in fr) / max(n, 1)
        out.append({"view": v, "mse": mse, "psnr": psnr_of(mse)})
    return out


class RenderedQuality:
    """Rendered PSNR of a reconstructed material in its glTF, for ``eval --render``.

    One renderer (G-buffers rasterised once) per asset and one reference render per material; a
    reconstruction replaces only that material's maps, and PSNR counts only the pixels it covers, so
    each material of a multi-material asset is judged where it shows.
    """

    def __init__(self, recipe, options: RenderOptions) -> None:
        self.recipe, self.options = recipe, options
        self._assets: dict[Path, tuple[Renderer, object]] = {}
        self._reference: dict[tuple[Path, tuple[int, ...]], Renders] = {}

    def _asset(self, path: Path):
        if path not in self._assets:
            from texsandwich.shading.render import SceneMaterials

            o = self.options
            self._assets[path] = (Renderer(load_mesh(path), o.size, o.views, o.lights, o.seed, o.backend, o.ssaa),
                                  SceneMaterials(path))
        return self._assets[path]

    def maps(self, rec: np.ndarray, src) -> dict[str, np.ndarray]:
        """The material's maps with the reconstruction in place of what the recipe codes."""
        from texsandwich.assets import PBR8

        maps = src.material.maps()
        if self.recipe.source_kind == "normal":
            maps["normal"] = rec
        else:
            maps.update(Material.from_stack(src.name, rec, PBR8).maps())
        return maps

    def __call__(self, rec: np.ndarray, src) -> float | None:
        """Rendered PSNR (dB, None when identical) of ``rec``; None for sources without a mesh."""
        if src.asset is None:
            return None
        renderer, scene = self._asset(src.asset)
        region = set(src.material_indices)
        key = (src.asset, src.material_indices)
        if key not in self._reference:
            self._reference[key] = renderer.render(scene.base, region)
        maps = self.maps(rec, src)
        test = renderer.render(scene.replaced(dict.fromkeys(src.material_indices, maps)), region)
        return render_psnr(self._reference[key], test)["psnr"]

    def close(self) -> None:
        for r, _ in self._assets.values():
            r.close()
        self._assets.clear()
