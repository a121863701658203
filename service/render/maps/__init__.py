"""Folium maps: one module per map (coverage, walk, follow-up); shared pieces in ``_base``."""

from service.render.maps import _branca  # noqa: F401 - rendered parts are not recompiled
