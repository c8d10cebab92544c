"""The long jobs of the add-on: export a scene, import a compressed glTF, compress a material or a world's
environment image.

Each job is ``begin`` (checks and quick Blender work, then start the CLI), ``update`` (read the CLI's
events; True when it has exited), ``finish`` (move results into place, touch the scene) and
``cancel``. The operators drive them from a timer (interactive) or a loop (background mode), so the
logic is the same in both. Nothing reaches its destination before ``finish``: the CLI writes into a
staging folder beside the destination and its files are renamed in only when it succeeded, so a
cancelled or failed export leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import bpy
import numpy as np

from .cli import CliError, CliJob, check_cli, version_string
from .nodes import RoleImage, is_procedural, material_roles, udim_images, world_environment
from .pixels import image_array, set_pixels, write_png
from .report import TEXT_NAME, format_report, human_bytes

TEXTURE_KEYS = ("normalTexture", "occlusionTexture", "emissiveTexture")
PBR_KEYS = ("baseColorTexture", "metallicRoughnessTexture")
PROP = "texsandwich"
"""Custom property on materials (what was compressed) and on Image Texture nodes (the original image)."""


def _has_material_textures(gltf: dict) -> bool:
    for m in gltf.get("materials", []):
        pbr = m.get("pbrMetallicRoughness", {})
        if any(k in m for k in TEXTURE_KEYS[:2]) or any(k in pbr for k in PBR_KEYS):
            return True
    return False


def _write_text(text: str) -> None:
    block = bpy.data.texts.get(TEXT_NAME) or bpy.data.texts.new(TEXT_NAME)
    block.clear()
    block.write(text)


def _move_tree(src: Path, dst: Path, last_suffix: str = ".gltf") -> list[Path]:
    """Rename every file of ``src`` into ``dst`` (same file system), ``last_suffix`` files last."""
    files = sorted((p for p in src.rglob("*") if p.is_file()), key=lambda p: (p.suffix == last_suffix, str(p)))
    moved = []
    for f in files:
        target = dst / f.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(f, target)
        moved.append(target)
    return moved


def _has_option(op, name: str) -> bool:
    """Whether an operator has a property (the glTF add-on's options differ across Blender versions)."""
    return op.get_rna_type().properties.find(name) >= 0


def _rmtree(path: Path | None) -> None:
    if path is not None and path.exists():
        shutil.rmtree(path, ignore_errors=True)


class Job:
    """Shared progress state and event handling."""

    title = "texsandwich"

    def __init__(self, cli: Path) -> None:
        self.cli = cli
        self.job: CliJob | None = None
        self.fraction = 0.0
        self.status = self.title
        self.notes: list[str] = []
        self.materials: list[dict] = []
        self.cli_version: tuple[int, ...] | None = None
        """What the CLI's ``--version`` said when the operator found it (None: not asked yet)."""

    def handle(self, ev: dict) -> None:
        kind = ev.get("event")
        if kind == "material":
            self.materials.append(ev)
        elif kind == "step":
            self.fraction = 0.05 + 0.9 * ev["done"] / max(1, ev["total"])
            self.status = f"{self.title}: {ev['what']} ({ev['done']}/{ev['total']})"
        elif kind == "asset":
            self.fraction = max(self.fraction, 0.05 + 0.9 * ev["done"] / max(1, ev["total"]))
        elif kind == "warning":
            self.notes.append(f"warning: {ev['message']}")

    def update(self) -> bool:
        if self.job is None:
            return True
        for ev in self.job.poll():
            self.handle(ev)
        return self.job.finished

    def check_cli_result(self) -> None:
        if self.job is not None:
            for ev in self.job.poll():
                self.handle(ev)
            if self.job.process is not None and self.job.process.returncode != 0:
                raise CliError(self.job.error_line())

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
        self.cleanup()

    def cleanup(self) -> None:
        pass


class ExportJob(Job):
    """Scene -> Blender's glTF export (temp folder) -> ``texsandwich compress`` -> staging -> destination."""

    title = "texsandwich export"

    def __init__(self, cli: Path, filepath: str, quality: int, codec: str, recipe: str, use_selection: bool,
                 target_psnr: float | None = None) -> None:
        super().__init__(cli)
        self.out = Path(filepath).with_suffix(".gltf")
        self.quality, self.codec, self.recipe, self.use_selection = quality, codec, recipe, use_selection
        self.target_psnr = target_psnr
        self.tmp: Path | None = None
        self.staging: Path | None = None
        self.written: list[Path] = []

    def _materials(self, context) -> list:
        objs = context.selected_objects if self.use_selection else context.scene.objects
        mats = {s.material for o in objs for s in getattr(o, "material_slots", []) if s.material}
        return sorted(mats, key=lambda m: m.name)

    def begin(self, context) -> None:
        outdir = self.out.parent
        try:
            outdir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CliError(f"{outdir}: cannot create the export folder ({e.strerror})") from None
        if not os.access(outdir, os.W_OK):
            raise CliError(f"{outdir}: the export folder is not writable")
        mats = self._materials(context)
        tiled = udim_images(mats)
        if tiled:
            raise CliError(f"UDIM tiles are not supported yet (image {', '.join(tiled)}): bake them to one image "
                           "or leave those objects out of the export")
        for m in mats:
            if is_procedural(m):
                self.notes.append(f"material {m.name}: procedural textures (no image) are not exported by glTF; "
                                  "it is exported without textures, uncompressed")
            elif not material_roles(m) and any(n.bl_idname == "ShaderNodeTexImage" for n in m.node_tree.nodes):
                self.notes.append(f"material {m.name}: its images feed no glTF PBR input; exported as Blender's "
                                  "glTF exporter does, uncompressed")
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=f".{self.out.stem}.texsandwich-", dir=outdir))
        except OSError as e:
            raise CliError(f"{outdir}: the export folder is not writable ({e.strerror})") from None
        self.tmp = Path(tempfile.mkdtemp(prefix="texsandwich-export-"))
        src = self.tmp / self.out.name
        self.status = f"{self.title}: writing glTF"
        result = bpy.ops.export_scene.gltf(filepath=str(src), export_format="GLTF_SEPARATE",
                                           use_selection=self.use_selection, export_image_format="AUTO")
        if "FINISHED" not in result or not src.is_file():
            self.cleanup()
            raise CliError("Blender's glTF exporter failed (see the console)")
        gltf = json.loads(src.read_text())
        if not _has_material_textures(gltf):
            self.notes.append("no material with image textures: the glTF is exported uncompressed")
            _move_tree(self.tmp, self.staging)
            return
        args = [str(self.cli), "compress", str(src), "-o", str(self.staging), "--progress", "json",
                *_rate_args(self.quality, self.target_psnr), "--codec", self.codec]
        if self.recipe != "AUTO":
            args += ["--recipe", self.recipe]
        self.fraction = 0.05
        self.status = f"{self.title}: compressing textures"
        self.job = CliJob(args).start()

    def finish(self, context) -> str:
        try:
            self.check_cli_result()
            assert self.staging is not None
            self.written = _move_tree(self.staging, self.out.parent)
        finally:
            self.cleanup()
        title = f"texsandwich export: {self.out}"
        text, summary = format_report(self.materials, self.notes, title)
        if not self.materials:
            summary = f"texsandwich: exported {self.out.name} uncompressed (no image textures)"
        _write_text(text)
        self.fraction = 1.0
        return summary

    def cleanup(self) -> None:
        _rmtree(self.tmp)
        _rmtree(self.staging)
        self.tmp = self.staging = None


