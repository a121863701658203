"""Online backend: Overpass through OSMnx, converted to the same shapes as the file backend.

OSMnx downloads, builds and simplifies the graph; :func:`graph_to_network` turns any OSMnx
graph (from Overpass or ``ox.graph_from_xml``) into a :class:`~geodata.network.Network`
with the file backend's columns and membership rules, so planners never see the difference.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import shapely

from geodata import WGS84, metric_crs_for
from geodata.area import Area
from geodata.errors import DataUnavailableError
from geodata.network import Network, Provenance, empty_network
from geodata.online import require_overpass
from geodata.osm._file import _READ_KEYS, edge_attributes
from geodata.osm.tags import FEATURE_RULES, FEATURE_TAGS, feature_kind, is_network_way
from geodata.settings import get_settings

log = logging.getLogger(__name__)

#: Pauses before each retry of an answer 429 (too many requests) or 504 (gateway time-out);
#: after the last one the user gets a Swedish message instead of OSMnx's endless 55 s retries.
RETRY_PAUSES_S = (2.0, 8.0)


class ServiceBusyError(Exception):
    """Overpass or Nominatim kept answering 429/504 after every retry."""


def _retry_busy(response: Any, *_args: object, **_kwargs: object) -> Any:
    """A ``requests`` response hook: retry 429/504 with back-off, then raise ServiceBusyError."""
    import requests

    pauses = list(RETRY_PAUSES_S)
    while response.status_code in {429, 504}:
        if not pauses:
            raise ServiceBusyError(f"{response.url} answered {response.status_code}")
        pause = pauses.pop(0)
        log.info("%s answered %s; retrying in %s s", response.url, response.status_code, pause)
        time.sleep(pause)
        again = response.request.copy()
        again.hooks = {"response": []}  # this loop is the only retry
        with requests.Session() as session:
            response = session.send(again, timeout=get_settings().http_timeout_s)
    return response


#: Overpass filters wide enough for our rules in ``_tags``; the rules themselves are
#: applied afterwards in :func:`graph_to_network` so both backends agree exactly.
_OVERPASS_FILTERS = {
    "drive": '["highway"]["area"!~"yes"]["highway"!~"footway|path|steps|cycleway|pedestrian|'
    'track|bridleway|corridor|proposed|construction|abandoned|platform|raceway"]',
    "walk": '["highway"]["area"!~"yes"]',
    "snowmobile": '["snowmobile"~"yes|designated|permissive"]',
    "track": '["highway"="track"]',
}


def osmnx_base_urls() -> tuple[str, str]:
    """(Overpass base, Nominatim base) as OSMnx wants them.

    The setting ``overpass_url`` is the endpoint (``…/api/interpreter``); OSMnx appends
    ``/interpreter`` itself, so it gets ``…/api``. This is the only place that converts.
    """
    settings = get_settings()
    return settings.overpass_url.rstrip("/").removesuffix("/interpreter"), settings.nominatim_url


@contextmanager
def osmnx_session(timeout_s: float | None = None) -> Iterator[Any]:
    """OSMnx pointed at the configured services and cache, with bounded retries; restored after.

    Parameters
    ----------
    timeout_s
        HTTP time-out per request (default: the ``http_timeout_s`` setting).
    """
    settings = get_settings()
    names = (
        "overpass_url",
        "nominatim_url",
        "requests_timeout",
        "cache_folder",
        "requests_kwargs",
        "useful_tags_way",
        "log_console",
        "max_query_area_size",
    )
    saved = {name: getattr(ox.settings, name) for name in names}
    ox.settings.overpass_url, ox.settings.nominatim_url = osmnx_base_urls()
    ox.settings.requests_timeout = timeout_s or settings.http_timeout_s
    ox.settings.cache_folder = str(settings.cache_dir / "osmnx")
    ox.settings.requests_kwargs = {**saved["requests_kwargs"], "hooks": {"response": _retry_busy}}
    ox.settings.useful_tags_way = sorted(set(ox.settings.useful_tags_way) | set(_READ_KEYS))
    ox.settings.log_console = False
    ox.settings.max_query_area_size = settings.overpass_max_query_area_m2
    try:
        yield ox
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


def failure_text(exc: BaseException) -> str:
    """A short Swedish reason for a failed download; the library's own text goes to the log."""
    import requests

    log.info("Download failed: %r", exc)
    if isinstance(exc, ServiceBusyError):
        return "tjänsten är överbelastad (svarade 429/504 flera gånger)"
    if isinstance(exc, requests.Timeout):
        return "tjänsten svarade inte i tid"
    if isinstance(exc, requests.ConnectionError):
        return "tjänsten gick inte att nå"
    return "tjänsten gav ett oväntat svar"


