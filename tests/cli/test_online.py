"""The online paths end to end over real HTTP, against the local stand-in server.

Overpass answers from the real Stockholm extract, Nominatim with Lantmäteriet's polygons and
polisen.se from the real archive (see :mod:`tests.local_services`); the settings point at
the server, one URL per service.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import shapely
from typer.testing import CliRunner

from geodata.osm import _overpass
from service.cli import app
from tests.local_services import Behaviour, LocalServices

#: The west half of the Stockholm extract (Norrmalm), as a user's own boundary.
WEST = shapely.box(18.0602, 59.3343, 18.0700, 59.3422)


@pytest.fixture
def boundary(tmp_path: Path) -> Path:
    path = tmp_path / "norrmalm.geojson"
    path.write_text(json.dumps(shapely.geometry.mapping(WEST)), encoding="utf-8")
    return path


def test_data_fetch_over_overpass(local_services: LocalServices, boundary: Path) -> None:
    result = CliRunner().invoke(
        app, ["data", "fetch", "Norrmalm", "--boundary", str(boundary), "--kind", "drive"]
    )
    assert result.exit_code == 0, result.output
    assert "overpass" in result.output
    posts = [r for r in local_services.requests if r.method == "POST"]
    assert posts and {r.path for r in posts} == {"/api/interpreter"}  # never …/interpreter twice
    assert "highway" in posts[0].form["data"][0] and "poly:" in posts[0].form["data"][0]


def test_municipality_from_osm_over_nominatim(local_services: LocalServices) -> None:
    result = CliRunner().invoke(app, ["municipality", "Hagfors", "--source", "osm", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["boundary"]["source"] == "osm"
    search = [r for r in local_services.requests if r.path == "/search"]
    assert search and search[0].query["q"] == ["Hagfors kommun, Sverige"]


def test_live_event_poll(local_services: LocalServices) -> None:
    result = CliRunner().invoke(app, ["events", "--kommun", "Åre", "--online", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)
    asked = [r for r in local_services.requests if r.path == "/api/events"]
    assert asked and asked[0].query["locationname"] == ["Åre"]


def test_busy_overpass_is_retried_then_explained(
    local_services: LocalServices,
    boundary: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(_overpass, "RETRY_PAUSES_S", (0.1, 0.2))
    args = ["data", "fetch", "Norrmalm", "--boundary", str(boundary), "--kind", "drive"]
    # Two busy answers, then the real one: the retries carry it through.
    local_services.behaviour["/api/interpreter"] = Behaviour(errors=[429, 504])
    assert CliRunner().invoke(app, args).exit_code == 0
    # Busy every time: a Swedish message, no library text. (Another area: OSMnx keeps the
    # first answer in its HTTP cache.)
    smaller = tmp_path / "smaller.geojson"
    smaller.write_text(json.dumps(shapely.geometry.mapping(WEST.buffer(-0.001))), encoding="utf-8")
    local_services.behaviour["/api/interpreter"] = Behaviour(errors=[504] * 5)
    result = CliRunner().invoke(app, [*args[:3], "--boundary", str(smaller), *args[5:]])
    assert result.exit_code == 2, result.output
    assert "överbelastad" in result.stderr and "Traceback" not in result.output


def test_slow_overpass_times_out_with_a_swedish_message(
    local_services: LocalServices, boundary: Path, configure: Callable[..., object]
) -> None:
    configure(http_timeout_s=1)
    local_services.behaviour["/api/interpreter"] = Behaviour(delay_s=3)
    result = CliRunner().invoke(
        app, ["data", "fetch", "Norrmalm", "--boundary", str(boundary), "--kind", "drive"]
    )
    assert result.exit_code == 2, result.output
    assert "svarade inte i tid" in result.stderr and "Read timed out" not in result.output


def _way_ids(network) -> set[int]:
    import numpy as np

    return {int(i) for ids in network.edges["osmid"] for i in np.atleast_1d(ids)}


def test_large_polygon_is_split_into_several_overpass_queries(
    local_services: LocalServices, configure: Callable[..., object]
) -> None:
    """OSMnx splits a polygon above ``overpass_max_query_area_m2`` and merges the answers."""
    from geodata.area import Area
    from geodata.osm import load_network
    from tests.conftest import STOCKHOLM

    area = Area.from_wgs84(WEST, "Norrmalm väst", "user")

    def download() -> tuple[object, list[str]]:
        before = len(local_services.requests)
        network = load_network(area, "drive", use_cache=False)
        posts = [r for r in local_services.requests[before:] if r.method == "POST"]
        return network, [p.form["data"][0] for p in posts if p.path == "/api/interpreter"]

    whole, whole_queries = download()  # OSMnx's default: one query for this small area
    configure(overpass_max_query_area_m2=1e6)  # 1 km²: the buffered polygon needs several
    split, split_queries = download()
    assert len(whole_queries) == 1
    assert len(split_queries) >= 3
    polygons = {re.search(r"""poly:['"]([^'"]+)""", q).group(1) for q in split_queries}  # type: ignore[union-attr]
    assert len(polygons) == len(split_queries)  # different squares, not retries

    # The merged answer is the single query's network ...
    assert len(split.edges) == len(whole.edges)
    assert _way_ids(split) == _way_ids(whole)
    assert split.edges.length.sum() == pytest.approx(whole.edges.length.sum(), rel=1e-9)
    # ... and agrees with the network read from the file itself, up to the backends' own
    # filters (the file reader keeps a few short service ways OSMnx's drive filter drops).
    local = load_network(area, "drive", osm_file=STOCKHOLM, use_cache=False)
    assert split.edges.length.sum() == pytest.approx(local.edges.length.sum(), rel=0.05)
    shared = _way_ids(split) & _way_ids(local)
    assert len(shared) >= 0.85 * len(_way_ids(local))
