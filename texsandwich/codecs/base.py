"""The one interface every real image codec offers to the sandwich.

A codec turns a *codec image* -- a list of planes -- into one complete standard file (``bytes``) and
back. Planes are 2-D ``uint8`` (8-bit) or ``uint16`` (10-bit) arrays. Two modes exist because the
sandwich and its baselines need different things from the same codec:

* ``raw``: the planes are coded exactly as they are (identity colour matrix, no RGB->YCbCr), which
  is what a bottleneck needs -- the networks decide what the planes mean. In this mode a 4:2:0 image
  takes one full-resolution plane and two half-resolution planes, and decode gives them back at
  those resolutions (the decoded samples before any chroma upsampling), so the sandwich, not the
  decoder's upsampling filter, decides how half-resolution planes are brought back.
* ``native``: the codec used the way a plain user would, on an RGB (3 planes) or gray (1 plane)
  image, with its own YCbCr conversion and chroma subsampling. This is the baseline mode.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from texsandwich.errors import CodecError, UsageError

Chroma = Literal["400", "420", "444"]
Mode = Literal["raw", "native"]
CHROMAS: tuple[str, ...] = ("400", "420", "444")
MODES: tuple[str, ...] = ("raw", "native")
HEIC_TUNINGS: dict[str, dict[str, str]] = {
    "default": {},
    "nlf": {"deblock": "false", "sao": "0"},
    "nlf-aq0": {"deblock": "false", "sao": "0", "aq-mode": "0"},
}
"""x265 parameters on top of libheif's own (preset slow, tune ssim), by name: what a bottleneck wants from the
encoder differs from what a photo does (docs/DECISIONS.md, Codecs). ``nlf``: no in-loop filters (deblocking,
SAO: flags in the stream's parameter sets, which every decoder honours). ``nlf-aq0``: and no adaptive
quantisation (encoder-side only), which coarsens the textured blocks where a pre-net puts its detail.
A name, once a model uses it, keeps its meaning: another combination gets another name.
(x265 reads ``deblock=0`` as the offsets 0:0, filter on; ``false`` switches it off.)"""


def tuning_text(name: str) -> str:
    """A tuning's x265 parameters as one would type them (``deblock=false sao=0``), for ``info``."""
    return " ".join(f"{k}={v}" for k, v in HEIC_TUNINGS[name].items())


def planes_per_image(chroma: str) -> int:
    """Number of planes a codec image of this chroma format carries."""
    return 1 if chroma == "400" else 3


@dataclass(frozen=True)
class CodecSettings:
    """How one codec image is coded. Stored verbatim in the ``.tsw`` manifest.

    ``quality`` (0-100) and ``step`` (a flat quantiser step, JPEG raw mode only) are alternatives;
    exactly one must be given.
    """

    chroma: str = "444"
    mode: str = "raw"
    quality: int | None = 50
    step: int | None = None
    bit_depth: int = 8
    chroma_qp: tuple[int, int] = (0, 0)
    """HEIC only: the Cb, Cr QP offsets (x265 ``cbqpoffs``/``crqpoffs``, -12..12, standard PPS fields any
    decoder reads): planes 1, 2 of a raw image quantised finer (< 0) or coarser than plane 0 at one
    quality, without the range a contrast gain uses up. Absent from the JSON when (0, 0)."""
    tuning: str = "default"
    """HEIC only: the x265 parameters of :data:`HEIC_TUNINGS` the encoder uses. Never in the JSON: decoders
    need nothing from it (as from x265's preset), and a manifest key would make every file of a tuned
    model unreadable to texsandwich versions that decode it perfectly well. The model the manifest names
    carries it (``heic_tuning`` in its weights file)."""

    def __post_init__(self) -> None:
        if self.chroma not in CHROMAS:
            raise UsageError(f"chroma format must be one of {', '.join(CHROMAS)}, not {self.chroma!r}")
        if self.mode not in MODES:
            raise UsageError(f"codec mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if (self.quality is None) == (self.step is None):
            raise UsageError("give exactly one of quality and step")
        if self.quality is not None and not (
            isinstance(self.quality, int) and not isinstance(self.quality, bool) and 0 <= self.quality <= 100
        ):
            raise UsageError(f"quality must be an integer from 0 to 100, not {self.quality!r}")
        if self.step is not None and not (
            isinstance(self.step, int) and not isinstance(self.step, bool) and 1 <= self.step <= 255
        ):
            raise UsageError(f"step must be an integer from 1 to 255, not {self.step!r}")
        if self.bit_depth not in (8, 10):
            raise UsageError(f"bit depth must be 8 or 10, not {self.bit_depth!r}")
        qp = self.chroma_qp
        if not (isinstance(qp, tuple) and len(qp) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) and -12 <= v <= 12 for v in qp)):
            raise UsageError(f"chroma QP offsets must be two integers from -12 to 12, not {qp!r}")
        if self.tuning not in HEIC_TUNINGS:
            raise UsageError(f"HEIC tuning must be one of {', '.join(HEIC_TUNINGS)}, not {self.tuning!r}")

    @property
    def peak(self) -> int:
        """Largest code value of a plane at this bit depth."""
        return (1 << self.bit_depth) - 1

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        if self.chroma_qp == (0, 0):
            del d["chroma_qp"]
        else:
            d["chroma_qp"] = list(self.chroma_qp)
        del d["tuning"]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CodecSettings:
        keys = {"chroma", "mode", "quality", "step", "bit_depth"}
        if not isinstance(d, dict) or not keys <= set(d) <= keys | {"chroma_qp"}:
            raise UsageError(f"codec settings must have exactly the keys {sorted(keys)} (and optionally chroma_qp)")
        qp = d.get("chroma_qp", [0, 0])
        if not isinstance(qp, list) or len(qp) != 2 or (qp == [0, 0] and "chroma_qp" in d):
            raise UsageError("chroma_qp must be a list of two offsets, present only when not both 0")
        return cls(**{**d, "chroma_qp": tuple(qp)})


