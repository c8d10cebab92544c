"""Materials: named PBR maps with semantics, read from and written to folders and glTF 2.0 files.

A :class:`Material` holds its maps as one ``[H, W, C]`` uint8 array plus a channel map (name ->
slice), so recipes take a fixed channel order (``albedo 3, normal 3, roughness 1, occlusion 1``)
and the pipeline treats an 8-channel material exactly like a 3-channel image.

Conventions (decided in docs/DECISIONS.md):

* albedo is sRGB; normals are tangent space, **OpenGL +Y** (DirectX maps, named ``*normaldx*`` /
  ``*nor_dx*``, get G flipped on load); roughness and occlusion are linear gray; metallic optional.
* a missing occlusion map is white (glTF's default: no occlusion); a missing roughness map is 255
  (glTF's default roughnessFactor 1); a missing normal map is flat (128, 128, 255); a missing albedo
  is white. Each fill but occlusion warns. A folder with neither albedo nor normal is refused.
* maps of different sizes are resampled to the largest (Lanczos; normals renormalised) with a warning.
* 16-bit maps are converted to 8 bits (round(v / 257)) with a warning.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from texsandwich.errors import InputError
from texsandwich.fsutil import atomic_write, write_new_folder
from texsandwich.images import IMAGE_SUFFIXES, dds_two_channel, encode_image, png_header_bit_depth, say_dds

MAP_CHANNELS: dict[str, int] = {"albedo": 3, "normal": 3, "roughness": 1, "occlusion": 1, "metallic": 1}
"""Every map a material may have, with its channel count, in the canonical order."""

PBR8 = ("albedo", "normal", "roughness", "occlusion")
"""The eight channels of the ``pbr8-*`` recipes, in bottleneck order."""

FILL: dict[str, tuple[int, ...]] = {"albedo": (255, 255, 255), "normal": (128, 128, 255), "roughness": (255,),
                                    "occlusion": (255,), "metallic": (0,)}
"""Value of a map the source lacks (glTF defaults: white base colour, roughness 1, no occlusion, flat)."""

MAP_FILES = {"albedo": "albedo.png", "normal": "normal.png", "roughness": "roughness.png",
             "occlusion": "occlusion.png", "metallic": "metallic.png"}
"""File names :func:`write_material_folder` writes."""

_SEP = r"(?:^|[_\-. ]|$)"


# Order matters: the first rule that matches a file's stem wins (so 'normaldx' is not 'normal', and
# 'diffuse_roughness' is not albedo). Short names must stand alone as tokens ('ao' is not 'chaos'); the
# one- and two-letter suffixes of Unreal's naming (T_Rock_D, _N, _R, _M, _H, _BC) count only at the end.
_END = r"[_\-. ]"
_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("skip", re.compile(r"opacity|alpha|height|displace|disp(?:$|[_\-. ])|bump|emissi|specular|gloss|mask|preview"
                        + "|" + _END + r"(?:h|e|o|s)$")),
    ("normal_dx", re.compile(r"normaldx|normal_dx|nor_dx|normal-dx")),
    ("normal", re.compile(r"normal|nor_gl|(?:^|[_\-. ])nrm(?:$|[_\-. ])|(?:^|[_\-. ])nor(?:$|[_\-. ])"
                          + "|" + _END + r"n$")),
    ("orm", re.compile(_SEP + r"(?:arm|orm)" + _SEP + r"|occlusion.{0,3}roug")),
    ("mr", re.compile(r"metal(?:lic|ness)?.{0,3}rough|rough(?:ness)?.{0,3}metal")),
    ("roughness", re.compile(r"rough|" + _END + r"r$")),
    ("occlusion", re.compile(r"occlusion|(?:^|[_\-. ])ao(?:$|[_\-. ])")),
    ("metallic", re.compile(r"metal|" + _END + r"m$")),
    ("albedo", re.compile(r"albedo|basecolou?r|base_colou?r|diff|colou?r|(?:^|[_\-. ])col(?:$|[_\-. ])"
                          + "|" + _END + r"(?:d|bc)$")),
]


def classify(path: Path) -> str | None:
    """Which map a file holds, by the ambientCG / Poly Haven / glTF-sample / Unreal naming conventions."""
    stem = path.stem.lower()
    for kind, pattern in _RULES:
        if pattern.search(stem):
            return kind
    return None


@dataclass
class Material:
    """Named maps of one material, all of one size, as ``[H, W, C]`` uint8 plus a channel map."""

    name: str
    data: np.ndarray
    channels: dict[str, slice]
    present: tuple[str, ...] = ()
    """Maps the source really had (the rest were filled with defaults)."""
    extras: dict[str, object] = field(default_factory=dict)
    """Loader-specific facts worth keeping (glTF normal scale, occlusion strength, file names)."""

    @property
    def height(self) -> int:
        return int(self.data.shape[0])

    @property
    def width(self) -> int:
        return int(self.data.shape[1])

    def map(self, name: str) -> np.ndarray:
        """One map as ``[H, W, c]`` uint8."""
        return self.data[..., self.channels[name]]

    def maps(self) -> dict[str, np.ndarray]:
        """Every map as ``{name: [H, W, c]}`` (what writers and renderers take)."""
        return {n: self.map(n) for n in self.channels}

    def stack(self, names: tuple[str, ...] = PBR8) -> np.ndarray:
        """The named maps concatenated into ``[H, W, C]`` (what a recipe's source is)."""
        return np.ascontiguousarray(np.concatenate([self.map(n) for n in names], axis=-1))

    def tensor(self, names: tuple[str, ...] = PBR8):
        """``[C, H, W]`` float32 tensor on the 0..255 scale, channels in ``names`` order."""
        import torch

        return torch.from_numpy(self.stack(names)).permute(2, 0, 1).float()

    @classmethod
    def from_maps(cls, name: str, maps: dict[str, np.ndarray], present: tuple[str, ...] | None = None,
                  extras: dict[str, object] | None = None) -> Material:
        """Build from named ``[H, W, c]`` maps of one size; channels in :data:`MAP_CHANNELS` order."""
        parts, channels, c = [], {}, 0
        for n in MAP_CHANNELS:
            if n in maps:
                m = maps[n] if maps[n].ndim == 3 else maps[n][..., None]
                if m.shape[2] != MAP_CHANNELS[n]:
                    raise InputError(f"{name}: {n} map has {m.shape[2]} channels, expected {MAP_CHANNELS[n]}")
                parts.append(m.astype(np.uint8))
                channels[n] = slice(c, c + MAP_CHANNELS[n])
                c += MAP_CHANNELS[n]
        if not parts:
            raise InputError(f"{name}: no maps")
        shapes = {p.shape[:2] for p in parts}
        if len(shapes) > 1:
            raise InputError(f"{name}: maps have different sizes {sorted(shapes)}")
        return cls(name, np.concatenate(parts, axis=-1), channels, tuple(present or tuple(channels)),
                   dict(extras or {}))

    @classmethod
    def from_stack(cls, name: str, data: np.ndarray, names: tuple[str, ...] = PBR8) -> Material:
        """Inverse of :meth:`stack`."""
        maps, c = {}, 0
        for n in names:
            maps[n] = data[..., c : c + MAP_CHANNELS[n]]
            c += MAP_CHANNELS[n]
        return cls.from_maps(name, maps)


# ---------------------------------------------------------------------------------------------- reading


MAP_SUFFIXES = (*IMAGE_SUFFIXES, ".exr")
"""What a material folder's maps may be: the image kinds, and OpenEXR (Poly Haven's normal and roughness
maps come as EXR too; they were skipped without a word and the map filled with its default)."""


def decode_exr_map(path: Path, kind: str) -> np.ndarray:
    """``[H, W, C]`` uint8 (C = 1 or 3) of a float EXR map, as the 8-bit maps the material recipes code.

    Data maps are stored values in [0, 1] (clipped); a normal map with negative values holds [-1, 1] and
    is mapped to [0, 1] first; an albedo in EXR is linear light, so it is sRGB-encoded (the 8-bit albedo
    of every other source is sRGB). NaN and infinite samples become 0 / 1, counted in a warning.
    """
    from texsandwich.hdr.io import read_exr_raw

    v = read_exr_raw(path)
    bad = int((~np.isfinite(v)).sum())
    v = np.nan_to_num(v, nan=0.0, posinf=1.0, neginf=0.0)
    how = "clipped to [0, 1]"
    if kind in ("normal", "normal_dx") and v.min() < -0.01:
        v, how = (v + 1.0) / 2.0, "mapped from [-1, 1]"
    v = np.clip(v, 0.0, 1.0)
    if kind == "albedo":
        import torch

        from texsandwich.shading.brdf import linear_to_srgb

        v, how = linear_to_srgb(torch.from_numpy(v)).numpy(), "linear, sRGB-encoded"
    warnings.warn(f"{path}: float map converted to 8 bits ({how}" + (f"; {bad} NaN/infinite samples" if bad else "")
                  + ")", stacklevel=3)
    return np.clip(np.rint(v * 255.0), 0, 255).astype(np.uint8)


def _read_map(path: Path, kind: str = "") -> np.ndarray:
    """``[H, W, C]`` uint8 (C = 1, 3 or 4) of one map file; 16-bit and float converted to 8 with a warning."""
    if Path(path).suffix.lower() == ".exr":
        return decode_exr_map(Path(path), kind)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read image ({e})") from None
    say_dds(path)  # a float (HDR) surface is refused here
    return decode_map(data, str(path))


def rebuild_normal_z(image: np.ndarray) -> np.ndarray:
    """A tangent-space normal map's B from its R and G (x, y in [-1, 1]; z = sqrt(1 - x² - y²) >= 0): what a
    shader does with a two-channel (BC5) normal map, which stores no z."""
    xy = image[..., :2].astype(np.float32) / 127.5 - 1.0
    z = np.sqrt(np.clip(1.0 - (xy * xy).sum(-1), 0.0, 1.0))
    out = image.copy()
    out[..., 2] = np.clip(np.rint((z + 1.0) * 127.5), 0, 255).astype(np.uint8)
    return out


def decode_map(data: bytes, name: str) -> np.ndarray:
    """``[H, W, C]`` uint8 (C = 1, 3 or 4) of an encoded map (file or glTF image); 16-bit -> 8 with a warning.

    16-bit PNGs are read with pypng: Pillow reads 16-bit RGB PNGs as 8-bit without saying so.
    """
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            sixteen = im.mode in ("I;16", "I;16B", "I;16L", "I") or (
                im.format == "PNG" and png_header_bit_depth(data) > 8)
            if sixteen and im.format == "PNG":
                import png

                w, h, rows, info = png.Reader(bytes=data).asDirect()
                a = np.vstack([np.asarray(r, np.uint32) for r in rows]).reshape(h, w, info["planes"])
                if info["bitdepth"] > 8:
                    warnings.warn(f"{name}: 16-bit map converted to 8 bits", stacklevel=3)
                    a = np.round(a / ((1 << info["bitdepth"]) - 1) * 255.0)
                return a.astype(np.uint8)
            if sixteen:
                warnings.warn(f"{name}: 16-bit map converted to 8 bits", stacklevel=3)
                return np.round(np.asarray(im, np.float64) / 257.0).clip(0, 255).astype(np.uint8)[..., None]
            if im.mode in ("L", "1"):
                return np.asarray(im.convert("L"))[..., None]
            if im.mode in ("LA",):
                return np.asarray(im)[..., :1]
            if im.mode in ("RGBA", "P", "PA"):
                return np.asarray(im.convert("RGBA"))
            return np.asarray(im.convert("RGB"))
    except UnidentifiedImageError:  # its message names the BytesIO object, not the file
        raise InputError(f"{name}: cannot read image (not an image format Pillow reads, or damaged)") from None
    except (OSError, ValueError, SyntaxError) as e:
        raise InputError(f"{name}: cannot read image ({e})") from None


def _channels(a: np.ndarray, n: int) -> np.ndarray:
    """First ``n`` channels of a map (gray expanded to RGB, RGB of a gray-looking map reduced to one)."""
    if n == 3:
        return a[..., :3] if a.shape[2] >= 3 else np.repeat(a[..., :1], 3, axis=2)
    return a[..., :1]


def _resize(a: np.ndarray, size: tuple[int, int], normal: bool) -> np.ndarray:
    h, w = size
    planes = [np.asarray(Image.fromarray(a[..., i]).resize((w, h), Image.Resampling.LANCZOS))
              for i in range(a.shape[2])]
    out = np.stack(planes, axis=-1)
    if normal:
        n = out.astype(np.float64) / 127.5 - 1.0
        n /= np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-6)
        out = np.round((n + 1.0) * 127.5).clip(0, 255).astype(np.uint8)
    return out


