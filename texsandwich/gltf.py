"""glTF 2.0 materials in and out, through pygltflib (it keeps every field; trimesh drops some).

Reading: each material's base colour, normal (``scale`` kept), occlusion (``strength`` kept, R
channel) and metallic-roughness (G roughness, B metallic; the same image as occlusion when packed
ORM) textures become one :class:`~texsandwich.assets.Material`. Images may be external files, data
URIs or (``.glb``) buffer views. Materials that use the same images are one material, compressed once.
Factors, samplers and ``KHR_texture_transform`` stay in the JSON untouched.

Writing a compressed glTF: the JSON is kept; each compressed material's images point at its ``.tsw``
(``extras.texsandwich`` says which map of it the image is); the geometry buffer is written next to
it. Decompressing turns that back into a loadable glTF with PNG textures (ORM packed as glTF wants).
"""

from __future__ import annotations

import base64
import json
import shutil
import struct
import urllib.parse
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from texsandwich.assets import Material, assemble, decode_map
from texsandwich.errors import InputError
from texsandwich.fsutil import atomic_write
from texsandwich.glb import MAGIC, drop_views, image_mime, pack_glb
from texsandwich.images import ALPHA, encode_png

GLTF_SUFFIXES = (".gltf", ".glb")
FULL_SET = ("albedo", "normal", "roughness")
"""Maps a material needs to be coded whole by the material recipe in automatic mode (occlusion is optional)."""
ROLE_KEY = "texsandwich"


@dataclass
class GltfMaterial:
    """One distinct material of a glTF: which images it came from and in which role."""

    name: str
    material_indices: list[int]
    images: dict[int, str]
    """image index -> role: 'albedo', 'normal', 'orm' (occlusion+roughness+metallic), 'mr', 'occlusion'"""
    material: Material
    extras: dict[str, object] = field(default_factory=dict)
    alpha: np.ndarray | None = None
    """The base colour's alpha (``[H, W, 1]`` uint8) when a material using it is alphaMode MASK or BLEND
    and it is not fully opaque: coded as the side map ``alpha`` and written back into the base colour.
    An OPAQUE material's alpha is ignored by every renderer (glTF 2.0, 3.9.4), so it is not coded."""


def _check_glb_length(path: Path) -> None:
    """A ``.glb`` shorter than its header says is cut off (an interrupted download or copy): said as such,
    where pygltflib would read it and a texture would fail later as a damaged image."""
    with open(path, "rb") as f:
        head = f.read(12)
    if len(head) == 12 and head[:4] == MAGIC:
        declared = struct.unpack_from("<I", head, 8)[0]
        size = path.stat().st_size
        if size < declared:
            raise InputError(f"{path}: truncated .glb ({size:,} of {declared:,} bytes)")


def load_gltf(path: Path):
    """Parse a .gltf/.glb; unreadable or missing files become one-line :class:`InputError`."""
    from pygltflib import GLTF2

    try:
        if Path(path).suffix.lower() == ".glb":
            _check_glb_length(Path(path))
        return GLTF2().load(str(path))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except Exception as e:  # pygltflib raises many kinds on malformed input
        raise InputError(f"{path}: not a readable glTF ({type(e).__name__}: {e})") from None


def image_bytes(gltf, path: Path, index: int) -> bytes:
    img = gltf.images[index]
    if img.uri:
        if img.uri.startswith("data:"):
            try:
                return base64.b64decode(img.uri.split(",", 1)[1])
            except (IndexError, ValueError):
                raise InputError(f"{path}: image {index} has a malformed data URI") from None
        f = path.parent / urllib.parse.unquote(img.uri)
        if not f.is_file():
            raise InputError(f"{path}: image file {img.uri} is missing")
        return f.read_bytes()
    if img.bufferView is None:
        raise InputError(f"{path}: image {index} has neither a uri nor a bufferView")
    bv = gltf.bufferViews[img.bufferView]
    blob = gltf.binary_blob()
    if blob is None:
        raise InputError(f"{path}: image {index} points into a buffer this file does not embed")
    return bytes(blob[(bv.byteOffset or 0) : (bv.byteOffset or 0) + bv.byteLength])


