"""The add-on's CLI driver in plain Python: finding the CLI, versions, the event stream, cancelling."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

import pytest
from texsandwich_blender.cli import (
    CliError,
    CliJob,
    candidates,
    check_cli,
    find_cli,
    parse_version,
    run_blocking,
)


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!{sys.executable}\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_versions():
    assert parse_version("texsandwich, version 0.2.0") == (0, 2, 0)
    assert parse_version("texsandwich, version 1.10.3\n") == (1, 10, 3)
    assert parse_version("something else") is None


def test_candidates_order_and_project_venv(tmp_path, monkeypatch):
    venv_cli = tmp_path / "proj" / ".venv" / "bin" / "texsandwich"
    venv_cli.parent.mkdir(parents=True)
    _script(venv_cli, "print('texsandwich, version 0.2.0')")
    monkeypatch.setenv("TEXSANDWICH_CLI", str(tmp_path / "env-cli"))
    monkeypatch.setenv("PATH", "/nonexistent")
    found = candidates("/pref/texsandwich", (tmp_path / "proj" / "scenes" / "a",))
    assert found[:2] == [Path("/pref/texsandwich"), tmp_path / "env-cli"] and venv_cli in found
    monkeypatch.delenv("TEXSANDWICH_CLI")
    assert find_cli("", (tmp_path / "proj" / "scenes",)) == (venv_cli, (0, 2, 0))
    with pytest.raises(CliError, match="not found"):
        find_cli("", (tmp_path / "elsewhere",))
    with pytest.raises(CliError, match="not found at"):  # a preference that is wrong is not replaced silently
        find_cli(str(tmp_path / "bad"), (tmp_path / "proj",))


def test_not_the_cli(tmp_path):
    with pytest.raises(CliError, match="is not the texsandwich CLI"):
        check_cli(_script(tmp_path / "other", "print('hello')"))


def test_event_stream_and_errors(tmp_path):
    prog = _script(tmp_path / "fake", "import json,sys\n"
                   "print(json.dumps({'event': 'start', 'assets': 1}))\nprint('not json')\n"
                   "sys.stderr.write('texsandwich: error: x.gltf: no such file\\n')\nsys.exit(1)")
    with pytest.raises(CliError, match=r"^x\.gltf: no such file$"):
        run_blocking([str(prog)])
    ok = _script(tmp_path / "ok", "import json\nfor i in range(3): print(json.dumps({'event': 'step', 'done': i}))")
    events, _ = run_blocking([str(ok)])
    assert [e["done"] for e in events] == [0, 1, 2]


def test_cancel_kills_the_process_group(tmp_path):
    marker = tmp_path / "child-alive"
    child = f"import time; time.sleep(3); open({str(marker)!r}, 'w')"
    prog = _script(tmp_path / "slow", "import subprocess, sys, time\n"
                   f"subprocess.Popen([sys.executable, '-c', {child!r}])\ntime.sleep(60)")
    job = CliJob([str(prog)]).start()
    time.sleep(0.5)
    t = time.monotonic()
    job.cancel()
    assert time.monotonic() - t < 5 and job.process.returncode != 0 and job.finished
    time.sleep(3.5)
    assert not marker.exists()  # the child died with it
    assert os.name == "posix"