class ImportJob(Job):
    """``texsandwich decompress`` into a temp folder -> Blender's glTF importer (images packed)."""

    title = "texsandwich import"

    def __init__(self, cli: Path, filepath: str) -> None:
        super().__init__(cli)
        self.src = Path(filepath)
        self.tmp: Path | None = None
        self.target: Path = self.src

    def begin(self, context) -> None:
        if not self.src.is_file():
            raise CliError(f"{self.src}: no such file")
        try:
            gltf = json.loads(self.src.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise CliError(f"{self.src}: not a glTF (.gltf JSON) file") from None
        compressed = any(isinstance(i.get("extras"), dict) and PROP in i["extras"] for i in gltf.get("images", []))
        if not compressed:
            self.notes.append(f"{self.src.name} has no texsandwich textures; imported as it is")
            return
        self.tmp = Path(tempfile.mkdtemp(prefix="texsandwich-import-"))
        self.target = self.tmp / self.src.with_suffix(".gltf").name
        self.status = f"{self.title}: decoding textures"
        self.job = CliJob([str(self.cli), "decompress", str(self.src), "-o", str(self.target),
                           "--progress", "json"]).start()

    def finish(self, context) -> str:
        try:
            self.check_cli_result()
            before = set(bpy.data.images)
            pack = _has_option(bpy.ops.import_scene.gltf, "import_pack_images")  # 3.6 packs below instead
            options = {"import_pack_images": True} if pack else {}
            result = bpy.ops.import_scene.gltf(filepath=str(self.target), **options)
            if "FINISHED" not in result:
                raise CliError("Blender's glTF importer failed (see the console)")
            new = [i for i in bpy.data.images if i not in before]
            for img in new:  # packed: the temp files go; keep the name the file had, not the temp path
                if img.packed_file is None and img.source == "FILE":
                    img.pack()
                img.filepath = "//" + Path(img.filepath).name
        finally:
            self.cleanup()
        self.fraction = 1.0
        return f"texsandwich: imported {self.src.name}, {len(new)} texture(s) decoded" + (
            f" ({self.notes[0]})" if self.notes else "")

    def cleanup(self) -> None:
        _rmtree(self.tmp)
        self.tmp = None


SIZE_VERSION = (0, 6, 11)
"""The CLI that takes ``--target-size`` for glTF models (a Size budget)."""


def _rate_args(quality: int, target: float | str | None) -> list[str]:
    """The CLI's rate options: a PSNR target (a number), a size budget (a string such as ``"4M"``), or the
    quality."""
    if isinstance(target, str):
        return ["--target-size", target]
    return ["--target-psnr", f"{target:g}"] if target else ["--quality", str(quality)]


def rate_record(target: float | str | None) -> dict:
    """What a compressed material or world records of its rate setting (the panel shows it)."""
    if isinstance(target, str):
        return {"target_psnr": 0.0, "target_size": target}
    return {"target_psnr": float(target or 0.0)}


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:60] or "material"