IMAGE_EXTENSIONS = ("EXT_texture_webp", "EXT_texture_avif", "KHR_texture_basisu", "MSFT_texture_dds")
"""Texture extensions that name an image in place of, or beside, the texture's core ``source`` (what
gltf-transform's ``webp``/``avif``/``etc1s``/``uastc`` commands write)."""
DECODABLE_EXTENSIONS = ("EXT_texture_webp", "EXT_texture_avif")
"""Of those, the ones whose images are read here (Pillow, pillow-heif); KTX2/Basis and DDS are not."""


def texture_source(texture) -> int | None:
    """The image a texture is coded from: its core ``source`` (PNG/JPEG, the fallback every viewer reads),
    else its WebP or AVIF extension's image; None when it has neither (a KTX2- or DDS-only texture)."""
    if texture.source is not None:
        return texture.source
    exts = texture.extensions or {}
    for name in DECODABLE_EXTENSIONS:
        source = (exts.get(name) or {}).get("source")
        if source is not None:
            return source
    return None


def _tex_image(gltf, info) -> int | None:
    if info is None or info.index is None:
        return None
    return texture_source(gltf.textures[info.index])


def _undecodable(gltf, info) -> str | None:
    """The extension of a texture that has only an image this project cannot decode, else None."""
    if info is None or info.index is None or _tex_image(gltf, info) is not None:
        return None
    exts = gltf.textures[info.index].extensions or {}
    return next((name for name in IMAGE_EXTENSIONS if name in exts), None)


def base_colour_images(gltf) -> list[tuple[int, int, str]]:
    """``(image index, material index, material name)`` of each distinct base colour texture, by the
    first material that uses it."""
    out: dict[int, tuple[int, int, str]] = {}
    for mi, mat in enumerate(gltf.materials or []):
        pbr = mat.pbrMetallicRoughness
        index = _tex_image(gltf, pbr.baseColorTexture) if pbr else None
        if index is not None and index not in out:
            out[index] = (index, mi, mat.name or f"material{mi}")
    return list(out.values())


def read_gltf(path: Path, require: bool = True, warn_fill: bool = True,
              warn_resample: bool = True) -> tuple[object, list[GltfMaterial]]:
    """The parsed glTF and its distinct textured materials (none is an error unless ``require=False``).

    Missing maps are filled with the glTF defaults (with a warning unless ``warn_fill=False``). Maps of
    different sizes are resampled to the largest, with a warning (``warn_resample``) where that changes
    what is coded: for every material when fills are warned of (a material recipe is forced), else only
    for a full PBR set (:data:`FULL_SET`, coded whole); the textures of other materials are coded one by
    one at their own sizes.
    """
    path = Path(path)
    gltf = load_gltf(path)
    cache: dict[int, np.ndarray] = {}

    def image(i: int) -> np.ndarray:
        if i not in cache:
            cache[i] = decode_map(image_bytes(gltf, path, i), f"{path}: image {i}")
        return cache[i]

    out: dict[tuple, GltfMaterial] = {}
    said: set[int] = set()
    for mi, mat in enumerate(gltf.materials or []):
        pbr = mat.pbrMetallicRoughness
        infos = (pbr.baseColorTexture if pbr else None, pbr.metallicRoughnessTexture if pbr else None,
                 mat.normalTexture, mat.occlusionTexture)
        for info in infos:
            ext = _undecodable(gltf, info)
            if ext is not None and info.index not in said:
                said.add(info.index)
                warnings.warn(f"{path}: texture {info.index} has only a {ext} image, which cannot be decoded here; "
                              "it is kept as it is and its maps are not coded", stacklevel=2)
        base, mr, nrm, occ = (_tex_image(gltf, info) for info in infos)
        key = (base, nrm, mr, occ)
        if all(k is None for k in key):
            continue
        if key in out:  # the same images: compress once, point every material at it
            out[key].material_indices.append(mi)
            continue
        roles: dict[int, str] = {}
        for img, role in ((base, "albedo"), (nrm, "normal"), (mr, "orm" if mr == occ else "mr"), (occ, "occlusion")):
            if img is not None:
                roles.setdefault(img, role)
        found = role_maps(roles, image)
        name = mat.name or f"material{mi}"
        extras = {"normal_scale": getattr(mat.normalTexture, "scale", None),
                  "occlusion_strength": getattr(mat.occlusionTexture, "strength", None)}
        try:
            whole = warn_fill or all(n in found for n in FULL_SET)
            material = assemble(f"{path.name}:{name}", found, extras, warn_fill=warn_fill,
                                warn_resample=warn_resample and whole)
        except InputError as e:  # e.g. occlusion only: nothing a pbr8 recipe can anchor on; keep it as it is
            warnings.warn(f"{e}; material left uncompressed", stacklevel=2)
            continue
        out[key] = GltfMaterial(name, [mi], roles, material, extras)
    if not out and require:
        raise InputError(f"{path}: no material with textures")
    for (base, *_), gm in out.items():
        shows_alpha = any((gltf.materials[mi].alphaMode or "OPAQUE") in ("MASK", "BLEND") for mi in gm.material_indices)
        if base is not None and shows_alpha and image(base).shape[2] == 4 and (image(base)[..., 3] != 255).any():
            gm.alpha = np.ascontiguousarray(image(base)[..., 3:4])
    return gltf, list(out.values())


