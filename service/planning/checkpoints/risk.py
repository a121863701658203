"""Strategic weighting: where crashes and drink-driving actually happen, from Polisen's notices.

``--weighting risk`` mixes road length with two kinds of risk:

* Polisen's notices in the municipality over a span (default the last three years):
  every ``Trafikolycka`` subtype, ``Rattfylleri`` and ``Trafikbrott``, placed by the
  geocoder (:func:`geodata.events.geocode_event`). Each placed notice spreads one unit over
  road pieces by length: along the named street or road (pieces within ``LINE_REACH_M`` of
  it, inside the settlement the geocoder chose), around a point (within ``POINT_REACH_M``),
  or over the settlement's roads when only the settlement is known. Notices placed only at
  municipality level are counted as unplaced and left out; notices placed outside the
  planned network (another part of the kommun) are counted as outside.
* Licensed venues (OSM restaurants, bars, pubs, nightclubs): each spreads one unit over the
  roads within ``VENUE_REACH_M`` (where drink-driving starts).

The weight of a piece is ``(1 - a) * length + a * L * ((1 - v) * notice / N + v * venue / V)``
with ``L``, ``N``, ``V`` the totals, ``a`` the risk weight (``--risk-weight``) and ``v`` the
venues' share of the risk (``--venue-weight``); the total stays the road length, so figures
read as road-km equivalents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import shapely

from geodata.errors import InvalidInputError
from geodata.network import Network
from service.planning.distances import DemandPieces

#: Event types that count as traffic risk (every ``Trafikolycka, …`` subtype too).
RISK_TYPES = ("Trafikolycka", "Rattfylleri", "Trafikbrott")
#: Default span of notices (years back from today).
DEFAULT_YEARS = 3
#: Default share of the mix that is risk rather than road length.
DEFAULT_RISK_WEIGHT = 0.7
#: Default share of the risk that comes from licensed venues.
DEFAULT_VENUE_WEIGHT = 0.2
#: Road pieces within this distance (m) of a named street or road carry its notices.
LINE_REACH_M = 30.0
#: Road pieces within this distance (m) of a point-level notice carry it.
POINT_REACH_M = 150.0
#: A settlement the gazetteer knows only as a point (a city district) covers the roads
#: within this distance (m).
DISTRICT_REACH_M = 1000.0
#: Roads within this distance (m) of a licensed venue carry its weight.
VENUE_REACH_M = 1000.0
#: Geocoder levels precise enough to place a notice on the roads.
PLACED_LEVELS = ("point", "street", "road", "settlement")


def is_risk_notice(event_type: str) -> bool:
    """Whether a notice type counts: every Trafikolycka subtype, Rattfylleri, Trafikbrott."""
    return event_type.split(",", maxsplit=1)[0].strip() in RISK_TYPES


@dataclass
class RiskDemand:
    """Notice and venue weight per road piece, and what could not be placed.

    Attributes
    ----------
    notices
        Per piece: the share of placed notices that fall on it (each notice sums to 1).
    venues
        Per piece: the share of licensed venues' weight on it (each venue sums to 1).
    municipality
        The kommun's label ("Stockholms kommun").
    since, until
        The span of notices (``until`` exclusive).
    total, placed, unplaced, outside
        Notices read; placed on the planned roads; placed only at municipality level or not
        at all; placed in the kommun but off the planned network.
    levels
        Placed notices per geocoder level.
    risk_weight, venue_weight
        The mix of :meth:`weights` (see the module docstring).
    """

    notices: np.ndarray
    venues: np.ndarray
    municipality: str
    since: date
    until: date
    total: int
    placed: int
    unplaced: int
    outside: int
    levels: dict[str, int] = field(default_factory=dict)
    risk_weight: float = DEFAULT_RISK_WEIGHT
    venue_weight: float = DEFAULT_VENUE_WEIGHT

    @property
    def label(self) -> str:
        """The Swedish name of the share reached, with the years of the span."""
        last = (self.until - timedelta(days=1)).year
        years = f"{self.since.year}–{last}" if last != self.since.year else str(last)
        return f"andel av trafikolyckor och rattfylleri {years} inom räckhåll"

    def share_reached(self, covered: np.ndarray) -> float:
        """Share of the placed notices on pieces within reach (``covered``: bool per piece)."""
        total = float(self.notices.sum())
        return float(self.notices[covered].sum() / total) if total > 0 else 0.0

    def weights(self, length: np.ndarray) -> np.ndarray:
        """Demand weight per piece: road length mixed with risk (see the module docstring)."""
        risk_weight, venue_weight = self.risk_weight, self.venue_weight
        total = float(length.sum())
        n, v = float(self.notices.sum()), float(self.venues.sum())
        if v == 0:
            venue_weight = 0.0
        risk = (1.0 - venue_weight) * self.notices / max(n, 1e-12)
        if v > 0:
            risk = risk + venue_weight * self.venues / v
        return (1.0 - risk_weight) * length + risk_weight * total * risk


def _spread(
    pieces_xy: np.ndarray,
    length: np.ndarray,
    geoms: np.ndarray,
    reach: float,
    mass: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each geometry's ``mass`` (default 1) spread over the pieces within ``reach`` by length.

    Returns the mass per piece and, per geometry, whether any piece was in reach.
    """
    mass = np.ones(len(geoms)) if mass is None else mass
    tree = shapely.STRtree(pieces_xy)
    g, p = tree.query(geoms, predicate="dwithin", distance=reach)
    share = np.zeros(len(length))
    hit = np.zeros(len(geoms), dtype=bool)
    if len(g) == 0:
        return share, hit
    per_geom = np.bincount(g, weights=length[p], minlength=len(geoms))
    np.add.at(share, p, mass[g] * length[p] / per_geom[g])
    hit[np.unique(g)] = True
    return share, hit