class CompressThenDecode(Job):
    """A job of two CLI runs, as the material and world panels need: compress, then decompress what it
    wrote (:meth:`decode_command`), reporting the first run's events and both runs' warnings."""

    stage = "compress"

    def decode_command(self) -> tuple[list[str], str]:
        """The ``decompress`` arguments (sources and ``-o``) and what the status line calls the asset."""
        raise NotImplementedError

    def handle(self, ev: dict) -> None:
        if self.stage == "compress" or ev.get("event") == "warning":
            super().handle(ev)

    def update(self) -> bool:
        done = super().update()
        if done and self.stage == "compress":
            self.check_cli_result()
            self.stage = "decompress"
            self.fraction = 0.6
            args, name = self.decode_command()
            self.status = f"{self.title}: decoding {name}"
            self.job = CliJob([str(self.cli), "decompress", *args, "--progress", "json"]).start()
            return False
        return done


class MaterialJob(CompressThenDecode):
    """Compress one material's image textures in place: its maps -> a one-material glTF -> compress ->
    decompress -> the decoded images replace the originals in the node tree (originals kept for revert).

    Storage: next to the saved .blend (``//texsandwich/MATERIAL/``: the ``.tsw`` files and decoded PNGs)
    or packed into the .blend when it was never saved or ``pack`` is asked.
    """

    title = "texsandwich material"

    def __init__(self, cli: Path, material, quality: int, codec: str, pack: bool,
                 target_psnr: float | None = None, recipe: str = "AUTO") -> None:
        super().__init__(cli)
        self.material = material
        self.quality, self.codec, self.target_psnr, self.recipe = quality, codec, target_psnr, recipe
        self.pack = pack or not bpy.data.filepath
        self.roles: list[RoleImage] = []
        self.tmp: Path | None = None

    def begin(self, context) -> None:
        if self.material.get(PROP):
            raise CliError(f"material {self.material.name} is already compressed; revert it first")
        self.roles = material_roles(self.material)
        if not self.roles:
            raise CliError(f"material {self.material.name} has no image texture in a glTF PBR input "
                           "(Base Color, Normal Map, Roughness/Metallic, occlusion)")
        tiled = [r.node.image.name for r in self.roles if r.node.image.source == "TILED"]
        if tiled:
            raise CliError(f"UDIM tiles are not supported yet (image {', '.join(tiled)})")
        self.tmp = Path(tempfile.mkdtemp(prefix="texsandwich-material-"))
        src = self.tmp / "src"
        src.mkdir()
        images, mat = [], {"name": self.material.name, "pbrMetallicRoughness": {}}
        index: dict[str, int] = {}
        for r in self.roles:
            try:
                a = image_array(r.node.image)
            except ValueError as e:
                raise CliError(str(e)) from None
            if r.role == "roughness":  # a gray roughness image goes as glTF's metallic-roughness (G)
                a = np.stack([np.full_like(a[..., 0], 255), a[..., 0], np.zeros_like(a[..., 0])], axis=-1)
            elif r.role == "albedo" and r.node.outputs["Alpha"].is_linked and (a[..., 3] != 255).any():
                mat["alphaMode"] = "BLEND"  # the material uses the image's alpha: the CLI codes it and gives it back
            else:
                a = a[..., :3]
            name = f"{len(images)}_{_safe(r.node.image.name)}.png"
            write_png(src / name, a)
            index[r.role] = len(images)
            images.append({"uri": name, "name": r.node.image.name})
        pbr = mat["pbrMetallicRoughness"]
        for role, i in index.items():
            if role == "albedo":
                pbr["baseColorTexture"] = {"index": i}
            elif role == "normal":
                mat["normalTexture"] = {"index": i}
            elif role in ("mr", "orm", "roughness"):
                pbr["metallicRoughnessTexture"] = {"index": i}
                if role == "orm":
                    mat["occlusionTexture"] = {"index": i}
            elif role == "occlusion":
                mat["occlusionTexture"] = {"index": i}
        gltf = {"asset": {"version": "2.0", "generator": "texsandwich Blender add-on"}, "materials": [mat],
                "images": images, "textures": [{"source": i} for i in range(len(images))]}
        (src / "material.gltf").write_text(json.dumps(gltf, indent=1))
        self.status = f"{self.title}: compressing {self.material.name}"
        self.job = CliJob([str(self.cli), "compress", str(src / "material.gltf"), "-o", str(self.tmp / "tsw"),
                           "--progress", "json", *_rate_args(self.quality, self.target_psnr),
                           "--codec", self.codec, *(["--recipe", self.recipe] if self.recipe != "AUTO" else [])
                           ]).start()

    def decode_command(self) -> tuple[list[str], str]:
        assert self.tmp is not None
        return [str(self.tmp / "tsw" / "material.gltf"), "-o", str(self.tmp / "decoded" / "material.gltf")], \
            self.material.name

    def finish(self, context) -> str:
        try:
            self.check_cli_result()
            assert self.tmp is not None
            report = self.materials[0]
            decoded = json.loads((self.tmp / "decoded" / "material.gltf").read_text())["images"]
            if self.pack:
                store = self.tmp / "decoded"
            else:
                store = storage_folder(_safe(self.material.name))
                for f in (self.tmp / "tsw").glob("*.tsw"):
                    shutil.copyfile(f, store / f.name)
            for i, r in enumerate(self.roles):
                path = self.tmp / "decoded" / decoded[i]["uri"]
                if not self.pack:
                    shutil.copyfile(path, store / path.name)
                    path = store / path.name
                self._replace(r, path)
            self.material[PROP] = {
                "recipe": report["recipe"], "bytes_in": int(report["bytes_in"]), "bytes_out": int(report["bytes_out"]),
                "shaded_psnr": -1.0 if report["shaded_psnr"] is None else float(report["shaded_psnr"]),
                "quality": int(report.get("quality") or self.quality), "codec": self.codec,
                **rate_record(self.target_psnr), "storage": "packed" if self.pack else str(store),
            }
        finally:
            self.cleanup()
        self.fraction = 1.0
        text, summary = format_report([report], self.notes, f"texsandwich material: {self.material.name}")
        _write_text(text)
        return summary

    def _replace(self, r: RoleImage, path: Path) -> None:
        def gray_again(img) -> None:  # a roughness image back to gray from the G channel
            set_pixels(img, np.repeat(image_array(img)[..., 1:2], 3, axis=2))
            if not self.pack:
                img.save()

        swap_in(r.node, path, self.pack, gray_again if r.role == "roughness" else None)

    def cleanup(self) -> None:
        _rmtree(self.tmp)
        self.tmp = None