def role_maps(roles: dict[int, str], image: Callable[[int], np.ndarray]) -> dict[str, np.ndarray]:
    """A material's maps from its images by glTF role (``image(i)`` decodes image ``i``).

    Roughness is the G and metallic the B channel of a metallic-roughness ('mr') or packed ('orm')
    image, occlusion the R channel of an occlusion or packed image (glTF 2.0, section 3.9).
    """
    found: dict[str, np.ndarray] = {}
    for i, role in roles.items():
        a = image(i)
        if role in ("albedo", "normal"):
            found[role] = a
        if role in ("mr", "orm") and a.shape[2] >= 3:
            found["roughness"], found["metallic"] = a[..., 1:2], a[..., 2:3]
        if role in ("occlusion", "orm"):
            found["occlusion"] = a[..., 0:1]
    return found


def texture_bytes(gltf, path: Path, materials: list[GltfMaterial]) -> int:
    """Bytes of the source images the compressed materials replace (what 'before' means for a glTF)."""
    images = {i for m in materials for i in m.images}
    return sum(len(image_bytes(gltf, path, i)) for i in images)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:60] or "material"


def tsw_name(stem: str, index: int, m: GltfMaterial, role: str | None = None) -> str:
    """``STEM.INDEX.MATERIAL.tsw`` for a whole material, ``STEM.INDEX.MATERIAL.ROLE.tsw`` for one texture."""
    return f"{stem}.{index}.{_safe(m.name)}" + (f".{role}" if role else "") + ".tsw"


def _doc(gltf) -> dict:
    """The glTF JSON as a dict (pygltflib keeps every field, extensions and extras included)."""
    return json.loads(gltf.gltf_to_json())


def _glb_chunk(gltf, doc: dict) -> int | None:
    """0 when buffer 0 is the one a ``.glb`` holds in its own binary chunk (glTF 2.0, 4.4.3.3), else None.
    Other buffers without a ``uri`` (``EXT_meshopt_compression``'s fallbacks) hold no data at all."""
    buffers = doc.get("buffers") or []
    return 0 if buffers and buffers[0].get("uri") is None and gltf.binary_blob() is not None else None


