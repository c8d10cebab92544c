# Start zoo trainings side by side on a lent GPU machine, detached (setsid) so that they outlive the
# command that started them; each logs to /tmp/gpu/ID.log and writes /tmp/gpu/ID.safetensors.
# Usage (after tools/gpu/setup.sh): bash tools/gpu/launch.sh ID [ID ...]
mkdir -p /tmp/gpu
for id in "$@"; do
  setsid nohup python3 tools/train_zoo.py --data .gpudata --split all --threads 4 --only "$id" --out /tmp/gpu \
    > "/tmp/gpu/$id.log" 2>&1 < /dev/null &
done
