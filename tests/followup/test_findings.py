"""Findings of a safety walk: model, status transitions, exchange formats, follow-up map."""

from __future__ import annotations

import json
from datetime import date

import pytest

from geodata import WGS84
from geodata.errors import InvalidInputError
from geodata.osm import load_features
from service.followup.findings import Category, Finding, FindingCollection, Responsible, Status
from tests.conftest import STOCKHOLM


@pytest.fixture(scope="module")
def venues() -> list[tuple[float, float, str]]:
    """Real places to hang findings on: licensed venues in Norrmalm (lat, lon, name)."""
    features = load_features(None, STOCKHOLM)
    v = features[(features["kind"] == "venue") & features["name"].notna()].head(6).to_crs(WGS84)
    pts = v.geometry.representative_point()
    return list(zip(pts.y, pts.x, v["name"], strict=True))


@pytest.fixture
def findings(venues) -> FindingCollection:
    c = FindingCollection()
    cats = ["belysning", "skötsel", "vegetation och sikt", "trafiksäkerhet", "klotter", "annat"]
    for i, ((lat, lon, name), cat) in enumerate(zip(venues, cats, strict=True)):
        c.add(
            walk_id="norrmalm-2024-10" if i < 4 else "norrmalm-2025-04",
            lat=lat,
            lon=lon,
            category=cat,
            description=f"Utanför {name}",
            severity=1 + i % 5,
            responsible=["kommun", "polis", "fastighetsägare", "trafikverket"][i % 4],
            created=date(2024, 10, 3),
            updated=date(2024, 10, 3),
        )
    return c


def test_add_validates_and_normalises(findings):
    assert len(findings) == 6
    first = next(iter(findings))
    assert first.category == Category.belysning and first.status == Status.open
    sk = [f for f in findings if f.description.startswith("Utanför")][1]
    assert sk.category == Category.nedskrapning  # "skötsel" on the paper form
    assert any(f.responsible == Responsible.trafikverket for f in findings)
    with pytest.raises(InvalidInputError, match="severity"):
        findings.add(
            walk_id="w", lat=59.3, lon=18.0, category="belysning", description="x", severity=9
        )
    with pytest.raises(InvalidInputError, match="category"):
        findings.add(walk_id="w", lat=59.3, lon=18.0, category="ufo", description="x")
    with pytest.raises(InvalidInputError):
        findings.add(walk_id="w", lat=95, lon=18.0, category="belysning", description="x")


def test_status_transitions(findings):
    f = next(iter(findings))
    with pytest.raises(InvalidInputError, match="slutdatum"):
        findings.update(f.id, status="planned")
    planned = findings.update(
        f.id,
        status="planned",
        deadline=date(2025, 3, 1),
        action="Byt armatur",
        today=date(2024, 11, 1),
    )
    assert planned.status == Status.planned and planned.updated == date(2024, 11, 1)
    assert planned.created == date(2024, 10, 3)
    done = findings.update(f.id, status="done")
    assert done.status == Status.done
    with pytest.raises(InvalidInputError, match="åtgärdad till planerad"):
        findings.update(f.id, status="planned")
    assert findings.update(f.id, status="open").status == Status.open  # reopened on re-walk
    with pytest.raises(InvalidInputError, match="status"):
        findings.update(f.id, status="forgotten")
    with pytest.raises(InvalidInputError):
        findings.update(f.id, id="other")
    with pytest.raises(InvalidInputError, match="inget fynd"):
        findings.update("nope", status="done")


def test_filter(findings):
    assert len(findings.filter(walk_id="norrmalm-2024-10")) == 4
    assert len(findings.filter(responsible="polis")) == 2
    assert len(findings.filter(category="belysning")) == 1
    f = findings.filter(responsible="kommun")[0]
    findings.update(f.id, status="planned", deadline=date(2024, 12, 1))
    assert [x.id for x in findings.filter(overdue_on=date(2025, 1, 1))] == [f.id]
    assert findings.filter(overdue_on=date(2024, 11, 1)) == []
    assert len(findings.filter(status="open")) == 5


