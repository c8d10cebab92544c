# Run here (not on the GPU machine), once per checkout, before a lent GPU session (docs/GPU.md):
# the wheel the device lacks (pillow-heif) into .whl/, the photos' *train* split as lossless WebP into
# .gpudata/photos/ (the held-out photos stay here), both kept out of git, and the size of what a call
# carries (the tracked tree plus these), which must stay under 64 MiB.
# Usage: bash tools/gpu/prepare.sh [DATA_ROOT]   (default: $TEXSANDWICH_DATA or ../shared/data)
set -e
root=${1:-${TEXSANDWICH_DATA:-../shared/data}}
mkdir -p .git/info
for p in /.whl/ /.gpudata/; do grep -qxF "$p" .git/info/exclude 2>/dev/null || echo "$p" >> .git/info/exclude; done
if ! ls .whl/pillow_heif-*.whl > /dev/null 2>&1; then
  .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 -d .whl pillow_heif==1.8.1
fi
.venv/bin/python - "$root" <<'EOF'
import sys
from pathlib import Path

from PIL import Image

from texsandwich.recipes import get_recipe
from texsandwich.sources import list_sources

out = Path(".gpudata/photos")
out.mkdir(parents=True, exist_ok=True)
files = list_sources(Path(sys.argv[1]) / "photos", get_recipe("rgb-hr2"), "train")
for f in files:
    target = out / (f.stem + ".webp")
    if not target.exists():  # lossless: every pixel as in the source (the loaders read .webp)
        Image.open(f).convert("RGB").save(target, lossless=True, quality=100, method=4)
print(f"{len(files)} train photos in {out}")
EOF
tracked=$(git ls-files -z | du -cb --files0-from=- | tail -1 | cut -f1)
extra=$(du -cb .whl .gpudata | tail -1 | cut -f1)
total=$(( (tracked + extra) / 1048576 ))
echo "a call carries ~${total} MiB (tracked $(( tracked / 1048576 )) MiB + .whl/.gpudata $(( extra / 1048576 )) MiB; limit 64)"
[ "$total" -lt 64 ] || { echo "too large: carry fewer photos (docs/GPU.md)"; exit 1; }
