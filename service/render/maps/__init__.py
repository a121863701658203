"""Folium maps: one module per map (coverage, walk, follow-up); shared pieces in ``_base``."""
