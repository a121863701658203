"""Use cases: what a planner asks for, apart from the algorithms that answer it.

Each use case takes one typed request (pydantic) and returns a typed result (a dataclass
with typed metrics): it loads the data, calls the planners in :mod:`service.planning` and
measures the outcome. The CLI, the background jobs, the API and the benchmarks all call
these, by keyword, so a plan made in one place is the plan made in every other.

- :func:`plan_checkpoints_for_area`: spread K checkpoints over an area's roads or trails;
- :func:`plan_walk_for_area`: a safety-walk loop (trygghetsvandring);
- :func:`plan_round_for_places`: one evening's inspection round through places;
- :func:`measure_coverage`: spread metrics of sets of points (planned, executed).

Nothing here prints: progress goes to the ``progress`` callback when one is given, and to
:mod:`logging` otherwise (configured once, by the CLI and by ``serve``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from pydantic import BaseModel, ConfigDict

from geodata import WGS84
from geodata.area import Area
from geodata.errors import AreaNotCoveredError, InvalidInputError
from geodata.network import Network
from service.planning.checkpoints import (
    DEFAULT_POPULATION_THRESHOLD,
    EMPTY_NETWORK_MESSAGE,
    NETWORK_CHOICES,
    TERRAIN_KINDS,
    WEIGHTINGS,
    CheckpointPlan,
    plan_checkpoints,
    read_points,
)
from service.planning.checkpoints.risk import DEFAULT_RISK_WEIGHT, DEFAULT_VENUE_WEIGHT, risk_demand
from service.planning.coverage import EXPLANATIONS, SpreadMetrics, spread_metrics
from service.planning.distances import demand_pieces
from service.planning.rounds import Round, plan_round
from service.planning.walks import (
    WalkRoute,
    check_length,
    length_for_minutes,
    parse_weights,
    plan_walk_in_area,
    walk_area,
)
from service.planning.walks import read_points as read_walk_points

log = logging.getLogger(__name__)

#: Receives one Swedish line per step of a long run (e.g. the CLI writes it to stderr).
Progress = Callable[[str], None]
#: Default time limit of the exact mode (s).
DEFAULT_TIME_LIMIT_S = 120.0


def _report(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)
    else:
        log.info(message)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


# --------------------------------------------------------------------------- checkpoints


class CheckpointRequest(_Request):
    """Spread ``count`` checkpoints over an area: a municipality, a boundary or a whole file.

    ``boundary`` is a GeoJSON file or mapping; exactly one of ``radius_km`` and
    ``radius_min`` gives each checkpoint's reach. ``network`` is ``road``, ``snowmobile`` or
    ``track``. ``objective`` is ``spread`` (coverage, then spread) or ``coverage`` (the
    coverage-only baseline); ``min_separation_km`` None means the default rule, 0 none.
    ``weighting="risk"`` uses Polisen's notices since ``events_since`` (default three years
    back) mixed with length by ``risk_weight`` (see :mod:`service.planning.risk`).
    ``time_limit`` (s) bounds the optimiser (exact mode: default 120 s).
    """

    kommun: str | None = None
    boundary: Path | str | dict[str, Any] | None = None
    osm_file: Path | str | None = None
    count: int = 100
    radius_km: float | None = None
    radius_min: float | None = None
    candidates: Path | None = None
    fixed: Path | None = None
    exclude: Path | None = None
    min_separation_km: float | None = None
    weighting: str = "length"
    exact: bool = False
    seed: int = 0
    population_threshold: float | None = DEFAULT_POPULATION_THRESHOLD
    network: str = "road"
    objective: str = "spread"
    time_limit: float | None = None
    risk_weight: float = DEFAULT_RISK_WEIGHT
    venue_weight: float = DEFAULT_VENUE_WEIGHT
    events_since: date | None = None


@dataclass(frozen=True)
class PlanTimings:
    """Seconds spent loading data, building candidates and distances, optimising, in all."""

    load: float
    network: float
    optimise: float
    total: float


@dataclass(frozen=True)
class CheckpointResult:
    """A checkpoint plan with its spread metrics and timings."""

    plan: CheckpointPlan
    metrics: SpreadMetrics
    timings: PlanTimings

    def sites(self) -> list[dict[str, Any]]:
        """The chosen sites in WGS 84, as the CLI and the API list them."""
        return [
            {
                "id": int(row.id),
                "lat": round(float(row.geometry.y), 6),
                "lon": round(float(row.geometry.x), 6),
                "reason": row.reason,
                "road_km_covered": round(float(row.road_km_covered), 3),
            }
            for row in self.plan.sites.to_crs(WGS84).itertuples()
        ]

    def certificate(self) -> dict[str, Any] | None:
        """The plan's proven distance from the best possible coverage (see ``bound``)."""
        from service.render.format import percent

        cert = self.plan.solution.certificate
        if cert is None:
            return None
        plain = np.allclose(self.plan.weight, self.plan.pieces.length)
        covered, bound = round(cert.objective / 1000.0, 3), round(cert.bound / 1000.0, 3)
        # From the two figures as printed, so a reader's own division agrees with it.
        gap = round(max(0.0, 1.0 - covered / bound), 6) if bound > 0 else 0.0
        return {
            "unit": "km" if plain else "viktade km",
            "covered": covered,
            "upper_bound": bound,
            "gap": gap,
            "text": f"högst {percent(gap)} från bästa möjliga",
            "seconds": round(cert.seconds, 3),
        }

    def risk(self) -> dict[str, Any] | None:
        """The share of traffic notices within reach, and how many could be placed."""
        risk = self.plan.risk
        if risk is None:
            return None
        return {
            "label": risk.label,
            "share": self.plan.risk_share,
            "municipality": risk.municipality,
            "since": risk.since.isoformat(),
            "until": risk.until.isoformat(),
            "notices": risk.total,
            "placed": risk.placed,
            "unplaced": risk.unplaced,
            "outside_network": risk.outside,
        }

    def to_json(self) -> dict[str, Any]:
        """The object ``loftesplan checkpoints --json`` prints."""
        metrics = self.metrics.summary()
        keys = [*metrics, "upper_bound", "gap"] + (["risk_share"] if self.plan.risk else [])
        explained = {k: EXPLANATIONS[k] for k in keys if k in EXPLANATIONS}
        for k in ("road_km_per_site_min", "road_km_per_site_median", "road_km_per_site_max"):
            explained[k] = EXPLANATIONS["road_km_per_site"]
        return {
            "sites": self.sites(),
            "metrics": metrics,
            "certificate": self.certificate(),
            "risk": self.risk(),
            "explanations": explained,
            "timings_s": {k: round(v, 3) for k, v in asdict(self.timings).items()},
        }