def _buffer_bytes(gltf, doc: dict, src: Path, index: int) -> bytes:
    """The bytes of buffer ``index``: the ``.glb`` chunk, a data URI or a file beside ``src``."""
    uri = doc["buffers"][index].get("uri")
    if uri is None:  # the .glb chunk (buffer 0), or a buffer with no data (a meshopt fallback: refused later)
        return bytes(gltf.binary_blob() or b"") if index == 0 else b""
    if uri.startswith("data:"):
        try:
            return base64.b64decode(uri.split(",", 1)[1])
        except (IndexError, ValueError):
            raise InputError(f"{src}: buffer {index} has a malformed data URI") from None
    f = src.parent / urllib.parse.unquote(uri)
    if not f.is_file():
        raise InputError(f"{src}: buffer file {uri} is missing")
    return f.read_bytes()


def _place_buffers(doc: dict, src: Path, out_dir: Path, stem: str, chunk: int | None, blob: bytes | None) -> None:
    """Make the geometry buffers loadable next to the written JSON: copy their files, write a ``.glb``'s
    chunk (buffer ``chunk``: ``blob``, possibly compacted) as ``STEM.bin``."""
    for bi, buf in enumerate(doc.get("buffers") or []):
        uri = buf.get("uri")
        if bi == chunk:  # the .glb binary chunk
            atomic_write(out_dir / f"{stem}.bin", blob or b"")
            buf["uri"] = f"{stem}.bin"
        elif uri is not None and not uri.startswith("data:"):
            f = src.parent / urllib.parse.unquote(uri)
            if not f.is_file():
                raise InputError(f"{src}: buffer file {uri} is missing")
            dst = out_dir / urllib.parse.unquote(uri)
            if dst.resolve() != f.resolve():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, dst)


def _write_doc(doc: dict, path: Path) -> None:
    atomic_write(path, (json.dumps(doc, indent=1) + "\n").encode())


def _write_json(gltf, path: Path) -> None:
    _write_doc(_doc(gltf), path)


def _mark_source(doc: dict, suffix: str) -> None:
    """Record in ``asset.extras`` that the compressed glTF came from a ``.glb`` (decompress writes one back)."""
    asset = doc.setdefault("asset", {"version": "2.0"})
    extras = asset.get("extras")
    if extras is None or isinstance(extras, dict):
        asset["extras"] = {**(extras or {}), ROLE_KEY: {"source": suffix}}


def _unmark_source(doc: dict) -> None:
    extras = doc.get("asset", {}).get("extras")
    if isinstance(extras, dict) and ROLE_KEY in extras:
        rest = {k: v for k, v in extras.items() if k != ROLE_KEY}
        if rest:
            doc["asset"]["extras"] = rest
        else:
            del doc["asset"]["extras"]


def decoded_suffix(path: Path) -> str:
    """The kind ``decompress`` writes a compressed glTF back as when ``-o`` does not say: ``.glb`` for a
    model compressed from a ``.glb``, else ``.gltf``."""
    extras = (load_gltf(path).asset.extras or {})
    mark = extras.get(ROLE_KEY) if isinstance(extras, dict) else None
    return ".glb" if isinstance(mark, dict) and mark.get("source") == ".glb" else ".gltf"


