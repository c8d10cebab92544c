"""Real codecs, by name. See :mod:`texsandwich.codecs.base` for the interface."""

from __future__ import annotations

from texsandwich.codecs.base import (
    CHROMAS,
    HEIC_TUNINGS,
    MODES,
    Codec,
    CodecSettings,
    at_quality,
    plane_shapes,
    planes_per_image,
    tuning_text,
)
from texsandwich.codecs.heic import HeicCodec
from texsandwich.codecs.jpeg import JpegCodec, quality_to_step
from texsandwich.errors import UsageError

CODECS: dict[str, Codec] = {c.name: c for c in (HeicCodec(), JpegCodec())}


def get_codec(name: str) -> Codec:
    """The codec registered under ``name`` (``heic`` or ``jpeg``)."""
    try:
        return CODECS[name]
    except KeyError:
        raise UsageError(f"unknown codec {name!r}; choose one of {', '.join(CODECS)}") from None


__all__ = [
    "CHROMAS",
    "CODECS",
    "HEIC_TUNINGS",
    "MODES",
    "Codec",
    "CodecSettings",
    "at_quality",
    "get_codec",
    "plane_shapes",
    "planes_per_image",
    "quality_to_step",
    "tuning_text",
]
