"""Checkpoints end to end: candidates, network distances, demand, optimiser and the plan."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from geodata import WGS84
from geodata.area import Area
from geodata.errors import InfeasibleError, InvalidInputError
from geodata.network import Locations, Network
from service.planning.checkpoints.bound import DEFAULT_BOUND_SECONDS
from service.planning.checkpoints.candidates import (
    EMPTY_NETWORK_MESSAGE,
    FIXED_REASON,
    candidate_sites,
    user_sites,
)
from service.planning.checkpoints.demand import demand_weights
from service.planning.checkpoints.model import CoverageProblem, MaximalCovering, Solution
from service.planning.checkpoints.risk import RiskDemand
from service.planning.checkpoints.spread import default_min_separation
from service.planning.distances import (
    DemandPieces,
    DistanceGraph,
    demand_pieces,
    settlement_pieces,
)

#: ``objective`` choices: lexicographic coverage-then-spread, or coverage only (baseline).
OBJECTIVES = ("spread", "coverage")

# --------------------------------------------------------------------------- end to end


def separation_pairs(points: np.ndarray, distance: float) -> sparse.csr_array:
    """Boolean candidates × candidates: straight-line distance below ``distance`` (not self)."""
    tree = shapely.STRtree(points)
    a, b = tree.query(points, predicate="dwithin", distance=distance)
    keep = a != b
    n = len(points)
    return sparse.csr_array((np.ones(keep.sum(), dtype=bool), (a[keep], b[keep])), shape=(n, n))


@dataclass
class CheckpointPlan:
    """The outcome of :func:`plan_checkpoints`: sites, candidates, demand and coverage."""

    network: Network
    sites: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    pieces: DemandPieces
    weight: np.ndarray
    coverage: sparse.csr_array
    radius: float
    mode: str
    solution: Solution
    timings: dict[str, float]
    settlements: gpd.GeoDataFrame | None = None
    area: Area | None = None
    risk: RiskDemand | None = None
    #: The minimum distance between sites the plan keeps (m); 0 when none.
    min_separation: float = 0.0
    #: The network-distance graph the plan searched (reused by the plan's metrics).
    graph: DistanceGraph | None = None

    @property
    def covered(self) -> np.ndarray:
        """Boolean per demand piece: within reach of a chosen site."""
        hit = np.zeros(self.coverage.shape[1], dtype=bool)
        hit[self.coverage[self.solution.selected].indices] = True
        return hit

    @property
    def risk_share(self) -> float | None:
        """Share of the placed traffic notices within reach (risk weighting only)."""
        return None if self.risk is None else self.risk.share_reached(self.covered)


def plan_checkpoints(
    network: Network,
    k: int,
    radius: float,
    mode: str = "length",
    features: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    fixed: gpd.GeoDataFrame | None = None,
    exclude: Any = None,
    min_separation: float | None = None,
    weighting: str = "length",
    settlements: gpd.GeoDataFrame | None = None,
    population_threshold: float | None = None,
    method: str = "heuristic",
    seed: int = 0,
    spacing: float = 500.0,
    area: Area | None = None,
    time_limit: float | None = None,
    roads: Network | None = None,
    bound_seconds: float | None = DEFAULT_BOUND_SECONDS,
    progress: Callable[[str], None] | None = None,
    objective: str = "spread",
    risk: RiskDemand | None = None,
) -> CheckpointPlan:
    """Plan ``k`` checkpoints spread over the network's area.

    Parameters
    ----------
    network
        Drivable network in a metric CRS, or a terrain network (``kind`` ``snowmobile`` or
        ``track``), which gets terrain candidates (:func:`terrain_sites`).
    k
        Number of checkpoints (fixed ones included).
    radius
        Reach of one checkpoint: metres (``mode="length"``) or seconds (``mode="time"``).
    features
        OSM feature layers for preferred candidates (bus stops, parking...).
    candidates, fixed
        The user's own candidates / must-keep sites, as WGS 84 point GeoDataFrames.
    exclude
        Polygon (WGS 84 shapely geometry or :class:`Area`) where no new site may go.
    min_separation
        Minimum straight-line distance between chosen sites (m); fixed sites are exempt
        among themselves. None: the default rule of
        :func:`~service.planning.spread.default_min_separation` (a third of the radius);
        0 turns it off.
    weighting
        ``length``, ``class`` or ``population``.
    settlements, population_threshold
        Settlements (EPSG:3006 or any CRS) and the population above which each must be
        reached by at least one site where feasible.
    method, seed
        ``heuristic`` or ``exact``; the seed only breaks ties.
    roads
        The drivable network of the same area, so terrain candidates where a trail meets a
        road are recognised (ignored for road planning).
    time_limit
        Seconds the optimiser may take (exact mode: HiGHS's limit).
    bound_seconds
        Most seconds the certificate's Lagrangian bound may take (None: no certificate); it
        normally stops first, after ``DEFAULT_BOUND_ITERATIONS`` iterations.
    progress
        Receives progress lines (exact mode).
    objective
        ``spread`` (default): covered demand first, then the spread stage, with the default
        minimum separation. ``coverage``: covered demand only and no default separation (the
        algorithm before the spread stage, kept as a baseline).
    risk
        Notices and venues on the network's demand pieces, for ``weighting="risk"``.
    """
    if objective not in OBJECTIVES:
        raise InvalidInputError(
            f"Okänt mål {objective!r}; välj {' eller '.join(OBJECTIVES)}.", field="objective"
        )
    if time_limit is not None and not time_limit > 0:
        raise InvalidInputError("Tidsgränsen måste vara större än 0 sekunder.", field="time_limit")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if radius is None or not np.isfinite(radius) or radius <= 0:
        raise InvalidInputError("Radien måste vara större än 0.")
    if k < 1:
        raise InvalidInputError("Antalet kontroller måste vara minst 1.", field="count")
    if network.edges.empty:
        raise InvalidInputError(
            EMPTY_NETWORK_MESSAGE.get(network.kind, "Området saknar vägar att planera på.")
        )
    graph = DistanceGraph(network, mode)
    pieces = demand_pieces(network)
    if candidates is not None:
        cands = user_sites(network, candidates, area)
    else:
        cands = candidate_sites(network, features, spacing, roads=roads)
    if exclude is not None:
        poly = exclude.geometry if isinstance(exclude, Area) else exclude
        crs = exclude.to_gdf().crs if isinstance(exclude, Area) else WGS84
        poly = gpd.GeoSeries([poly], crs=crs).to_crs(network.edges.crs).iloc[0]
        cands = cands[~shapely.covers(poly, cands.geometry.to_numpy())].reset_index(drop=True)
    cands["fixed"] = False
    if fixed is not None:
        fixed_sites = user_sites(network, fixed, area, FIXED_REASON, "filen med fasta platser")
        fixed_sites["fixed"] = True
        cands = pd.concat([fixed_sites, cands], ignore_index=True)
    if cands.empty:
        raise InfeasibleError("Det finns inga kandidatplatser kvar i området.")
    timings["candidates"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    loc = Locations(cands["edge"].to_numpy(np.int64), cands["fraction"].to_numpy(float))
    distance = graph.within(loc, pieces.locations, radius, distances=True)
    coverage = distance.astype(bool)
    timings["network"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    weight = demand_weights(network, pieces, weighting, settlements, risk)
    defaulted = min_separation is None
    if min_separation is None:
        min_separation = default_min_separation(radius, mode) if objective == "spread" else 0.0
    reaches = None
    req = None
    if settlements is not None and len(settlements) and population_threshold is not None:
        req = settlements[settlements["population"].fillna(0) >= population_threshold]
        if len(req):
            member = settlement_pieces(network, pieces, req).astype(np.float64)
            reaches = (coverage.astype(np.float64) @ member) > 0
            reaches = sparse.csr_array(reaches)
    xy = shapely.get_coordinates(cands.geometry.to_numpy())
    solution, min_separation = _solve_keeping_separation(
        CoverageProblem(
            coverage,
            weight,
            cands["fixed"].to_numpy(bool),
            None,
            reaches,
            distance if objective == "spread" else None,
            radius,
            xy,
        ),
        k,
        cands.geometry.to_numpy(),
        min_separation,
        default_min_separation(radius, mode) if defaulted else None,
        {"method": method, "seed": seed, "time_limit": time_limit, "bound_seconds": bound_seconds},
        progress,
    )
    timings["optimise"] = time.perf_counter() - t2

    sites = cands.iloc[solution.selected].copy()
    row_km = coverage[solution.selected].astype(np.float64) @ pieces.length / 1000.0
    sites["road_km_covered"] = np.asarray(row_km).ravel()
    sites = sites.reset_index(drop=True)
    sites.insert(0, "id", np.arange(1, len(sites) + 1))
    timings["total_plan"] = time.perf_counter() - t0
    return CheckpointPlan(
        network,
        sites,
        cands,
        pieces,
        weight,
        coverage,
        radius,
        mode,
        solution,
        timings,
        settlements,
        area,
        risk,
        min_separation,
        graph,
    )


def _solve_keeping_separation(
    problem: CoverageProblem,
    k: int,
    points: np.ndarray,
    min_separation: float,
    default_rule: float | None,
    solve_options: dict[str, Any],
    progress: Callable[[str], None] | None,
) -> tuple[Solution, float]:
    """Solve with ``min_separation`` between sites; relax it only when it was the default.

    A default the planner did not ask for must never make a feasible plan infeasible: when
    the sites do not fit, the separation is halved until they do (below a tenth of the
    ``default_rule``: none). A separation the planner set stays, and its error is raised.
    """
    while True:
        problem.neighbours = (
            separation_pairs(points, float(min_separation)) if min_separation > 0 else None
        )
        try:
            solution = MaximalCovering(problem, k).solve(progress=progress, **solve_options)
        except InfeasibleError:
            if default_rule is None or min_separation <= 0:
                raise
            half = min_separation / 2.0
            min_separation = half if half >= default_rule / 10.0 else 0.0
            if progress is not None:
                km = f"{min_separation / 1000.0:.2f}".replace(".", ",")
                progress(
                    f"Standardavståndet mellan platser räcker inte för {k} kontroller; "
                    f"minskat till {km} km"
                )
        else:
            return solution, float(min_separation)


#: Settlements at or above this population must be reached by a site where feasible.
DEFAULT_POPULATION_THRESHOLD = 1000
