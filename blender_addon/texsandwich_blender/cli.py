"""Finding, checking and running the ``texsandwich`` command line from inside Blender.

The add-on never imports torch or texsandwich: Blender's Python is not the project's, and a
compression takes seconds to minutes. It runs the CLI in a subprocess and reads its
``--progress json`` event stream (one JSON object per line on stdout) on a reader thread, so the
operator polls a queue from a timer and Blender stays responsive. Nothing here imports ``bpy``, so
it is tested in plain Python too.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED_VERSION = (0, 2, 0)
"""The first CLI with ``--progress json`` and per-material glTF reports."""

ENV_VAR = "TEXSANDWICH_CLI"


class CliError(Exception):
    """The CLI is missing, too old, or failed; the message is one line for the user."""


def _exe(name: str) -> str:
    return name + (".exe" if sys.platform == "win32" else "")


def _venv_cli(folder: Path) -> Path:
    sub = "Scripts" if sys.platform == "win32" else "bin"
    return folder / ".venv" / sub / _exe("texsandwich")


def candidates(preference: str = "", search_from: tuple[Path, ...] = ()) -> list[Path]:
    """Where to look, in order: the preference, ``$TEXSANDWICH_CLI``, PATH, a project ``.venv``.

    ``search_from`` are folders (the .blend's, the add-on's) whose parents are searched for a
    ``.venv/bin/texsandwich``: a checkout of the project with ``make`` run in it.
    """
    out: list[Path] = []
    if preference:
        out.append(Path(preference).expanduser())
    if os.environ.get(ENV_VAR):
        out.append(Path(os.environ[ENV_VAR]).expanduser())
    found = shutil.which("texsandwich")
    if found:
        out.append(Path(found))
    for start in search_from:
        for folder in (start, *start.parents):
            out.append(_venv_cli(folder))
    seen: set[Path] = set()
    return [p for p in out if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]


def parse_version(text: str) -> tuple[int, ...] | None:
    """``(0, 2, 0)`` from ``texsandwich, version 0.2.0`` (what ``--version`` prints)."""
    m = re.search(r"version\s+(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(g) for g in m.groups()) if m else None


def version_string(v: tuple[int, ...]) -> str:
    return ".".join(str(x) for x in v)


def check_cli(path: Path) -> tuple[int, ...]:
    """The CLI's version, or :class:`CliError` saying what is wrong and which version is needed."""
    need = version_string(REQUIRED_VERSION)
    if not path.is_file() or not os.access(path, os.X_OK):
        raise CliError(f"texsandwich CLI not found at {path} (texsandwich {need} or newer is needed)")
    try:
        r = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise CliError(f"{path} does not run: {e}") from None
    v = parse_version(r.stdout + r.stderr)
    if r.returncode != 0 or v is None:
        raise CliError(f"{path} is not the texsandwich CLI (its --version said: {(r.stdout + r.stderr).strip()[:80]})")
    if v < REQUIRED_VERSION:
        raise CliError(f"{path} is texsandwich {version_string(v)}; this add-on needs {need} or newer")
    return v


def find_cli(preference: str = "", search_from: tuple[Path, ...] = ()) -> tuple[Path, tuple[int, ...]]:
    """The first working CLI among :func:`candidates`, with its version.

    A preference that is set but broken is an error (not silently replaced by another CLI).
    """
    if preference:
        p = Path(preference).expanduser()
        return p, check_cli(p)
    errors = []
    for p in candidates("", search_from):
        if p.is_file():
            try:
                return p, check_cli(p)
            except CliError as e:
                errors.append(str(e))
    if errors:
        raise CliError(errors[0])
    raise CliError(f"texsandwich CLI not found (not on PATH, no .venv near the .blend or the add-on): install it "
                   f"(pip install texsandwich>={version_string(REQUIRED_VERSION)}) or set its path in the "
                   "add-on preferences")


@dataclass
class CliJob:
    """One running CLI command: events arrive on a queue, stderr lines are kept, it can be cancelled."""

    args: list[str]
    events: queue.Queue = field(default_factory=queue.Queue)
    stderr_lines: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None
    cancelled: bool = False
    readers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> CliJob:
        kwargs: dict = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        else:
            kwargs["start_new_session"] = True  # cancel kills the CLI and any child it starts
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        bufsize=1, **kwargs)
        self.readers = [threading.Thread(target=self._read_stdout, daemon=True),
                        threading.Thread(target=self._read_stderr, daemon=True)]
        for t in self.readers:
            t.start()
        return self

    def _read_stdout(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                self.events.put(json.loads(line))
            except json.JSONDecodeError:
                self.events.put({"event": "text", "message": line})

    def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            if line.strip():
                self.stderr_lines.append(line.rstrip())

    def poll(self) -> list[dict]:
        """Events that arrived since the last call."""
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    @property
    def finished(self) -> bool:
        """The process has exited and every line it wrote has been read."""
        return (self.process is not None and self.process.poll() is not None
                and not any(t.is_alive() for t in self.readers))

    def wait(self, timeout: float | None = None) -> int:
        assert self.process is not None
        rc = self.process.wait(timeout)
        for t in self.readers:
            t.join()
        return rc

    def cancel(self) -> None:
        """Stop the CLI (and its children) now; what it wrote is the caller's to remove."""
        self.cancelled = True
        p = self.process
        if p is None or p.poll() is not None:
            return
        try:
            if sys.platform == "win32":
                p.terminate()
            else:
                os.killpg(p.pid, signal.SIGTERM)
            p.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            if sys.platform != "win32":
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        for t in self.readers:  # the pipes close with the process group; let the readers see it
            t.join(5)

    def error_line(self) -> str:
        """The CLI's own one-line error (the last 'texsandwich: error' line), or its exit status."""
        for line in reversed(self.stderr_lines):
            if line.startswith("texsandwich: error:"):
                return line.removeprefix("texsandwich: error:").strip()
        rc = self.process.returncode if self.process else None
        tail = self.stderr_lines[-1] if self.stderr_lines else ""
        return f"texsandwich exited with status {rc}" + (f": {tail}" if tail else "")


def run_blocking(args: list[str], timeout: float = 3600) -> tuple[list[dict], CliJob]:
    """Run a CLI command to the end (for background mode and short jobs); errors raise :class:`CliError`."""
    job = CliJob(args).start()
    try:
        job.wait(timeout)
    except subprocess.TimeoutExpired:
        job.cancel()
        raise CliError(f"texsandwich took longer than {timeout:.0f} s and was stopped") from None
    assert job.process is not None
    events = job.poll()
    if job.process.returncode != 0:
        raise CliError(job.error_line())
    return events, job