def check_normals(name: str, normal: np.ndarray) -> None:
    """Warn (do not change the source) when a map does not look like a unit tangent-space normal map."""
    n = normal.astype(np.float32) / 127.5 - 1.0
    below = float((n[..., 2] < -1.0 / 127.5).mean())
    if below > 0.01:
        warnings.warn(f"{name}: {below:.0%} of normals have z < 0; is this a tangent-space normal map?", stacklevel=3)
    length = np.linalg.norm(n, axis=-1)
    off = float((np.abs(length - 1.0) > 0.1).mean())
    if off > 0.05:
        warnings.warn(f"{name}: {off:.0%} of normals are not unit length (renormalised for shading)", stacklevel=3)


def assemble(name: str, found: dict[str, np.ndarray], extras: dict[str, object] | None = None,
             required: tuple[str, ...] = PBR8, warn_fill: bool = True, warn_resample: bool = True) -> Material:
    """Fill missing maps, resample to the largest size, check normals: one :class:`Material`.

    ``warn_fill=False`` fills silently (for callers that code an incomplete material's textures one by
    one and never use the fills); ``warn_resample=False`` resamples silently (for callers that only
    measure or render the material: the maps they code or write keep their sizes).
    """
    if "albedo" not in found and "normal" not in found:
        raise InputError(f"{name}: no albedo/base colour or normal map found")
    size = max((m.shape[:2] for m in found.values()), key=lambda s: s[0] * s[1])
    maps: dict[str, np.ndarray] = {}
    for n, m in found.items():
        m = _channels(m, MAP_CHANNELS[n])
        if m.shape[:2] != size and warn_resample:
            warnings.warn(f"{name}: {n} map is {m.shape[1]}x{m.shape[0]}, resampled to {size[1]}x{size[0]}",
                          stacklevel=3)
        if m.shape[:2] != size:
            m = _resize(m, size, normal=n == "normal")
        maps[n] = m
    for n in required:
        if n not in maps:
            if n != "occlusion" and warn_fill:
                warnings.warn(f"{name}: no {n} map; using {FILL[n]} (the glTF default)", stacklevel=3)
            maps[n] = np.broadcast_to(np.array(FILL[n], np.uint8), (*size, MAP_CHANNELS[n])).copy()
    if "normal" in found:
        check_normals(name, maps["normal"])
    return Material.from_maps(name, maps, present=tuple(n for n in MAP_CHANNELS if n in found), extras=extras)