def test_geojson_round_trip(findings, tmp_path):
    fc = findings.to_geojson()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 6
    lon, lat = fc["features"][0]["geometry"]["coordinates"]
    assert 18.0 < lon < 18.1 and 59.3 < lat < 59.4
    path = findings.save(tmp_path / "fynd.geojson")
    back = FindingCollection.load(path)
    assert [f.model_dump() for f in back] == [f.model_dump() for f in findings]


def test_csv_round_trip(findings, tmp_path):
    f = next(iter(findings))
    findings.update(
        f.id, status="planned", deadline=date(2025, 2, 1), action="Beskär häcken, ny lampa"
    )
    text = findings.to_csv()
    assert text.splitlines()[0].startswith("id,walk_id,lat,lon,category")
    back = FindingCollection.from_csv(text)
    assert [x.model_dump() for x in back] == [x.model_dump() for x in findings]
    path = findings.save(tmp_path / "fynd.csv")
    assert len(FindingCollection.load(path)) == 6


def test_bad_files(tmp_path):
    with pytest.raises(InvalidInputError, match="kolumnerna"):
        FindingCollection.from_csv("a,b\n1,2\n")
    with pytest.raises(InvalidInputError, match="FeatureCollection"):
        FindingCollection.from_geojson({"type": "Feature"})
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(InvalidInputError, match="GeoJSON"):
        FindingCollection.load(bad)
    with pytest.raises(InvalidInputError, match="Hittar inte"):
        FindingCollection.load(tmp_path / "missing.csv")
    with pytest.raises(InvalidInputError, match=r"geojson eller \.csv"):
        FindingCollection().save(tmp_path / "fynd.xlsx")
    feature = Finding(walk_id="w", lat=59.3, lon=18.0, category="belysning", description="x")
    broken = {
        "type": "FeatureCollection",
        "features": [{"properties": feature.model_dump(mode="json")}],
    }
    with pytest.raises(InvalidInputError, match="punktgeometri"):
        FindingCollection.from_geojson(broken)


def test_follow_up_map_colours_by_status(findings):
    from service.render.maps.walk import STATUS_COLOURS, findings_map

    items = list(findings)
    findings.update(items[0].id, status="done")
    findings.update(items[1].id, status="planned", deadline=date(2025, 1, 1))
    html = findings_map(findings, tiles=None).get_root().render()
    for colour in STATUS_COLOURS.values():
        assert colour in html
    for label in ("Öppen (4)", "Planerad (1)", "Åtgärdad (1)"):
        assert label in html or json.dumps(label)[1:-1] in html  # layer names are JSON
    assert "OpenStreetMap contributors" in html
    assert json.dumps(items[2].description, ensure_ascii=False)[1:-1][:20] in html


def test_statuses_and_exports_are_swedish(findings):
    f = next(iter(findings))
    planned = findings.update(f.id, status="planerad", deadline=date(2025, 3, 1))
    assert planned.status.value == "planerad"
    assert findings.update(f.id, status="Åtgärdad").status == Status.done
    csv_text = findings.to_csv()
    assert "åtgärdad" in csv_text and ",open," not in csv_text
    props = findings.to_geojson()["features"][0]["properties"]
    assert props["status"] == "åtgärdad" and props["status_label"] == "Åtgärdad"
    assert props["category_label"][0].isupper()
    again = FindingCollection.from_csv(csv_text)
    assert [x.status for x in again] == [x.status for x in findings]


def test_finding_far_from_the_walk_is_refused(venues):
    from service.followup.findings import check_near_route

    lat, lon, _name = venues[0]
    # A short real stretch through Norrmalm (the venue and one 300 m east of it).
    route = [[lon, lat], [lon + 0.005, lat]]
    assert check_near_route(lat + 0.001, lon, route) < 150  # about 110 m north
    with pytest.raises(InvalidInputError, match="högst 1 km"):
        check_near_route(lat + 0.02, lon, route)  # about 2,2 km north
