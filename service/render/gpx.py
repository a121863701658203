"""GPX 1.1 for planned routes (walks, inspection rounds) that GPS apps import."""

from __future__ import annotations

from collections.abc import Iterable

import gpxpy.gpx
import numpy as np


def route_gpx(
    name: str,
    description: str,
    coords_wgs84: np.ndarray,
    start: tuple[float, float],
    start_name: str,
    waypoints: Iterable[gpxpy.gpx.GPXWaypoint],
) -> str:
    """A GPX document: the route as one track, the start and the stops as waypoints.

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
    track = gpxpy.gpx.GPXTrack(name=name)
    segment = gpxpy.gpx.GPXTrackSegment()
    segment.points.extend(
        gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon) for lon, lat in coords_wgs84.tolist()
    )
    track.segments.append(segment)
    gpx.tracks.append(track)
    gpx.waypoints.append(
        gpxpy.gpx.GPXWaypoint(latitude=start[1], longitude=start[0], name=start_name)
    )
    gpx.waypoints.extend(waypoints)
    return gpx.to_xml(version="1.1")