def _check_checkpoint_request(request: CheckpointRequest) -> tuple[str, str, float]:
    """Network kind, distance mode and radius (m or s) of a valid request."""
    kind = NETWORK_CHOICES.get(request.network)
    if kind is None:
        raise InvalidInputError(
            f"Okänt nätverk {request.network!r}; välj {', '.join(NETWORK_CHOICES)}.",
            field="network",
        )
    if (request.radius_km is None) == (request.radius_min is None):
        raise InvalidInputError(
            "Ange räckvidden på exakt ett sätt: i km eller i minuter.",
            field="radius_km",
        )
    value: float | None
    if request.radius_km is not None:
        mode, value, scale = "length", request.radius_km, 1000.0
    else:
        mode, value, scale = "time", request.radius_min, 60.0
    if value is None or value <= 0:
        raise InvalidInputError(
            "Radien måste vara större än 0.",
            field="radius_km" if mode == "length" else "radius_min",
        )
    if request.count < 1:
        raise InvalidInputError("Antalet kontroller måste vara minst 1.", field="count")
    if request.weighting not in WEIGHTINGS:
        raise InvalidInputError(
            f"Okänd viktning {request.weighting!r}; välj {', '.join(WEIGHTINGS)}.",
            field="weighting",
        )
    if request.time_limit is not None and not request.time_limit > 0:
        raise InvalidInputError("Tidsgränsen måste vara större än 0 sekunder.", field="time_limit")
    if request.min_separation_km is not None and request.min_separation_km < 0:
        raise InvalidInputError(
            "Minsta avståndet mellan platser kan inte vara negativt.", field="min_separation_km"
        )
    if request.kommun and request.boundary:
        raise InvalidInputError(
            "Ange antingen en kommun eller en gräns för området, inte båda.", field="boundary"
        )
    if not (request.kommun or request.boundary or request.osm_file):
        raise InvalidInputError(
            "Ange området: en kommun, en gräns (GeoJSON) eller en OSM-fil.", field="kommun"
        )
    return kind, mode, value * scale