def is_material_folder(path: Path) -> bool:
    """A folder with at least one recognised albedo or normal map directly inside."""
    if not path.is_dir():
        return False
    kinds = {classify(p) for p in path.iterdir() if p.is_file() and p.suffix.lower() in MAP_SUFFIXES}
    return bool(kinds & {"albedo", "normal", "normal_dx"})


def _image_files(folder: Path) -> list[Path]:
    """A material folder's image files, sorted: the candidates :func:`classify` names."""
    return [p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() in MAP_SUFFIXES]


def albedo_file(folder: Path) -> Path | None:
    """The 8-bit albedo / base colour map of a material folder (what RGB recipes train and evaluate on): the
    file :func:`read_material_folder` reads as it, unless that is a float EXR, which an 8-bit recipe does not
    take (None then; the material recipes still read it)."""
    files = _image_files(Path(folder))
    return next((p for p in files if classify(p) == "albedo" and p.suffix.lower() in IMAGE_SUFFIXES), None)


def read_material_folder(folder: Path) -> Material:
    """A material from a folder of maps named by the usual conventions (see :func:`classify`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    found: dict[str, np.ndarray] = {}
    files: dict[str, str] = {}
    for p in _image_files(folder):
        kind = classify(p)
        if kind in (None, "skip"):
            warnings.warn(f"{p}: not a map this tool codes; ignored", stacklevel=2)
            continue
        target = "normal" if kind == "normal_dx" else kind
        if target in found or (kind in ("orm", "mr") and "roughness" in found):
            warnings.warn(f"{p}: a second {target} map; ignored", stacklevel=2)
            continue
        a = _read_map(p, kind)
        if target == "normal" and dds_two_channel(p):
            a = rebuild_normal_z(_channels(a, 3))
        files[target] = p.name
        if kind == "orm":
            if a.shape[2] < 3:
                raise InputError(f"{p}: a packed occlusion/roughness/metallic map needs three channels")
            found.setdefault("occlusion", a[..., 0:1])
            found.setdefault("roughness", a[..., 1:2])
            found.setdefault("metallic", a[..., 2:3])
        elif kind == "mr":  # glTF metallicRoughness: G roughness, B metallic
            if a.shape[2] < 3:
                raise InputError(f"{p}: a packed metallic/roughness map needs three channels")
            found.setdefault("roughness", a[..., 1:2])
            found.setdefault("metallic", a[..., 2:3])
        elif kind == "normal_dx":
            a = _channels(a, 3).copy()
            a[..., 1] = 255 - a[..., 1]
            found["normal"] = a
        else:
            if target == "albedo" and a.shape[2] == 4 and (a[..., 3] != 255).any():
                warnings.warn(f"{p}: its alpha (transparency) is not coded: a material folder carries colour, "
                              "normal, roughness, metallic and occlusion (a glTF's MASK/BLEND materials keep "
                              "their alpha; an image recipe keeps an image's)", stacklevel=2)
            found[target] = a
    if not found:
        raise InputError(f"{folder}: no texture maps found (expected names like albedo/basecolor, normal, rough, ao)")
    return assemble(folder.name, found, {"files": files})


def write_material_folder(material: Material, folder: Path, names: tuple[str, ...] | None = None,
                          suffix: str = ".png") -> list[Path]:
    """Write each map as ``albedo.png normal.png roughness.png occlusion.png [metallic.png]`` (or another
    lossless ``suffix``: ``decompress --format``), atomically.

    A new folder is filled under a temporary name beside it and renamed into place, so a folder that
    exists is a complete one: an interrupted batch leaves no half-written material for its rerun to
    take as done. Into a folder that already exists (``--force``, or a folder of the user's) each map
    is replaced on its own, and the folder's other files are left alone.
    """
    folder = Path(folder)
    def encoded(n: str) -> bytes:
        m = material.map(n)
        return encode_image(m[..., 0] if m.shape[2] == 1 else m, folder / Path(MAP_FILES[n]).with_suffix(suffix))

    files = {Path(MAP_FILES[n]).with_suffix(suffix).name: encoded(n) for n in names or tuple(material.channels)}
    if folder.is_dir():
        for name, data in files.items():
            atomic_write(folder / name, data)
    else:
        write_new_folder(folder, files)
    return [folder / name for name in files]


def list_materials(root: Path, split: str = "all") -> list[Path]:
    """Material folders directly under ``root`` (sorted), optionally one side of the fixed split.

    The split is the one of :func:`texsandwich.data.list_images`: every 5th folder in sorted order is
    held out for evaluation.
    """
    from texsandwich.data import split_items

    return split_items(sorted(p for p in Path(root).iterdir() if is_material_folder(p)), split)
