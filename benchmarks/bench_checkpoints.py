"""Checkpoint planning benchmark: heuristic vs HiGHS optimum, vs spopt, K=100 end to end.

Run: ``python benchmarks/bench_checkpoints.py [--spopt-timeout 300] [--exact-timeout 300]``.
Every figure is measured in this run, each timed part in its own subprocess so peak memory
(``ru_maxrss``) belongs to that part alone.

``--certify-only [--only porto]`` runs just the certification: K=50, 3 km, length weighting,
all demand pieces, candidates thinned to one per ``spacing`` m for each spacing of
``CERTIFY_SPACINGS`` in turn until HiGHS proves optimality within ``--exact-timeout``; it
prints the heuristic's share of the proven optimum (or of HiGHS's dual bound where not proven).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OSM = ROOT.parent / "shared" / "geodata" / "osm"
FILES = {"rhein-neckar": OSM / "rhein-neckar-2016.osm.pbf", "porto": OSM / "porto-2015.osm.pbf"}
RADIUS_KM = 3.0
#: Candidate spacings (m) of the reduced instances tried for certification, finest first.
CERTIFY_SPACINGS = (1500.0, 1750.0, 2000.0)
#: HiGHS's gap at which an exact solve counts as proven (its ``mip_rel_gap``).
PROVEN_GAP = 1e-6


def ours(path: str, k: int) -> dict:
    """Our whole run, load → metrics, exactly as the CLI does it."""
    from service.usecases import CheckpointRequest, plan_checkpoints_for_area

    t = time.perf_counter()
    result = plan_checkpoints_for_area(
        CheckpointRequest(osm_file=Path(path), count=k, radius_km=RADIUS_KM)
    )
    wall = time.perf_counter() - t
    plan = result.plan
    return {
        "wall_s": wall,
        "timings": result.to_json()["timings_s"],
        "covered_km": result.metrics.road_km_covered,
        "candidates": len(plan.candidates),
        "pieces": len(plan.pieces),
        "nnz": int(plan.coverage.nnz),
    }


def exact(path: str, k: int, timeout: float, spacing: float = 500.0) -> dict:
    """HiGHS on our aggregated ILP, same candidates and demand as the heuristic.

    ``spacing`` > 500 m gives the reduced instance (fewer candidates, same demand) on which
    HiGHS proves optimality when the full one is too big for the time limit.
    """
    from geodata.osm import load_features, load_network
    from service.planning.checkpoints import CoverageProblem, MaximalCovering, plan_checkpoints

    net = load_network(None, "drive", path)
    plan = plan_checkpoints(
        net, k, RADIUS_KM * 1000, features=load_features(None, path), spacing=spacing
    )
    problem = CoverageProblem(plan.coverage, plan.weight, plan.candidates["fixed"].to_numpy())
    model = MaximalCovering(problem, k)
    rows, _ = model.aggregated_rows()
    t = time.perf_counter()
    sol = model.solve("exact", time_limit=timeout)
    best = max(sol.objective, plan.solution.objective)
    return {
        "exact_s": time.perf_counter() - t,
        "heuristic": plan.solution.objective,
        "exact": sol.objective,
        "bound": sol.bound,
        "proven": bool(sol.bound <= best * (1 + PROVEN_GAP)),
        "rows": int(rows.shape[0]),
        "pieces": len(plan.pieces),
        "candidates": len(plan.candidates),
        "spacing": spacing,
    }


def spopt_run(path: str, k: int) -> dict:
    """spopt MCLP.from_cost_matrix + HiGHS on the same candidates and demand.

    Its cost matrix (demand × candidates, dense, network metres) is built with the same
    csgraph Dijkstra from every candidate, unbounded, as a user of spopt would have to.
    """
    import numpy as np
    import pulp
    from spopt.locate import MCLP

    from geodata.network import Locations
    from geodata.osm import load_features, load_network
    from service.planning.checkpoints import candidate_sites
    from service.planning.distances import DistanceGraph, demand_pieces

    t = time.perf_counter()
    net = load_network(None, "drive", path).largest_component()
    cands = candidate_sites(net, load_features(None, path))
    pieces = demand_pieces(net)
    graph = DistanceGraph(net)
    loc = Locations(cands["edge"].to_numpy(), cands["fraction"].to_numpy())
    cost = np.empty((len(pieces), len(cands)), dtype=np.float64)
    for i in range(len(cands)):  # one source per column: the matrix spopt wants
        cost[:, i], _ = graph.nearest(loc.take(np.array([i])), pieces.locations)
    cost[~np.isfinite(cost)] = 1e12
    t_matrix = time.perf_counter() - t
    model = MCLP.from_cost_matrix(
        cost, pieces.length, service_radius=RADIUS_KM * 1000, p_facilities=k, name="mclp"
    )
    model = model.solve(pulp.HiGHS(msg=False))
    sel = [i for i, var in enumerate(model.fac_vars) if var.value() and var.value() > 0.5]
    covered = float(pieces.length[(cost[:, sel] <= RADIUS_KM * 1000).any(axis=1)].sum())
    return {"spopt_s": time.perf_counter() - t, "matrix_s": t_matrix, "covered_m": covered}


def _child(func: str, *args: object, timeout: float) -> dict:
    here = str(Path(__file__).parent)
    code = (
        f"import json,resource,sys; sys.path.insert(0, {here!r}); "
        f"import bench_checkpoints as b; r = b.{func}(*{list(args)!r}); "
        "r['maxrss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; "
        "print(json.dumps(r))"
    )
    # A fresh cache per child: every figure includes reading the OSM file (cold start).
    env = {**os.environ, "LOFTESPLAN_CACHE_DIR": tempfile.mkdtemp(prefix="bench-cache-")}
    t = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], check=False, capture_output=True, text=True,
            timeout=timeout, cwd=ROOT, env=env,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"timeout": timeout, "wall_s": time.perf_counter() - t}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:], "wall_s": time.perf_counter() - t}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _ratio(r: dict) -> float:
    """Heuristic over the proven optimum, or over the dual bound when not proven."""
    return r["heuristic"] / (max(r["exact"], r["heuristic"]) if r["proven"] else r["bound"])


def certify_file(name: str, timeout: float, verbose: bool = True) -> dict:
    """The finest of ``CERTIFY_SPACINGS`` HiGHS proves; the last attempt if none is proven."""
    r: dict = {}
    for spacing in CERTIFY_SPACINGS:
        r = _child("exact", str(FILES[name]), 50, timeout, spacing, timeout=timeout + 300)
        if "exact" not in r:
            if verbose:
                print(f"{name:<13}{spacing:>10.0f}  failed: {r}", flush=True)
            continue
        if verbose:
            print(
                f"{name:<13}{spacing:>10.0f}{r['candidates']:>7}{r['rows']:>7}{r['exact_s']:>9.1f}"
                f"{'yes' if r['proven'] else 'no':>8}{100 * _ratio(r):>9.2f}%"
                + ("" if r["proven"] else " (of the dual bound: a lower bound on the ratio)"),
                flush=True,
            )
        if r["proven"]:
            break
    return r


def certify(names: list[str], timeout: float) -> None:
    """Prove the heuristic's ratio on the finest reduced instance HiGHS can solve."""
    print(f"{'file':<13}{'spacing m':>10}{'cands':>7}{'rows':>7}{'HiGHS s':>9}"
          f"{'proven':>8}{'heur/opt':>10}")  # fmt: skip
    for name in names:
        certify_file(name, timeout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spopt-timeout", type=float, default=300.0)
    parser.add_argument("--exact-timeout", type=float, default=300.0)
    parser.add_argument("--only", choices=list(FILES), default=None)
    parser.add_argument("--certify-only", action="store_true")
    args = parser.parse_args()
    if args.certify_only:
        certify([args.only] if args.only else list(FILES), args.exact_timeout)
        return
    rows = []
    for name, path in FILES.items():
        if args.only and name != args.only:
            continue
        r50 = _child("ours", str(path), 50, timeout=600)
        r100 = _child("ours", str(path), 100, timeout=600)
        ex = _child("exact", str(path), 50, args.exact_timeout, timeout=args.exact_timeout + 300)
        ex["reduced"] = certify_file(name, args.exact_timeout, verbose=False)
        sp = _child("spopt_run", str(path), 50, timeout=args.spopt_timeout)
        rows.append((name, r50, r100, ex, sp))
        print(name, json.dumps({"k50": r50, "k100": r100, "exact": ex, "spopt": sp}), flush=True)

    print()
    print(f"{'file':<13}{'ours K=50 s':>12}{'spopt s':>12}{'speed-up':>10}"
          f"{'heur/opt*':>10}{'heur/bound':>11}{'K=100 s':>9}{'K=100 MB':>10}")  # fmt: skip
    print("* heur/opt on the finest reduced instance HiGHS proves (candidates every 1500, 1750")
    print("  or 2000 m, all demand; spacing in the JSON above), against the proven optimum (or")
    print("  the dual bound if none was proven); heur/bound on the full instance.")
    for name, r50, r100, ex, sp in rows:
        ours_s = r50.get("wall_s", float("nan"))
        if "spopt_s" in sp:
            sp_txt, ratio = f"{sp['spopt_s']:.1f}", f"{sp['spopt_s'] / ours_s:.0f}x"
        else:
            sp_txt, ratio = (
                f"> {sp.get('timeout', sp.get('wall_s', 0)):.0f}",
                (f"> {sp.get('timeout', sp.get('wall_s', 0)) / ours_s:.0f}x"),
            )
        heur_opt = heur_bound = "n/a"
        if "exact" in ex:  # full instance: HiGHS's dual bound certifies a lower ratio
            heur_bound = f"{100 * ex['heuristic'] / ex['bound']:.2f}%"
        red = ex.get("reduced", {})
        if "exact" in red:  # reduced instance: optimum when proven
            heur_opt = f"{100 * _ratio(red):.2f}%" + ("" if red["proven"] else " (bound)")
        print(
            f"{name:<13}{ours_s:>12.1f}{sp_txt:>12}{ratio:>10}{heur_opt:>10}{heur_bound:>11}"
            f"{r100.get('wall_s', float('nan')):>9.1f}{r100.get('maxrss_mb', float('nan')):>10.0f}"
        )


if __name__ == "__main__":
    main()
