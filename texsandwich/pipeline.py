"""The one-way data flow of a sandwich, on real codecs:

source -> model.pre -> layout.split -> codec.encode  =>  .tsw  =>  codec.decode -> layout.merge -> model.post

Training replaces ``codec.encode/decode`` by :class:`texsandwich.proxy.ImageCodecProxy`; everything
else is the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import torch

from texsandwich import __version__, postfilter
from texsandwich.adapters import ADAPTERS
from texsandwich.codecs import Codec, CodecSettings, at_quality, get_codec
from texsandwich.container import Manifest, Tsw, check_model, read_tsw, write_tsw
from texsandwich.distortion import mse_scorer
from texsandwich.errors import CodecError, UsageError
from texsandwich.hdr.io import HdrSource
from texsandwich.hdr.tone import ToneCurve, fit_tone_curve
from texsandwich.images import ALPHA, NO_META, ImageMeta
from texsandwich.layout import CodecImage, Layout
from texsandwich.models import SandwichModel
from texsandwich.postfilter import NormalFilter
from texsandwich.proxy.quant import clip_round
from texsandwich.rdo import Allocation, choose_offsets
from texsandwich.recipes import RECIPES, Baseline, Part, Recipe, sample_unit
from texsandwich.resample import downscale2, pad_to_multiple, upscale2
from texsandwich.tiling import tiled

if TYPE_CHECKING:  # encoder_opt codes through this module's codec steps
    from texsandwich.encoder_opt import Outcome


def model_multiple(model: SandwichModel) -> int:
    """Tile origins must be multiples of this (the networks' decimation; 2 keeps carrier parity)."""
    nets = [getattr(model, n) for n in ("pre_net", "post_net") if hasattr(model, n)]
    return max([2, *(int(getattr(n, "multiple", 1)) for n in nets)])


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """``[H, W, C]`` integer image -> ``[1, C, H, W]`` float32 on the 0..peak scale."""
    return torch.tensor(image, dtype=torch.float32).permute(2, 0, 1).unsqueeze(0)


def to_image(x: torch.Tensor, bit_depth: int = 8, inplace: bool = False) -> np.ndarray:
    """``[1, C, H, W]`` float -> ``[H, W, C]`` integer image, rounded and clipped.

    ``inplace``: round and clip ``x`` itself (the caller has no further use for it): a 4K float image
    is 0.2 GB a copy, 0.5 GB with a material's eight planes.
    """
    peak = (1 << bit_depth) - 1
    dtype = np.uint8 if bit_depth <= 8 else np.uint16
    y = x[0].detach()
    y = y.round_() if inplace else y.round()
    return y.clamp_(0, peak).permute(1, 2, 0).numpy().astype(dtype)


@dataclass(frozen=True)
class Compressed:
    data: bytes
    """The complete ``.tsw`` file."""
    manifest: Manifest
    reconstruction: np.ndarray | None
    """What :func:`decompress` will give back: the real decoder's output through the post-processor, in the
    recipe's channels (a gray source's decoded file is their :func:`texsandwich.images.gray_mean`). None
    when ``compress(measure=False)`` had no reason to decode."""
    optimised: Outcome | None = None
    """What the encoder-side optimisation measured, when it ran (``encoder_steps``)."""


def codec_settings(
    codec: str, quality: int | None, step: int | None, bit_depth: int = 8, chroma: str = "444",
    model: SandwichModel | None = None,
) -> CodecSettings:
    """Raw-mode settings for a bottleneck; each codec image takes the chroma of its layout group.

    ``model``: a model that codes through HEIC with chroma QP offsets, or with its own x265 tuning, gets
    them (other codecs have neither).
    """
    if quality is None and step is None:
        quality = 50
    if step is not None and codec != "jpeg":
        raise UsageError("--step (a flat quantiser step) applies to --codec jpeg only")
    if bit_depth not in get_codec(codec).bit_depths:
        depths = ", ".join(str(b) for b in get_codec(codec).bit_depths)
        raise UsageError(f"--codec {codec} codes {depths}-bit planes, not {bit_depth}-bit")
    qp = model.heic_chroma_qp if model is not None and get_codec(codec).chroma_qp_offsets else (0, 0)
    tuning = model.heic_tuning if model is not None and get_codec(codec).tunable else "default"
    return CodecSettings(chroma=chroma, mode="raw", quality=None if step is not None else quality,
                         step=step, bit_depth=bit_depth, chroma_qp=qp, tuning=tuning)


def code_scale(settings: CodecSettings) -> float:
    """Factor from the 8-bit scale models work on to the codec's code values.

    Models produce bottlenecks on the 0..255 scale; a deeper codec (10-bit HEIC) carries the same
    planes with finer steps, so the extra bits keep precision the 8-bit rounding would throw away.
    """
    return float(1 << (settings.bit_depth - 8))


@torch.no_grad()
def compress(
    image: np.ndarray, recipe: Recipe, model: SandwichModel, codec: str = "heic",
    quality: int | None = None, step: int | None = None, bit_depth: int = 8,
    side: dict[str, np.ndarray] | None = None, hdr: HdrSource | None = None, normal_filter: bool = True,
    allocate: bool = True, measure_side: dict[str, np.ndarray] | None = None, encoder_steps: int = 0,
    on_step: Callable[[int, int], None] | None = None, meta: ImageMeta = NO_META,
    reuse: dict[object, torch.Tensor] | None = None, measure: bool = True,
    alpha_quality: int | str | None = None,
) -> Compressed:
    """Compress one ``[H, W, C]`` source into a ``.tsw`` and also return its decoded reconstruction.

    ``side`` maps (``[H, W, 1]`` uint8, e.g. a material's metallic) ride along as plain raw 4:0:0
    images of the same codec and settings: not part of the recipe, but not lost either. ``hdr`` (16-bit
    sources) records the source's file kind and transfer function so ``decompress`` writes it back; ``meta``
    (8-bit image files) whether it was gray, its EXIF orientation and colour profile, likewise.
    ``normal_filter``: fit and send the integrability filter for recipes with a normal map (the default).
    ``allocate``: for recipes with an allocation search (:mod:`texsandwich.rdo`), choose per-image quality
    offsets for this file, scored by the recipe's distortion with ``measure_side`` (default ``side``: a
    material's metallic map; mesh frames when evaluating a glTF).
    ``encoder_steps``: tune the coded planes for this image against the real codec and post-net
    (:mod:`texsandwich.encoder_opt`); 0 codes the pre-net's output as it is. ``on_step(done, total)`` is
    called after each of its steps (progress for long encodes).
    ``reuse``: a dict the caller keeps across calls on the same image and model (a search over
    qualities): the pre-net's output is kept there and computed again only when the input it sees
    changes (a 16-bit source's tone curve depends on the quality) -- one full-size float image held
    between calls for a pre-net run saved on each.
    ``measure=False``: do not decode the file only to return its reconstruction (which is then None): the
    decode and post-net are ~40 % of an image's encode. A file that fits the normal post-filter is
    decoded all the same (the fit needs it); the bytes are the same either way.
    ``alpha_quality``: how a side map ``alpha`` is coded (:func:`code_alpha`).
    """
    if image.ndim != 3 or image.shape[2] != len(recipe.channels):
        raise UsageError(f"recipe {recipe.id} takes {len(recipe.channels)}-channel sources")
    height, width = image.shape[:2]
    settings = codec_settings(codec, quality, step, bit_depth, recipe.layout.chroma, model)
    if encoder_steps:
        from texsandwich.encoder_opt import check_supported, optimise_planes

        check_supported(recipe, settings)  # before the pre-net and any allocation search
    tone = tone_for(image, recipe, settings)
    # networks and adapters work on the 0..255 scale: a 16-bit signal through its tone curve, or / 257
    # (in place where a copy would be a second full-size float image: 0.5 GB for a 4K material)
    source = tone.forward(to_tensor(image)) if tone else to_tensor(image).div_(recipe.unit)
    key = tone.knots if tone else None
    if reuse is not None and key in reuse:
        bottleneck = reuse[key]  # nothing below writes into it: the codec and the search read copies
    else:
        # the pre-net's output over its input where nothing reads the source after it (no allocation
        # search, encoder steps or normal filter): one full-size float image less, 0.8 GB at 8K
        searched = allocate and recipe.allocation is not None and settings.quality is not None
        needed = searched or bool(encoder_steps) or (normal_filter and recipe.normal_at is not None)
        bottleneck = tiled(model.pre, source, multiple=model_multiple(model), inplace=not needed)
        if reuse is not None:
            reuse.clear()  # only the latest: a search does not come back to an earlier curve
            reuse[key] = bottleneck
    if code_scale(settings) != 1.0:  # a copy: the pre-processor may hand back its input (identity adapters)
        bottleneck = bottleneck * code_scale(settings)
    offsets: tuple[int, ...] = ()
    if allocate and recipe.allocation is not None and settings.quality is not None:
        offsets = allocate_offsets(image, source, bottleneck, recipe, model, codec, settings,
                                   side if measure_side is None else measure_side, normal_filter, tone)
        offsets = offsets if any(offsets) else ()  # the manifest records offsets only when there are some
    manifest = Manifest(
        recipe=recipe.id, model_id=model.model_id, model_sha256=model.sha256, width=width, height=height,
        channels=recipe.channels, bit_depth=recipe.bit_depth, layout=recipe.layout, codec=codec,
        settings=settings, encoder=f"texsandwich {__version__}", side=tuple(sorted(side or {})),
        transfer=hdr.transfer if hdr else None, source_format=hdr.format if hdr else "gray" if meta.gray else None,
        tone=tone, offsets=offsets, orientation=meta.orientation, chromaticities=hdr.chromaticities if hdr else None,
    )
    outcome = None
    planes = None
    if encoder_steps:
        planes, outcome = optimise_planes(source, bottleneck, model, recipe, codec, settings, encoder_steps,
                                          code_scale(settings), model_multiple(model), on_step)
    # of the source only the crop the normal post-filter is fitted on is needed from here: the codec and
    # the decoding below need their own full-size buffers (0.5 GB each for a 4K material)
    at = recipe.normal_at if normal_filter else None
    fit_ref = source[:, at:at + 3, *postfilter.centre(source)].clone() if at is not None else None
    del source
    if planes is not None:
        streams = encode_planes(planes, recipe.layout, codec, settings)
    else:
        streams = encode_bottleneck(bottleneck, recipe.layout, codec, settings, offsets)
    del bottleneck, planes
    for name in manifest.side:
        plane = to_tensor(side[name]) * code_scale(settings)  # type: ignore[index]
        if name == ALPHA:
            streams.append(code_alpha(plane, codec, settings, alpha_quality, side_layout(recipe)))
        else:
            streams += encode_bottleneck(plane, side_layout(recipe), codec, settings)
    data = write_tsw(manifest, streams, meta.icc)
    if not measure and fit_ref is None:
        return Compressed(data, manifest, None, outcome)
    tsw = read_tsw(data)
    manifest = tsw.manifest
    decoded = decode_float(tsw, model)
    # the centre crop of a crop no larger than it is the whole crop: the same fit as on the full maps
    fitted = fit_postfilter(fit_ref, decoded[:, at:at + 3, *postfilter.centre(decoded)], 0) \
        if fit_ref is not None and at is not None else None
    if fitted is not None:
        f, gain_db = fitted
        candidate = replace(manifest, postfilter=f)
        filtered = write_tsw(candidate, streams, meta.icc)
        if worth_it(gain_db, len(data), len(filtered)):
            data, manifest = filtered, candidate
    return Compressed(data, manifest, finish(decoded, manifest), outcome)


def allocate_offsets(
    image: np.ndarray, source: torch.Tensor, bottleneck: torch.Tensor, recipe: Recipe, model: SandwichModel,
    codec: str, settings: CodecSettings, side: dict[str, np.ndarray] | None, normal_filter: bool,
    tone: ToneCurve | None = None,
) -> tuple[int, ...]:
    """Per-image quality offsets for this file (:func:`texsandwich.rdo.choose_offsets`), searched on a
    centre crop: every candidate is real encodes (cached per image and quality), the real decoder, the
    post-net, the post-filter the encoder would fit, the inverse of the file's ``tone`` curve, and the
    recipe's distortion against the source."""
    search = recipe.allocation
    assert search is not None and settings.quality is not None
    h, w = image.shape[:2]
    ch, cw = min(h, search.crop), min(w, search.crop)
    y0, x0 = (h - ch) // 32 * 16, (w - cw) // 32 * 16  # centred, on a 16-sample grid
    rows, cols = slice(y0, y0 + ch), slice(x0, x0 + cw)
    src_img, src = image[rows, cols], source[..., rows, cols]
    score = mse_scorer(recipe.distortion, src_img, {k: v[rows, cols] for k, v in (side or {}).items()})
    layout, c = recipe.layout, get_codec(codec)
    images = layout.split(bottleneck[..., rows, cols])
    cache: dict[tuple[int, int | None], tuple[int, list[np.ndarray]]] = {}

    def coded(i: int, s: CodecSettings) -> tuple[int, list[np.ndarray]]:
        if (i, s.quality) not in cache:
            data = _encode_image(c, images[i], s)
            cache[i, s.quality] = (len(data), c.decode(data, s))
        return cache[i, s.quality]

    def cost(offsets: tuple[int, ...]) -> tuple[float, float]:
        parts = [coded(i, s) for i, s in enumerate(layout.settings_for(settings, offsets))]
        y = merge_decoded([p[1] for p in parts], layout, ch, cw) / code_scale(settings)
        out = post_process(y, model, codec, settings.quality, inplace=True)
        fitted = fit_postfilter(src, out, recipe.normal_at) if normal_filter and recipe.normal_at is not None else None
        rec = to_source(out, recipe, fitted[0] if fitted else None, tone)
        return 8.0 * sum(p[0] for p in parts), score(rec)

    offsets, _ = choose_offsets(cost, len(layout.groups), settings.quality, search)
    return offsets


FILTER_SLOPE_DB = 8.0
"""dB per decade of rate that the post-filter's side information must buy: normal maps gain 5-11 dB
per decade of HEIC rate over q 10-90, so at this slope the filter's ~75 bytes pay wherever it is kept."""


def worth_it(gain_db: float, before: int, after: int) -> bool:
    """Whether a gain of ``gain_db`` is worth growing the file from ``before`` to ``after`` bytes."""
    return gain_db > FILTER_SLOPE_DB * float(np.log10(after / before))


def fit_postfilter(source: torch.Tensor, decoded: torch.Tensor, at: int) -> tuple[NormalFilter, float] | None:
    """The integrability filter for this decode and its gain in dB on the normal map, or None.

    Least squares fits the gains to n_x, n_y; clamping and rebuilding n_z after it can in principle
    undo a tiny gain, so the encoder measures the real error of all three channels -- on the centre
    crop the gains were fitted on (at most 1024²), so a 4K map costs no full-size copies here.
    """
    f = postfilter.fit(source[:, at : at + 3], decoded[:, at : at + 3])
    if f.identity:
        return None
    rows, cols = postfilter.centre(source)
    ref, dec = source[:, at : at + 3, rows, cols], decoded[:, at : at + 3, rows, cols]
    before = float(((dec.clamp(0, 255).round() - ref) ** 2).mean())
    after = float(((postfilter.apply(f, dec).clamp(0, 255).round() - ref) ** 2).mean())
    if not after < before:
        return None
    return f, 10.0 * float(np.log10(before / after)) if after > 0 else float("inf")


def tone_for(image: np.ndarray, recipe: Recipe, settings: CodecSettings) -> ToneCurve | None:
    """The per-image tone curve the recipe's policy asks for at this quality (None: the linear map).

    Only for 8-bit bottlenecks: a 10-bit one rounds 4x finer, and there the curve's extra bits cost more
    than the rounding it saves (held-out HDR: -15.5 % BD-rate vs top-8 with it, -18.8 % without).
    """
    if recipe.bit_depth != 16 or settings.bit_depth != 8:
        return None
    strength = at_quality(recipe.tone, settings.quality, 0.0)
    return fit_tone_curve(image, strength) if strength > 0 else None


ALPHA_LOSSLESS = "lossless"


def side_layout(recipe: Recipe) -> Layout:
    """How each side map (a material's metallic, an image's alpha) is coded: one 4:0:0 image at the
    recipe's scale, so that no codec image of a file is larger than the recipe promises (``rgb-hr2``'s
    alpha goes through the half-resolution codec too: bicubic down, Lanczos3 up, like its colour)."""
    return Layout("400", 1, recipe.layout.scale)


def code_alpha(plane: torch.Tensor, codec: str, settings: CodecSettings, quality: int | str | None,
               layout: Layout) -> bytes:
    """The codec file of an image's alpha (``[1, 1, H, W]``, code scale, coded as ``layout``): at the
    colour's settings, or at ``quality`` (avifenc's ``--qalpha``, cwebp's ``-alpha_q``), or exactly
    (:data:`ALPHA_LOSSLESS`; exact at the layout's resolution).

    Lossy or not, the exact coding is also tried and kept when it is not larger: a cut-out's hard edge
    costs x265 about as much lossy as exact, so exactness is often free (docs/DECISIONS.md).
    """
    c = get_codec(codec)
    image = layout.split(plane)[0]
    s0 = layout.settings_for(settings)[0]
    exact = c.encode_lossless(_arrays(image, s0), s0)
    if quality == ALPHA_LOSSLESS:
        if exact is None:
            raise UsageError(f"{codec} has no lossless mode for the alpha; give the alpha a quality (0-100)")
        return exact
    s = settings if quality is None else replace(settings, quality=int(quality), step=None)
    lossy = encode_planes([image], layout, codec, s)[0]
    return exact if exact is not None and len(exact) <= len(lossy) else lossy


def encode_bottleneck(y: torch.Tensor, layout: Layout, codec: str, settings: CodecSettings,
                      offsets: tuple[int, ...] = ()) -> list[bytes]:
    """Code a ``[1, P, H, W]`` bottleneck (code scale) as the layout's codec images: one file each
    (``offsets``: per-image quality offsets, :meth:`Layout.settings_for`)."""
    if not torch.isfinite(torch.stack(torch.aminmax(y))).all():  # NaN and +-inf reach the extremes; no copy
        raise CodecError("the pre-processor produced NaN or infinite bottleneck values; nothing was encoded")
    return encode_planes(layout.split(y), layout, codec, settings, offsets)


def encode_planes(images: list[CodecImage], layout: Layout, codec: str, settings: CodecSettings,
                  offsets: tuple[int, ...] = ()) -> list[bytes]:
    """Code the layout's codec images (code scale, batch of one, as :meth:`Layout.split` gives them)."""
    c = get_codec(codec)
    return [_encode_image(c, planes, s)
            for s, planes in zip(layout.settings_for(settings, offsets), images, strict=True)]


def _encode_image(c: Codec, planes: list[torch.Tensor], s: CodecSettings) -> bytes:
    """One codec image's planes (code scale, batch of one) -> the codec's file."""
    return c.encode(_arrays(planes, s), s)


def _arrays(planes: list[torch.Tensor], s: CodecSettings) -> list[np.ndarray]:
    """A codec image's planes (code scale, batch of one) as the integer arrays a codec takes."""
    dtype = np.uint8 if s.bit_depth == 8 else np.uint16
    return [clip_round(p[0], float(s.peak)).numpy().astype(dtype) for p in planes]


def decode_streams(
    streams: Sequence[bytes], layout: Layout, codec: str, settings: CodecSettings
) -> list[list[np.ndarray]]:
    """The decoded planes of every codec image, as any standard decoder gives them."""
    c = get_codec(codec)
    return [c.decode(data, s) for data, s in zip(streams, layout.settings_for(settings), strict=True)]


def decoded_tensors(images: list[list[np.ndarray]]) -> list[CodecImage]:
    """Decoded codec images as float tensors (batch of one), as :meth:`Layout.merge` takes them."""
    return [[torch.from_numpy(p.astype(np.float32)).unsqueeze(0) for p in planes] for planes in images]


def merge_decoded(images: list[list[np.ndarray]], layout: Layout, height: int, width: int) -> torch.Tensor:
    """Decoded codec images -> ``[1, P, height, width]`` float bottleneck on the code scale (the integer
    planes go into it as they are: :meth:`Layout.merge` converts once)."""
    return layout.merge([[torch.from_numpy(p).unsqueeze(0) for p in planes] for planes in images], height, width)


def code_planes(images: list[CodecImage], layout: Layout, codec: str, settings: CodecSettings
                ) -> tuple[int, list[CodecImage]]:
    """Real encode and decode of the layout's codec images: the files' total bytes and the decoded planes
    (float tensors); the encoder's optimisation measures every step with it."""
    streams = encode_planes(images, layout, codec, settings)
    return sum(map(len, streams)), decoded_tensors(decode_streams(streams, layout, codec, settings))


@torch.no_grad()
def code_bottleneck(y: torch.Tensor, layout: Layout, codec: str, settings: CodecSettings) -> torch.Tensor:
    """Real-codec counterpart of the proxy's forward pass: ``[1, P, H, W]`` in, decoded bottleneck out."""
    decoded = decode_streams(encode_bottleneck(y, layout, codec, settings), layout, codec, settings)
    return merge_decoded(decoded, layout, *y.shape[-2:])


def decode_bottleneck(tsw: Tsw) -> list[list[np.ndarray]]:
    """The decoded planes of every codec image of a parsed ``.tsw``."""
    m = tsw.manifest
    return decode_streams(tsw.streams[: len(m.layout.groups)], m.layout, m.codec, m.settings)


def decode_side(tsw: Tsw) -> dict[str, np.ndarray]:
    """The side maps of a ``.tsw`` (``[H, W, 1]`` uint8 each), decoded without any network."""
    m = tsw.manifest
    out = {}
    one = side_layout(RECIPES[m.recipe])
    for name, data in zip(m.side, tsw.streams[len(m.layout.groups):], strict=True):
        plane = merge_decoded(decode_streams([data], one, m.codec, m.settings), one, m.height, m.width)
        out[name] = to_image(plane / code_scale(m.settings))
    return out


@torch.no_grad()
def reconstruct(tsw: Tsw, model: SandwichModel) -> np.ndarray:
    """Decode a parsed ``.tsw`` with ``model`` (checked against the manifest) into a source image."""
    return finish(decode_float(tsw, model), tsw.manifest)


@torch.no_grad()
def decode_float(tsw: Tsw, model: SandwichModel) -> torch.Tensor:
    """The post-net's output ``[1, C, H, W]`` on the 0..255 scale (before any post-filter and rounding)."""
    m = tsw.manifest
    check_model(m, model.model_id, model.sha256)
    y = merge_decoded(decode_bottleneck(tsw), m.layout, m.height, m.width)
    if code_scale(m.settings) != 1.0:
        y.div_(code_scale(m.settings))  # in place: y is fresh, and a 4K 8-plane copy is 0.5 GB
    return post_process(y, model, m.codec, m.settings.quality, inplace=True)  # y is this function's own


def post_process(y: torch.Tensor, model: SandwichModel, codec: str, quality: int | None,
                 inplace: bool = False) -> torch.Tensor:
    """Decoded bottleneck (0..255 scale) -> the post-net's output, tiled: shared by the decoder and the
    encoder's allocation search, which must score exactly what the decoder will produce. ``inplace``:
    into ``y`` itself where the post-net keeps its planes (``y`` is the caller's to give up)."""
    return tiled(partial(model.post, codec=codec, quality=quality), y, multiple=model_multiple(model),
                 inplace=inplace)


def finish(out: torch.Tensor, m: Manifest) -> np.ndarray:
    """Post-filter (when the manifest has one), undo the tone curve or scale, round: the source image."""
    return to_source(out, RECIPES[m.recipe], m.postfilter, m.tone, m.bit_depth, inplace=True)


def to_source(out: torch.Tensor, recipe: Recipe, filt: NormalFilter | None, tone: ToneCurve | None,
              bit_depth: int | None = None, inplace: bool = False) -> np.ndarray:
    """The decode tail after the post-net: post-filter, inverse tone curve or sample scale, rounding.

    Takes the filter and tone curve directly (not a :class:`Manifest`) so that the encoder can score a
    candidate before any manifest exists; ``bit_depth`` defaults to the recipe's.
    """
    depth = recipe.bit_depth if bit_depth is None else bit_depth
    if filt is not None:
        out = postfilter.apply(filt, out, recipe.normal_at or 0, inplace=inplace)
    if tone is not None:
        return to_image(tone.inverse(out), depth, inplace=True)  # the inverse is a fresh tensor
    unit = sample_unit(depth)
    if unit == 1.0:  # 8-bit: no scaling, and no copy unless the caller's tensor must survive
        return to_image(out, depth, inplace=inplace)
    return to_image(out * unit, depth, inplace=True)


def array_bit_depth(image: np.ndarray) -> int:
    """16 for a uint16 source (16-bit recipes), else 8."""
    return 16 if image.dtype == np.uint16 else 8


@torch.no_grad()
def lossless(image: np.ndarray, adapter: str) -> np.ndarray:
    """The source through an adapter and back with nothing but 8-bit rounding (no codec): a recipe's ceiling."""
    a = ADAPTERS[adapter]
    bits = array_bit_depth(image)
    unit = sample_unit(bits)
    return to_image(a.post(a.pre(to_tensor(image) / unit).round().clamp(0, 255)) * unit, bits)


@torch.no_grad()
def baseline(image: np.ndarray, base: Baseline, codec: str, quality: int,
             tuning: str = "default") -> tuple[bytes, np.ndarray]:
    """The plain codec on the source, part by part: every file concatenated, and the reconstruction."""
    files, out = baseline_files(image, base, codec, quality, tuning)
    return b"".join(files), out


def baseline_files(image: np.ndarray, base: Baseline, codec: str, quality: int,
                   tuning: str = "default") -> tuple[list[bytes], np.ndarray]:
    """The plain codec on the source, part by part: each file, and the reconstruction.

    A 'native' part goes through the codec's own colour path (YCbCr or gray), as a user would save it;
    a 'raw' part codes its planes as they are (no colour conversion) through the layout code.
    ``tuning``: an x265 tuning for HEIC (:data:`texsandwich.codecs.HEIC_TUNINGS`). Reports keep libheif's
    own settings, the "HEIC" a user gets; the tuning is there to measure what a model's tuning would give
    the baselines too (``tools/screen_tunings.py``).
    """
    return _assemble_baseline(image, base, [quality] * len(base.parts),
                              lambda i, q: _baseline_part(image, base.parts[i], codec, q, tuning))


def _assemble_baseline(image: np.ndarray, base: Baseline, qualities: list[int],
                       code_part: Callable[[int, int], tuple[list[bytes], np.ndarray]],
                       ) -> tuple[list[bytes], np.ndarray]:
    """Part ``i`` coded at ``qualities[i]`` by ``code_part(i, quality)``: all files, and the reconstruction."""
    files: list[bytes] = []
    out = np.zeros_like(image)
    for i, (part, q) in enumerate(zip(base.parts, qualities, strict=True)):
        part_files, rec = code_part(i, min(100, max(0, q)))
        files.extend(part_files)
        out[..., list(part.channels)] = rec
    return files, out


def _baseline_part(image: np.ndarray, part: Part, codec: str, quality: int,
                   tuning: str = "default") -> tuple[list[bytes], np.ndarray]:
    """One part of a baseline: its files and its channels' reconstruction."""
    c = get_codec(codec)
    bits = array_bit_depth(image)
    unit = sample_unit(bits)
    adapter = ADAPTERS[part.adapter]
    src = to_tensor(np.ascontiguousarray(image[..., list(part.channels)])) / unit
    if part.scale == 2:  # what a user limited to half resolution does: bicubic down, code, Lanczos3 up
        h, w = src.shape[-2:]
        src = downscale2(pad_to_multiple(src, 2)).round().clamp(0, 255)
    if part.mode == "native":
        planes = to_image(adapter.pre(src))
        settings = CodecSettings(chroma=part.chroma, mode="native", quality=quality, tuning=tuning)
        data = c.encode([np.ascontiguousarray(planes[..., i]) for i in range(planes.shape[2])], settings)
        files = [data]
        decoded = to_tensor(np.stack(c.decode(data, settings), axis=-1).astype(np.float32))
    else:
        y = adapter.pre(src)
        layout = Layout(part.chroma, y.shape[1])
        settings = replace(codec_settings(codec, quality, None, 8, part.chroma), tuning=tuning)
        files = encode_bottleneck(y, layout, codec, settings)
        decoded = merge_decoded(decode_streams(files, layout, codec, settings), layout, *y.shape[-2:])
    rec = adapter.post(decoded)
    if part.scale == 2:
        rec = upscale2(rec[..., : -(-h // 2), : -(-w // 2)])[..., :h, :w]
    return files, to_image(rec * unit, bits)


def allocated_baseline(image: np.ndarray, base: Baseline, codec: str, quality: int, kind: str,
                       side: dict[str, np.ndarray] | None = None) -> tuple[list[bytes], np.ndarray]:
    """The control for per-file allocation: the same search (:func:`texsandwich.rdo.choose_offsets`,
    D + lambda R with the recipe's distortion) choosing a quality offset per *part* of a plain-codec
    baseline -- what the search is worth without any network. On the whole image (an evaluation tool)."""
    score = mse_scorer(kind, image, side)
    cache: dict[tuple[int, int], tuple[list[bytes], np.ndarray]] = {}

    def part_at(i: int, q: int) -> tuple[list[bytes], np.ndarray]:
        if (i, q) not in cache:
            cache[i, q] = _baseline_part(image, base.parts[i], codec, q)
        return cache[i, q]

    def assemble(offsets: tuple[int, ...]) -> tuple[list[bytes], np.ndarray]:
        return _assemble_baseline(image, base, [quality + o for o in offsets], part_at)

    def cost(offsets: tuple[int, ...]) -> tuple[float, float]:
        files, out = assemble(offsets)
        return 8.0 * sum(map(len, files)), score(out)

    n = len(base.parts)
    offsets, _ = choose_offsets(cost, n, quality, Allocation(tuple((i,) for i in range(n))))
    return assemble(offsets)