def risk_demand(
    network: Network,
    pieces: DemandPieces,
    municipality: str | None = None,
    since: date | None = None,
    until: date | None = None,
    features: gpd.GeoDataFrame | None = None,
    archive: str | None = None,
    risk_weight: float = DEFAULT_RISK_WEIGHT,
    venue_weight: float = DEFAULT_VENUE_WEIGHT,
) -> RiskDemand:
    """Place the municipality's traffic notices and licensed venues on the road pieces.

    Parameters
    ----------
    network
        The planned drivable network (metric CRS).
    pieces
        Its demand pieces.
    municipality
        Name or code of the kommun; default the kommun under the network's middle.
    since, until
        The span (default the last ``DEFAULT_YEARS`` years up to today).
    features
        OSM features (for venues and the geocoder's named places).
    archive
        Polisen's archive (default the shared one).
    risk_weight, venue_weight
        The share of risk in the weight, and of venues in the risk (each 0–1).

    Raises
    ------
    InvalidInputError
        Outside Sweden, or when the kommun has no such notices in the span (or none on the
        planned roads).
    """
    from geodata.events import geocode_event, read_archive
    from geodata.municipalities import find_municipality, municipality_at

    if not 0.0 <= risk_weight <= 1.0:
        raise InvalidInputError("Riskvikten ska ligga mellan 0 och 1.", field="risk_weight")
    if not 0.0 <= venue_weight <= 1.0:
        raise InvalidInputError(
            "Vikten för utskänkningsställen ska ligga mellan 0 och 1.", field="venue_weight"
        )

    crs = network.edges.crs
    if municipality is None:
        middle = shapely.box(*network.edges.total_bounds).centroid
        found = municipality_at(middle, crs)
        if found is None:
            raise InvalidInputError(
                "Riskviktningen bygger på Polisens händelser i svenska kommuner, men området "
                "ligger utanför Sverige. Välj viktning efter längd, vägklass eller befolkning.",
                field="weighting",
            )
        muni = found
    else:
        muni = find_municipality(municipality)
    until = until or date.today() + timedelta(days=1)
    since = since or until.replace(year=until.year - DEFAULT_YEARS)
    if since >= until:
        raise InvalidInputError(
            "Startdatumet för händelserna måste ligga före i dag.", field="events_since"
        )
    events = [
        e
        for e in read_archive(archive, muni.code, since=since, until=until)
        if is_risk_notice(e.type)
    ]
    if not events:
        raise InvalidInputError(
            f"Polisen har inga trafikolyckor, rattfylleri eller trafikbrott i {muni.label} "
            f"från {since.isoformat()} till {(until - timedelta(days=1)).isoformat()}; "
            "riskviktningen saknar "
            "underlag. Välj en längre period eller en annan viktning.",
            field="events_since",
        )
    xy = pieces.locations.points(network)
    length = pieces.length
    notices = np.zeros(len(pieces))
    levels: dict[str, int] = {}
    unplaced = outside = 0
    by_reach: dict[float, list[object]] = {
        LINE_REACH_M: [],
        POINT_REACH_M: [],
        DISTRICT_REACH_M: [],
        0.0: [],
    }
    hull = shapely.convex_hull(shapely.MultiPoint(shapely.get_coordinates(xy)))
    for event in events:
        result = geocode_event(event, muni.code, network, features)
        if result.level not in PLACED_LEVELS:
            unplaced += 1
            continue
        geom = result.geometry
        if result.level == "point" or geom is None:
            if result.lat is None or result.lon is None:
                unplaced += 1
                continue
            geom = shapely.Point(result.lon, result.lat)
            geom = gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(crs).iloc[0]
            reach = POINT_REACH_M
        else:
            geom = gpd.GeoSeries([geom], crs="EPSG:3006").to_crs(crs).iloc[0]
            reach = LINE_REACH_M
            if result.level == "settlement":
                reach = 0.0 if geom.area > 0 else DISTRICT_REACH_M
        by_reach[reach].append(geom)
        levels[result.level] = levels.get(result.level, 0) + 1
    for reach, geoms in by_reach.items():
        if not geoms:
            continue
        # A settlement-level notice covers the settlement's roads (its polygon, 0 m reach);
        # only the part of the settlement inside the planned network's hull carries it, so a
        # city-wide notice does not all land on a small extract.
        arr = np.asarray(geoms, dtype=object)
        mass = None
        if reach == 0.0:
            area = shapely.area(arr)
            mass = np.clip(shapely.area(shapely.intersection(arr, hull)) / area, 0.0, 1.0)
        share, hit = _spread(xy, length, arr, reach, mass)
        notices += share
        outside += int((~hit).sum())
    placed = sum(levels.values()) - outside
    if placed == 0:
        raise InvalidInputError(
            f"Ingen av Polisens {len(events)} trafikhändelser i {muni.label} från "
            f"{since.isoformat()} kunde placeras på vägarna i området; riskviktningen saknar "
            "underlag. Välj en annan viktning.",
            field="weighting",
        )
    venues = np.zeros(len(pieces))
    if features is not None and len(features) and "kind" in features:
        pubs = features[features["kind"] == "venue"]
        if len(pubs):
            points = shapely.point_on_surface(pubs.to_crs(crs).geometry.to_numpy())
            venues, _ = _spread(xy, length, points, VENUE_REACH_M)
    return RiskDemand(
        notices,
        venues,
        muni.label,
        since,
        until,
        len(events),
        placed,
        unplaced,
        outside,
        levels,
        risk_weight,
        venue_weight,
    )
