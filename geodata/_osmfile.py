"""Local OSM files (``.osm``, ``.osm.bz2``, ``.osm.pbf``) read with pyosmium.

libosmium decodes and keeps node locations in C++; Python only sees the ways that pass a
C++ key filter, and the graph is then built with numpy and shapely in bulk. This is about
twice as fast as pyrosm's network reader on the same file (see ``benchmarks/``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from pyproj import Transformer

from geodata import WGS84, metric_crs_for
from geodata._tags import (
    FEATURE_KEYS,
    FEATURE_TAGS,
    WAY_KEYS,
    feature_kind,
    is_network_way,
    parse_maxspeed,
)
from geodata.errors import DataUnavailableError, InvalidInputError
from geodata.network import Network, Provenance, empty_network

SUPPORTED_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml")


def check_osm_file(path: str | Path) -> Path:
    """Return ``path`` as a Path if it names a readable OSM file, else raise a clear error."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"Hittar inte OSM-filen {path}.")
    if not path.name.lower().endswith(SUPPORTED_SUFFIXES):
        raise InvalidInputError(
            f"{path.name}: okänt filformat; använd .osm, .osm.bz2 eller .osm.pbf."
        )
    return path


def _iso_date(timestamp: datetime | None) -> str | None:
    if timestamp is None or timestamp.year < 2004:  # OSM began in 2004; older = stripped
        return None
    return timestamp.date().isoformat()


def read_network(path: str | Path, kind: str) -> Network:
    """Read the ``kind`` network (``drive``, ``walk``, ``snowmobile``, ``track``) from a file.

    Raises
    ------
    DataUnavailableError
        If the file is corrupt or cannot be decoded.
    """
    path = check_osm_file(path)
    way_ids: list[int] = []
    lengths: list[int] = []
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    attrs: list[dict[str, str | None]] = []
    newest: datetime | None = None
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway", "snowmobile", "route"))
        )
        for way in processor:
            tags = way.tags
            if not is_network_way(kind, tags):
                continue
            nodes = way.nodes
            if len(nodes) < 2:
                continue
            way_ids.append(way.id)
            lengths.append(len(nodes))
            for node in nodes:
                if not node.location.valid():
                    break
                refs.append(node.ref)
                lons.append(node.location.lon)
                lats.append(node.location.lat)
            else:
                attrs.append({key: tags.get(key) for key in WAY_KEYS})
                stamp = way.timestamp
                if newest is None or stamp > newest:
                    newest = stamp
                continue
            raise DataUnavailableError(
                f"{path.name}: vägen {way.id} saknar noder i filen; filen är trasig eller "
                "ofullständigt klippt."
            )
    except RuntimeError as exc:
        raise DataUnavailableError(f"Kan inte läsa OSM-filen {path.name}: {exc}") from exc
    provenance = Provenance(source="file", detail=str(path), data_date=_iso_date(newest))
    if not way_ids:
        return empty_network(kind, provenance)
    return build_network(
        np.asarray(way_ids, dtype=np.int64),
        np.asarray(lengths, dtype=np.int64),
        np.asarray(refs, dtype=np.int64),
        np.asarray(lons),
        np.asarray(lats),
        pd.DataFrame.from_records(attrs, columns=list(WAY_KEYS)),
        kind,
        provenance,
    )


