"""Area from GeoJSON: good polygons load, everything else is an InvalidInputError."""

from __future__ import annotations

import json

import pytest
import shapely

from geodata.area import Area
from geodata.errors import InvalidInputError
from geodata.osm import _file as _osmfile
from tests.conftest import STOCKHOLM


def _stockholm_polygon() -> dict:
    """A polygon over the western half of the Stockholm extract's real extent."""
    lon0, lat0, lon1, lat1 = _osmfile.file_extent(STOCKHOLM)
    mid = (lon0 + lon1) / 2
    return shapely.geometry.mapping(shapely.box(lon0, lat0, mid, lat1))


def test_polygon_file_feature_and_collection(tmp_path):
    polygon = _stockholm_polygon()
    path = tmp_path / "norrmalm.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": polygon}))
    from_file = Area.from_geojson(path)
    from_collection = Area.from_geojson(
        {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": polygon}]}
    )
    from_text = Area.from_geojson(json.dumps(polygon), name="text")
    assert from_file.name == "norrmalm.geojson"
    assert from_file.source == "geojson"
    for area in (from_file, from_collection, from_text):
        # Half of a ~1.2 km x 0.9 km box: a fraction of a square kilometre.
        assert 0.1 < area.area_km2 < 1.0
        assert area.geometry.equals_exact(from_file.geometry, tolerance=1e-6)
    lon0, lat0, lon1, lat1 = shapely.geometry.shape(polygon).bounds
    assert from_file.contains_lonlat((lon0 + lon1) / 2, (lat0 + lat1) / 2)
    assert not from_file.contains_lonlat(lon1 + 0.01, lat0)


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"type": "Point", "coordinates": [18.07, 59.33]}, "ingen polygon"),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "LineString", "coordinates": [[18, 59], [18.1, 59.1]]},
                    }
                ],
            },
            "LineString",
        ),
        ({"type": "Feature", "geometry": None}, "ingen polygon"),
        ({"type": "Polygon", "coordinates": "nonsense"}, "ogiltig"),
        ({"coordinates": [[[18, 59], [18.1, 59], [18.1, 59.1], [18, 59]]]}, "GeoJSON-objekt"),
        ([1, 2, 3], "GeoJSON-objekt"),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[674000, 6580000], [675000, 6580000], [675000, 6581000], [674000, 6580000]]
                ],
            },
            "WGS 84",
        ),
    ],
    ids=["point", "linestrings", "null-geometry", "bad-coords", "no-type", "list", "sweref"],
)
def test_not_a_polygon_is_invalid_input(payload, fragment):
    with pytest.raises(InvalidInputError, match=fragment):
        Area.from_geojson(payload)


def test_invalid_json_text_and_file(tmp_path):
    with pytest.raises(InvalidInputError, match="inte giltig GeoJSON"):
        Area.from_geojson('{"type": "Polygon", "coordinates": [[[18, 59], ')
    broken = tmp_path / "broken.geojson"
    broken.write_text("{ not json", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"broken\.geojson"):
        Area.from_geojson(broken)
    with pytest.raises(InvalidInputError, match="Hittar inte"):
        Area.from_geojson(tmp_path / "missing.geojson")


def test_self_intersecting_polygon_is_repaired():
    # Synthetic bow-tie: two triangles meeting at a point, invalid as one ring.
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[18.06, 59.334], [18.08, 59.342], [18.08, 59.334], [18.06, 59.342], [18.06, 59.334]]
        ],
    }
    area = Area.from_geojson(bowtie)
    assert area.geometry.is_valid
    assert area.area_km2 > 0
