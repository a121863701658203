"""Cold and warm ``loftesplan municipality Åre``: the warm median should be well under 1 s.

Each run is a fresh process, as a user's would be. The cold run starts from an empty cache
(boundaries and settlements are read from the Lantmäteriet files, then remembered); the warm
runs find the summary in the cache. Printed: wall and CPU seconds per run, the warm median,
and the warm/cold ratio measured in this same run (the baseline).

    python benchmarks/bench_municipality.py [--runs 7] [--kommun Åre]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--kommun", default="Åre")
    options = parser.parse_args()
    cache = tempfile.mkdtemp(prefix="bench-municipality-")
    env = {
        **os.environ,
        "LOFTESPLAN_CACHE_DIR": cache,
        "LOFTESPLAN_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "service.cli", "municipality", options.kommun]
    cold_wall, cold_cpu = _run(command, env)
    print(f"cold: {cold_wall:.2f} s wall, {cold_cpu:.2f} s CPU (empty cache)")
    warm = [_run(command, env) for _ in range(options.runs)]
    for i, (wall, cpu) in enumerate(warm, start=1):
        print(f"warm {i}: {wall:.2f} s wall, {cpu:.2f} s CPU")
    wall_median = statistics.median(w for w, _ in warm)
    cpu_median = statistics.median(c for _, c in warm)
    print(
        f"warm median: {wall_median:.2f} s wall, {cpu_median:.2f} s CPU; "
        f"warm/cold {wall_median / cold_wall:.2f} (wall), {cpu_median / cold_cpu:.2f} (CPU); "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