def plan_checkpoints_for_area(
    request: CheckpointRequest, progress: Progress | None = None
) -> CheckpointResult:
    """Load the area's network, features and settlements, plan checkpoints and measure them.

    On terrain (``snowmobile``, ``track``) the settlement guarantee is off (trails rarely
    reach a tätort; the metrics still count settlements) and ``radius_min`` uses
    ``geodata.network.TERRAIN_SPEED_KMH``.

    Raises
    ------
    LoftesplanError
        On a request that cannot be planned (each names the request ``field`` it concerns).
    """
    from geodata.osm import load_features, load_networks

    t0 = time.perf_counter()
    kind, mode, radius = _check_checkpoint_request(request)
    area = None
    settlements = None
    if request.kommun:
        from geodata.municipalities import municipality_boundary
        from geodata.municipalities import settlements as find_settlements

        area = municipality_boundary(request.kommun)
        settlements = find_settlements(request.kommun)
        if settlements is not None and settlements.empty:
            settlements = None
    elif request.boundary:
        area = Area.from_geojson(request.boundary)
    where = f" för {area.name}" if area else ""
    _report(progress, f"Läser {'vägnät' if kind == 'drive' else 'leder'}{where}…")
    # Terrain plans also read the roads (one pass over a file) to find where trails meet them.
    kinds = (kind,) if kind == "drive" else (kind, "drive")
    nets = load_networks(area, kinds, request.osm_file)
    net, roads = nets[kind], nets.get("drive")
    if net.edges.empty:
        raise AreaNotCoveredError(EMPTY_NETWORK_MESSAGE[kind])
    threshold = None if kind in TERRAIN_KINDS else request.population_threshold
    risky = request.weighting == "risk"
    features = (
        load_features(area, request.osm_file) if request.candidates is None or risky else None
    )
    risk = None
    if risky:
        _report(progress, "Läser och placerar Polisens trafikhändelser…")
        risk = risk_demand(
            net,
            demand_pieces(net),
            request.kommun,
            request.events_since,
            features=features,
            risk_weight=request.risk_weight,
            venue_weight=request.venue_weight,
        )
        _report(
            progress,
            f"{risk.placed} av {risk.total} trafikhändelser i {risk.municipality} placerade på "
            f"vägarna ({risk.unplaced} utan plats, {risk.outside} utanför området).",
        )
    t_load = time.perf_counter() - t0

    what = "väg" if kind == "drive" else "led"
    _report(
        progress, f"Planerar {request.count} kontroller på {net.total_length_km:.0f} km {what}…"
    )
    plan = plan_checkpoints(
        net,
        request.count,
        radius,
        mode=mode,
        features=features if request.candidates is None else None,
        candidates=read_points(request.candidates, "kandidatfilen") if request.candidates else None,
        fixed=read_points(request.fixed, "filen med fasta platser") if request.fixed else None,
        exclude=Area.from_geojson(request.exclude) if request.exclude else None,
        min_separation=(
            request.min_separation_km * 1000.0 if request.min_separation_km is not None else None
        ),
        weighting=request.weighting,
        settlements=settlements,
        population_threshold=threshold if settlements is not None else None,
        method="exact" if request.exact else "heuristic",
        seed=request.seed,
        area=area,
        roads=roads if kind in TERRAIN_KINDS else None,
        time_limit=(
            request.time_limit or DEFAULT_TIME_LIMIT_S if request.exact else request.time_limit
        ),
        progress=lambda message: _report(progress, message),
        objective=request.objective,
        risk=risk,
    )
    metrics = spread_metrics(
        net, plan.sites, radius, settlements, mode=mode, pieces=plan.pieces, graph=plan.graph
    )
    timings = PlanTimings(
        load=t_load,
        network=plan.timings["candidates"] + plan.timings["network"],
        optimise=plan.timings["optimise"],
        total=time.perf_counter() - t0,
    )
    return CheckpointResult(plan, SpreadMetrics.from_mapping(metrics), timings)


# --------------------------------------------------------------------------- coverage


class CoverageRequest(_Request):
    """Spread metrics of named point sets on one area's network.

    ``points`` maps a name (``planned``, ``executed``) to ``(lon, lat)`` pairs in WGS 84;
    an empty set gets no metrics. Exactly one of ``radius_km`` and ``radius_min``.
    """

    area: Area | None = None
    osm_file: Path | str | None = None
    network: str = "road"
    radius_km: float | None = None
    radius_min: float | None = None
    points: dict[str, list[tuple[float, float]]]


@dataclass(frozen=True)
class CoverageResult:
    """Metrics per point set (None where the set is empty) and the network's attribution."""

    metrics: dict[str, SpreadMetrics | None]
    mode: str
    radius: float
    attribution: str
    network: Network

    def to_json(self) -> dict[str, Any]:
        """Metrics per set, the reach used and the attribution, as the API returns them."""
        return {
            **{name: m.to_json() if m else None for name, m in self.metrics.items()},
            "radius": {"mode": self.mode, "value": self.radius},
            "attribution": self.attribution,
        }


