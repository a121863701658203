"""Local OSM files (``.osm``, ``.osm.bz2``, ``.osm.pbf``) read with pyosmium.

libosmium decodes and keeps node locations in C++; Python only sees the ways that pass a
C++ key filter, and the graph is then built with numpy and shapely in bulk. This is about
twice as fast as pyrosm's network reader on the same file (see ``benchmarks/``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely

from geodata import WGS84, metric_crs_for, transformer
from geodata.errors import DataUnavailableError, InvalidInputError
from geodata.network import Network, Provenance, empty_network
from geodata.osm.tags import (
    FEATURE_KEYS,
    FEATURE_TAGS,
    WAY_KEYS,
    feature_kind,
    is_network_way,
    parse_maxspeed,
)

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
    return read_networks(path, (kind,))[kind]


#: Tags read once per way; ``is_network_way`` and the edge attributes both use them.
_READ_KEYS = tuple(dict.fromkeys((*WAY_KEYS, "area", "motorroad", "route")))


def read_networks(path: str | Path, kinds: Iterable[str] = ("drive",)) -> dict[str, Network]:
    """Read several networks from one pass over the file.

    A way that belongs to several kinds (a residential street is both drivable and
    walkable) is decoded once. Nodes missing from the file (an extract clipped without
    complete ways) cut the way there instead of failing the whole file.

    Parameters
    ----------
    path
        A ``.osm``, ``.osm.bz2`` or ``.osm.pbf`` file.
    kinds
        Network kinds to build.

    Returns
    -------
    dict
        One :class:`Network` per kind (possibly empty).

    Raises
    ------
    DataUnavailableError
        If the file is corrupt or cannot be decoded.
    """
    path = check_osm_file(path)
    kinds = tuple(dict.fromkeys(kinds))
    route_ways = _snowmobile_route_ways(path) if "snowmobile" in kinds else frozenset()
    way_ids: list[int] = []
    lengths: list[int] = []
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    attrs: list[dict[str, str | None]] = []
    member: dict[str, list[bool]] = {kind: [] for kind in kinds}
    newest: dict[str, datetime | None] = dict.fromkeys(kinds)

    def add_way(way: osmium.osm.Way, values: dict[str, str | None], kinds_in: list[str]) -> None:
        nodes = way.nodes
        if len(nodes) < 2:
            return
        start = len(refs)
        try:
            for node in nodes:
                location = node.location
                refs.append(node.ref)
                lons.append(location.lon)
                lats.append(location.lat)
        except osmium.InvalidLocationError:
            # Slow path only for ways with missing nodes: NaN marks where to cut.
            del refs[start:], lons[start:], lats[start:]
            for node in nodes:
                location = node.location
                ok = location.valid()
                refs.append(node.ref)
                lons.append(location.lon if ok else np.nan)
                lats.append(location.lat if ok else np.nan)
        way_ids.append(way.id)
        lengths.append(len(nodes))
        attrs.append(values)
        stamp = way.timestamp
        for kind in kinds:
            inside = kind in kinds_in
            member[kind].append(inside)
            if inside and (newest[kind] is None or stamp > newest[kind]):
                newest[kind] = stamp

    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway", "snowmobile", "route"))
        )
        for way in processor:
            tags = way.tags
            values = {key: tags.get(key) for key in _READ_KEYS}
            kinds_in = [kind for kind in kinds if is_network_way(kind, values)]
            if way.id in route_ways and "snowmobile" not in kinds_in:
                kinds_in.append("snowmobile")
            if kinds_in:
                add_way(way, values, kinds_in)
        if route_ways:
            # Members of route=snowmobile relations are often untagged ways the key filter
            # above never sees: a second pass picks them up by id.
            seen = set(way_ids)
            missing = route_ways - seen
            if missing:
                extra = (
                    osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
                    .with_locations()
                    .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
                    .with_filter(osmium.filter.IdFilter(missing))
                )
                for way in extra:
                    tags = way.tags
                    values = {key: tags.get(key) for key in _READ_KEYS}
                    add_way(way, values, ["snowmobile"])
    except RuntimeError as exc:
        raise DataUnavailableError(
            f"Kan inte läsa OSM-filen {path.name}; filen verkar trasig eller avkortad ({exc})."
        ) from exc

    all_ids = np.asarray(way_ids, dtype=np.int64)
    all_lengths = np.asarray(lengths, dtype=np.int64)
    all_refs = np.asarray(refs, dtype=np.int64)
    all_lons = np.asarray(lons, dtype=float)
    all_lats = np.asarray(lats, dtype=float)
    all_attrs = pd.DataFrame.from_records(attrs, columns=list(_READ_KEYS))
    networks = {}
    for kind in kinds:
        provenance = Provenance(source="file", detail=str(path), data_date=_iso_date(newest[kind]))
        pieces = _select_ways(
            np.asarray(member[kind], dtype=bool), all_ids, all_lengths, all_refs, all_lons
        )
        if pieces is None:
            networks[kind] = empty_network(kind, provenance)
            continue
        way_index, piece_lengths, positions = pieces
        networks[kind] = build_network(
            all_ids[way_index],
            piece_lengths,
            all_refs[positions],
            all_lons[positions],
            all_lats[positions],
            all_attrs.iloc[way_index].reset_index(drop=True),
            kind,
            provenance,
        )
    return networks


def _select_ways(
    mask: np.ndarray,
    way_ids: np.ndarray,
    lengths: np.ndarray,
    refs: np.ndarray,
    lons: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Ways selected by ``mask``, cut at nodes without a location (NaN in ``lons``).

    Returns the source way index of every piece, each piece's node count and the node
    positions (into ``refs``) of all pieces in order; None when nothing is left.
    """
    if not mask.any():
        return None
    n_ways = len(way_ids)
    way_of_pos = np.repeat(np.arange(n_ways), lengths)
    valid = np.repeat(mask, lengths) & ~np.isnan(lons)
    # A new piece starts at each way's first node and after every missing node.
    starts = np.zeros(len(refs), dtype=bool)
    starts[np.concatenate([[0], np.cumsum(lengths)[:-1]])] = True
    starts[1:] |= np.isnan(lons[:-1])
    piece_of_pos = np.cumsum(starts) - 1
    # Repeated consecutive refs (a mapping slip) would become zero-length edges.
    repeated = np.zeros(len(refs), dtype=bool)
    repeated[1:] = (refs[1:] == refs[:-1]) & (piece_of_pos[1:] == piece_of_pos[:-1])
    positions = np.flatnonzero(valid & ~repeated)
    pieces, first, counts = np.unique(
        piece_of_pos[positions], return_index=True, return_counts=True
    )
    keep_piece = counts >= 2
    if not keep_piece.any():
        return None
    way_index = way_of_pos[positions[first[keep_piece]]]
    positions = positions[np.isin(piece_of_pos[positions], pieces[keep_piece])]
    return way_index, counts[keep_piece], positions