def swap_in(node, path: Path, pack: bool, adjust=None) -> None:
    """Put the decoded image at ``path`` into ``node`` (an Image or Environment Texture node) in place of its
    image, which is kept (fake user) and named in the node for :func:`revert_nodes`. The decoded image takes
    the original's colour space and is packed or referenced relative to the .blend; ``adjust(img)`` runs
    before that (a gray roughness map made gray again)."""
    orig = node.image
    img = bpy.data.images.load(str(path), check_existing=False)
    img.name = f"{orig.name}.tsw"
    if adjust is not None:
        adjust(img)
    img.colorspace_settings.name = orig.colorspace_settings.name
    if pack:
        img.pack()
        img.filepath = "//" + path.name
    else:
        img.filepath = bpy.path.relpath(str(path))
    node[PROP] = orig.name
    orig.use_fake_user = True  # kept for revert even though no node uses it now
    node.image = img


def revert_nodes(owner, node_type: str) -> int:
    """Put the original images back into ``owner``'s (a material's or a world's) nodes of ``node_type``,
    remove the decoded ones nothing else uses, and forget the compression; returns how many were restored."""
    n = 0
    if owner is not None and owner.node_tree is not None:
        for node in owner.node_tree.nodes:
            if node.bl_idname != node_type or PROP not in node:
                continue
            orig = bpy.data.images.get(node[PROP])
            decoded = node.image
            if orig is not None:
                node.image = orig
                orig.use_fake_user = False
                n += 1
            del node[PROP]
            if decoded is not None and decoded.users == 0:
                bpy.data.images.remove(decoded)
    if owner is not None and PROP in owner:
        del owner[PROP]
    return n


