"""An area to plan in: a municipality's boundary or any polygon a user gives."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geodata import METRIC_CRS, WGS84, transformer
from geodata.errors import InvalidInputError

_TO_METRIC = transformer(WGS84, METRIC_CRS)
_TO_WGS84 = transformer(METRIC_CRS, WGS84)


@dataclass(frozen=True)
class Area:
    """A polygonal area in SWEREF 99 TM.

    Parameters
    ----------
    name
        Human-readable name ("Åre kommun", "boundary.geojson").
    geometry
        Polygon or MultiPolygon in EPSG:3006.
    source
        Where the boundary came from (``"osm"``, ``"lantmateriet"``, ``"scb"``, ``"geojson"``...).
    code
        Municipality code when the area is a kommun.
    attribution
        Text to show wherever the boundary is drawn.
    """

    name: str
    geometry: BaseGeometry
    source: str
    code: str | None = None
    attribution: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def area_km2(self) -> float:
        """Area in square kilometres."""
        return float(self.geometry.area) / 1e6

    @property
    def wgs84(self) -> BaseGeometry:
        """The boundary in WGS 84 (lon, lat)."""
        return shapely.transform(self.geometry, lambda xy: _xy_transform(_TO_WGS84, xy))

    def to_gdf(self) -> gpd.GeoDataFrame:
        """A one-row GeoDataFrame in EPSG:3006."""
        return gpd.GeoDataFrame(
            {"name": [self.name], "source": [self.source], "code": [self.code]},
            geometry=[self.geometry],
            crs=METRIC_CRS,
        )

    def contains_lonlat(self, lon: float, lat: float, tolerance_m: float = 0.0) -> bool:
        """Whether a WGS 84 point lies inside the area (or within ``tolerance_m`` of it)."""
        x, y = _TO_METRIC.transform(lon, lat)
        point = shapely.Point(x, y)
        if tolerance_m > 0:
            return bool(self.geometry.dwithin(point, tolerance_m))
        return bool(self.geometry.covers(point))

    @classmethod
    def from_wgs84(cls, geometry: BaseGeometry, name: str, source: str, **kwargs: Any) -> Area:
        """Build from a WGS 84 polygon, projecting it to EPSG:3006."""
        metric = shapely.transform(geometry, lambda xy: _xy_transform(_TO_METRIC, xy))
        return cls(name=name, geometry=_valid_polygonal(metric, name), source=source, **kwargs)

    @classmethod
    def from_geojson(cls, data: str | Path | dict[str, Any], name: str | None = None) -> Area:
        """Read a polygon from a GeoJSON file, string or mapping (WGS 84, per RFC 7946).

        Raises
        ------
        InvalidInputError
            If the GeoJSON is malformed or holds no polygon.
        """
        label = name or "GeoJSON"
        if isinstance(data, Path) or (isinstance(data, str) and not data.lstrip().startswith("{")):
            path = Path(data)
            if not path.is_file():
                raise InvalidInputError(f"Hittar inte filen {path}.")
            label = name or path.name
            text = path.read_text(encoding="utf-8")
        elif isinstance(data, str):
            text = data
        else:
            text = None
        try:
            obj = json.loads(text) if text is not None else data
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{label} är inte giltig GeoJSON: {exc}") from exc
        geometry = _polygon_from_geojson(obj, label)
        return cls.from_wgs84(geometry, name=label, source="geojson")


def _xy_transform(transformer: Transformer, xy: Any) -> Any:
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _polygon_from_geojson(obj: Any, label: str) -> BaseGeometry:
    if not isinstance(obj, dict) or "type" not in obj:
        raise InvalidInputError(f"{label} är inte ett GeoJSON-objekt.")
    kind = obj["type"]
    try:
        if kind == "FeatureCollection":
            geoms = [shape(f["geometry"]) for f in obj.get("features", []) if f.get("geometry")]
        elif kind == "Feature":
            geoms = [shape(obj["geometry"])] if obj.get("geometry") else []
        else:
            geoms = [shape(obj)]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInputError(f"{label} har en ogiltig geometri: {exc}") from exc
    polygons = [g for g in geoms if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    if not polygons:
        found = ", ".join(sorted({g.geom_type for g in geoms})) or "ingen geometri"
        raise InvalidInputError(f"{label} innehåller ingen polygon (hittade: {found}).")
    lon_min, lat_min, lon_max, lat_max = shapely.union_all(polygons).bounds
    if not (-180 <= lon_min <= lon_max <= 180 and -90 <= lat_min <= lat_max <= 90):
        raise InvalidInputError(f"{label}: koordinaterna ska vara WGS 84 (longitud, latitud).")
    return shapely.union_all(polygons)


def _valid_polygonal(geometry: BaseGeometry, label: str) -> BaseGeometry:
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
        geometry = shapely.union_all(
            [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")]
        )
    if geometry.is_empty or geometry.area <= 0:
        raise InvalidInputError(f"{label}: polygonen är tom.")
    return geometry
