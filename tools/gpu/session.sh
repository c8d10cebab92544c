# The whole of a lent GPU session's training in one device call (docs/GPU.md): set up, start every SPEC
# (tools/gpu/launch.sh), wait up to SECONDS, and copy logs, weights and unfinished checkpoints to $OUT.
# One call, because each start of a machine costs minutes of a 15-minute budget.
# Usage: bash tools/gpu/session.sh SECONDS SPEC [SPEC ...]
wait_s=$1; shift
. tools/gpu/setup.sh || exit 1
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader 2>/dev/null
bash tools/gpu/launch.sh "$@"
sleep 60  # the first minute's log: a setting that fails fails here, with the machine still warm
bash tools/gpu/logs.sh
bash tools/gpu/collect.sh $(( wait_s - 60 ))
