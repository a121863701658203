"""OSM data layer on real extracts: file backend, Overpass conversion, cache, bad input."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import osmium
import pytest
import shapely
from typer.testing import CliRunner

from geodata import OSM_ATTRIBUTION, osm
from geodata.area import Area
from geodata.errors import AreaNotCoveredError, DataUnavailableError, InvalidInputError
from geodata.network import Network, Provenance
from geodata.osm import _file as _osmfile
from geodata.osm import cache
from tests.conftest import OSLO, RHEIN_NECKAR, STOCKHOLM


def assert_network_invariants(network: Network) -> None:
    """Every edge joins two known nodes, has positive length and ends on its nodes."""
    nodes, edges = network.nodes, network.edges
    assert len(edges) > 0
    assert nodes.index.is_unique
    assert edges["u"].isin(nodes.index).all()
    assert edges["v"].isin(nodes.index).all()
    assert (edges["length"] > 0).all()
    assert nodes.crs == edges.crs
    assert nodes.crs.axis_info[0].unit_name == "metre"
    lines = edges.geometry.to_numpy()
    start, end = shapely.get_point(lines, 0), shapely.get_point(lines, -1)
    u, v = nodes.loc[edges["u"]], nodes.loc[edges["v"]]
    np.testing.assert_allclose(shapely.get_x(start), u["x"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(shapely.get_y(start), u["y"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(shapely.get_x(end), v["x"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(shapely.get_y(end), v["y"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(edges["length"], shapely.length(lines))


def _west_half(path) -> Area:
    """A real-data area: the western half of a file's declared extent."""
    lon0, lat0, lon1, lat1 = _osmfile.file_extent(path)
    return Area.from_wgs84(
        shapely.box(lon0, lat0, (lon0 + lon1) / 2, lat1), name="Västra halvan", source="geojson"
    )


@pytest.fixture(scope="module")
def stockholm() -> dict[str, Network]:
    return osm.load_networks(None, ("drive", "walk"), STOCKHOLM, use_cache=False)


@pytest.fixture(scope="module")
def stockholm_features():
    return _osmfile.read_features(STOCKHOLM)


@pytest.fixture(scope="module")
def rhein_neckar() -> Network:
    return _osmfile.read_network(RHEIN_NECKAR, "drive")


# --- file backend on real data -------------------------------------------------------------


def test_stockholm_drive_and_walk_networks(stockholm):
    drive, walk = stockholm["drive"], stockholm["walk"]
    for network in (drive, walk):
        assert_network_invariants(network)
        assert network.provenance.source == "file"
        assert network.provenance.data_date.startswith("2020")
        assert str(network.edges.crs) == "EPSG:3006"
    # Footways, pedestrian streets and steps make the walk network much longer.
    assert walk.total_length_km > 1.5 * drive.total_length_km
    assert {"footway", "pedestrian"} & set(walk.edges["highway"])
    assert not {"footway", "steps"} & set(drive.edges["highway"])
    # lit is kept on the edges of both networks.
    assert (walk.edges["lit"] == "yes").sum() > 50
    assert (drive.edges["lit"] == "yes").sum() > 10


def test_stockholm_licensed_venues_and_layers(stockholm_features):
    features = stockholm_features
    venues = features[features["kind"] == "venue"]
    assert len(venues) >= 100
    assert set(venues["amenity"]) <= {"bar", "pub", "nightclub", "restaurant", "biergarten"}
    assert venues["name"].notna().mean() > 0.9
    assert {"school", "bus_stop", "parking", "park", "playground"} <= set(features["kind"])
    assert str(features.crs) == "EPSG:3006"
    assert features.attrs["data_date"].startswith("2020")


def test_lit_summary_matches_edge_lengths(stockholm):
    walk = stockholm["walk"]
    summary = osm.lit_summary(walk)
    assert list(summary.index) == ["yes", "no", "missing"]
    assert summary["share"].sum() == pytest.approx(1.0)
    assert summary["length_km"].sum() == pytest.approx(walk.total_length_km)
    untagged_km = walk.edges.loc[walk.edges["lit"].isna(), "length"].sum() / 1000
    assert summary.loc["missing", "length_km"] == pytest.approx(untagged_km)
    assert summary.loc["yes", "length_km"] > 0


def test_oslo_drive_network():
    network = osm.load_network(kind="drive", osm_file=OSLO, use_cache=False)
    assert_network_invariants(network)
    assert network.provenance.data_date.startswith("2019")
    assert network.edges["maxspeed"].notna().mean() > 0.2
    assert set(network.edges["maxspeed"].dropna()) <= set(range(5, 130))
    # Drivable ways only.
    assert not {"footway", "cycleway", "path"} & set(network.edges["highway"])


