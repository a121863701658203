"""A local HTTP server on 127.0.0.1 standing in for Overpass, Nominatim and polisen.se.

Tests point the settings' service URLs at it (one setting per service) and so run the
online code paths end to end over real HTTP. Each answer is built from the shared real data;
a test can make a path answer slowly or with an error status to exercise time-outs and
retries. Every request is recorded (method, path, query, body) so tests can assert the exact
request path.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: A handler gets the request and returns (status, content type, body).
Handler = Callable[["Request"], tuple[int, str, bytes]]


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes

    @property
    def form(self) -> dict[str, list[str]]:
        """The body as an urlencoded form (Overpass POSTs ``data=<query>``)."""
        return parse_qs(self.body.decode("utf-8"))


@dataclass
class Behaviour:
    """What a path does besides answering: delay, or a run of error statuses first."""

    delay_s: float = 0.0
    errors: list[int] = field(default_factory=list)


class LocalServices:
    """The server: ``url`` is its base, ``route(path, handler)`` adds an answer."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.routes: dict[str, Handler] = {}
        self.behaviour: dict[str, Behaviour] = {}
        services = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                return

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command, parts.path, parse_qs(parts.query), self.rfile.read(length)
                )
                services.requests.append(request)
                behaviour = services.behaviour.get(parts.path, Behaviour())
                if behaviour.delay_s:
                    time.sleep(behaviour.delay_s)
                if behaviour.errors:
                    status, ctype, body = behaviour.errors.pop(0), "text/plain", b"busy"
                elif parts.path in services.routes:
                    status, ctype, body = services.routes[parts.path](request)
                else:
                    status, ctype, body = 404, "text/plain", b"not found"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out
                    return

            do_GET = do_POST = _serve  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, handler: Handler) -> None:
        """Answer requests to ``path`` with ``handler``."""
        self.routes[path] = handler

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        return [r.path for r in self.requests]

    def start(self) -> LocalServices:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


def _json(payload: object, status: int = 200) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(payload).encode("utf-8")


def polisen_events(archive: Path) -> Handler:
    """polisen.se's ``/api/events?locationname=NAME``: the newest 500 events from the archive."""
    by_place: dict[str, list[dict[str, object]]] = {}
    with gzip.open(archive, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            by_place.setdefault(str(record.get("location_name")), []).append(record)

    def handler(request: Request) -> tuple[int, str, bytes]:
        name = (request.query.get("locationname") or [""])[0]
        records = sorted(by_place.get(name, []), key=lambda r: str(r["datetime"]), reverse=True)
        # The API's own shape: location as {name, gps: "lat,lon"}.
        answer = [
            {
                "id": r["id"],
                "datetime": r["datetime"],
                "name": r["name"],
                "summary": r["summary"],
                "url": r["url"],
                "type": r["type"],
                "location": {"name": r["location_name"], "gps": f"{r['lat']},{r['lon']}"},
            }
            for r in records[:500]
        ]
        return _json(answer)

    return handler


def overpass_status(_request: Request) -> tuple[int, str, bytes]:
    """Overpass's ``/api/status``: one free slot, so OSMnx does not pause."""
    text = (
        "Connected as: 1\nCurrent time: 2026-12-01T00:00:00Z\nAnnounced endpoint: none\n"
        "Rate limit: 2\n2 slots available now.\nCurrently running queries (pid, space limit, "
        "time limit, start time):\n"
    )
    return 200, "text/plain", text.encode()


@contextmanager
def serve() -> Iterator[LocalServices]:
    """Start a server with the status route; the caller adds the routes it needs."""
    services = LocalServices()
    services.route("/api/status", overpass_status)
    services.start()
    try:
        yield services
    finally:
        services.stop()


# --- Overpass and Nominatim from the shared real data -----------------------------------


def _load_osm(path: Path) -> tuple[dict[int, tuple[float, float, dict[str, str]]], list[Any]]:
    """Nodes (id -> lat, lon, tags) and ways (id, node ids, tags) of a real OSM extract."""
    import osmium

    nodes: dict[int, tuple[float, float, dict[str, str]]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node() and obj.location.valid():
            nodes[obj.id] = (obj.location.lat, obj.location.lon, dict(obj.tags))
        elif obj.is_way():
            ways.append((obj.id, [n.ref for n in obj.nodes], dict(obj.tags)))
    return nodes, ways


def overpass_from_file(path: Path) -> Handler:
    """Overpass's ``/api/interpreter``: what OSMnx asks for, answered from a real extract.

    The polygon (``poly:'lat lon …'``) of the query selects ways with a node inside it; a
    query naming ``highway`` gets the road ways and their nodes, any other query the tagged
    nodes and ways whose keys it names. OSMnx applies its own filters afterwards.
    """
    import re

    import shapely

    nodes, ways = _load_osm(path)

    def handler(request: Request) -> tuple[int, str, bytes]:
        query = (request.form.get("data") or [""])[0]
        polys = re.findall(r"""poly:['"]([^'"]+)['"]""", query)
        if not polys:
            return 400, "text/plain", b"no polygon"
        numbers = [float(v) for v in polys[0].split()]
        polygon = shapely.Polygon(list(zip(numbers[1::2], numbers[0::2], strict=True)))
        keys = set(re.findall(r"""\[['"]?([a-z_:]+)""", query))
        inside = {
            nid for nid, (lat, lon, _) in nodes.items() if shapely.contains_xy(polygon, lon, lat)
        }
        roads = "highway" in keys

        def wanted_way(tags: dict[str, str]) -> bool:
            return "highway" in tags if roads else bool(keys & set(tags))

        chosen_ways = [w for w in ways if any(n in inside for n in w[1]) and wanted_way(w[2])]
        wanted = {n for w in chosen_ways for n in w[1] if n in nodes}
        if not roads:
            wanted |= {n for n in inside if keys & set(nodes[n][2])}
        elements: list[dict[str, Any]] = [
            {"type": "node", "id": n, "lat": nodes[n][0], "lon": nodes[n][1], "tags": nodes[n][2]}
            for n in sorted(wanted)
        ]
        elements += [
            {"type": "way", "id": wid, "nodes": [n for n in refs if n in nodes], "tags": tags}
            for wid, refs, tags in chosen_ways
        ]
        return _json({"version": 0.6, "generator": "loftesplan test server", "elements": elements})

    return handler


def nominatim_from_lantmateriet() -> Handler:
    """Nominatim's ``/search?q=<kommun>, Sverige``: the kommun's Lantmäteriet polygon."""
    import shapely

    from geodata import WGS84
    from geodata.errors import UnknownMunicipalityError
    from geodata.municipalities import find_municipality, municipality_boundary

    def handler(request: Request) -> tuple[int, str, bytes]:
        query = (request.query.get("q") or [""])[0]
        try:
            m = find_municipality(query.split(",")[0])
        except UnknownMunicipalityError:
            return _json([])
        area = municipality_boundary(m, source="lantmateriet")
        geometry = area.to_gdf().simplify(50).to_crs(WGS84).iloc[0]
        west, south, east, north = geometry.bounds
        centre = geometry.representative_point()
        result = {
            "place_id": int(m.code),
            "licence": "test data from Lantmäteriet (CC0)",
            "osm_type": "relation",
            "osm_id": int(m.code),
            "boundingbox": [str(south), str(north), str(west), str(east)],
            "lat": str(centre.y),
            "lon": str(centre.x),
            "display_name": f"{m.label}, {m.county}, Sverige",
            "class": "boundary",
            "type": "administrative",
            "importance": 0.6,
            "geojson": shapely.geometry.mapping(geometry),
        }
        return _json([result])

    return handler