def _first(value: object) -> object:
    """OSMnx keeps a list where simplification merged ways with different tags."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def graph_to_network(graph: nx.MultiDiGraph, kind: str, provenance: Provenance) -> Network:
    """Convert an unprojected OSMnx graph into a :class:`Network` of ``kind``.

    Parameters
    ----------
    graph
        As returned by ``ox.graph_from_polygon`` or ``ox.graph_from_xml`` (WGS 84).
    kind
        Network kind; edges whose tags fail ``is_network_way(kind, ...)`` are dropped.
    provenance
        Stored on the result (its ``crs`` is set to the metric CRS chosen).
    """
    if graph.number_of_edges() == 0:
        return empty_network(kind, provenance)
    nodes, edges = ox.graph_to_gdfs(ox.convert.to_undirected(graph), fill_edge_geometry=True)
    edges = edges.reset_index()
    tags = edges.reindex(columns=list(_READ_KEYS)).map(_first)
    tags = tags.astype(object).where(tags.notna(), None)
    # OSMnx turns oneway into a bool; our rules and edge_attributes read the tag text.
    oneway = edges.get("oneway", pd.Series(False, index=edges.index)) == True  # noqa: E712
    tags["oneway"] = pd.Series(oneway.to_numpy(bool), index=tags.index).map(
        {True: "yes", False: None}
    )
    keep = np.fromiter(
        (is_network_way(kind, row) for row in tags.to_dict("records")), bool, len(tags)
    )
    edges, tags = edges[keep].reset_index(drop=True), tags[keep].reset_index(drop=True)
    if edges.empty:
        return empty_network(kind, provenance)

    lon, lat = float(nodes["x"].median()), float(nodes["y"].median())
    crs = metric_crs_for(lon, lat)
    lines = gpd.GeoSeries(edges.geometry.to_numpy(), crs=WGS84).to_crs(crs).to_numpy()
    used = pd.Index(np.unique(np.concatenate([edges["u"], edges["v"]])))
    nodes = nodes.loc[used]
    xy = gpd.GeoSeries(nodes.geometry.to_numpy(), crs=WGS84).to_crs(crs)
    node_x = pd.Series(xy.x.to_numpy(), index=used)
    node_y = pd.Series(xy.y.to_numpy(), index=used)
    # Undirected edges may run v -> u; orient every geometry to start at its u node.
    start = shapely.get_coordinates(shapely.get_point(lines, 0))
    u_xy = np.column_stack([node_x.loc[edges["u"]], node_y.loc[edges["u"]]])
    # Absolute tolerance only: a relative one would be metres at SWEREF northings.
    flip = ~np.isclose(start, u_xy, rtol=0, atol=0.01).all(axis=1)
    lines[flip] = shapely.reverse(lines[flip])

    out_edges = gpd.GeoDataFrame(
        {
            "u": edges["u"].to_numpy(np.int64),
            "v": edges["v"].to_numpy(np.int64),
            "osmid": edges["osmid"].map(_first).to_numpy(np.int64),
            "length": shapely.length(lines),
            **edge_attributes(tags),
        },
        geometry=lines,
        crs=crs,
    )
    out_nodes = gpd.GeoDataFrame(
        {
            "x": node_x.to_numpy(),
            "y": node_y.to_numpy(),
            "lon": nodes["x"].to_numpy(),
            "lat": nodes["y"].to_numpy(),
        },
        geometry=shapely.points(node_x.to_numpy(), node_y.to_numpy()),
        index=pd.Index(used.to_numpy(np.int64), name="node"),
        crs=crs,
    )
    provenance.crs = crs
    return Network(nodes=out_nodes, edges=out_edges, kind=kind, provenance=provenance)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def network_from_area(area: Area, kind: str) -> Network:
    """Download the ``kind`` network of ``area`` from Overpass.

    Raises
    ------
    DataUnavailableError
        If Overpass cannot be reached or answers with an error.
    """
    require_overpass(f"OSM-data för {area.name}")
    query = _OVERPASS_FILTERS[kind]
    with osmnx_session():
        try:
            graph = ox.graph_from_polygon(
                area.wgs84,
                custom_filter=query,
                simplify=True,
                retain_all=True,
                truncate_by_edge=True,
            )
        except ox._errors.InsufficientResponseError:
            graph = nx.MultiDiGraph()
        except Exception as exc:  # requests/HTTP errors: the user needs the same advice for all
            raise DataUnavailableError(
                f"Kunde inte hämta OSM-data för {area.name} från Overpass: {failure_text(exc)}. "
                "Försök igen senare eller använd en lokal OSM-fil.",
                field="osm_file",
            ) from exc
    provenance = Provenance(source="overpass", detail=f"{query} i {area.name}", data_date=_today())
    return graph_to_network(graph, kind, provenance)


def _feature_tags() -> dict[str, bool | str | list[str]]:
    # Bus platforms are matched by feature_kind outside FEATURE_RULES.
    tags: dict[str, set[str] | bool] = {"public_transport": {"platform"}}
    for rule in FEATURE_RULES.values():
        for key, values in rule.items():
            if values is None:
                tags[key] = True
            elif tags.get(key) is not True:
                tags[key] = set(tags.get(key) or set()) | set(values)  # type: ignore[arg-type]
    return {k: v if v is True else sorted(v) for k, v in tags.items()}  # type: ignore[arg-type]


def features_to_frame(raw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Convert OSMnx features (index ``element``, ``id``) to the file backend's columns."""
    columns = ["kind", "osm_type", "osm_id", *FEATURE_TAGS]
    if raw.empty:
        return gpd.GeoDataFrame(columns=columns, geometry=[], crs=WGS84)
    raw = raw.reset_index()
    keys = sorted({k for rule in FEATURE_RULES.values() for k in rule} | {"bus"})
    tags = raw.reindex(columns=keys).astype(object)
    tags = tags.where(tags.notna(), None)
    kinds = [
        feature_kind({k: v for k, v in row.items() if v is not None})
        for row in tags.to_dict("records")
    ]
    frame = raw.reindex(columns=list(FEATURE_TAGS)).astype(object)
    frame = frame.where(frame.notna(), None)
    frame.insert(0, "kind", kinds)
    frame.insert(1, "osm_type", raw["element"].to_numpy())
    frame.insert(2, "osm_id", raw["id"].to_numpy(np.int64))
    gdf = gpd.GeoDataFrame(frame, geometry=raw.geometry.to_numpy(), crs=WGS84)
    gdf = gdf[gdf["kind"].notna()].reset_index(drop=True)
    if gdf.empty:
        return gdf
    centre = gdf.geometry.union_all().centroid
    return gdf.to_crs(metric_crs_for(centre.x, centre.y))


def features_from_area(area: Area) -> tuple[gpd.GeoDataFrame, Provenance]:
    """Download the feature layers of ``area`` from Overpass."""
    require_overpass(f"Objekt (serveringar, skolor, hållplatser) för {area.name}")
    with osmnx_session():
        try:
            raw = ox.features_from_polygon(area.wgs84, tags=_feature_tags())
        except ox._errors.InsufficientResponseError:
            raw = gpd.GeoDataFrame(geometry=[], crs=WGS84)
        except Exception as exc:
            raise DataUnavailableError(
                f"Kunde inte hämta objekt för {area.name} från Overpass: {failure_text(exc)}. "
                "Försök igen senare eller använd en lokal OSM-fil.",
                field="osm_file",
            ) from exc
    features = features_to_frame(raw)
    provenance = Provenance(
        source="overpass",
        detail=f"objekt i {area.name}",
        data_date=_today(),
        crs=str(features.crs),
    )
    return features, provenance
