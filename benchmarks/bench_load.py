"""Load the Rhein-Neckar extract into a drivable network: our loader vs pyrosm alone.

Run on demand: ``python benchmarks/bench_load.py [--repeat N] [--file PATH]``.

Each run is a fresh subprocess (so imports are warm in neither and ``ru_maxrss`` is that run's
peak memory). Targets from issue 2: ours <= 2x pyrosm's time, peak memory < 3 GB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT.parent / "shared" / "geodata" / "osm" / "rhein-neckar-2016.osm.pbf"

# Imports happen before the clock starts: we time reading and building, not module loading.
_OURS = """
import json, resource, sys, time
from geodata.osm import load_network
start, cpu = time.perf_counter(), time.process_time()
network = load_network(kind="drive", osm_file=sys.argv[1], use_cache=False)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": elapsed, "cpu": cpu, "nodes": len(network.nodes),
                  "edges": len(network.edges), "km": network.total_length_km,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_PYROSM = """
import json, resource, sys, time
import pyrosm
start, cpu = time.perf_counter(), time.process_time()
nodes, edges = pyrosm.OSM(sys.argv[1]).get_network("driving", nodes=True)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": elapsed, "cpu": cpu, "nodes": len(nodes), "edges": len(edges),
                  "km": float(edges["length"].sum()) / 1000,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(code: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    """Run both loaders ``--repeat`` times, alternating, and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"ours": [], "pyrosm": []}
    for _ in range(args.repeat):
        # Alternate so that background load on a shared machine hits both alike.
        runs["pyrosm"].append(_run(_PYROSM, args.file))
        runs["ours"].append(_run(_OURS, args.file))
    print(f"file: {args.file.name}, {args.repeat} runs each (fresh process per run)")
    summary = {}
    for name, results in runs.items():
        times = [r["seconds"] for r in results]
        cpu = statistics.median(r["cpu"] for r in results)
        peak = max(r["maxrss_mb"] for r in results)
        summary[name] = (statistics.median(times), peak, cpu)
        last = results[-1]
        print(
            f"{name:>7}: median {statistics.median(times):6.2f} s (min {min(times):.2f}, "
            f"max {max(times):.2f}); CPU {cpu:5.2f} s; peak RSS {peak:7.0f} MB; "
            f"{last['nodes']:,.0f} nodes, {last['edges']:,.0f} edges, {last['km']:,.0f} km"
        )
    ratio = summary["ours"][0] / summary["pyrosm"][0]
    cpu_ratio = summary["ours"][2] / summary["pyrosm"][2]
    print(f"ratio ours/pyrosm: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (target <= 2.0x)")
    print(f"peak memory ours: {summary['ours'][1] / 1024:.2f} GB (target < 3 GB)")
    print("note: pyrosm returns the unsimplified graph (every OSM node); ours is simplified")
    ok = ratio <= 2.0 and summary["ours"][1] < 3 * 1024
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
