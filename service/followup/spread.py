"""Spread of executed work: the figure behind "utspritt över hela kommunen".

Computed from executed checks (never from planned sites), so it can be shown to the public:

* settlements reached: tätorter and smaller settlements (Lantmäteriet's ``mb_riks`` via
  :func:`geodata.municipalities.settlements`) with at least one executed check within the
  radius (default 5 km; along roads when a road network is given, else straight-line from the
  settlement's outline), out of all settlements of the municipality;
* the share of the municipality's population (SCB) living in reached settlements;
* the farthest settlement from any check, among those not reached.

The planner's planned-versus-executed view calls the same :func:`executed_spread` with the
planned sites in place of the executed checks.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csgraph

from geodata import METRIC_CRS
from geodata.network import Network, nearest_nodes, to_csgraph

DEFAULT_RADIUS_M = 5000.0
POPULATION_SOURCE = "Källa: SCB, folkmängd 31 december 2025"


@dataclass(frozen=True)
class SettlementReach:
    """One settlement: whether a check was within reach, how many, and how far the nearest."""

    name: str
    category: str
    population: int | None
    checks: int
    distance_m: float | None  # to the nearest check; None without any check

    @property
    def reached(self) -> bool:
        """At least one check within the radius."""
        return self.checks > 0


@dataclass(frozen=True)
class ExecutedSpread:
    """The public spread figures of a set of checks in one municipality.

    Attributes
    ----------
    settlements
        Every settlement, most populous first.
    population_share
        Population of reached settlements over the municipality's population (None when the
        population is unknown).
    mode
        "väg" (distances along the road network) or "fågelväg" (straight line).
    checks
        Number of placed checks the figures were computed from.
    """

    settlements: list[SettlementReach]
    population_share: float | None
    population_total: int | None
    radius_m: float
    mode: str
    checks: int

    @property
    def settlements_reached(self) -> int:
        """How many settlements had a check within reach."""
        return sum(1 for s in self.settlements if s.reached)

    @property
    def settlements_total(self) -> int:
        """How many settlements the municipality has."""
        return len(self.settlements)

    @property
    def farthest_unreached(self) -> SettlementReach | None:
        """The unreached settlement farthest from any check (None without any)."""
        far = [s for s in self.settlements if not s.reached and s.distance_m is not None]
        return max(far, key=lambda s: s.distance_m or 0.0) if far else None

    def to_dict(self) -> dict[str, Any]:
        """The ``spread`` block of ``loftesplan followup --json``."""
        far = self.farthest_unreached
        return {
            "settlements_reached": self.settlements_reached,
            "settlements_total": self.settlements_total,
            "population_share": (
                None if self.population_share is None else round(self.population_share, 4)
            ),
            "farthest_unreached_km": (
                None if far is None or far.distance_m is None else round(far.distance_m / 1000, 1)
            ),
            "farthest_unreached": None if far is None else far.name,
            "reached": [s.name for s in self.settlements if s.reached],
            "radius_km": self.radius_m / 1000,
            "mode": self.mode,
            "checks": self.checks,
        }


@lru_cache(maxsize=1)
def population_by_code() -> dict[str, int]:
    """Residents per municipality code (SCB, 31 December 2025), embedded in the package."""
    path = files("service.followup") / "data" / "kommun_population_2025.csv"
    with path.open(encoding="utf-8") as fh:
        return {row["kommun_kod"].zfill(4): int(row["population"]) for row in csv.DictReader(fh)}


def _straight_distances(towns: gpd.GeoDataFrame, xy: np.ndarray) -> np.ndarray:
    """Distance (m) from each settlement's outline to each check: towns × checks."""
    points = shapely.points(xy)
    geoms = towns.geometry.to_numpy()
    return np.array([shapely.distance(g, points) for g in geoms]).reshape(len(geoms), len(xy))


def _road_distances(towns: gpd.GeoDataFrame, xy: np.ndarray, network: Network) -> np.ndarray:
    """Distance (m) along the network from each check to each settlement, plus the snaps."""
    check_idx, check_off = nearest_nodes(network, xy)
    town_idx, town_off = nearest_nodes(network, towns.geometry.representative_point())
    graph = to_csgraph(network, "length").matrix
    unique, inverse = np.unique(check_idx, return_inverse=True)
    along = csgraph.dijkstra(graph, directed=False, indices=unique)  # sources × nodes
    road = along[inverse][:, town_idx] + check_off[:, None] + town_off[None, :]
    # A settlement whose outline holds the check is reached whatever the network says.
    straight = _straight_distances(towns, xy).T
    return np.where(straight == 0.0, 0.0, road).T


