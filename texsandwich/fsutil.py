"""File writing that never leaves a half-written output and never replaces an input."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from texsandwich.errors import OutputError


def _cannot_write(path: Path, e: OSError) -> OutputError:
    """The one-line error for an output the system refuses (permission, full or read-only disk, bad path)."""
    return OutputError(f"{path}: cannot write ({e.strerror or e})")


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it into place. What the
    system refuses is an :class:`OutputError` naming ``path``, with nothing left behind."""
    try:
        _atomic_write(path, data)
    except OSError as e:
        raise _cannot_write(path, e) from None


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_new_folder(folder: Path, files: dict[str, bytes]) -> None:
    """Create ``folder`` holding ``files`` (name -> bytes) all at once: filled under a temporary name
    beside it, then renamed into place, so a folder that exists is never a half-written one."""
    try:
        _write_new_folder(folder, files)
    except OSError as e:
        raise _cannot_write(folder, e) from None


def _write_new_folder(folder: Path, files: dict[str, bytes]) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; outputs get the usual permissions
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_figure(fig: Any, path: Path) -> None:
    """A matplotlib figure as PNG at ``path``, atomically (rendered in memory, then :func:`atomic_write`)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write(path, buf.getvalue())
