"""Map assets from the package itself, so maps work without internet access.

Police networks are often closed; folium links Leaflet and its plugins from CDNs. The package
ships those files under ``service/render/static/vendor`` (licences beside them). The service
rewrites the links to its own copies (:func:`use_local_assets`); files the CLI writes get
them inlined (:func:`self_contained`, :func:`write_map`). Base-map tiles stay optional.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


# --- self-contained files (CLI) -------------------------------------------------------------

VENDOR = Path(__file__).resolve().parents[1] / "static" / "vendor"

#: Files a stylesheet refers to that are not worth inlining (brand icons are never used).
_NOT_INLINED = ("fa-brands-400",)
_MIME = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".gif": "image/gif",
}
_CSS_URL = re.compile(r"""url\((['"]?)([^'")]+)\1\)""")


def _css_with_data_uris(css: str, folder: Path) -> str:
    """Images and fonts a stylesheet names, as ``data:`` URIs (missing ones are left out)."""

    def inline(match: re.Match[str]) -> str:
        target = match.group(2)
        if target.startswith(("data:", "#", "http:", "https:")):
            return match.group(0) if target.startswith(("data:", "#")) else "url()"
        path = (folder / target.split("?")[0].split("#")[0]).resolve()
        mime = _MIME.get(path.suffix)
        if mime is None or not path.is_file() or any(n in path.name for n in _NOT_INLINED):
            return "url()"  # a font format or file we do not ship: the browser skips it
        return f"url(data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()})"

    return _CSS_URL.sub(inline, css)


def _inline_script(path: Path) -> str:
    code = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
    if path.name == "leaflet.js":
        code += _default_icon_inline(path.parent / "images")
    return f"<script>\n{code}\n</script>"


def _default_icon_inline(images: Path) -> str:
    """Point Leaflet's default marker icon at ``data:`` URIs.

    folium adds every marker with the default icon before it sets its own, and Leaflet
    finds the default image by a path relative to its stylesheet, which an inlined file
    does not have: without this the page asks for ``marker-icon.png`` beside itself.
    """
    uris = {
        option: "data:image/png;base64," + base64.b64encode((images / name).read_bytes()).decode()
        for option, name in (
            ("iconUrl", "marker-icon.png"),
            ("iconRetinaUrl", "marker-icon-2x.png"),
            ("shadowUrl", "marker-shadow.png"),
        )
    }
    options = ",".join(f'{key}:"{value}"' for key, value in uris.items())
    return f"\nL.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({{{options}}});\n"


def _inline_style(path: Path) -> str:
    css = _css_with_data_uris(path.read_text(encoding="utf-8"), path.parent)
    return f"<style>\n{css}\n</style>"


def _constant(text: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement taken literally (inlined code is full of backslashes)."""
    return lambda _match: text


def self_contained(html: str) -> str:
    """A rendered folium page with every vendored script and stylesheet inlined.

    The file then opens from a USB stick or an e-mail attachment with no network: no
    ``http(s)`` script or stylesheet is left (:func:`external_assets` is empty). Tiles, if the
    map has any, stay an online extra; the CLI's maps draw without them.
    """
    for remote in DROPPED_ASSETS:
        html = re.sub(rf"""<link[^>]+href=["']{re.escape(remote)}["'][^>]*/?>\s*""", "", html)
    for remote, local in LOCAL_ASSETS.items():
        path = VENDOR / local
        quoted = re.escape(remote)
        if local.endswith(".js"):
            pattern = rf"""<script[^>]+src=["']{quoted}["'][^>]*>\s*</script>"""
            replacement = _inline_script(path)
        else:
            pattern = rf"""<link[^>]+href=["']{quoted}["'][^>]*/?>"""
            replacement = _inline_style(path)
        html = re.sub(pattern, _constant(replacement), html)
    return html


def write_map(fmap: Any, path: str | Path) -> Path:
    """Write a folium map (or rendered HTML) to ``path`` as one self-contained file."""
    html = fmap if isinstance(fmap, str) else fmap.get_root().render()
    target = Path(path)
    target.write_text(self_contained(html), encoding="utf-8")
    return target
