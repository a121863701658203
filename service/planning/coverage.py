"""Spread metrics for any set of points on a road network, planned or executed.

These are the figures behind "utspritt över hela kommunen": how much of the road network and
of the settlement population lies within reach of a site, the largest gap, and how evenly
the road-km are shared between sites.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geodata.errors import InvalidInputError
from geodata.network import Network, nearest_edges
from service.planning.distances import (
    DemandPieces,
    DistanceGraph,
    demand_pieces,
    settlement_pieces,
)


def _min_site_distance(points: np.ndarray) -> float | None:
    """The smallest straight-line distance between two sites (km), None for one site."""
    if len(points) < 2:
        return None
    tree = shapely.STRtree(points)
    _, d = tree.query_nearest(points, return_distance=True, exclusive=True)
    return float(d.min()) / 1000.0 if len(d) else 0.0


#: One Swedish line per figure, shown beside it in the CLI, the JSON, the map panel and the
#: planner pages. Keys are those of :func:`spread_metrics` plus the plan's certificate
#: (``upper_bound``, ``gap``) and risk share (``risk_share``).
EXPLANATIONS: dict[str, str] = {
    "road_km_total": "Vägnätets längd i området, alla vägar i planeringsunderlaget.",
    "road_km_covered": (
        "Väg som ligger inom räckvidden från minst en kontroll, mätt längs vägnätet."
    ),
    "share_road_km_covered": "Andel av vägnätet som ligger inom räckvidden från någon kontroll.",
    "share_population_covered": (
        "Andel av tätorternas invånare som bor i en ort med någon väg inom räckvidd."
    ),
    "settlements_reached": "Tätorter med minst en väg inom räckvidd (inom 200 m från orten).",
    "settlements_total": "Tätorter i området.",
    "largest_gap_km": (
        "Den längsta vägen från någon vägbit till närmaste kontroll, mätt längs vägnätet."
    ),
    "road_km_unreachable": (
        "Väg utan förbindelse med någon kontroll (t.ex. en ö utan bro); räknas inte i luckan."
    ),
    "sites_used": "Kontroller som ligger på vägnätet.",
    "road_km_per_site_mean": (
        "Vägkilometer per kontroll i medel, när varje vägbit räknas till närmaste kontroll."
    ),
    "road_km_per_site_cv": (
        "Hur olika mycket väg kontrollerna ansvarar för (variationskoefficient); 0 är helt "
        "jämnt, över 0,5 ojämnt."
    ),
    "road_km_per_site": (
        "Väg som ligger närmare den kontrollen än någon annan; stora skillnader mellan minst "
        "och störst betyder ojämn spridning."
    ),
    "mean_distance_km": (
        "Hur långt det i medel är längs vägnätet från en vägbit till närmaste kontroll; lägre "
        "betyder bättre utspridda kontroller."
    ),
    "min_site_distance_km": "Kortaste fågelvägsavstånd mellan två kontroller.",
    "upper_bound": (
        "Ingen plan med samma antal kontroller, räckvidd och kandidatplatser kan täcka mer; "
        "bevisat i samma körning."
    ),
    "gap": "Hur långt planen som mest ligger från bästa möjliga täckning (bevisat).",
    "risk_share": (
        "Andel av Polisens trafikolyckor, rattfylleri och trafikbrott i perioden, placerade "
        "på vägarna, som ligger inom räckvidd från någon kontroll."
    ),
}


#: Sites farther than this from the drivable network are not counted (m).
SITE_SNAP_M = 500.0


def spread_metrics(
    network: Network,
    sites: gpd.GeoDataFrame | gpd.GeoSeries,
    radius: float,
    settlements: gpd.GeoDataFrame | None = None,
    mode: str = "length",
    pieces: DemandPieces | None = None,
    graph: DistanceGraph | None = None,
) -> dict[str, Any]:
    """How well ``sites`` cover the network within ``radius``.

    Parameters
    ----------
    network
        Drivable network in a metric CRS.
    sites
        Points (any CRS); each is snapped to its nearest edge (within ``SITE_SNAP_M``).
    radius
        Reach in metres (``mode="length"``) or seconds (``mode="time"``).
    settlements
        Optional settlements with a ``population`` column; a settlement is reached when a
        road within 200 m of it is covered.
    mode
        ``length`` or ``time`` for the coverage test. Gaps and per-site road-km are always
        network distances in km.
    pieces
        Demand pieces to reuse (default: cut the network into ≤ 250 m pieces).
    graph
        A :class:`DistanceGraph` of ``network`` to reuse (the plan's own), used for the
        searches in its mode; the others build their own.

    Returns
    -------
    dict
        ``road_km_total``, ``road_km_covered``, ``share_road_km_covered``,
        ``share_population_covered``, ``settlements_reached``, ``settlements_total``,
        ``largest_gap_km`` (the longest network distance from any road piece to its nearest
        site, over pieces some site can reach), ``road_km_unreachable`` (road in components
        with no site: left out of the gap and counted here instead), ``sites_used``,
        ``road_km_per_site_mean`` and ``road_km_per_site_cv`` (nearest-site assignment),
        ``road_km_per_site_min`` / ``_median`` / ``_max`` (the same assignment),
        ``mean_distance_km`` (road-length-weighted mean network distance from a road piece to
        its nearest site, over pieces some site can reach) and ``min_site_distance_km``
        (smallest straight-line distance between two sites). Each key is explained in
        Swedish in ``EXPLANATIONS``. Population figures are None without settlements.
    """
    if radius <= 0:
        raise InvalidInputError("Radien måste vara större än 0.")
    pieces = pieces if pieces is not None else demand_pieces(network)
    geoms = sites.geometry if isinstance(sites, gpd.GeoDataFrame) else sites
    pts = geoms.to_crs(network.edges.crs).to_numpy() if len(geoms) else np.array([], dtype=object)
    loc, _ = nearest_edges(network, pts, None, SITE_SNAP_M)
    loc = loc.take(np.flatnonzero(loc.edge >= 0))
    length = pieces.length
    total_km = float(length.sum()) / 1000.0
    result: dict[str, Any] = {
        "road_km_total": total_km,
        "road_km_covered": 0.0,
        "share_road_km_covered": 0.0,
        "share_population_covered": None,
        "settlements_reached": None,
        "settlements_total": None,
        "largest_gap_km": None,
        "road_km_unreachable": total_km,
        "sites_used": len(loc),
        "road_km_per_site_mean": 0.0,
        "road_km_per_site_cv": None,
        "road_km_per_site_min": None,
        "road_km_per_site_median": None,
        "road_km_per_site_max": None,
        "mean_distance_km": None,
        "min_site_distance_km": None,
    }
    if len(loc) == 0:
        if settlements is not None:
            result.update(
                share_population_covered=0.0,
                settlements_reached=0,
                settlements_total=len(settlements),
            )
        return result

    def distance_graph(kind: str) -> DistanceGraph:
        if graph is not None and graph.mode == kind and graph.network is network:
            return graph
        return DistanceGraph(network, kind)

    dist_m, nearest = distance_graph("length").nearest(loc, pieces.locations)
    if mode == "length":
        covered = dist_m <= radius
    else:
        dist_t, _ = distance_graph(mode).nearest(loc, pieces.locations)
        covered = dist_t <= radius
    reachable = np.isfinite(dist_m)
    per_site = np.bincount(nearest[reachable], weights=length[reachable], minlength=len(loc))
    per_site_km = per_site / 1000.0
    mean = float(per_site_km.mean())
    result.update(
        road_km_covered=float(length[covered].sum()) / 1000.0,
        share_road_km_covered=float(length[covered].sum() / length.sum()),
        largest_gap_km=float(dist_m[reachable].max()) / 1000.0 if reachable.any() else None,
        road_km_unreachable=float(length[~reachable].sum()) / 1000.0,
        road_km_per_site_mean=mean,
        road_km_per_site_cv=float(per_site_km.std() / mean) if mean > 0 else None,
        road_km_per_site_min=float(per_site_km.min()),
        road_km_per_site_median=float(np.median(per_site_km)),
        road_km_per_site_max=float(per_site_km.max()),
        mean_distance_km=float(
            (length[reachable] * dist_m[reachable]).sum() / length[reachable].sum()
        )
        / 1000.0
        if reachable.any()
        else None,
        min_site_distance_km=_min_site_distance(loc.points(network)),
    )
    if settlements is not None:
        if len(settlements):
            member = settlement_pieces(network, pieces, settlements)
            reached = np.asarray(member.T.astype(np.int64) @ covered.astype(np.int64)) > 0
            pop = settlements["population"].fillna(0).to_numpy(float)
            result.update(
                share_population_covered=float(pop[reached].sum() / pop.sum())
                if pop.sum() > 0
                else None,
                settlements_reached=int(reached.sum()),
                settlements_total=len(settlements),
            )
        else:
            result.update(settlements_reached=0, settlements_total=0)
    return result


#: The metrics the CLI and the API show for a checkpoint plan, in this order.
SUMMARY_METRICS = (
    "road_km_total",
    "road_km_covered",
    "share_road_km_covered",
    "share_population_covered",
    "settlements_reached",
    "settlements_total",
    "largest_gap_km",
    "road_km_per_site_min",
    "road_km_per_site_median",
    "road_km_per_site_max",
    "mean_distance_km",
    "min_site_distance_km",
)


@dataclass(frozen=True)
class SpreadMetrics:
    """How well a set of sites covers a network: :func:`spread_metrics` as typed fields."""

    road_km_total: float
    road_km_covered: float
    share_road_km_covered: float
    share_population_covered: float | None
    settlements_reached: int | None
    settlements_total: int | None
    largest_gap_km: float | None
    road_km_unreachable: float
    sites_used: int
    road_km_per_site_mean: float
    road_km_per_site_cv: float | None
    road_km_per_site_min: float | None = None
    road_km_per_site_median: float | None = None
    road_km_per_site_max: float | None = None
    mean_distance_km: float | None = None
    min_site_distance_km: float | None = None

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> SpreadMetrics:
        """From the mapping :func:`spread_metrics` returns."""
        return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping (maps and stored plans read it)."""
        return asdict(self)

    def to_json(self) -> dict[str, Any]:
        """Plain numbers only: NaN and inf (not JSON) become None."""
        return {
            key: None if isinstance(value, float) and not math.isfinite(value) else value
            for key, value in self.to_dict().items()
        }

    def summary(self) -> dict[str, Any]:
        """The headline figures (:data:`SUMMARY_METRICS`)."""
        values = self.to_dict()
        return {key: values[key] for key in SUMMARY_METRICS}
