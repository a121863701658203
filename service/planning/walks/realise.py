"""From a solved tour to a walk: geometry, stop candidates merged and capped, lighting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import WGS84, transformer
from service.planning.walks.directions import lighting_summary, lit_class, round_m
from service.planning.walks.incidents import (
    street_names,
)
from service.planning.walks.inputs import (
    KIND_LABELS,
)
from service.planning.walks.prizes import (
    _Graph,
)
from service.planning.walks.route import (
    WalkRoute,
    WalkStop,
)
from service.planning.walks.stops import (
    cap_stops,
    max_stops,
    merge_stops,
)


def _realise(
    graph: _Graph,
    nodes: np.ndarray,
    places: gpd.GeoDataFrame,
    eprize: dict[str, np.ndarray],
    target: float,
    weights: Mapping[str, float],
    area_name: str,
) -> WalkRoute:
    """Turn the walk (node positions) into geometry, numbered stops and metrics."""
    net = graph.network
    a, b = nodes[:-1], nodes[1:]
    rows = graph.rows_between(a, b)
    lengths = graph.length[rows]
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    total = float(along[-1])
    distinct = np.unique(rows)
    repeated = total - float(graph.length[distinct].sum())

    # Orient each edge's geometry in walking order and chain them.
    pos = net.node_positions()
    forward = pos.loc[net.edges["u"].to_numpy()[rows]].to_numpy() == a
    geoms = net.edges.geometry.to_numpy()[rows]
    geoms = np.where(forward, geoms, shapely.reverse(geoms))
    coords = shapely.get_coordinates(geoms)
    keep = np.concatenate([[True], np.any(np.abs(np.diff(coords, axis=0)) > 1e-6, axis=1)])
    line = shapely.LineString(coords[keep])

    to_wgs = transformer(net.edges.crs, WGS84)
    start_lon, start_lat = to_wgs.transform(*graph.xy[nodes[0]])
    names = street_names(net.edges).to_numpy(dtype=object)

    # Stop candidates: places at visited nodes, tunnels, and runs of dark stretches.
    first_visit = pd.Series(along[:-1], index=a).groupby(level=0).min()
    first_visit[nodes[-1]] = first_visit.get(nodes[-1], 0.0)
    step_of = pd.Series(np.arange(len(a)), index=a).groupby(level=0).min()
    records: list[dict[str, Any]] = []
    visited = places[places["node"].isin(first_visit.index)]
    for place in visited.itertuples(index=False):
        node = int(place.node)
        step = int(step_of.get(node, len(rows) - 1))
        records.append(
            {
                "kind": place.kind,
                "name": place.name if isinstance(place.name, str) else None,
                "label": str(place.label),
                "xy": graph.xy[node],
                "distance_m": float(first_visit[node]),
                "street": names[rows[min(step, len(rows) - 1)]],
                "addr_street": getattr(place, "addr_street", None),
                "housenumber": getattr(place, "housenumber", None),
                "priority": float(place.weight),
            }
        )
    mids = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
    mid_xy = shapely.get_coordinates(mids)
    seen: set[int] = set()
    for idx in np.flatnonzero(eprize["tunnel"][rows]).tolist():
        row = int(rows[idx])
        if row not in seen:
            seen.add(row)
            records.append(
                _stretch_record(
                    "tunnel", idx, idx + 1, rows, names, along, mid_xy, graph.edge_prize
                )
            )
    dark_kinds = [("unlit", eprize["unlit"])]
    if weights.get("unknown_lit", 0.0) >= 1.0:
        dark_kinds.append(("unknown_lit", eprize["unknown"]))
    for kind, mask in dark_kinds:
        for lo, hi in _runs(mask[rows] & ~eprize["tunnel"][rows]):
            if along[hi] - along[lo] >= (DARK_RUN_M if kind == "unknown_lit" else 1.0):
                mid = lo + int(
                    np.searchsorted(along[lo + 1 : hi + 1] - along[lo], (along[hi] - along[lo]) / 2)
                )
                records.append(
                    _stretch_record(
                        kind,
                        lo,
                        hi,
                        rows,
                        names,
                        along,
                        mid_xy,
                        graph.edge_prize,
                        mid=min(mid, hi - 1),
                    )
                )
    records.sort(key=lambda r: (r["distance_m"], r["kind"], str(r["name"])))
    groups = cap_stops(merge_stops(records), max_stops(total / 1000.0))
    stops = _numbered_stops(groups, net.edges.crs)

    cls = lit_class(net.edges["lit"])
    lighting_edges = gpd.GeoDataFrame(
        {
            "kind": pd.Series(cls[distinct])
            .map({"lit": "lit", "unlit": "unlit", "unknown": "unknown_lit"})
            .to_numpy(),
            "name": names[distinct],
            "highway": net.edges["highway"].to_numpy()[distinct],
            "length_m": graph.length[distinct].round(1),
        },
        geometry=net.edges.geometry.to_numpy()[distinct],
        crs=net.edges.crs,
    ).to_crs(WGS84)
    prize = float(graph.edge_prize[distinct].sum() + graph.node_prize[np.unique(nodes)].sum())
    return WalkRoute(
        node_ids=[int(x) for x in graph.node_ids[nodes]],
        edge_rows=rows,
        geometry=line,
        crs=net.edges.crs,
        length_m=total,
        target_m=target,
        repeated_edge_share=repeated / total if total > 0 else 0.0,
        priority_collected=prize,
        start=(float(start_lon), float(start_lat)),
        stops=stops,
        lighting_edges=lighting_edges,
        provenance=net.provenance,
        area_name=area_name,
        weights=dict(weights),
        lighting=lighting_summary(net.edges["lit"].iloc[rows], lengths),
        base=net.edges.iloc[net.edges.sindex.query(line.buffer(250.0), predicate="intersects")][
            ["geometry"]
        ],
    )


#: Runs of unknown lighting at least this long (m) are stop candidates when the purpose
#: weighs unknown lighting (``belysning``).
DARK_RUN_M = 120.0


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[lo, hi)`` index ranges where ``mask`` is True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _stretch_record(
    kind: str,
    lo: int,
    hi: int,
    rows: np.ndarray,
    names: np.ndarray,
    along: np.ndarray,
    mid_xy: np.ndarray,
    edge_prize: np.ndarray,
    mid: int | None = None,
) -> dict[str, Any]:
    """A stop candidate for walked edges ``lo:hi`` (a tunnel, an unlit or unknown-lit run)."""
    mid = lo if mid is None else mid
    length = float(along[hi] - along[lo])
    street = next((names[r] for r in rows[lo:hi] if names[r]), None)
    return {
        "kind": kind,
        "name": street,
        "label": f"{KIND_LABELS[kind]} ({round_m(length)} m)",
        "xy": mid_xy[mid],
        "distance_m": float(along[mid] + (along[mid + 1] - along[mid]) / 2.0),
        "street": street,
        "addr_street": None,
        "housenumber": None,
        "priority": float(edge_prize[np.unique(rows[lo:hi])].sum()),
    }


def _numbered_stops(groups: list[list[dict[str, Any]]], crs: Any) -> list[WalkStop]:
    """Numbered stops from merged groups; names are set later by :func:`describe_route`."""
    if not groups:
        return []
    to_wgs = transformer(crs, WGS84)
    stops = []
    for i, group in enumerate(groups):
        lead = max(group, key=lambda r: r["priority"])
        lon, lat = to_wgs.transform(*lead["xy"])
        labels = pd.Series([r["label"] for r in group]).value_counts(sort=False)
        reason = ", ".join(f"{k} ({c})" if c > 1 else str(k) for k, c in labels.items())
        members = list(dict.fromkeys(str(r["name"]) for r in group if r["name"]))
        stops.append(
            WalkStop(
                order=i + 1,
                lon=float(lon),
                lat=float(lat),
                kind=lead["kind"],
                name=str(lead["name"] or lead["street"] or KIND_LABELS.get(lead["kind"], "")),
                reason=reason,
                distance_m=float(lead["distance_m"]),
                priority=float(sum(r["priority"] for r in group)),
                members=members,
                records=group,
            )
        )
    return stops