def write_compressed_gltf(gltf, src: Path, out: Path, covered: dict[int, tuple[str, str]]) -> None:
    """The glTF JSON with each compressed image pointing at its ``.tsw``; other images copied.

    ``covered`` maps image index -> (``.tsw`` file name, role of the image in it). The images of a
    ``.glb`` leave its binary chunk (compressed or as files of their own), so the chunk is written
    without them: the geometry only.
    """
    out_dir = out.parent
    stem = out.stem
    retarget, orphans = _alternatives(gltf, covered)
    moved: set[int] = set()  # buffer views that held the images
    for i, img in enumerate(gltf.images or []):
        if img.bufferView is not None:
            moved.add(img.bufferView)
        if i in orphans:  # only a coded texture's WebP/KTX2/... alternative: dropped below
            continue
        if i in covered:
            name, role = covered[i]
            img.uri, img.bufferView, img.mimeType = name, None, None
            img.extras = {**(img.extras or {}), ROLE_KEY: {"tsw": name, "map": role}}
        else:  # not a material map this recipe codes (emissive, clearcoat, ...): keep it as it was
            data = image_bytes(gltf, src, i)
            mime = image_mime(data)
            ext = {"image/png": ".png", "image/jpeg": ".jpg"}.get(mime, "." + mime.rpartition("/")[2])
            name = f"{stem}.image{i}{ext}"
            atomic_write(out_dir / name, data)
            img.uri, img.bufferView, img.mimeType = name, None, None
    doc = _doc(gltf)
    _retarget_textures(doc, retarget, orphans)
    chunk = _glb_chunk(gltf, doc)
    blob = drop_views(doc, moved, chunk, bytes(gltf.binary_blob()) if chunk is not None else None)
    if src.suffix.lower() == ".glb":
        _mark_source(doc, ".glb")
    _place_buffers(doc, src, out_dir, stem, chunk, blob)
    _write_doc(doc, out)


def _alternatives(gltf, covered: dict[int, tuple[str, str]]) -> tuple[dict[int, int], set[int]]:
    """Which textures were coded (texture index -> the coded image) and which images only those textures'
    image extensions named (WebP, AVIF, KTX2, DDS alternatives, no longer wanted).

    Why: a coded texture keeps pointing at its coded image only if its extensions go; a viewer that reads
    WebP or KTX2 would otherwise show the untouched original, and the original would ship beside the
    ``.tsw`` -- the file not compressed at all, and not what was measured. Images are counted as used
    by textures only (what these extensions name); one still named by another texture stays."""
    retarget = {t: texture_source(tex) for t, tex in enumerate(gltf.textures or [])
                if texture_source(tex) in covered}
    named: set[int] = set()  # images other textures still use, as a source or through an extension
    dropped: set[int] = set()
    for t, tex in enumerate(gltf.textures or []):
        exts = tex.extensions or {}
        alts = {(exts.get(n) or {}).get("source") for n in IMAGE_EXTENSIONS if isinstance(exts.get(n), dict)}
        alts.discard(None)
        if t in retarget:
            dropped |= alts - {retarget[t]}
        else:
            named |= alts | ({tex.source} if tex.source is not None else set())
    return retarget, dropped - named - set(covered)


def _retarget_textures(doc: dict, retarget: dict[int, int], orphans: set[int]) -> None:
    """Point each coded texture at its coded image alone (its image extensions removed), drop the
    ``orphans`` images with the indices after them moved down, and list only the extensions still used."""
    textures = doc.get("textures") or []
    for t, image in retarget.items():
        tex = textures[t]
        tex["source"] = image
        exts = {k: v for k, v in (tex.get("extensions") or {}).items() if k not in IMAGE_EXTENSIONS}
        if exts:
            tex["extensions"] = exts
        else:
            tex.pop("extensions", None)
    if orphans:
        images = doc.get("images") or []
        new = {old: i for i, old in enumerate(j for j in range(len(images)) if j not in orphans)}
        doc["images"] = [img for j, img in enumerate(images) if j not in orphans]
        for tex in textures:
            if tex.get("source") is not None:
                tex["source"] = new[tex["source"]]
            for name in IMAGE_EXTENSIONS:
                ext = (tex.get("extensions") or {}).get(name)
                if isinstance(ext, dict) and ext.get("source") is not None:
                    ext["source"] = new[ext["source"]]
    used = {name for tex in textures for name in (tex.get("extensions") or {})}
    for key in ("extensionsUsed", "extensionsRequired"):
        if key in doc:
            kept = [e for e in doc[key] if e not in IMAGE_EXTENSIONS or e in used]
            if kept:
                doc[key] = kept
            else:
                del doc[key]


