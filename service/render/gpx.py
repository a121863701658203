"""GPX 1.1 for planned routes (walks, inspection rounds) that GPS apps import."""

from __future__ import annotations

from collections.abc import Iterable

import gpxpy.gpx
import numpy as np


def route_gpx(
    name: str,
    description: str,
    coords_wgs84: np.ndarray | None,
    start: tuple[float, float] | None,
    start_name: str | None,
    waypoints: Iterable[gpxpy.gpx.GPXWaypoint],
) -> str:
    """A GPX document: the route as one track, the start and the stops as waypoints.

    Without a route (``coords_wgs84`` None) there is no track, and without ``start`` no start
    waypoint: checkpoint sites are numbered places, not a route.

    Parameters
    ----------
    name, description
        Shown by GPS apps; the description should carry the data attribution.
    coords_wgs84
        ``(n, 2)`` lon/lat of the route.
    start
        ``(lon, lat)`` of the start, listed first as waypoint ``start_name``.
    waypoints
        The numbered stops.
    """
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "Löftesplan"
    gpx.name = name
    gpx.description = description
    if coords_wgs84 is not None:
        track = gpxpy.gpx.GPXTrack(name=name)
        segment = gpxpy.gpx.GPXTrackSegment()
        segment.points.extend(
            gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon)
            for lon, lat in coords_wgs84.tolist()
        )
        track.segments.append(segment)
        gpx.tracks.append(track)
    if start is not None:
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(latitude=start[1], longitude=start[0], name=start_name)
        )
    gpx.waypoints.extend(waypoints)
    return gpx.to_xml(version="1.1")