def revert_material(material) -> int:
    """Put the material's original images back; returns how many nodes were restored."""
    return revert_nodes(material, "ShaderNodeTexImage")


def storage_folder(name: str) -> Path:
    """``//texsandwich/NAME/`` next to the saved .blend, emptied: where decoded images and .tsw files live."""
    store = Path(bpy.path.abspath("//texsandwich")) / name
    if store.exists():
        shutil.rmtree(store)
    store.mkdir(parents=True)
    return store


def _summary(info, psnr: float, what: str) -> str:
    """``1.5 MiB -> 434.7 KiB (3.5x), WHAT 34.57 dB`` (a negative PSNR: identical)."""
    ratio = info["bytes_in"] / info["bytes_out"] if info["bytes_out"] else 0.0
    return (f"{human_bytes(info['bytes_in'])} -> {human_bytes(info['bytes_out'])} ({ratio:.1f}x), "
            f"{what} {'identical' if psnr < 0 else f'{psnr:.2f} dB'}")


def material_summary(material) -> str | None:
    """One line for the panel: what compressing saved and cost."""
    info = material.get(PROP)
    return _summary(info, info["shaded_psnr"], "shaded PSNR") if info else None


FILE_SUFFIXES = {"OPEN_EXR": ".exr", "OPEN_EXR_MULTILAYER": ".exr", "HDR": ".hdr", "PNG": ".png", "JPEG": ".jpg",
                 "TIFF": ".tif", "TARGA": ".tga", "TARGA_RAW": ".tga", "WEBP": ".webp", "BMP": ".bmp"}
