"""Make the preset dictionary of stream heads (``texsandwich/formats/heads-v3.bin``). Run once.

The dictionary is part of ``.tsw`` format version 3 (see :mod:`texsandwich.heads`): a new one needs a
new format version, so this tool refuses to replace the file unless told ``--force`` (and a test pins the
committed file's SHA-256). It holds the heads of real encodes of every layout the recipes write, the
most common last (deflate references near data more cheaply): JPEG gray / 4:4:4 / 4:2:0, HEIC 10-bit,
native YCbCr 4:2:0, raw 4:2:0 / 4:4:4 (with and without chroma QP offsets), and raw 4:0:0 (pbr8's
eight planes, hr2 and normal maps).

    .venv/bin/python tools/make_heads_dict.py [--force]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from texsandwich.codecs import CodecSettings, get_codec, plane_shapes
from texsandwich.heads import DICT_FILE, head_length

OUT = Path(__file__).resolve().parent.parent / "texsandwich" / "formats" / DICT_FILE

CASES = [  # (codec, chroma, mode, quality or step, bit depth, chroma QP offsets)
    ("jpeg", "400", "native", 50, 8, (0, 0)),
    ("jpeg", "420", "native", 50, 8, (0, 0)),
    ("jpeg", "400", "raw", 12, 8, (0, 0)),
    ("jpeg", "444", "raw", 12, 8, (0, 0)),
    ("jpeg", "420", "raw", 12, 8, (0, 0)),
    ("heic", "444", "raw", 50, 10, (0, 0)),
    ("heic", "420", "native", 50, 8, (0, 0)),
    ("heic", "444", "native", 50, 8, (0, 0)),
    ("heic", "420", "raw", 50, 8, (0, 0)),
    ("heic", "444", "raw", 50, 8, (-2, 0)),
    ("heic", "444", "raw", 50, 8, (0, 0)),
    ("heic", "400", "raw", 50, 8, (0, 0)),
]


def head(codec: str, chroma: str, mode: str, q: int, depth: int, cqp: tuple[int, int]) -> bytes:
    rng = np.random.default_rng(0)
    settings = CodecSettings(chroma=chroma, mode=mode, bit_depth=depth, chroma_qp=cqp,
                             **({"step": q, "quality": None} if codec == "jpeg" and mode == "raw" else {"quality": q}))
    top = (1 << depth) - 1
    shapes = plane_shapes(chroma, 512, 512) if mode == "raw" else [(512, 512)] * (1 if chroma == "400" else 3)
    planes = [np.clip(rng.normal(top / 2, top / 8, s), 0, top).astype(np.uint16 if depth > 8 else np.uint8)
              for s in shapes]
    data = get_codec(codec).encode(planes, settings)
    return data[: head_length(codec, data)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--force", action="store_true", help="replace the committed dictionary (breaks format 3 files)")
    a = p.parse_args()
    if OUT.exists() and not a.force:
        print(f"{OUT} exists; it is part of format version 3 (use --force only with a new version)", file=sys.stderr)
        return 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    blob = b"".join(head(*c) for c in CASES)
    OUT.write_bytes(blob)
    print(f"wrote {OUT} ({len(blob)} bytes from {len(CASES)} heads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
