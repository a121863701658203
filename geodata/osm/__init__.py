"""OpenStreetMap for an area: networks and feature layers from a file, the cache or Overpass.

``load`` holds the public entry points; ``_file`` and ``_overpass`` are the private I/O
backends, ``cache`` the on-disk GeoParquet cache and ``tags`` the tag rules they share.
"""

from geodata.osm.load import (
    AreaData,
    lit_summary,
    load_area,
    load_features,
    load_network,
    load_networks,
)

__all__ = ["AreaData", "lit_summary", "load_area", "load_features", "load_network", "load_networks"]