def test_rhein_neckar_drive_network(rhein_neckar):
    assert_network_invariants(rhein_neckar)
    # Outside Sweden the network gets its local UTM zone (32N), not SWEREF 99 TM.
    assert str(rhein_neckar.edges.crs) == "EPSG:32632"
    assert len(rhein_neckar.nodes) > 20_000
    # The extract is known for rich maxspeed tagging (about two thirds of the ways).
    assert rhein_neckar.edges["maxspeed"].notna().mean() > 0.5
    labels = rhein_neckar.components()
    assert np.bincount(labels).max() > 0.8 * len(rhein_neckar.nodes)


def test_clip_to_area_keeps_edges_that_touch_it(stockholm):
    area = _west_half(STOCKHOLM)
    clipped = osm.load_network(area, "drive", STOCKHOLM, use_cache=False)
    assert_network_invariants(clipped)
    assert len(clipped.edges) < len(stockholm["drive"].edges)
    assert clipped.edges.intersects(area.geometry).all()


# --- cache ---------------------------------------------------------------------------------


def test_second_call_is_served_from_cache():
    area = _west_half(STOCKHOLM)
    start = time.perf_counter()
    first = osm.load_network(area, "walk", STOCKHOLM)
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    second = osm.load_network(area, "walk", STOCKHOLM)
    second_s = time.perf_counter() - start
    assert first.provenance.source == "file"
    assert second.provenance.source == "cache"
    assert second.provenance.data_date == first.provenance.data_date
    assert str(STOCKHOLM) in second.provenance.detail
    assert second_s < first_s
    assert second.edges.crs == first.edges.crs
    assert_network_invariants(second)
    np.testing.assert_array_equal(second.edges["u"], first.edges["u"])
    np.testing.assert_allclose(second.edges["length"], first.edges["length"])
    assert second.nodes.index.equals(first.nodes.index)
    # Without naming the file, the cached area still answers (offline planning after fetch).
    offline = osm.load_network(area, "walk")
    assert offline.provenance.source == "cache"


def test_features_cached_with_provenance():
    area = _west_half(STOCKHOLM)
    first = osm.load_features(area, STOCKHOLM)
    second = osm.load_features(area, STOCKHOLM)
    assert first.attrs["provenance"]["source"] == "file"
    assert second.attrs["provenance"]["source"] == "cache"
    assert second.attrs["provenance"]["attribution"] == OSM_ATTRIBUTION
    assert len(second) == len(first) > 0
    assert (second["kind"].to_numpy() == first["kind"].to_numpy()).all()
    meta = json.loads(
        (cache.cache_root() / cache.area_key(area).dirname / "features.json").read_text()
    )
    assert meta["crs"] == "EPSG:3006"
    assert meta["stamp"]["path"] == str(STOCKHOLM.resolve())


def test_changed_file_invalidates_cache(tmp_path):
    copy = tmp_path / "norrmalm.osm.bz2"
    copy.write_bytes(STOCKHOLM.read_bytes())
    area = _west_half(STOCKHOLM)
    assert osm.load_network(area, "drive", copy).provenance.source == "file"
    assert osm.load_network(area, "drive", copy).provenance.source == "cache"
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert osm.load_network(area, "drive", copy).provenance.source == "file"
    assert osm.load_network(area, "drive", copy, refresh=True).provenance.source == "file"


# --- bad input -----------------------------------------------------------------------------


def test_offline_without_file_or_cache_says_how_to_get_data():
    area = _west_half(STOCKHOLM)
    with pytest.raises(DataUnavailableError, match="lokal OSM-fil") as info:
        osm.load_network(area, "drive")
    assert "lokal OSM-fil" in str(info.value) and info.value.field == "osm_file"
    with pytest.raises(DataUnavailableError, match="lokal OSM-fil") as info:
        osm.load_features(area)
    assert info.value.field == "osm_file"


def test_file_outside_the_area():
    lon0, lat0, lon1, lat1 = _osmfile.file_extent(STOCKHOLM)
    # The same-sized box 1° further north (Gävleborg): real coordinates, no data there.
    north = Area.from_wgs84(shapely.box(lon0, lat0 + 1, lon1, lat1 + 1), "Norr", "geojson")
    with pytest.raises(AreaNotCoveredError, match="täcker inte Norr"):
        osm.load_network(north, "drive", STOCKHOLM)
    with pytest.raises(AreaNotCoveredError):
        osm.load_features(north, STOCKHOLM)