def executed_spread(
    checks: gpd.GeoSeries | np.ndarray,
    towns: gpd.GeoDataFrame,
    population_total: int | None,
    radius_m: float = DEFAULT_RADIUS_M,
    network: Network | None = None,
) -> ExecutedSpread:
    """Settlements reached by executed checks, their population share and the farthest gap.

    Parameters
    ----------
    checks
        Points of executed checks (EPSG:3006 GeoSeries, or an ``(n, 2)`` array of x, y there).
    towns
        Settlements of the municipality (:func:`geodata.municipalities.settlements`).
    population_total
        The municipality's population (:func:`population_by_code`); None leaves the share out.
    radius_m
        A settlement is reached when a check lies within this distance.
    network
        The municipality's road network if cached: distances along roads, else straight-line.

    Returns
    -------
    ExecutedSpread
    """
    if isinstance(checks, gpd.GeoSeries):
        series = checks.to_crs(METRIC_CRS) if checks.crs is not None else checks
        series = series[series.notna() & ~series.is_empty]
        xy = np.column_stack([series.x.to_numpy(), series.y.to_numpy()])
    else:
        xy = np.asarray(checks, dtype=float).reshape(-1, 2)
    towns = towns.to_crs(METRIC_CRS) if towns.crs is not None else towns
    use_roads = network is not None and len(network.nodes) > 0 and len(xy) > 0
    if len(xy) == 0 or towns.empty:
        dist = np.full((len(towns), len(xy)), np.inf)
    elif use_roads:
        dist = _road_distances(towns, xy, network)  # type: ignore[arg-type]
    else:
        dist = _straight_distances(towns, xy)
    rows = []
    for i, town in enumerate(towns.itertuples(index=False)):
        d = dist[i] if len(xy) else np.array([])
        nearest = float(d.min()) if len(d) and np.isfinite(d.min()) else None
        population = getattr(town, "population", None)
        rows.append(
            SettlementReach(
                name=str(town.name),
                category=str(getattr(town, "category", "") or ""),
                population=None if population is None or pd.isna(population) else int(population),
                checks=int((d <= radius_m).sum()),
                distance_m=nearest,
            )
        )
    share = None
    if population_total:
        reached_pop = sum(r.population or 0 for r in rows if r.reached)
        share = min(reached_pop / population_total, 1.0)
    return ExecutedSpread(
        settlements=rows,
        population_share=share,
        population_total=population_total,
        radius_m=radius_m,
        mode="väg" if use_roads else "fågelväg",
        checks=len(xy),
    )


def cached_road_network(code: str) -> Network | None:
    """The municipality's drivable network if it is already in the cache (never fetched).

    Looked up under each boundary the service can have offline (Lantmäteriet, SCB).
    """
    from geodata.errors import DataUnavailableError
    from geodata.municipalities import municipality_boundary
    from geodata.osm import cache

    for source in ("lantmateriet", "scb"):
        try:
            area = municipality_boundary(code, source=source)
        except DataUnavailableError:
            continue
        network = cache.load_network(area, "drive")
        if network is not None and len(network.edges):
            return network
    return None


def settlement_spread(
    code: str,
    points: dict[str, list[tuple[float, float]]],
    network: Network | None = None,
    radius_m: float = DEFAULT_RADIUS_M,
) -> dict[str, dict[str, Any] | None]:
    """Planned-versus-executed settlement spread: :func:`executed_spread` per named point set.

    ``points`` maps a name ("planned", "executed") to ``(lon, lat)`` pairs in WGS 84; an empty
    set gets None. The planner's coverage view shows these beside the road-coverage metrics.
    """
    from geodata import WGS84, transformer

    towns = settlements_of(code)
    population = population_by_code().get(code)
    to_metric = transformer(WGS84, METRIC_CRS)
    out: dict[str, dict[str, Any] | None] = {}
    for name, pairs in points.items():
        if not pairs:
            out[name] = None
            continue
        lon, lat = (list(axis) for axis in zip(*pairs, strict=True))
        xs, ys = to_metric.transform(lon, lat)
        xy = np.column_stack([np.atleast_1d(xs), np.atleast_1d(ys)])
        out[name] = executed_spread(xy, towns, population, radius_m, network).to_dict()
    return out


def settlements_of(code: str) -> gpd.GeoDataFrame:
    """The municipality's settlements (:func:`geodata.municipalities.settlements`)."""
    from geodata.municipalities import settlements

    return settlements(code)
