# Wait (at most $1 seconds) for the trainings tools/gpu/launch.sh started, then copy what came of them
# to $OUT: logs, finished weights, and the checkpoints of unfinished ones in 15 MB pieces (ckpt.tar.*).
deadline=$(( $(date +%s) + ${1:-540} ))
while pgrep -f tools/train_zoo.py > /dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 10; done
cp /tmp/gpu/*.log "$OUT/" 2>/dev/null
cp /tmp/gpu/*.safetensors "$OUT/" 2>/dev/null
if pgrep -f tools/train_zoo.py > /dev/null; then
  (cd /tmp/gpu && tar cf - *.ckpt | split -b 15m - "$OUT/ckpt.tar.")
fi
for f in /tmp/gpu/*.log; do echo "$f: $(tr '\r' '\n' < "$f" | grep -v '^\s*$' | tail -1 | cut -c1-200)"; done
