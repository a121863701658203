"""Where traffic checkpoints go: candidate sites, road demand and the maximal-covering optimiser.

The pipeline is ``candidate_sites`` → ``demand_weights`` → ``CoverageProblem`` →
``MaximalCovering(problem, k).solve()``; :func:`plan_checkpoints` runs it end to end.
A checkpoint is chosen in :meth:`MaximalCovering.solve`: greedy on exact marginal gains,
then 1-swap local search (heuristic), or a HiGHS integer program (exact).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from geodata import WGS84
from geodata.area import Area
from geodata.errors import InfeasibleError, InvalidInputError
from geodata.network import ROAD_CLASS_RANK, Locations, Network, base_class, nearest_edges
from geodata.osm.tags import kind_name
from service.planning.bound import Certificate, lagrangian_bound
from service.planning.distances import (
    DemandPieces,
    DistanceGraph,
    demand_pieces,
    settlement_pieces,
)
from service.planning.risk import RiskDemand
from service.planning.spread import default_min_separation, improve_spread, spread_cost

#: ``--weighting`` choices.
WEIGHTINGS = ("length", "class", "population", "risk")
#: ``--objective`` choices: lexicographic coverage-then-spread, or coverage only (baseline).
OBJECTIVES = ("spread", "coverage")
#: Seconds the Lagrangian bound may take (it stops earlier once it meets the plan).
DEFAULT_BOUND_SECONDS = 4.0
#: Feature kinds that make a good place to stop traffic, best first, with their Swedish reason.
PREFERRED_FEATURES = {
    kind: kind_name(kind) for kind in ("rest_area", "parking", "fuel", "bus_stop")
}
JUNCTION_REASON = "korsning"
ROAD_REASON = "vägsträcka"
FIXED_REASON = "fast plats"
USER_REASON = "egen kandidat"
#: Terrain candidates (snowmobile trails, forest roads), best first.
TRAIL_PARKING_REASON = "parkering vid leden"
TRAIL_ROAD_REASON = "led möter bilväg"
TRAIL_JUNCTION_REASON = "ledkorsning"
TRAIL_END_REASON = "ledände"
TRAIL_REASON = "längs leden"
_PREFERENCE = {
    **{r: i for i, r in enumerate(PREFERRED_FEATURES.values())},
    JUNCTION_REASON: 4,
    ROAD_REASON: 5,
    USER_REASON: 0,
    FIXED_REASON: 0,
    TRAIL_PARKING_REASON: 0,
    TRAIL_ROAD_REASON: 1,
    TRAIL_JUNCTION_REASON: 2,
    TRAIL_END_REASON: 3,
    TRAIL_REASON: 4,
}
#: Network choices (``network`` of a request) and the OSM network kind each plans on.
NETWORK_CHOICES = {"road": "drive", "snowmobile": "snowmobile", "track": "track"}
#: Network kinds planned by terrain rules: no road classes, candidates at trail junctions,
#: trail ends and where trails meet roads.
TERRAIN_KINDS = frozenset({"snowmobile", "track"})
#: What a planner is told when the area has none of the network they asked for.
EMPTY_NETWORK_MESSAGE = {
    "drive": "Området saknar bilvägar att planera på.",
    "snowmobile": (
        "Området saknar skoterleder i OSM-data (inga vägar med snowmobile=yes/designated/"
        "permissive och inga route=snowmobile-leder). Planera på bilvägar eller skogsvägar, "
        "eller ange en OSM-fil där skoterlederna finns."
    ),
    "track": (
        "Området saknar skogs- och traktorvägar (highway=track) i OSM-data. Planera på "
        "bilvägar eller skoterleder, eller ange en OSM-fil med skogsvägar."
    ),
}
#: A parking place this close to a trail makes a good terrain checkpoint (m).
TRAIL_PARKING_SNAP_M = 150.0
#: Candidates never go on these classes (no safe place to stop traffic).
FORBIDDEN_HIGHWAYS = frozenset({"motorway", "motorway_link"})
#: How far a feature may lie from the road it is snapped to (m).
FEATURE_SNAP_M = 100.0
#: How far a user's point may lie from the drivable network (m).
USER_SNAP_M = 250.0


# --------------------------------------------------------------------------- candidates


def _rank(highway: pd.Series) -> np.ndarray:
    """Road-class rank per edge; 99 for anything unclassed (tracks, bare trail ways)."""
    return highway.map(
        lambda h: ROAD_CLASS_RANK.get(base_class(h), 99) if isinstance(h, str) else 99
    ).to_numpy()


def eligible_edges(network: Network, min_class: str = "unclassified") -> np.ndarray:
    """Edges where a checkpoint may stand: ``min_class`` or higher, no motorway/tunnel/bridge.

    On terrain networks (``snowmobile``, ``track``) there is no road class: every edge is
    eligible unless it is tagged as a tunnel or bridge.
    """
    limit = ROAD_CLASS_RANK.get(min_class)
    if limit is None:
        raise InvalidInputError(f"Okänd vägklass {min_class!r}.")
    edges = network.edges
    if network.kind in TERRAIN_KINDS:
        ok = np.ones(len(edges), dtype=bool)
    else:
        highway = edges["highway"].astype(str)
        ok = (_rank(highway) <= limit) & ~highway.isin(FORBIDDEN_HIGHWAYS).to_numpy()
    for flag in ("tunnel", "bridge"):
        if flag in edges:
            ok &= ~edges[flag].fillna(False).astype(bool).to_numpy()
    return ok


def _candidate_frame(
    network: Network, loc: Locations, reason: np.ndarray | str, **extra: Any
) -> gpd.GeoDataFrame:
    edges = network.edges
    reason = np.broadcast_to(np.asarray(reason, dtype=object), (len(loc),))
    frame = gpd.GeoDataFrame(
        {
            "reason": reason,
            "edge": loc.edge,
            "fraction": loc.fraction,
            "highway": (edges["highway"].to_numpy()[loc.edge] if "highway" in edges else None),
            "name": edges["name"].to_numpy()[loc.edge] if "name" in edges else None,
            "ref": edges["ref"].to_numpy()[loc.edge] if "ref" in edges else None,
            **extra,
        },
        geometry=loc.points(network),
        crs=edges.crs,
    )
    frame["preference"] = frame["reason"].map(_PREFERENCE).fillna(9).astype(int)
    return frame


def candidate_sites(
    network: Network,
    features: gpd.GeoDataFrame | None = None,
    spacing: float = 500.0,
    min_class: str = "unclassified",
    roads: Network | None = None,
) -> gpd.GeoDataFrame:
    """Places on the drivable network where a checkpoint can safely stop traffic.

    Sources, best first: rest areas, parking, fuel stations and bus stops within
    ``FEATURE_SNAP_M`` of an eligible road; junctions (three or more roads meet); and
    plain points along eligible roads every ``spacing`` m so rural roads get candidates.
    Thinned to at most one per ``spacing`` × ``spacing`` grid cell, keeping the best-preferred
    (then the highest road class). Terrain networks use :func:`terrain_sites` instead
    (``roads`` is only used there).

    Returns
    -------
    GeoDataFrame
        Columns ``reason`` (Swedish), ``edge``, ``fraction``, ``highway``, ``name``, ``ref``,
        ``preference``; points in the network's CRS.
    """
    if spacing <= 0:
        raise InvalidInputError("Avståndet mellan kandidater måste vara större än 0.")
    if network.kind in TERRAIN_KINDS:
        return terrain_sites(network, features, spacing, roads)
    mask = eligible_edges(network, min_class)
    if not mask.any():
        raise InfeasibleError("Området har inga vägar där en kontroll kan stå.")
    parts: list[gpd.GeoDataFrame] = []
    if features is not None and len(features):
        feats = features[features["kind"].isin(list(PREFERRED_FEATURES))]
        if len(feats):
            feats = feats.to_crs(network.edges.crs)
            loc, _ = nearest_edges(
                network, feats.geometry.representative_point(), mask, FEATURE_SNAP_M
            )
            hit = loc.edge >= 0
            reason = feats["kind"].map(PREFERRED_FEATURES).to_numpy()[hit]
            parts.append(_candidate_frame(network, loc.take(np.flatnonzero(hit)), reason))
    # Junctions: an eligible edge's end where three or more edge ends meet.
    u, v = network.edge_endpoints()
    degree = np.bincount(np.concatenate([u, v]), minlength=len(network.nodes))
    idx = np.flatnonzero(mask)
    ends = np.concatenate([idx[degree[u[idx]] >= 3], idx[degree[v[idx]] >= 3]])
    frac = np.concatenate(
        [np.zeros((degree[u[idx]] >= 3).sum()), np.ones((degree[v[idx]] >= 3).sum())]
    )
    node = np.where(frac == 0, u[ends], v[ends])
    _, first = np.unique(node, return_index=True)
    parts.append(_candidate_frame(network, Locations(ends[first], frac[first]), JUNCTION_REASON))
    # Plain road points so long rural stretches without junctions still get candidates.
    sub = demand_pieces(network, spacing)
    keep = mask[sub.edge]
    parts.append(
        _candidate_frame(network, Locations(sub.edge[keep], sub.fraction[keep]), ROAD_REASON)
    )
    cands = pd.concat(parts, ignore_index=True)
    return thin(cands, spacing)


def terrain_sites(
    network: Network,
    features: gpd.GeoDataFrame | None = None,
    spacing: float = 500.0,
    roads: Network | None = None,
) -> gpd.GeoDataFrame:
    """Candidate checkpoints on a terrain network (skoterleder or forest/tractor roads).

    No road class applies. Sources, best first: parking within ``TRAIL_PARKING_SNAP_M`` of
    a trail (where a patrol leaves the car); trail nodes shared with the drivable network
    ``roads`` (same OSM node: the trail meets or crosses a road); junctions of three or more
    trail ends; trail ends (trailheads, dead ends); plain points along the trails every
    ``spacing`` m. Thinned like road candidates to one per ``spacing`` grid cell.

    Returns
    -------
    GeoDataFrame
        Same columns as :func:`candidate_sites`.
    """
    mask = eligible_edges(network)
    if not mask.any():
        raise InfeasibleError(EMPTY_NETWORK_MESSAGE.get(network.kind, "Området saknar leder."))
    parts: list[gpd.GeoDataFrame] = []
    if features is not None and len(features):
        feats = features[features["kind"].isin(["parking", "rest_area"])]
        if len(feats):
            feats = feats.to_crs(network.edges.crs)
            loc, _ = nearest_edges(
                network, feats.geometry.representative_point(), mask, TRAIL_PARKING_SNAP_M
            )
            hit = np.flatnonzero(loc.edge >= 0)
            parts.append(_candidate_frame(network, loc.take(hit), TRAIL_PARKING_REASON))
    # Each eligible edge end as a candidate node, labelled by what meets there.
    u, v = network.edge_endpoints()
    degree = np.bincount(np.concatenate([u, v]), minlength=len(network.nodes))
    idx = np.flatnonzero(mask)
    ends = np.concatenate([idx, idx])
    frac = np.concatenate([np.zeros(len(idx)), np.ones(len(idx))])
    node = np.concatenate([u[idx], v[idx]])
    node, first = np.unique(node, return_index=True)
    ends, frac = ends[first], frac[first]
    on_road = (
        network.nodes.index.isin(roads.nodes.index)[node]
        if roads is not None and len(roads.nodes)
        else np.zeros(len(node), dtype=bool)
    )
    reason = np.select(
        [on_road, degree[node] >= 3, degree[node] == 1],
        [TRAIL_ROAD_REASON, TRAIL_JUNCTION_REASON, TRAIL_END_REASON],
        default="",
    ).astype(object)
    keep = reason != ""
    parts.append(_candidate_frame(network, Locations(ends[keep], frac[keep]), reason[keep]))
    sub = demand_pieces(network, spacing)
    keep = mask[sub.edge]
    parts.append(
        _candidate_frame(network, Locations(sub.edge[keep], sub.fraction[keep]), TRAIL_REASON)
    )
    return thin(pd.concat(parts, ignore_index=True), spacing)


def thin(cands: gpd.GeoDataFrame, spacing: float) -> gpd.GeoDataFrame:
    """Keep the best-preferred candidate per ``spacing`` grid cell (vectorised)."""
    xy = shapely.get_coordinates(cands.geometry.to_numpy())
    cell = np.floor(xy / spacing).astype(np.int64)
    rank = _rank(cands["highway"])
    order = np.lexsort(
        (np.arange(len(cands)), rank, cands["preference"].to_numpy(), cell[:, 1], cell[:, 0])
    )
    c = cell[order]
    first = np.concatenate([[True], np.any(c[1:] != c[:-1], axis=1)])
    return cands.iloc[np.sort(order[first])].reset_index(drop=True)


def read_points(path: Any, label: str) -> gpd.GeoDataFrame:
    """Read a GeoJSON of points (WGS 84); raise a clear error for anything else."""
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise InvalidInputError(f"Kan inte läsa {label} ({path}): {exc}") from exc
    if gdf.empty:
        raise InvalidInputError(f"{label} ({path}) innehåller inga punkter.")
    if not (gdf.geom_type == "Point").all():
        kinds = ", ".join(sorted(set(gdf.geom_type.dropna())))
        raise InvalidInputError(f"{label} får bara innehålla punkter (hittade: {kinds}).")
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    return gdf


def user_sites(
    network: Network,
    points: gpd.GeoDataFrame,
    area: Area | None = None,
    reason: str = USER_REASON,
    label: str = "kandidatfilen",
) -> gpd.GeoDataFrame:
    """Snap a user's points to the drivable network, checking they are inside the area.

    Raises
    ------
    InvalidInputError
        If any point lies outside ``area`` or farther than ``USER_SNAP_M`` from a road.
    """
    pts = points.to_crs(network.edges.crs)
    if area is not None:
        poly = gpd.GeoSeries([area.geometry], crs=area.to_gdf().crs).to_crs(pts.crs).iloc[0]
        outside = ~shapely.dwithin(poly, pts.geometry.to_numpy(), 50.0)
        if outside.any():
            raise InvalidInputError(
                f"{outside.sum()} av {len(pts)} punkter i {label} ligger utanför {area.name} "
                f"(första: rad {int(np.flatnonzero(outside)[0]) + 1})."
            )
    loc, _ = nearest_edges(network, pts.geometry, None, USER_SNAP_M)
    far = loc.edge < 0
    if far.any():
        target = "en led" if network.kind in TERRAIN_KINDS else "en bilväg"
        raise InvalidInputError(
            f"{far.sum()} av {len(pts)} punkter i {label} ligger mer än {USER_SNAP_M:.0f} m "
            f"från {target} (första: rad {int(np.flatnonzero(far)[0]) + 1})."
        )
    return _candidate_frame(network, loc, reason)


# --------------------------------------------------------------------------- demand


def class_factor(highway: pd.Series) -> np.ndarray:
    """Traffic proxy by road class: doubles every two steps up ``ROAD_CLASS_RANK``."""
    rank = highway.astype(str).map(lambda h: ROAD_CLASS_RANK.get(base_class(h), 8))
    return np.power(2.0, (6 - rank.to_numpy(float)) / 2.0)


def demand_weights(
    network: Network,
    pieces: DemandPieces,
    weighting: str = "length",
    settlements: gpd.GeoDataFrame | None = None,
    risk: RiskDemand | None = None,
) -> np.ndarray:
    """Weight of each road piece.

    ``length``: metres. ``class``: metres × a road-class traffic proxy. ``population``: half the
    total weight is road length, half is settlement population spread over the settlement's
    roads by length (without settlements this falls back to length). ``risk``: road length
    mixed with Polisen's traffic notices and licensed venues placed on the pieces (``risk``,
    from :func:`~service.planning.risk.risk_demand`).
    """
    length = pieces.length
    if weighting == "risk":
        if risk is None:
            raise InvalidInputError(
                "Riskviktning behöver Polisens händelser för området.", field="weighting"
            )
        return risk.weights(length)
    if weighting == "length":
        return length.copy()
    if weighting == "class":
        return length * class_factor(network.edges["highway"]).astype(float)[pieces.edge]
    if weighting == "population":
        if settlements is None or settlements.empty:
            return length.copy()
        member = settlement_pieces(network, pieces, settlements).astype(float)
        pop = settlements["population"].fillna(0).to_numpy(float)
        road_in = member.T @ length  # road metres per settlement
        per_m = np.divide(pop, road_in, out=np.zeros_like(pop), where=road_in > 0)
        people = length * (member @ per_m)
        scale = length.sum() / people.sum() if people.sum() > 0 else 0.0
        return length + scale * people
    raise InvalidInputError(
        f"Okänd viktning {weighting!r}; välj {', '.join(WEIGHTINGS)}.", field="weighting"
    )


# --------------------------------------------------------------------------- the model


@dataclass
class CoverageProblem:
    """A maximal-covering instance.

    Attributes
    ----------
    coverage
        Boolean csr, candidates × demand pieces: the candidate reaches the piece.
    weight
        Demand weight per piece.
    fixed
        Boolean per candidate: must be chosen.
    neighbours
        Boolean csr candidates × candidates: closer than the minimum separation (straight-line
        distance), or None.
    reaches
        Boolean csr candidates × required settlements, or None.
    distance
        Candidates × pieces network distances within the radius (same pattern as
        ``coverage``), for the spread stage (:mod:`service.planning.spread`); None skips it.
    radius
        The radius in the units of ``distance`` (the spread objective's cap).
    xy
        Candidate coordinates (metric CRS), for the spread stage's move neighbourhoods.
    """

    coverage: sparse.csr_array
    weight: np.ndarray
    fixed: np.ndarray
    neighbours: sparse.csr_array | None = None
    reaches: sparse.csr_array | None = None
    distance: sparse.csr_array | None = None
    radius: float | None = None
    xy: np.ndarray | None = None

    @property
    def n_candidates(self) -> int:
        """Number of candidate sites."""
        return self.coverage.shape[0]

    def objective(self, selected: np.ndarray) -> float:
        """Weighted demand covered by ``selected`` candidate indices."""
        hit = np.zeros(self.coverage.shape[1], dtype=bool)
        sub = self.coverage[np.asarray(selected, dtype=np.int64)]
        hit[sub.indices] = True
        return float(self.weight[hit].sum())


@dataclass
class Solution:
    """Chosen candidate indices and the weighted demand they cover.

    ``bound`` is HiGHS's dual bound (exact mode); ``certificate`` the Lagrangian bound of
    :mod:`service.planning.bound`; ``spread_cost`` the second-stage objective (capped
    distance sum) and ``spread_moves`` how many sites the spread stage moved.
    """

    selected: np.ndarray
    objective: float
    method: str
    bound: float | None = None
    unreached_settlements: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    certificate: Certificate | None = None
    spread_cost: float | None = None
    spread_moves: int = 0


class MaximalCovering:
    """Choose ``k`` sites maximising covered demand (Church & ReVelle's MCLP) with side rules.

    Parameters
    ----------
    problem
        Coverage, weights, fixed sites, separation and settlement rules.
    k
        Number of sites, fixed ones included.
    """

    def __init__(self, problem: CoverageProblem, k: int) -> None:
        if k < 1:
            raise InvalidInputError("Antalet kontroller måste vara minst 1.", field="count")
        if k > problem.n_candidates:
            raise InfeasibleError(
                f"Du bad om {k} kontroller men det finns bara {problem.n_candidates} "
                "kandidatplatser. Minska antalet kontroller eller ange fler kandidater.",
                field="count",
            )
        if problem.fixed.sum() > k:
            raise InfeasibleError(
                f"Det finns {int(problem.fixed.sum())} fasta platser men bara {k} kontroller."
            )
        self.problem = problem
        self.k = k
        #: Perturbation rounds of the iterated local search: a work budget in coverage
        #: non-zeros rather than seconds, so the plan depends on the seed only.
        self.perturbation_rounds = int(np.clip(2e7 / max(problem.coverage.nnz, 1), 4, 30))
        self.cov = problem.coverage.astype(np.float64).tocsr()
        self.cov_t = self.cov.T.tocsr()  # pieces × candidates: column access as rows

    # -- public -----------------------------------------------------------------------

    def solve(
        self,
        method: str = "heuristic",
        seed: int = 0,
        time_limit: float | None = None,
        bound_seconds: float | None = DEFAULT_BOUND_SECONDS,
        progress: Callable[[str], None] | None = None,
    ) -> Solution:
        """Solve with ``heuristic`` (greedy + swaps) or ``exact`` (HiGHS MIP), then certify.

        Both methods end with the spread stage (:func:`~service.planning.spread.improve_spread`)
        when the problem carries distances. ``bound_seconds`` limits the Lagrangian bound
        (None: no certificate); ``progress`` receives the exact mode's progress lines.
        """
        if method == "heuristic":
            solution = self._heuristic(np.random.default_rng(seed), time_limit)
        elif method == "exact":
            solution = self._exact(time_limit, progress, np.random.default_rng(seed))
        else:
            raise ValueError(f"unknown method {method!r}")
        if bound_seconds is not None:
            solution.certificate = self.certify(
                solution.selected, solution.objective, bound_seconds, solution.bound
            )
        return solution

    def certify(
        self,
        selected: np.ndarray,
        objective: float,
        seconds: float = DEFAULT_BOUND_SECONDS,
        known_bound: float | None = None,
    ) -> Certificate:
        """An upper bound on the covered demand of any plan with this K and these candidates.

        The least of: the Lagrangian bound on the merged rows
        (:func:`~service.planning.bound.lagrangian_bound`), the greedy bound (the plan plus
        the K largest marginal gains left, valid by submodularity), all coverable demand, and
        ``known_bound`` (HiGHS's dual bound in exact mode).
        """
        p = self.problem
        rows, weights = self.aggregated_rows()
        hit = np.zeros(self.cov.shape[1], dtype=bool)
        hit[self.cov[np.asarray(selected, dtype=np.int64)].indices] = True
        gains = np.asarray(self.cov @ (p.weight * ~hit), dtype=float)
        gains[p.fixed] = 0.0
        pick = self.k - int(p.fixed.sum())
        greedy = objective + float(np.sort(gains)[::-1][:pick].sum())
        cheap = min(greedy, float(weights.sum()), known_bound or np.inf)
        if cheap <= objective * (1 + 1e-6):  # nothing left to prove
            return Certificate(max(cheap, objective), objective, 0, 0.0)
        cert = lagrangian_bound(rows, weights, self.k, p.fixed, objective, selected, seconds)
        cert.bound = max(min(cert.bound, cheap), objective)
        return cert

    def _spread(
        self, state: _State, rng: np.random.Generator, deadline: float | None
    ) -> tuple[float | None, int]:
        """Run the spread stage on ``state`` if the problem carries distances."""
        p = self.problem
        if p.distance is None or p.radius is None or p.xy is None:
            return None, 0
        moves = improve_spread(state, p.distance, p.radius, p.xy, rng, deadline)
        return spread_cost(p.distance, state.w, np.flatnonzero(state.chosen), p.radius), moves

    # -- heuristic ----------------------------------------------------------------------

    def _required(self) -> tuple[sparse.csr_array | None, np.ndarray]:
        """Required-settlement incidence restricted to settlements some candidate reaches."""
        reach = self.problem.reaches
        if reach is None or reach.shape[1] == 0:
            return None, np.zeros(0, dtype=int)
        reachable = np.asarray(reach.sum(axis=0)).ravel() > 0
        return reach[:, np.flatnonzero(reachable)].astype(np.float64).tocsr(), np.flatnonzero(
            ~reachable
        )

    def _heuristic(self, rng: np.random.Generator, time_limit: float | None) -> Solution:
        """Greedy on exact marginal gains, 1-swap local search, then iterated local search.

        The perturbation drops a few free sites, refills greedily without them and swaps
        again, keeping the result only if it is better; a fixed number of rounds keeps the
        plan a pure function of the seed.
        """
        start = time.perf_counter()
        p = self.problem
        w = p.weight.astype(float)
        reach, unreachable = self._required()
        state = _State(self, w, reach)
        for c in np.flatnonzero(p.fixed):
            state.add(int(c))
        state.fill(rng)
        state.swap(rng, start, time_limit)
        best, snapshot = state.value(), state.snapshot()
        free_count = self.k - int(p.fixed.sum())
        drop = max(1, min(free_count // 5, 10))
        for _ in range(self.perturbation_rounds if free_count > 1 else 0):
            if time_limit is not None and time.perf_counter() - start > time_limit:
                break
            free = np.flatnonzero(state.chosen & ~p.fixed)
            out = rng.choice(free, size=min(drop, len(free)), replace=False)
            for c in out:
                state.remove(int(c))
            state.fill(rng, forbid=out)
            state.swap(rng, start, time_limit)
            value = state.value()
            if value > best + state.tol:
                best, snapshot = value, state.snapshot()
            else:
                state.restore(snapshot)
        deadline = None if time_limit is None else start + time_limit
        cost, moves = self._spread(state, rng, deadline)
        selected = np.flatnonzero(state.chosen)
        missed = unreachable
        if reach is not None and p.reaches is not None and (state.reached == 0).any():
            reachable_ids = np.flatnonzero(np.asarray(p.reaches.sum(axis=0)).ravel() > 0)
            missed = np.sort(np.concatenate([unreachable, reachable_ids[state.reached == 0]]))
        return Solution(
            selected, p.objective(selected), "heuristic", None, missed, None, cost, moves
        )

    # -- exact ----------------------------------------------------------------------------

    def aggregated_rows(self) -> tuple[sparse.csr_array, np.ndarray]:
        """Demand pieces merged when covered by exactly the same candidates.

        Each piece's covering set is hashed (two sums of random 64-bit keys per candidate),
        so the ILP gets one row per distinct set rather than spopt's one row per piece.

        Returns
        -------
        csr_array, ndarray
            Groups × candidates incidence, and each group's total weight.
        """
        cov_t = self.cov_t  # pieces × candidates, sorted indices per row
        rng = np.random.default_rng(12345)
        keys = rng.integers(0, 2**62, size=(2, self.problem.n_candidates), dtype=np.int64)
        nnz = np.diff(cov_t.indptr)
        live = np.flatnonzero(nnz > 0)
        starts = cov_t.indptr[live]
        h1 = np.add.reduceat(keys[0][cov_t.indices], starts) if len(live) else np.zeros(0)
        h2 = np.add.reduceat(keys[1][cov_t.indices], starts) if len(live) else np.zeros(0)
        frame = pd.DataFrame({"h1": h1, "h2": h2, "n": nnz[live]})
        group = frame.groupby(["h1", "h2", "n"], sort=False).ngroup().to_numpy()
        weights = np.bincount(group, weights=self.problem.weight[live])
        _, rep = np.unique(group, return_index=True)
        return cov_t[live[rep]], weights

    def _exact(
        self,
        time_limit: float | None,
        progress: Callable[[str], None] | None = None,
        rng: np.random.Generator | None = None,
    ) -> Solution:
        """HiGHS on the merged rows, started from the heuristic's plan, then the spread stage.

        The first stage (covered demand) is solved by branch and bound within ``time_limit``
        seconds; the second (spread) keeps that coverage and runs the same move search as the
        heuristic, starting from HiGHS's plan.
        """
        import highspy

        rng = rng if rng is not None else np.random.default_rng(0)
        start_plan = self._heuristic(rng, None).selected

        p = self.problem
        n = p.n_candidates
        rows, weights = self.aggregated_rows()
        m = rows.shape[0]
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("mip_rel_gap", 1e-6)
        h.setOptionValue("random_seed", 0)
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        inf = highspy.kHighsInf
        # Columns: x (n binaries) then y (m continuous in [0, 1]); maximise sum W y.
        lower_x = p.fixed.astype(float)
        h.addVars(n + m, np.concatenate([lower_x, np.zeros(m)]), np.ones(n + m))
        h.changeColsIntegrality(
            n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
        )
        h.changeColsCost(
            n + m, np.arange(n + m, dtype=np.int32), np.concatenate([np.zeros(n), weights])
        )
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        blocks: list[sparse.csr_array] = []
        lo: list[np.ndarray] = []
        hi: list[np.ndarray] = []
        # y_g - sum_{c covers g} x_c <= 0
        blocks.append(sparse.hstack([-rows.astype(float), sparse.eye_array(m)]).tocsr())
        lo.append(np.full(m, -inf))
        hi.append(np.zeros(m))
        # sum x = k
        blocks.append(sparse.csr_array(np.concatenate([np.ones(n), np.zeros(m)])[None, :]))
        lo.append(np.array([float(self.k)]))
        hi.append(np.array([float(self.k)]))
        if p.neighbours is not None and p.neighbours.nnz:
            pairs = sparse.triu(p.neighbours, k=1).tocoo()
            both_fixed = p.fixed[pairs.row] & p.fixed[pairs.col]
            r, c = pairs.row[~both_fixed], pairs.col[~both_fixed]
            e = len(r)
            if e:
                sep = sparse.csr_array(
                    (np.ones(2 * e), (np.repeat(np.arange(e), 2), np.column_stack([r, c]).ravel())),
                    shape=(e, n + m),
                )
                blocks.append(sep)
                lo.append(np.full(e, -inf))
                hi.append(np.ones(e))
        reach, unreachable = self._required()
        if reach is not None and reach.shape[1]:
            req = sparse.hstack([reach.T.astype(float), sparse.csr_array((reach.shape[1], m))])
            blocks.append(req.tocsr())
            lo.append(np.ones(reach.shape[1]))
            hi.append(np.full(reach.shape[1], inf))
        a = sparse.vstack(blocks).tocsr()
        a.sort_indices()
        h.addRows(
            a.shape[0],
            np.concatenate(lo),
            np.concatenate(hi),
            a.nnz,
            a.indptr[:-1].astype(np.int32),
            a.indices.astype(np.int32),
            a.data.astype(float),
        )
        start = np.zeros(n + m)
        start[start_plan] = 1.0
        hit = np.asarray(rows[:, start_plan].sum(axis=1)).ravel() > 0
        start[n:] = hit
        h.setSolution(_highs_start(highspy, start))
        clock = time.perf_counter()
        _watch(h, progress, clock)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise InfeasibleError(
                "Det finns ingen plan som uppfyller alla villkor (minsta avstånd, orter, fasta "
                "platser). Lätta på villkoren."
            )
        sol = np.asarray(h.getSolution().col_value)
        if len(sol) < n:
            raise InfeasibleError("HiGHS hittade ingen lösning inom tidsgränsen.")
        selected = np.flatnonzero(sol[:n] > 0.5)
        bound = float(h.getInfo().mip_dual_bound)
        if progress is not None:
            progress(
                f"HiGHS klar efter {time.perf_counter() - clock:.0f} s: bästa plan "
                f"{p.objective(selected) / 1000:.1f}, övre gräns {bound / 1000:.1f}."
            )
        state = _State(self, p.weight.astype(float), reach)
        for c in selected:
            state.add(int(c))
        cost, moves = self._spread(state, rng, None)
        selected = np.flatnonzero(state.chosen)
        return Solution(
            selected, p.objective(selected), "exact", bound, unreachable, None, cost, moves
        )


def _highs_start(highspy: Any, values: np.ndarray) -> Any:
    """A HiGHS solution object holding ``values`` as the starting column values."""
    sol = highspy.HighsSolution()
    sol.col_value = list(map(float, values))
    sol.value_valid = True
    return sol


def _watch(h: Any, progress: Callable[[str], None] | None, clock: float) -> None:
    """Report HiGHS's incumbent, bound and time to ``progress`` at most every 5 s."""
    if progress is None:
        return
    last = [-10.0]

    def report(event: Any) -> None:
        now = time.perf_counter() - clock
        if now - last[0] < 5.0:
            return
        last[0] = now
        out = event.data_out
        progress(
            f"{now:.0f} s: bästa plan {out.mip_primal_bound / 1000:.1f}, "
            f"övre gräns {out.mip_dual_bound / 1000:.1f} (glapp {100 * out.mip_gap:.1f} %)"
        )

    h.cbMipInterrupt.subscribe(report)


class _State:
    """Mutable search state of the heuristic: chosen sites, cover counts and exact gains.

    ``gain[c]`` is always the weight candidate ``c`` would add now; adding or removing a
    site updates it with one sparse product over the pieces whose cover count crosses 0/1.
    """

    def __init__(self, model: MaximalCovering, w: np.ndarray, reach: sparse.csr_array | None):
        p = model.problem
        self.model, self.w, self.reach, self.k = model, w, reach, model.k
        self.cov, self.cov_t, self.fixed = model.cov, model.cov_t, p.fixed
        n = p.n_candidates
        self.count = np.zeros(self.cov.shape[1], dtype=np.int32)
        self.chosen = np.zeros(n, dtype=bool)
        self.blocked = np.zeros(n, dtype=np.int32)  # chosen sites within the separation
        self.nb = p.neighbours.astype(np.int32).tocsr() if p.neighbours is not None else None
        self.reached = np.zeros(0 if reach is None else reach.shape[1], dtype=np.int32)
        self.gain = np.asarray(self.cov @ w, dtype=float)
        self.tol = 1e-9 * max(float(w.sum()), 1.0)

    def _row(self, mat: sparse.csr_array, c: int) -> np.ndarray:
        return mat.indices[mat.indptr[c] : mat.indptr[c + 1]]

    def add(self, c: int) -> None:
        row = self._row(self.cov, c)
        new = row[self.count[row] == 0]
        self.count[row] += 1
        if len(new):
            self.gain -= self.cov_t[new].T @ self.w[new]
        self.chosen[c] = True
        if self.nb is not None:
            self.blocked[self._row(self.nb, c)] += 1
        if self.reach is not None:
            self.reached[self._row(self.reach, c)] += 1

    def remove(self, c: int) -> None:
        row = self._row(self.cov, c)
        self.count[row] -= 1
        lost = row[self.count[row] == 0]
        if len(lost):
            self.gain += self.cov_t[lost].T @ self.w[lost]
        self.chosen[c] = False
        if self.nb is not None:
            self.blocked[self._row(self.nb, c)] -= 1
        if self.reach is not None:
            self.reached[self._row(self.reach, c)] -= 1

    def value(self) -> float:
        return float(self.w[self.count > 0].sum())

    def snapshot(self) -> tuple[np.ndarray, ...]:
        return tuple(
            a.copy() for a in (self.count, self.chosen, self.blocked, self.reached, self.gain)
        )

    def restore(self, snap: tuple[np.ndarray, ...]) -> None:
        self.count, self.chosen, self.blocked, self.reached, self.gain = (a.copy() for a in snap)

    def _pick(self, score: np.ndarray, allowed: np.ndarray, rng: np.random.Generator) -> int:
        best = score[allowed].max()
        ties = np.flatnonzero(allowed & (score >= best))
        return int(ties[rng.integers(len(ties))]) if len(ties) > 1 else int(ties[0])

    def fill(self, rng: np.random.Generator, forbid: np.ndarray | None = None) -> None:
        """Add sites until there are ``k``: required settlements first, then by gain."""
        banned = np.zeros(len(self.chosen), dtype=bool)
        if forbid is not None:
            banned[forbid] = True
        if self.reach is not None:
            while self.chosen.sum() < self.k and (self.reached == 0).any():
                need = self.reach @ (self.reached == 0).astype(float)
                allowed = ~self.chosen & (self.blocked == 0) & (need > 0) & ~banned
                if not allowed.any():
                    break
                top = need[allowed].max()
                self.add(self._pick(self.gain, allowed & (need >= top), rng))
        while self.chosen.sum() < self.k:
            allowed = ~self.chosen & (self.blocked == 0)
            if (allowed & ~banned).any():
                allowed &= ~banned
            if not allowed.any():
                raise InfeasibleError(
                    f"Bara {int(self.chosen.sum())} av {self.k} kontroller får plats med det "
                    "minsta avståndet mellan platser. Minska avståndet eller antalet kontroller.",
                    field="min_separation_km",
                )
            self.add(self._pick(self.gain, allowed, rng))

    def swap(self, rng: np.random.Generator, start: float, time_limit: float | None) -> None:
        """1-swap local search: move each free site to the best candidate while that helps.

        Swapping ``s`` out and ``c`` in is worth ``gain[c] - loss[s] + both[c]``, where
        ``both[c]`` is the weight only ``s`` covers that ``c`` also covers: one sparse product
        over ``s``'s uniquely covered pieces, so a pass costs about one pass over the matrix.
        """
        cov, cov_t, w = self.cov, self.cov_t, self.w
        improved = True
        while improved:
            improved = False
            order = np.flatnonzero(self.chosen & ~self.fixed)
            for s in order[rng.permutation(len(order))]:
                if time_limit is not None and time.perf_counter() - start > time_limit:
                    return
                row = self._row(cov, int(s))
                uniq = row[self.count[row] == 1]
                loss = float(w[uniq].sum())
                both = cov_t[uniq].T @ w[uniq] if len(uniq) else 0.0
                delta = self.gain + both - loss
                allowed = ~self.chosen
                if self.nb is not None:
                    own = np.zeros(len(allowed), dtype=np.int32)
                    own[self._row(self.nb, int(s))] = 1
                    allowed &= (self.blocked - own) == 0
                if self.reach is not None:
                    sole = self._row(self.reach, int(s))
                    sole = sole[self.reached[sole] == 1]
                    if len(sole):
                        hits = np.asarray(self.reach[:, sole].sum(axis=1)).ravel()
                        allowed &= hits == len(sole)
                if not allowed.any():
                    continue
                c = int(np.flatnonzero(allowed)[np.argmax(delta[allowed])])
                if delta[c] <= self.tol:
                    continue
                self.remove(int(s))
                self.add(c)
                improved = True


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
        Seconds the certificate's Lagrangian bound may take (None: no certificate).
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
    if min_separation is None:
        min_separation = default_min_separation(radius, mode) if objective == "spread" else 0.0
    neighbours = None
    if min_separation > 0:
        neighbours = separation_pairs(cands.geometry.to_numpy(), float(min_separation))
    reaches = None
    req = None
    if settlements is not None and len(settlements) and population_threshold is not None:
        req = settlements[settlements["population"].fillna(0) >= population_threshold]
        if len(req):
            member = settlement_pieces(network, pieces, req).astype(np.float64)
            reaches = (coverage.astype(np.float64) @ member) > 0
            reaches = sparse.csr_array(reaches)
    xy = shapely.get_coordinates(cands.geometry.to_numpy())
    problem = CoverageProblem(
        coverage, weight, cands["fixed"].to_numpy(bool), neighbours, reaches,
        distance if objective == "spread" else None, radius, xy,
    )  # fmt: skip
    solution = MaximalCovering(problem, k).solve(
        method, seed=seed, time_limit=time_limit, bound_seconds=bound_seconds, progress=progress
    )
    timings["optimise"] = time.perf_counter() - t2

    sites = cands.iloc[solution.selected].copy()
    row_km = coverage[solution.selected].astype(np.float64) @ pieces.length / 1000.0
    sites["road_km_covered"] = np.asarray(row_km).ravel()
    sites = sites.reset_index(drop=True)
    sites.insert(0, "id", np.arange(1, len(sites) + 1))
    timings["total_plan"] = time.perf_counter() - t0
    return CheckpointPlan(
        network, sites, cands, pieces, weight, coverage, radius, mode, solution, timings,
        settlements, area, risk,
    )  # fmt: skip


#: Settlements at or above this population must be reached by a site where feasible.
DEFAULT_POPULATION_THRESHOLD = 1000