"""An image's file suffix by Blender's ``file_format`` (for a packed image whose name has none)."""
RECIPE_ITEMS = [
    ("AUTO", "Automatic", "pbr8-400 for materials with base colour, normal and roughness maps; each texture on "
                          "its own recipe otherwise"),
    ("pbr8-400", "pbr8-400 for all", "Every material through the material recipe (missing maps filled with glTF "
                                     "defaults)"),
    ("rgb-hr2", "Base colours at half resolution",
     "rgb-hr2: each base colour through a codec image of half its size (a 4K texture for a 2K-limited decoder), "
     "the other maps by role; needs texsandwich 0.6.10")]
"""How materials are coded: the CLI's ``--recipe`` for a glTF (``AUTO``: none given)."""
RATE_ITEMS = [
    ("QUALITY", "Quality", "One codec quality for every texture"),
    ("TARGET", "Target PSNR", "Per material, the smallest files whose shaded PSNR reaches the target"),
    ("SIZE", "Size budget", "The compressed textures fit this many megabytes together (per exported model, per "
                            "material, or the world's image), at the highest quality that fits; needs texsandwich "
                            "0.6.11")]
"""The Rate choices of the export, the material and world operators and the panels' settings."""
RATE_PROPS = {"QUALITY": "quality", "TARGET": "target_psnr", "SIZE": "target_mb"}
"""The property each Rate choice is set with."""

WORLD_VERSION = (0, 6, 10)
"""The first CLI that reads Radiance .hdr and float TIFF environments (and takes ``-o`` folders as used here)."""
WORLD_RECIPES = "rgb-420,hdr-444"
"""An environment image's recipe, by its bit depth (the CLI picks): 8-bit through the colour recipe the
material textures use, HDR (EXR, Radiance, 16-bit/float TIFF and PNG) through ``hdr-444``."""


def image_file(image, folder: Path) -> Path:
    """The image's own file, as it is stored: its path on disk, or its packed bytes written into ``folder``.

    Why the file and not Blender's pixels: an HDR's float pixels would need an EXR or Radiance writer the
    add-on does not have, and the file is the exact source, the one whose bytes the report compares.
    """
    if image.source != "FILE":
        raise CliError(f"image {image.name} is {image.source.lower()}, not a file; save it as one first")
    if image.is_dirty:
        raise CliError(f"image {image.name} has unsaved changes; save or pack it first")
    name = Path(bpy.path.basename(image.filepath_raw or image.filepath) or _safe(image.name))
    if image.packed_file is not None:
        suffix = name.suffix.lower() or FILE_SUFFIXES.get(image.file_format, ".png")
        path = folder / (_safe(name.stem) + suffix)
        path.write_bytes(bytes(image.packed_file.data))
        return path
    path = Path(bpy.path.abspath(image.filepath, library=image.library))
    if not path.is_file():
        raise CliError(f"image {image.name}: file {path} not found")
    return path


