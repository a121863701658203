"""Places of a kind (licensed venues, schools, parcel points...) and the user's own registers.

Two sources are kept side by side: OSM feature layers (``geodata.osm.load_features``) and a
register the municipality keeps (e.g. its list of serveringstillstånd) read from CSV or
Excel, geocoded from OSM ``addr:*`` data offline or Nominatim online, and matched to the OSM
places by name and distance.

OSM does not record alcohol licences: the ``venue`` layer is every bar, pub, nightclub,
restaurant and beer garden, which is a superset of the licensed venues. The municipality's
register is the authority on licences; the match shows where the two disagree.
"""

from __future__ import annotations

from geodata.registers.addresses import read_addresses, split_address
from geodata.registers.kinds import (
    KINDS,
    LICENCE_NOTE,
    MATCH_DISTANCE_M,
    MATCH_SCORE,
    VENUE_TYPES,
    kind_label,
    places_of_kind,
    resolve_kind,
)
from geodata.registers.matching import MATCH_COLUMNS, match_register, register_places
from geodata.registers.table import (
    HEADER_ALIASES,
    REQUIRED,
    Register,
    geocode_addresses,
    import_register,
)

__all__ = [
    "HEADER_ALIASES",
    "KINDS",
    "LICENCE_NOTE",
    "MATCH_COLUMNS",
    "MATCH_DISTANCE_M",
    "MATCH_SCORE",
    "REQUIRED",
    "VENUE_TYPES",
    "Register",
    "geocode_addresses",
    "import_register",
    "kind_label",
    "match_register",
    "places_of_kind",
    "read_addresses",
    "register_places",
    "resolve_kind",
    "split_address",
]
