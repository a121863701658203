"""Addresses from OSM ``addr:*`` tags, for placing register rows offline."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely

from geodata import WGS84
from geodata.errors import DataUnavailableError

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- addresses


_HOUSE = re.compile(r"^(?P<street>.*?\D)\s*(?P<number>\d+\s*[A-Za-z]?)\b(?P<rest>.*)$")


def split_address(text: object) -> tuple[str, str]:
    """``"Birger Jarlsgatan 23 B, 111 45 Stockholm"`` -> ``("Birger Jarlsgatan", "23b")``."""
    if not isinstance(text, str):
        return "", ""
    head = text.split(",")[0].strip()
    match = _HOUSE.match(head)
    if not match:
        return head, ""
    return match.group("street").strip(" ,"), match.group("number").replace(" ", "").casefold()


def _number_key(value: object) -> str:
    return str(value).replace(" ", "").casefold() if isinstance(value, str) else ""


def read_addresses(path: str | Path) -> gpd.GeoDataFrame:
    """Every OSM object with ``addr:street`` and ``addr:housenumber`` in a file, as points.

    Nodes, building ways and multipolygons all carry addresses in Swedish OSM data; areas
    become their representative point.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``street``, ``housenumber``, ``postcode``, ``city``; WGS 84 points.
    """
    factory = osmium.geom.WKBFactory()
    rows: list[tuple[Any, ...]] = []
    geoms: list[bytes] = []
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_areas(osmium.filter.KeyFilter("addr:housenumber"))
            .with_filter(osmium.filter.KeyFilter("addr:housenumber"))
        )
        for obj in processor:
            tags = obj.tags
            if "addr:street" not in tags:
                continue
            try:
                if obj.is_node():
                    geom = factory.create_point(obj)
                elif obj.is_area():
                    geom = factory.create_multipolygon(obj)
                else:
                    continue  # closed ways arrive again as areas; open ones carry no address
            except RuntimeError:
                continue  # clipped geometry
            rows.append(
                (
                    tags.get("addr:street"),
                    tags.get("addr:housenumber"),
                    tags.get("addr:postcode"),
                    tags.get("addr:city"),
                )
            )
            geoms.append(geom)
    except RuntimeError as exc:
        raise DataUnavailableError(f"Kan inte läsa adresser ur {Path(path).name}: {exc}") from exc
    frame = pd.DataFrame(rows, columns=["street", "housenumber", "postcode", "city"])
    geometry = shapely.point_on_surface(shapely.from_wkb(np.array(geoms, dtype=object)))
    return gpd.GeoDataFrame(frame, geometry=geometry if geoms else [], crs=WGS84)


def _feature_addresses(features: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if features is None or "addr:street" not in features:
        return gpd.GeoDataFrame(
            columns=["street", "housenumber", "postcode", "city"], geometry=[], crs=WGS84
        )
    tagged = features[features["addr:street"].notna() & features["addr:housenumber"].notna()]
    frame = pd.DataFrame(
        {
            "street": tagged["addr:street"].to_numpy(),
            "housenumber": tagged["addr:housenumber"].to_numpy(),
            "postcode": tagged.get("addr:postcode", pd.Series(None, index=tagged.index)).to_numpy(),
            "city": tagged.get("addr:city", pd.Series(None, index=tagged.index)).to_numpy(),
        }
    )
    points = shapely.point_on_surface(tagged.geometry.to_numpy())
    return gpd.GeoDataFrame(frame, geometry=points, crs=features.crs).to_crs(WGS84)