def _role_image(role: str, maps: dict[str, np.ndarray]) -> np.ndarray:
    """The glTF image of ``role`` from a decoded ``.tsw``: a material's maps, or one texture ('image');
    a base colour with its alpha when the file carries one."""
    if role == "albedo" and ALPHA in maps:
        return np.concatenate([maps["image" if "image" in maps else "albedo"], maps[ALPHA]], axis=-1)
    if "image" in maps:  # a texture coded on its own is the image itself
        return maps["image"][..., 0] if role == "occlusion" else maps["image"]
    h, w = next(iter(maps.values())).shape[:2]
    one = np.full((h, w, 1), 255, np.uint8)
    if role == "albedo":
        return maps["albedo"]
    if role == "normal":
        return maps["normal"]
    if role == "occlusion":
        return maps["occlusion"][..., 0]
    occ = maps.get("occlusion", one) if role == "orm" else one
    return np.concatenate([occ, maps.get("roughness", one), maps.get("metallic", one)], axis=-1)


def compressed_tsw_files(path: Path) -> list[str]:
    """The ``.tsw`` files a compressed glTF refers to (empty for an ordinary glTF)."""
    gltf = load_gltf(path)
    return sorted({(img.extras or {})[ROLE_KEY]["tsw"] for img in gltf.images or []
                   if isinstance(img.extras, dict) and ROLE_KEY in img.extras})


def write_decompressed_gltf(src: Path, out: Path, decode: callable) -> int:  # type: ignore[valid-type]
    """Decode a compressed glTF: every ``.tsw`` once (``decode(path) -> {map: [H, W, c]}``), PNG textures.

    ``out`` ending in ``.glb`` gives one binary glTF with the geometry and every texture inside;
    otherwise a ``.gltf`` with its PNGs and buffers beside it. Returns the number of textures decoded.
    """
    gltf = load_gltf(src)
    glb = out.suffix.lower() == ".glb"
    out_dir = out.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    decoded: dict[str, dict[str, np.ndarray]] = {}
    embedded: dict[int, bytes] = {}  # .glb: image index -> its bytes
    n = 0
    for i, img in enumerate(gltf.images or []):
        info = (img.extras or {}).get(ROLE_KEY) if isinstance(img.extras, dict) else None
        if info is None:
            if glb and img.uri:  # a file or a data URI: into the chunk
                embedded[i] = image_bytes(gltf, src, i)
                continue
            if img.uri and not img.uri.startswith("data:"):
                f = src.parent / urllib.parse.unquote(img.uri)
                if not f.is_file():
                    raise InputError(f"{src}: image file {img.uri} is missing")
                if (out_dir / f.name).resolve() != f.resolve():
                    shutil.copyfile(f, out_dir / f.name)
                img.uri = f.name
            continue
        tsw = info["tsw"]
        if tsw not in decoded:
            f = src.parent / tsw
            if not f.is_file():
                raise InputError(f"{src}: compressed texture {tsw} is missing")
            decoded[tsw] = decode(f)
        png = encode_png(_role_image(info["map"], decoded[tsw]))
        if glb:
            embedded[i] = png
        else:
            stem = Path(tsw).stem  # a per-texture .tsw names its role already (STEM.I.MAT.ROLE.tsw)
            name = f"{stem}.png" if stem.endswith(f".{info['map']}") else f"{stem}.{info['map']}.png"
            atomic_write(out_dir / name, png)
            img.uri = name
        img.mimeType = None
        img.extras = {k: v for k, v in img.extras.items() if k != ROLE_KEY}
        n += 1
    doc = _doc(gltf)
    _unmark_source(doc)
    if glb:
        buffers = [_buffer_bytes(gltf, doc, src, bi) for bi in range(len(doc.get("buffers") or []))]
        atomic_write(out, pack_glb(doc, buffers, embedded))
        return n
    chunk = _glb_chunk(gltf, doc)
    _place_buffers(doc, src, out_dir, out.stem, chunk, bytes(gltf.binary_blob()) if chunk is not None else None)
    _write_doc(doc, out)
    return n


