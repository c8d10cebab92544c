"""Where a CLI command's memory peaks: RSS sampled every 20 ms with the working thread's stack (a tool).

    .venv/bin/python tools/profile_memory.py compress big.exr -o big.tsw --recipe hdr-444 --force

Prints the highest RSS seen at each distinct place (innermost texsandwich/torch frames), highest first,
and the process's peak RSS. Sampling, not tracing: numpy and torch allocate outside ``tracemalloc``'s
reach (torch) or too often to trace cheaply, and the question is which line holds the peak, which a
20 ms sampler answers for anything that takes longer than that. ``tools/bench_textures.py`` found the
peaks this located (0.6.4: float64 transfer functions and the Lanczos upsampler at full size).
"""

from __future__ import annotations

import resource
import sys
import threading
import time
import traceback


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    main_thread = threading.get_ident()
    samples: list[tuple[float, list[str]]] = []
    done = threading.Event()

    def sample() -> None:
        me = threading.get_ident()
        while not done.is_set():
            stack: list[str] = []
            for tid, frame in sys._current_frames().items():
                if tid == me:
                    continue
                stack = [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in traceback.extract_stack(frame)
                         if "texsandwich" in f.filename or "torch" in f.filename][-5:]
                if stack and tid != main_thread:  # the CLI's work runs in a worker thread: prefer it
                    break
            samples.append((_rss_mib(), stack))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    from texsandwich.cli import main as cli

    try:
        cli(sys.argv[1:])
    except SystemExit as e:
        if e.code:
            print(f"the command exited with {e.code}", file=sys.stderr)
    done.set()
    sampler.join()
    seen: set[tuple[str, ...]] = set()
    for rss, stack in sorted(samples, key=lambda s: -s[0]):
        key = tuple(stack[-3:])
        if key in seen or not stack:
            continue
        seen.add(key)
        print(f"{rss:7.0f} MiB  " + " <- ".join(reversed(stack)))
        if len(seen) == 10:
            break
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