class WorldJob(CompressThenDecode):
    """Compress the world's environment image in place (Properties › World › texsandwich): its file ->
    compress (``rgb-420`` or ``hdr-444`` by bit depth) -> decompress (an HDR comes back in its own kind:
    EXR, Radiance .hdr, float TIFF) -> the decoded image replaces the original in the Environment Texture
    node (the original kept for revert). Storage as for materials: ``//texsandwich/world_NAME/`` next to a
    saved .blend, or packed.
    """

    title = "texsandwich world"

    def __init__(self, cli: Path, world, quality: int, codec: str, pack: bool,
                 target_psnr: float | None = None) -> None:
        super().__init__(cli)
        self.world = world
        self.quality, self.codec, self.target_psnr = quality, codec, target_psnr
        self.pack = pack or not bpy.data.filepath
        self.node = None
        self.tmp: Path | None = None
        self.asset: dict = {}

    def begin(self, context) -> None:
        if self.world is None:
            raise CliError("the scene has no world")
        if self.world.get(PROP):
            raise CliError(f"world {self.world.name} is already compressed; revert it first")
        self.node = world_environment(self.world)
        if self.node is None:
            raise CliError(f"world {self.world.name} has no Environment Texture image lighting it")
        found = self.cli_version or check_cli(self.cli)
        if found < WORLD_VERSION:
            raise CliError(f"compressing an environment needs texsandwich {version_string(WORLD_VERSION)} or newer; "
                           f"{self.cli} is {version_string(found)}")
        self.tmp = Path(tempfile.mkdtemp(prefix="texsandwich-world-"))
        src = image_file(self.node.image, self.tmp)
        (self.tmp / "tsw").mkdir()
        self.status = f"{self.title}: compressing {self.node.image.name}"
        self.job = CliJob([str(self.cli), "compress", str(src), "-o", str(self.tmp / "tsw" / "environment.tsw"),
                           "--recipe", WORLD_RECIPES, "--progress", "json",
                           *_rate_args(self.quality, self.target_psnr), "--codec", self.codec]).start()

    def handle(self, ev: dict) -> None:
        if ev.get("event") == "asset" and self.stage == "compress":
            self.asset = ev
        super().handle(ev)

    def decode_command(self) -> tuple[list[str], str]:
        assert self.tmp is not None and self.node is not None
        (self.tmp / "decoded").mkdir()  # an existing folder: the decoded file takes its source's kind
        return [str(self.tmp / "tsw" / "environment.tsw"), "-o", str(self.tmp / "decoded")], self.node.image.name

    def finish(self, context) -> str:
        try:
            self.check_cli_result()
            assert self.tmp is not None and self.node is not None
            decoded = next((self.tmp / "decoded").iterdir())
            if not self.pack:
                store = storage_folder(f"world_{_safe(self.world.name)}")
                shutil.copyfile(self.tmp / "tsw" / "environment.tsw", store / "environment.tsw")
                shutil.copyfile(decoded, store / decoded.name)
                decoded = store / decoded.name
            swap_in(self.node, decoded, self.pack)
            img = self.node.image
            a = self.asset
            psnr = a.get("psnr")
            self.world[PROP] = {
                "recipe": "hdr-444" if img.is_float else "rgb-420", "bytes_in": int(a.get("bytes_in", 0)),
                "bytes_out": int(a.get("bytes_out", 0)), "psnr": -1.0 if psnr is None else float(psnr),
                "quality": int(a.get("quality") or self.quality), "codec": self.codec,
                **rate_record(self.target_psnr), "storage": "packed" if self.pack else str(store),
            }
        finally:
            self.cleanup()
        self.fraction = 1.0
        return f"texsandwich world {self.world.name}: {world_summary(self.world)}"

    def cleanup(self) -> None:
        _rmtree(self.tmp)
        self.tmp = None


def revert_world(world) -> int:
    """Put the world's original environment image back; returns how many nodes were restored."""
    return revert_nodes(world, "ShaderNodeTexEnvironment")


def world_summary(world) -> str | None:
    """One line for the panel: what compressing the environment saved and cost."""
    info = world.get(PROP) if world is not None else None
    if not info:
        return None
    return _summary(info, info["psnr"], "PSNR (16-bit PQ signal)" if info["recipe"] == "hdr-444" else "PSNR")