def build_network(
    way_ids: np.ndarray,
    way_lengths: np.ndarray,
    node_refs: np.ndarray,
    lons: np.ndarray,
    lats: np.ndarray,
    way_attrs: pd.DataFrame,
    kind: str,
    provenance: Provenance,
) -> Network:
    """Split ways at junctions and build a simplified :class:`Network`, vectorised.

    OSMnx simplifies a networkx graph node by node in Python; here the same topology
    (a node is kept if it ends a way or is shared by two ways or twice by one) is found
    with ``np.unique`` and the edges cut with one ``shapely.linestrings`` call.

    Parameters
    ----------
    way_ids, way_lengths
        Each way's OSM id and number of nodes.
    node_refs, lons, lats
        The ways' node ids and WGS 84 coordinates, concatenated in way order.
    way_attrs
        One row of tags per way (columns from ``WAY_KEYS``).
    kind, provenance
        Stored on the result.
    """
    n_pos = len(node_refs)
    way_of_pos = np.repeat(np.arange(len(way_ids)), way_lengths)
    way_start = np.concatenate([[0], np.cumsum(way_lengths)[:-1]])
    way_end = way_start + way_lengths - 1
    is_end = np.zeros(n_pos, dtype=bool)
    is_end[way_start] = True
    is_end[way_end] = True

    _, inverse, counts = np.unique(node_refs, return_inverse=True, return_counts=True)
    is_split = is_end | (counts[inverse] > 1)

    # Segments join consecutive nodes of one way; a new edge starts at every split node.
    seg_start = np.setdiff1d(np.arange(n_pos), way_end, assume_unique=True)
    edge_of_seg = np.cumsum(is_split[seg_start]) - 1
    n_edges = int(edge_of_seg[-1]) + 1
    first_seg = np.flatnonzero(np.diff(np.concatenate([[-1], edge_of_seg])))
    last_seg = np.concatenate([first_seg[1:] - 1, [len(seg_start) - 1]])
    u_pos = seg_start[first_seg]
    v_pos = seg_start[last_seg] + 1

    crs = metric_crs_for(float(np.median(lons)), float(np.median(lats)))
    x, y = Transformer.from_crs(WGS84, crs, always_xy=True).transform(lons, lats)
    coord_pos = np.concatenate([seg_start, v_pos])
    coord_edge = np.concatenate([edge_of_seg, np.arange(n_edges)])
    order = np.lexsort((coord_pos, coord_edge))
    lines = shapely.linestrings(
        x[coord_pos[order]], y[coord_pos[order]], indices=coord_edge[order]
    )

    way_attrs = way_attrs.assign(
        maxspeed=np.array([parse_maxspeed(v) for v in way_attrs["maxspeed"]], dtype=float)
    )
    attrs = way_attrs.iloc[way_of_pos[u_pos]].reset_index(drop=True)
    edges = gpd.GeoDataFrame(
        {
            "u": node_refs[u_pos],
            "v": node_refs[v_pos],
            "osmid": way_ids[way_of_pos[u_pos]],
            "length": shapely.length(lines),
            "highway": attrs["highway"].to_numpy(),
            "name": attrs["name"].to_numpy(),
            "ref": attrs["ref"].to_numpy(),
            "maxspeed": attrs["maxspeed"].to_numpy(),
            "oneway": attrs["oneway"].isin(["yes", "1", "true", "-1"]).to_numpy()
            | (attrs["junction"] == "roundabout").to_numpy(),
            "lit": attrs["lit"].to_numpy(),
            "tunnel": attrs["tunnel"].notna().to_numpy()
            & ~attrs["tunnel"].isin(["no"]).to_numpy(),
            "bridge": attrs["bridge"].notna().to_numpy()
            & ~attrs["bridge"].isin(["no"]).to_numpy(),
            "access": attrs["access"].to_numpy(),
            "service": attrs["service"].to_numpy(),
            "foot": attrs["foot"].to_numpy(),
            "surface": attrs["surface"].to_numpy(),
        },
        geometry=lines,
        crs=crs,
    )

    node_pos = np.unique(np.concatenate([u_pos, v_pos]))
    node_ids = node_refs[node_pos]
    node_ids, first = np.unique(node_ids, return_index=True)
    node_pos = node_pos[first]
    nodes = gpd.GeoDataFrame(
        {"x": x[node_pos], "y": y[node_pos], "lon": lons[node_pos], "lat": lats[node_pos]},
        geometry=shapely.points(x[node_pos], y[node_pos]),
        index=pd.Index(node_ids, name="node"),
        crs=crs,
    )
    provenance.crs = crs
    return Network(nodes=nodes, edges=edges, kind=kind, provenance=provenance)


def read_features(path: str | Path) -> gpd.GeoDataFrame:
    """Read all feature layers (venues, schools, stops, parks...) from a file.

    Returns
    -------
    GeoDataFrame
        Columns ``kind``, ``osm_type``, ``osm_id``, ``name`` and the tags in ``FEATURE_TAGS``;
        geometry (points, lines or polygons) in EPSG:3006.
    """
    path = check_osm_file(path)
    factory = osmium.geom.WKBFactory()
    records: list[dict[str, object]] = []
    geoms: list[bytes] = []
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_areas(osmium.filter.KeyFilter(*FEATURE_KEYS))
            .with_filter(osmium.filter.KeyFilter(*FEATURE_KEYS))
        )
        for obj in processor:
            kind = feature_kind(obj.tags)
            if kind is None:
                continue
            try:
                if obj.is_node():
                    geom, osm_type, osm_id = factory.create_point(obj), "node", obj.id
                elif obj.is_way():
                    if obj.is_closed():
                        continue  # delivered again as an area
                    geom, osm_type, osm_id = factory.create_linestring(obj), "way", obj.id
                elif obj.is_area():
                    osm_type = "way" if obj.from_way() else "relation"
                    geom, osm_id = factory.create_multipolygon(obj), obj.orig_id()
                else:
                    continue
            except RuntimeError:
                continue  # geometry incomplete in a clipped extract
            record: dict[str, object] = {"kind": kind, "osm_type": osm_type, "osm_id": osm_id}
            record.update({key: obj.tags.get(key) for key in FEATURE_TAGS})
            records.append(record)
            geoms.append(geom)
    except RuntimeError as exc:
        raise DataUnavailableError(f"Kan inte läsa OSM-filen {path.name}: {exc}") from exc
    columns = ["kind", "osm_type", "osm_id", *FEATURE_TAGS]
    frame = pd.DataFrame.from_records(records, columns=columns)
    geometry = gpd.GeoSeries(
        shapely.from_wkb(np.array(geoms, dtype=object)) if geoms else [], crs=WGS84
    )
    gdf = gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs=WGS84)
    if len(gdf):
        centre = gdf.geometry.union_all().centroid
        return gdf.to_crs(metric_crs_for(centre.x, centre.y))
    return gdf