def measure_coverage(request: CoverageRequest) -> CoverageResult:
    """Load the area's network once and measure every point set on it."""
    from geodata.osm import load_network

    kind = NETWORK_CHOICES.get(request.network)
    if kind is None:
        raise InvalidInputError(f"Okänt nätverk {request.network!r}.", field="network")
    if request.radius_km:
        mode, radius = "length", request.radius_km * 1000.0
    elif request.radius_min:
        mode, radius = "time", request.radius_min * 60.0
    else:
        raise InvalidInputError("Planen saknar räckvidd.", field="radius_km")
    network = load_network(request.area, kind, request.osm_file)
    out: dict[str, SpreadMetrics | None] = {}
    for name, points in request.points.items():
        if not points:
            out[name] = None
            continue
        lon, lat = zip(*points, strict=True)
        sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=WGS84)
        out[name] = SpreadMetrics.from_mapping(spread_metrics(network, sites, radius, mode=mode))
    return CoverageResult(out, mode, radius, network.provenance.label, network)


# --------------------------------------------------------------------------- walks


class WalkRequest(_Request):
    """A safety walk: where (a settlement of a municipality, or a centre and radius), how long.

    ``length_km`` and ``minutes`` are alternatives (default 2.5 km); ``weights`` is the
    ``kind=weight,...`` text or a mapping; ``points`` a GeoJSON file of the planner's own points.
    """

    settlement: str | None = None
    kommun: str | None = None
    center: tuple[float, float] | None = None
    radius_km: float | None = None
    osm_file: Path | str | None = None
    length_km: float | None = None
    minutes: float | None = None
    start: tuple[float, float] | None = None
    weights: str | dict[str, float] | None = None
    points: Path | None = None
    purpose: str | None = None
    #: Municipality whose Polisen notices become places (default: ``kommun``, the area's or
    #: the one at the centre); the span defaults to the last two years.
    incidents_kommun: str | None = None
    incidents_since: date | None = None
    incidents_until: date | None = None


@dataclass(frozen=True)
class WalkResult:
    """The planned loop and its headline figures."""

    route: WalkRoute
    area: Area
    length_km: float
    stops: int
    priority: float
    repeated_share: float


def plan_walk_for_area(request: WalkRequest) -> WalkResult:
    """Resolve the walk's area, load its paths and places and plan the loop."""
    if request.length_km is not None and request.minutes is not None:
        raise InvalidInputError("Ange vandringens längd eller tid, inte båda.", field="minutes")
    target = length_for_minutes(request.minutes) if request.minutes is not None else None
    target = target or request.length_km
    target = check_length(2.5 if target is None else target)
    area = walk_area(
        settlement=request.settlement,
        kommun=request.kommun,
        center=request.center,
        radius_km=request.radius_km,
        length_km=target,
    )
    weights = (
        parse_weights(request.weights, request.purpose)
        if request.weights is None or isinstance(request.weights, str)
        else {**parse_weights(None, request.purpose), **request.weights}
    )
    route = plan_walk_in_area(
        area,
        request.osm_file,
        length_km=target,
        start=request.start,
        weights=weights,
        purpose=request.purpose,
        points=read_walk_points(request.points) if request.points else None,
        kommun=request.incidents_kommun or request.kommun,
        incidents_since=request.incidents_since,
        incidents_until=request.incidents_until,
    )
    return WalkResult(
        route=route,
        area=area,
        length_km=route.length_km,
        stops=len(route.stops),
        priority=route.priority_collected,
        repeated_share=route.repeated_edge_share,
    )


# --------------------------------------------------------------------------- rounds


class RoundRequest(_Request):
    """One round through ``places`` (a GeoDataFrame) of ``area`` (None: the whole file)."""

    places: gpd.GeoDataFrame
    area: Area | None = None
    osm_file: Path | str | None = None
    mode: str = "drive"
    start: tuple[float, float] | None = None
    start_time: datetime | None = None
    max_places: int | None = None
    max_hours: float = 6.0
    service_min: float = 15.0
    title: str = "Tillsynsrunda"


@dataclass(frozen=True)
class RoundResult:
    """The planned round and its headline figures."""

    round: Round
    length_km: float
    visits: int
    skipped: int


def plan_round_for_places(request: RoundRequest) -> RoundResult:
    """Load the mode's network for the area and plan the round."""
    from geodata.osm import load_network

    if request.mode not in {"drive", "walk"}:
        raise InvalidInputError(
            f"Okänt färdsätt {request.mode!r}; välj drive (bil) eller walk (till fots).",
            field="mode",
        )
    network = load_network(request.area, request.mode, request.osm_file)
    result = plan_round(
        request.places,
        network,
        start=request.start,
        start_time=request.start_time,
        max_places=request.max_places,
        service_min=request.service_min,
        max_hours=request.max_hours,
        mode=request.mode,
        title=request.title,
    )
    return RoundResult(result, result.length_km, len(result.stops), len(result.skipped))
