"""Candidate checkpoint sites: features, junctions, road points and the user's own points.

Preferred features, junctions and plain road points, thinned to one per grid cell; terrain
sites on trails; the user's own points snapped to the network.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import WGS84
from geodata.area import Area
from geodata.errors import InfeasibleError, InvalidInputError
from geodata.network import ROAD_CLASS_RANK, Locations, Network, base_class, nearest_edges
from geodata.osm.tags import kind_name
from service.planning.distances import (
    demand_pieces,
)

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

    def rank(h: object) -> int:
        return ROAD_CLASS_RANK.get(base_class(h), 99) if isinstance(h, str) else 99

    try:  # one lookup per distinct tag (a few dozen), not per edge
        codes, values = pd.factorize(highway, use_na_sentinel=False)
    except TypeError:  # unhashable values (lists): per edge
        return highway.map(rank).to_numpy()
    return np.array([rank(h) for h in values], dtype=np.int64)[codes]


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
