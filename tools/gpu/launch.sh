# Start zoo trainings side by side on a lent GPU machine, detached (setsid) so that they outlive the
# command that started them; each logs to $GPU_DIR/ID.log and writes $GPU_DIR/ID.safetensors
# (GPU_DIR: /tmp/gpu unless set).
# Usage (after tools/gpu/setup.sh): bash tools/gpu/launch.sh SPEC [SPEC ...], where a SPEC is a zoo id,
# optionally followed (in the same quoted word) by tools/train_zoo.py --set overrides:
#   bash tools/gpu/launch.sh "rgb-hr2-ycc-c19-medium-gpu2-nlf-aq0 refine_steps=1500 refine_lr=1e-4"
dir=${GPU_DIR:-/tmp/gpu}
mkdir -p "$dir"
for spec in "$@"; do
  set -f; set -- $spec; set +f  # the id, then KEY=VALUE words (values without spaces; no globbing)
  id=$1; shift
  setsid nohup python3 tools/train_zoo.py --data .gpudata --split all --threads 4 --only "$id" --out "$dir" \
    ${1:+--set "$@"} > "$dir/$id.log" 2>&1 < /dev/null &
done
