# Wait (at most $1 seconds) for the trainings tools/gpu/launch.sh started, then copy what came of them
# to $OUT: logs, finished weights, and the checkpoints of unfinished ones in 15 MB pieces (ckpt.tar.*).
dir=${GPU_DIR:-/tmp/gpu}
deadline=$(( $(date +%s) + ${1:-540} ))
while pgrep -f tools/train_zoo.py > /dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 10; done
cp "$dir"/*.log "$OUT/" 2>/dev/null
cp "$dir"/*.safetensors "$OUT/" 2>/dev/null
if pgrep -f tools/train_zoo.py > /dev/null; then
  (cd "$dir" && tar cf - *.ckpt | split -b 15m - "$OUT/ckpt.tar.")
fi
bash tools/gpu/logs.sh