def test_file_covering_a_sliver_of_the_area():
    lon0, lat0, lon1, lat1 = _osmfile.file_extent(STOCKHOLM)
    # Four times the file's extent: only a quarter inside.
    big = Area.from_wgs84(
        shapely.box(lon0, lat0, lon1 + (lon1 - lon0), lat1 + (lat1 - lat0)), "Stor", "geojson"
    )
    with pytest.raises(AreaNotCoveredError, match="täcker bara"):
        osm.load_network(big, "walk", STOCKHOLM)


def test_municipality_outside_the_file():
    from geodata.municipalities import municipality_boundary

    are = municipality_boundary("2321")
    with pytest.raises(AreaNotCoveredError, match="Åre"):
        osm.load_network(are, "drive", STOCKHOLM)


@pytest.mark.parametrize("suffix", [".osm.pbf", ".osm.bz2", ".osm"])
def test_corrupt_files(tmp_path, suffix):
    garbage = tmp_path / f"garbage{suffix}"
    garbage.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(DataUnavailableError, match="trasig"):
        osm.load_network(kind="drive", osm_file=garbage)
    with pytest.raises(DataUnavailableError):
        osm.load_features(osm_file=garbage)


def test_truncated_files(tmp_path):
    for source in (OSLO, STOCKHOLM):
        cut = tmp_path / source.name
        data = source.read_bytes()
        cut.write_bytes(data[: len(data) // 3])
        with pytest.raises(DataUnavailableError, match=source.name):
            osm.load_network(kind="drive", osm_file=cut)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(InvalidInputError, match="Hittar inte"):
        osm.load_network(kind="drive", osm_file=tmp_path / "none.osm.pbf")
    other = tmp_path / "roads.shp"
    other.write_bytes(b"x")
    with pytest.raises(InvalidInputError, match="filformat"):
        osm.load_network(kind="drive", osm_file=other)
    with pytest.raises(InvalidInputError, match="nätverkstyp"):
        osm.load_network(kind="boat", osm_file=STOCKHOLM)


def test_extract_with_missing_nodes_is_cut_not_rejected(tmp_path, stockholm):
    """An extract whose ways lose some nodes (clipped without complete ways) still loads."""
    path = tmp_path / "holes.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    dropped = 0
    for obj in osmium.FileProcessor(str(STOCKHOLM)):
        if obj.is_node():
            if obj.id % 11 == 0:
                dropped += 1
                continue
            writer.add_node(obj)
        elif obj.is_way():
            writer.add_way(obj)
    writer.close()
    assert dropped > 0
    network = _osmfile.read_network(path, "drive")
    assert_network_invariants(network)
    assert network.total_length_km < stockholm["drive"].total_length_km
    assert (network.nodes.index % 11 != 0).all()


def test_snowmobile_routes_synthetic(tmp_path):
    """Synthetic OSM XML: a tagged skoterled way and an untagged member of a route relation."""
    xml = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" version="1" timestamp="2021-02-01T00:00:00Z" lat="63.40" lon="13.08"/>
  <node id="2" version="1" timestamp="2021-02-01T00:00:00Z" lat="63.41" lon="13.09"/>
  <node id="3" version="1" timestamp="2021-02-01T00:00:00Z" lat="63.42" lon="13.10"/>
  <node id="4" version="1" timestamp="2021-02-01T00:00:00Z" lat="63.43" lon="13.12"/>
  <way id="10" version="1" timestamp="2021-02-02T00:00:00Z">
    <nd ref="1"/><nd ref="2"/><tag k="snowmobile" v="designated"/>
  </way>
  <way id="11" version="1" timestamp="2021-02-03T00:00:00Z"><nd ref="2"/><nd ref="3"/></way>
  <way id="12" version="1" timestamp="2021-02-03T00:00:00Z">
    <nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/>
  </way>
  <relation id="20" version="1" timestamp="2021-02-04T00:00:00Z">
    <member type="way" ref="11" role=""/>
    <tag k="type" v="route"/><tag k="route" v="snowmobile"/>
  </relation>
</osm>"""
    path = tmp_path / "skoter.osm"
    path.write_text(xml, encoding="utf-8")
    networks = _osmfile.read_networks(path, ("snowmobile", "drive"))
    snow = networks["snowmobile"]
    assert_network_invariants(snow)
    assert sorted(snow.edges["osmid"]) == [10, 11]
    assert list(networks["drive"].edges["osmid"]) == [12]
    assert snow.provenance.data_date == "2021-02-03"


# --- Overpass backend conversion (OSMnx graph from the same real file) -------------------


@pytest.fixture(scope="module")
def osmnx_graph():
    import osmnx as ox

    from geodata.osm import _overpass

    with _overpass.osmnx_session():
        return ox.graph_from_xml(STOCKHOLM, retain_all=True)


def test_osmnx_graph_converts_like_the_file_backend(osmnx_graph, stockholm):
    from geodata.osm import _overpass

    for kind in ("drive", "walk"):
        converted = _overpass.graph_to_network(
            osmnx_graph, kind, Provenance("overpass", "test", "2020-12-01")
        )
        reference = stockholm[kind]
        assert_network_invariants(converted)
        assert list(converted.edges.columns) == list(reference.edges.columns)
        assert converted.edges.crs == reference.edges.crs
        # OSMnx simplified the graph over all highways, so nodes differ; the roads do not.
        assert converted.total_length_km == pytest.approx(reference.total_length_km, rel=0.03)
        assert set(converted.edges["highway"]) <= set(reference.edges["highway"])
        lit_km = converted.edges.loc[converted.edges["lit"] == "yes", "length"].sum()
        ref_km = reference.edges.loc[reference.edges["lit"] == "yes", "length"].sum()
        # Where OSMnx merged ways with different lit tags the first one wins: a few % off.
        assert lit_km == pytest.approx(ref_km, rel=0.1)


def test_osmnx_features_convert_like_the_file_backend(stockholm_features):
    import osmnx as ox

    from geodata.osm import _overpass

    raw = ox.features_from_xml(STOCKHOLM, tags=_overpass._feature_tags())
    converted = _overpass.features_to_frame(raw)
    assert list(converted.columns) == list(stockholm_features.columns)
    assert converted["kind"].value_counts().to_dict() == (
        stockholm_features["kind"].value_counts().to_dict()
    )
    assert str(converted.crs) == "EPSG:3006"


def test_online_path_uses_overpass_then_cache(osmnx_graph, monkeypatch, local_services):
    """The Overpass branch end to end, with OSMnx's download replaced by the real file's graph."""
    import osmnx as ox
    import requests

    monkeypatch.setattr(ox, "graph_from_polygon", lambda polygon, **kw: osmnx_graph)
    area = _west_half(STOCKHOLM)
    first = osm.load_network(area, "drive")
    assert first.provenance.source == "overpass"
    assert_network_invariants(first)
    assert osm.load_network(area, "drive").provenance.source == "cache"

    def offline(polygon, **kw):
        raise requests.ConnectionError("Name or service not known")

    monkeypatch.setattr(ox, "graph_from_polygon", offline)
    with pytest.raises(DataUnavailableError, match="gick inte att nå") as info:
        osm.load_network(area, "walk")
    assert "Name or service" not in str(info.value) and info.value.field == "osm_file"


# --- CLI -----------------------------------------------------------------------------------


def test_cli_fetch_and_info(tmp_path):
    from service.cli import app

    boundary = tmp_path / "norrmalm.geojson"
    boundary.write_text(json.dumps(shapely.geometry.mapping(_west_half(STOCKHOLM).wgs84)))
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["data", "fetch", "Norrmalm", "--osm-file", str(STOCKHOLM), "--boundary", str(boundary)],
    )
    assert result.exit_code == 0, result.output
    assert "gångvägar" in result.output
    assert "utskänkningsställen" in result.output
    info = runner.invoke(app, ["data", "info", "Norrmalm"])
    assert info.exit_code == 0, info.output
    assert "bilvägar" in info.output and "gångvägar" in info.output
    entries = cache.entries("Norrmalm")
    assert {m["layer"] for m in entries} == {"network-drive", "network-walk", "features"}
    # The cached walk network is what a planner gets next, offline and without the file.
    area = Area.from_geojson(boundary)
    from dataclasses import replace

    cached = osm.load_network(replace(area, name="Norrmalm"), "walk")
    assert cached.provenance.source == "cache"


def test_cli_fetch_offline_without_file():
    from service.cli import app

    result = CliRunner().invoke(app, ["data", "fetch", "Hagfors"])
    assert result.exit_code == 2, result.output
    assert "--osm-file" in result.stderr and "data import osm" in result.stderr
    info = CliRunner().invoke(app, ["data", "info", "Hagfors"])
    assert info.exit_code == 2 and "Hagfors" in info.stderr, info.output