def _snowmobile_route_ways(path: Path) -> frozenset[int]:
    """Ids of ways that are members of ``route=snowmobile`` relations (skoterleder)."""
    ids: set[int] = set()
    processor = osmium.FileProcessor(str(path), osmium.osm.RELATION).with_filter(
        osmium.filter.TagFilter(("route", "snowmobile"))
    )
    try:
        for relation in processor:
            ids.update(m.ref for m in relation.members if m.type == "w")
    except RuntimeError as exc:
        raise DataUnavailableError(
            f"Kan inte läsa OSM-filen {path.name}; filen verkar trasig eller avkortad ({exc})."
        ) from exc
    return frozenset(ids)


def file_extent(path: str | Path) -> tuple[float, float, float, float] | None:
    """The bounding box (lon_min, lat_min, lon_max, lat_max) a file's header declares."""
    path = check_osm_file(path)
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        box = reader.header().box()
        reader.close()
    except RuntimeError as exc:
        raise DataUnavailableError(
            f"Kan inte läsa OSM-filen {path.name}; filen verkar trasig eller avkortad ({exc})."
        ) from exc
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


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
    x, y = transformer(WGS84, crs).transform(lons, lats)
    coord_pos = np.concatenate([seg_start, v_pos])
    coord_edge = np.concatenate([edge_of_seg, np.arange(n_edges)])
    order = np.lexsort((coord_pos, coord_edge))
    lines = shapely.linestrings(x[coord_pos[order]], y[coord_pos[order]], indices=coord_edge[order])

    attrs = way_attrs.iloc[way_of_pos[u_pos]].reset_index(drop=True)
    edges = gpd.GeoDataFrame(
        {
            "u": node_refs[u_pos],
            "v": node_refs[v_pos],
            "osmid": way_ids[way_of_pos[u_pos]],
            "length": shapely.length(lines),
            **edge_attributes(attrs),
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


def edge_attributes(attrs: pd.DataFrame) -> dict[str, np.ndarray]:
    """Edge columns from raw way tags (one row per edge), shared by the file and Overpass.

    ``maxspeed`` becomes km/h (NaN when untagged); ``oneway``, ``tunnel`` and ``bridge``
    become booleans; the rest stay as tagged (None when absent).
    """
    attrs = attrs.reindex(columns=list(dict.fromkeys((*WAY_KEYS, "junction"))))
    attrs = attrs.astype(object).where(attrs.notna(), None)
    # Few distinct values: parse each once rather than per edge.
    speeds = {v: parse_maxspeed(v) for v in attrs["maxspeed"].dropna().unique()}
    return {
        "highway": attrs["highway"].to_numpy(),
        "name": attrs["name"].to_numpy(),
        "ref": attrs["ref"].to_numpy(),
        "maxspeed": attrs["maxspeed"].map(speeds).to_numpy(dtype=float, na_value=np.nan),
        "oneway": attrs["oneway"].isin(["yes", "1", "true", "-1"]).to_numpy()
        | (attrs["junction"] == "roundabout").to_numpy(),
        "lit": attrs["lit"].to_numpy(),
        "tunnel": attrs["tunnel"].notna().to_numpy() & ~attrs["tunnel"].isin(["no"]).to_numpy(),
        "bridge": attrs["bridge"].notna().to_numpy() & ~attrs["bridge"].isin(["no"]).to_numpy(),
        "access": attrs["access"].to_numpy(),
        "service": attrs["service"].to_numpy(),
        "foot": attrs["foot"].to_numpy(),
        "surface": attrs["surface"].to_numpy(),
    }


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
    newest: datetime | None = None
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
            stamp = obj.timestamp
            if newest is None or stamp > newest:
                newest = stamp
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
        gdf = gdf.to_crs(metric_crs_for(centre.x, centre.y))
    gdf.attrs["data_date"] = _iso_date(newest)
    return gdf
