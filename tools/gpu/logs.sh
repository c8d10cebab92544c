# Print the last line of each training log in $GPU_DIR (/tmp/gpu unless set): how far each one got.
for f in "${GPU_DIR:-/tmp/gpu}"/*.log; do echo "$f: $(tr '\r' '\n' < "$f" | grep -v '^\s*$' | tail -1 | cut -c1-200)"; done
