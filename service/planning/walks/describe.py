"""Words for a planned walk: stop names, meeting point, title, directions, incidents passed."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from service.planning.walks.directions import directions
from service.planning.walks.incidents import passed_notices, street_names
from service.planning.walks.stops import (
    NAME_BY_PLACE_M,
    meeting_point_name,
    named_places,
    places_near,
    stop_name,
    walk_title,
)

#: A stop on an unnamed path takes the name of a street this close (m).
NEAREST_STREET_M = 80.0
#: An unnamed pavement this close to a named street (m) is walked as that street.
SIDEWALK_M = 20.0


class _Streets:
    """Named edges in a spatial index: which streets lie near a point."""

    def __init__(self, edges: gpd.GeoDataFrame, names: pd.Series) -> None:
        named = names.notna().to_numpy()
        self.geoms = edges.geometry.to_numpy()[named]
        self.names = names.to_numpy(dtype=object)[named]
        self.tree = shapely.STRtree(self.geoms)

    def near(self, xy: np.ndarray, radius_m: float) -> list[tuple[float, str]]:
        """``(distance, name)`` of named edges within ``radius_m``, one per name, nearest first."""
        point = shapely.Point(*xy)
        idx = self.tree.query(point, predicate="dwithin", distance=radius_m)
        d = shapely.distance(self.geoms[idx], point)
        out: dict[str, float] = {}
        for i in np.argsort(d, kind="stable"):
            out.setdefault(str(self.names[idx[i]]), float(d[i]))
        return [(dist, name) for name, dist in out.items()]


def walking_names(edges: gpd.GeoDataFrame, radius_m: float = SIDEWALK_M) -> pd.Series:
    """Street names for directions; unnamed pavements take the nearby street's name.

    An unnamed way whose middle lies within ``radius_m`` of a named street is walked as that
    street (a sidewalk along Sveavägen is Sveavägen).
    """
    names = street_names(edges)
    unnamed = np.flatnonzero(names.isna().to_numpy())
    named = np.flatnonzero(names.notna().to_numpy())
    if len(unnamed) and len(named):
        geoms = edges.geometry.to_numpy()
        tree = shapely.STRtree(geoms[named])
        mids = shapely.line_interpolate_point(geoms[unnamed], 0.5, normalized=True)
        idx = tree.query_nearest(mids, max_distance=radius_m, all_matches=False)
        values = names.to_numpy(dtype=object).copy()
        values[unnamed[idx[0]]] = names.to_numpy(dtype=object)[named[idx[1]]]
        names = pd.Series(values, index=edges.index, dtype=object)
    return names


def describe_route(
    route: Any,
    graph: Any,
    features: gpd.GeoDataFrame | None,
    notices: pd.DataFrame | None,
    purpose: str,
    district: str | None,
) -> None:
    """Fill in the route's stop names, meeting point, title, directions and incidents."""
    net = graph.network
    edges = net.edges
    names = street_names(edges)
    crs = edges.crs
    places = named_places(features, crs)
    streets = _Streets(edges, names)
    for stop in route.stops:
        lead = max(stop.records, key=lambda r: r["priority"])
        xy = np.asarray(lead["xy"], dtype=float)
        for rec in stop.records:
            if not rec.get("street"):
                near = streets.near(np.asarray(rec["xy"]), NEAREST_STREET_M)
                rec["street"] = near[0][1] if near else None
        nearby = places_near(places, xy, NAME_BY_PLACE_M, ("square", "station", "park"))
        stop.name = stop_name(stop.records, nearby)

    pos = net.node_positions()
    start_node = route.node_ids[0]
    start_xy = graph.xy[int(pos.loc[start_node])]
    here = edges[(edges["u"] == start_node) | (edges["v"] == start_node)]
    streets_here = [n for n in street_names(here).tolist() if n]
    near = streets.near(start_xy, 150.0)
    route.meeting_point = meeting_point_name(start_xy, places, streets_here, near)
    route.district = district
    route.purpose = purpose
    route.title = walk_title(district, route.length_km, route.meeting_point)

    rows = route.edge_rows
    nodes = pos.loc[route.node_ids].to_numpy()
    route.directions = directions(
        walking_names(edges).to_numpy(dtype=object)[rows].tolist(),
        edges["highway"].to_numpy(dtype=object)[rows].tolist(),
        graph.length[rows],
        graph.xy[nodes[:-1]],
        graph.xy[nodes[1:]],
        [(s.order, s.distance_m) for s in route.stops],
    )
    if notices is not None:
        walked = set(names.to_numpy(dtype=object)[rows].tolist()) - {None}
        route.incidents = passed_notices(notices, walked)
