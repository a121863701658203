"""Rendering for people: folium maps, GPX, HTML templates and the vendored static assets."""
