"""Progress of a long command, told to a person or to a program.

``--progress human`` (the default) shows a tqdm bar on a terminal and one line per finished asset.
``--progress json`` is for programs that drive the CLI (the Blender add-on): stdout carries one JSON
object per line, flushed as it happens, and nothing else. Every object has ``"event"``:

* ``start``: ``command``, ``assets`` (how many will be processed), ``version``
* ``step``: ``asset``, ``done``, ``total``, ``what`` — progress inside one asset (a glTF's materials;
  ``what: "encoder step"`` for ``--encoder-steps``, ``done`` counting from 0, the unoptimised planes)
* ``material``: one coded material of a glTF (recipe, files, bytes, shaded PSNR, textures)
* ``asset``: ``name``, ``source``, ``output``, ``bytes_in``, ``bytes_out``, ``skipped``, ``done``, ``total``
* ``error``: ``asset`` (null for the whole command), ``message``
* ``done``: ``assets``, ``failed``, ``bytes_in``, ``bytes_out``

A failing command still prints its one-line error on stderr and exits non-zero; the ``error`` event
says the same on stdout so a reader of the stream alone never misses it. Field names only ever grow.
"""

from __future__ import annotations

import json
import math
import sys
import threading
from typing import Any

from tqdm import tqdm

from texsandwich import __version__

MODES = ("human", "json")

TERMINAL = threading.RLock()
"""Held by everything that writes to stdout/stderr from worker threads, and by code that briefly takes
the process's stdout/stderr over (:func:`texsandwich.hdr.io.read_exr` catches OpenEXR's own output):
one lock for the whole process, so no thread's line lands in another's capture or interleaves."""


class Progress:
    """One command's progress reporter; thread-safe (library mode runs assets on several threads)."""

    def __init__(self, mode: str = "human", quiet: bool = False, command: str = "") -> None:
        if mode not in MODES:
            raise ValueError(f"progress mode {mode!r} is not one of {MODES}")
        self.json = mode == "json"
        self.quiet = quiet or self.json  # the JSON stream replaces the human lines
        self.command = command
        self._lock = TERMINAL
        self._bar: tqdm | None = None
        self.done = 0
        self.total = 0

    def event(self, kind: str, **fields: Any) -> None:
        """Emit one event (JSON mode only)."""
        if not self.json:
            return
        line = json.dumps(_finite({"event": kind, **fields}), default=_jsonable)
        with self._lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def line(self, text: str) -> None:
        """A line for a person (not in JSON mode, not with --quiet)."""
        if not self.quiet:
            with self._lock:
                tqdm.write(text)

    def warn_line(self, text: str) -> None:
        """A line for stderr whatever the mode (errors of one asset among several)."""
        with self._lock:
            tqdm.write(text, file=sys.stderr)

    def start(self, total: int, skipped: int = 0) -> None:
        self.total, self.done = total + skipped, skipped
        self.event("start", command=self.command, assets=total + skipped, skipped=skipped, version=__version__)
        self._bar = tqdm(total=total, unit="asset", file=sys.stderr,
                         disable=self.quiet or total < 2 or not sys.stderr.isatty())

    def asset_done(self, **fields: Any) -> None:
        with self._lock:
            self.done += 1
            if self._bar is not None and not fields.get("skipped"):
                self._bar.update(1)
            done = self.done
        self.event("asset", **fields, done=done, total=self.total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _finite(o: Any) -> Any:
    """Strict JSON: an infinite PSNR (identical pixels) or NaN becomes null."""
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_finite(v) for v in o]
    return o


def _jsonable(o: object) -> object:
    if hasattr(o, "as_posix"):
        return o.as_posix()  # type: ignore[union-attr]
    return str(o)
