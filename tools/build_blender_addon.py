"""Build the installable Blender add-on zip: ``dist/texsandwich_blender-VERSION.zip``.

The zip holds one folder, ``texsandwich_blender/``, with ``__init__.py`` (``bl_info``: Blender 3.6 LTS
"Install legacy Add-on") and ``blender_manifest.toml`` (Blender >= 4.2 "Install from Disk"; Blender
accepts an extension whose files sit in one folder of the archive). Run by ``make blender-addon``.
"""

from __future__ import annotations

import argparse
import re
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "blender_addon" / "texsandwich_blender"


def version() -> str:
    m = re.search(r'^version\s*=\s*"([^"]+)"', (PACKAGE / "blender_manifest.toml").read_text(), re.M)
    if not m:
        raise SystemExit("blender_manifest.toml has no version")
    return m.group(1)


def build(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"texsandwich_blender-{version()}.zip"
    tmp = target.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(PACKAGE.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                z.write(f, f.relative_to(PACKAGE.parent).as_posix())
    tmp.replace(target)
    return target


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "dist")
    print(build(ap.parse_args().output))