def plane_shapes(chroma: str, height: int, width: int) -> list[tuple[int, int]]:
    """Shapes of the planes of a codec image of full size ``height`` x ``width`` in raw mode."""
    if chroma == "400":
        return [(height, width)]
    if chroma == "444":
        return [(height, width)] * 3
    return [(height, width), ((height + 1) // 2, (width + 1) // 2), ((height + 1) // 2, (width + 1) // 2)]


class Codec(ABC):
    """A real, standard image codec driven as the sandwich needs it."""

    name: str
    extension: str
    bit_depths: tuple[int, ...] = (8,)
    chroma_upsampling: str = "nearest"
    chroma_qp_offsets: bool = False
    """Whether :attr:`CodecSettings.chroma_qp` can be honoured (HEIC)."""
    tunable: bool = False
    """Whether :attr:`CodecSettings.tuning` can be honoured (HEIC)."""

    def block_size(self, chroma: str) -> int:
        """Multiple the image size must be padded to: 2 for 4:2:0 (whole chroma samples), else 1.

        Both codecs pad partial transform blocks internally by edge replication, which is what the
        proxy does too, so nothing larger is needed.
        """
        return 2 if chroma == "420" else 1

    def check(self, planes: Sequence[np.ndarray], settings: CodecSettings) -> tuple[int, int]:
        """Validate planes against settings; return the full image size (height, width)."""
        if settings.bit_depth not in self.bit_depths:
            raise UsageError(f"{self.name} cannot code {settings.bit_depth}-bit planes")
        if settings.chroma_qp != (0, 0) and not self.chroma_qp_offsets:
            raise UsageError(f"{self.name} has no chroma QP offsets")
        if settings.tuning != "default" and not self.tunable:
            raise UsageError(f"{self.name} has no encoder tunings ({settings.tuning!r} is HEIC's)")
        n = planes_per_image(settings.chroma)
        if len(planes) != n:
            raise CodecError(f"a {settings.chroma} image takes {n} planes, got {len(planes)}")
        dtype = np.uint8 if settings.bit_depth == 8 else np.uint16
        for p in planes:
            if p.ndim != 2 or p.dtype != dtype:
                raise CodecError(f"planes must be 2-D {np.dtype(dtype).name} arrays, got {p.dtype} {p.shape}")
            if settings.bit_depth > 8 and int(p.max(initial=0)) > settings.peak:
                raise CodecError(f"plane values exceed {settings.bit_depth} bits")
        h, w = planes[0].shape
        if h < 1 or w < 1:
            raise CodecError("empty image")
        if settings.mode == "native":
            if settings.chroma != "400" and any(p.shape != (h, w) for p in planes):
                raise CodecError("native mode takes full-resolution R, G, B planes")
        else:
            if settings.chroma == "420" and (h % 2 or w % 2):
                raise CodecError("a raw 4:2:0 image needs even width and height (pad it first)")
            want = plane_shapes(settings.chroma, h, w)
            if [p.shape for p in planes] != want:
                raise CodecError(f"plane shapes {[p.shape for p in planes]} do not match {settings.chroma}")
        return h, w

    @abstractmethod
    def encode(self, planes: Sequence[np.ndarray], settings: CodecSettings) -> bytes:
        """Code one image; deterministic for the same planes and settings."""

    def encode_lossless(self, planes: Sequence[np.ndarray], settings: CodecSettings) -> bytes | None:
        """The same image coded exactly, in a stream :meth:`decode` reads with ``settings``; None where the
        codec has no lossless mode (baseline JPEG)."""
        return None

    @abstractmethod
    def decode(self, data: bytes, settings: CodecSettings) -> list[np.ndarray]:
        """Decode a file written by :meth:`encode` with the same settings, as a standard decoder does: one
        contiguous, writable array per plane (callers hand them to torch without a copy)."""


def own_plane(a: np.ndarray) -> np.ndarray:
    """``a`` as a contiguous, writable array, copied only when it is not one already: decoders' buffers
    are read-only views, and a channel sliced from one is copied only when it is not contiguous (a
    one-sample plane counts as contiguous, so it came back read-only)."""
    return np.require(a, requirements=("C", "W"))


def upsample_nearest(plane: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Replicate each sample 2x2 and crop to ``shape``.

    Encoders take full-resolution input and subsample chroma themselves; they average (libjpeg) or
    pick (libheif) 2x2 neighbourhoods, and both give the original sample back from a replicated block,
    so this hands them half-resolution planes exactly.
    """
    return np.repeat(np.repeat(plane, 2, axis=0), 2, axis=1)[: shape[0], : shape[1]]


def at_quality(steps: Sequence[tuple[int, float]], quality: int | None, default: float) -> float:
    """The value of ``(from quality, value)`` steps (ascending) at a codec quality: the last step at or
    below it; ``default`` below the first step or without a quality (a flat JPEG step)."""
    value = default
    for q, v in steps:
        if quality is not None and quality >= q:
            value = v
    return value