def to_glb(path: Path) -> bytes:
    """A glTF with its buffer and image files as one ``.glb`` (sample assets and tests; ``decompress -o
    X.glb`` packs the same way)."""
    gltf = load_gltf(path)
    doc = _doc(gltf)
    buffers = [_buffer_bytes(gltf, doc, path, i) for i in range(len(doc.get("buffers") or []))]
    images = {i: image_bytes(gltf, path, i) for i, img in enumerate(gltf.images or []) if img.uri}
    return pack_glb(doc, buffers, images)


def write_mesh_gltf(path: Path, positions: np.ndarray, normals: np.ndarray, uvs: np.ndarray, triangles: np.ndarray,
                    material: Material, name: str = "mesh") -> list[Path]:
    """A one-mesh, one-material glTF (``.gltf`` + ``.bin`` + PNG maps, ORM packed) of generated geometry.

    Used for the project's own sample assets (tests, demo, benchmarks); returns every file written.
    """
    from pygltflib import (
        GLTF2,
        Accessor,
        Asset,
        Attributes,
        Buffer,
        BufferView,
        Image,
        Node,
        NormalMaterialTexture,
        OcclusionTextureInfo,
        PbrMetallicRoughness,
        Primitive,
        Scene,
        Texture,
        TextureInfo,
    )
    from pygltflib import Material as GMaterial
    from pygltflib import Mesh as GMesh

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = [positions.astype("<f4"), normals.astype("<f4"), uvs.astype("<f4"), triangles.astype("<u4").reshape(-1)]
    blob, views, accessors = b"", [], []
    for k, a in enumerate(arrays):
        data = a.tobytes()
        views.append(BufferView(buffer=0, byteOffset=len(blob), byteLength=len(data),
                                target=34963 if k == 3 else 34962))
        kind = {0: "VEC3", 1: "VEC3", 2: "VEC2", 3: "SCALAR"}[k]
        acc = Accessor(bufferView=k, componentType=5125 if k == 3 else 5126, count=len(a), type=kind)
        if k == 0:
            acc.min, acc.max = a.min(0).tolist(), a.max(0).tolist()
        accessors.append(acc)
        blob += data + b"\0" * (-len(data) % 4)
    stem = path.stem
    maps = material.maps()
    one = np.full((*maps["albedo"].shape[:2], 1), 255, np.uint8)
    images = {"albedo": maps["albedo"], "normal": maps["normal"],
              "orm": np.concatenate([maps.get("occlusion", one), maps.get("roughness", one),
                                     maps.get("metallic", np.zeros_like(one))], axis=-1)}
    written = [path, path.with_suffix(".bin")]
    for role, img in images.items():
        atomic_write(path.parent / f"{stem}_{role}.png", encode_png(img))
        written.append(path.parent / f"{stem}_{role}.png")
    g = GLTF2(
        asset=Asset(version="2.0", generator="texsandwich"), scene=0, scenes=[Scene(nodes=[0])],
        nodes=[Node(mesh=0, name=name)],
        meshes=[GMesh(name=name, primitives=[Primitive(attributes=Attributes(POSITION=0, NORMAL=1, TEXCOORD_0=2),
                                                       indices=3, material=0)])],
        accessors=accessors, bufferViews=views, buffers=[Buffer(byteLength=len(blob), uri=f"{stem}.bin")],
        images=[Image(uri=f"{stem}_{r}.png") for r in images], textures=[Texture(source=i) for i in range(3)],
        materials=[GMaterial(name=material.name, pbrMetallicRoughness=PbrMetallicRoughness(
            baseColorTexture=TextureInfo(index=0), metallicRoughnessTexture=TextureInfo(index=2)),
            normalTexture=NormalMaterialTexture(index=1), occlusionTexture=OcclusionTextureInfo(index=2))],
    )
    atomic_write(path.with_suffix(".bin"), blob)
    _write_json(g, path)
    return written
