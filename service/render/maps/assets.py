"""Serve map assets from the service itself so maps work without internet access.

Police networks are often closed; folium links Leaflet and its plugins from CDNs. The service
ships those files under ``service/static/vendor`` (licences beside them) and rewrites the
links in rendered maps. Base-map tiles stay optional.
"""

from __future__ import annotations

import re

_AWESOME = "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"

#: CDN address -> local file, for the assets folium 0.20 and our maps use.
LOCAL_ASSETS: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": (
        "bootstrap/bootstrap.bundle.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": (
        "bootstrap/bootstrap.min.css"
    ),
    _AWESOME + "leaflet.awesome-markers.js": "awesome-markers/leaflet.awesome-markers.js",
    _AWESOME + "leaflet.awesome-markers.css": "awesome-markers/leaflet.awesome-markers.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": (
        "fontawesome/css/all.min.css"
    ),
}

#: Links that add nothing offline (Bootstrap 3 glyphicons, icon rotation): dropped.
DROPPED_ASSETS = (
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
)

_EXTERNAL = re.compile(r"""(?:src|href)=["'](https?://[^"']+)["']""")


def use_local_assets(html: str, base_url: str = "/static/vendor") -> str:
    """Point a rendered folium page's script and style links at the service's own copies."""
    for remote, local in LOCAL_ASSETS.items():
        html = html.replace(remote, f"{base_url}/{local}")
    for remote in DROPPED_ASSETS:
        html = re.sub(rf"""<link[^>]+href=["']{re.escape(remote)}["'][^>]*/?>\s*""", "", html)
    return html


def external_assets(html: str) -> list[str]:
    """Script and style links in ``html`` that still point outside the service."""
    return [
        url
        for url in _EXTERNAL.findall(html)
        if url.endswith((".js", ".css")) or "/css" in url or "/js" in url
    ]
