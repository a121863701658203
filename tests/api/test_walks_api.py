"""Safety walks through the HTTP API: purpose, title, PDF, and bad input as Swedish 422s."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from geodata.settings import use_settings
from service.api.app import create_app
from tests.conftest import app_settings, planner_token

WALK = {
    "center_lat": 59.3375,
    "center_lon": 18.07,
    "radius_km": 0.6,
    "length_km": 2.0,
    "osm_file": "geodata/osm/stockholm-norrmalm.osm.bz2",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    settings = app_settings(tmp_path_factory.mktemp("walks-api"))
    with use_settings(settings):
        app = create_app(settings)
        token = planner_token(app.state.engine, "vandrare")
        yield TestClient(app, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def walk(client) -> dict:
    response = client.post("/api/workspaces/0180/walks", json={**WALK, "purpose": "belysning"})
    assert response.status_code == 201, response.text
    return response.json()


def test_walk_has_its_purpose_title_and_lighting(walk):
    assert walk["purpose"] == "belysning"
    assert walk["title"].startswith("Trygghetsvandring i Stockholm, ")
    assert walk["name"] == walk["title"]
    assert walk["meeting_point"]
    light = walk["lighting"]
    assert light["lit_m"] + light["unlit_m"] + light["unknown_m"] == pytest.approx(
        1000 * walk["length_km"], rel=1e-3
    )
    assert walk["incidents"] is not None  # Stockholm's notices were checked
    assert walk["directions"] and walk["directions"][0]["text"].startswith("Gå ")


def test_protocol_pdf_is_served(client, walk):
    pypdf = pytest.importorskip("pypdf")
    response = client.get(f"/api/walks/{walk['id']}/protokoll.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) <= 4 and len(reader.pages[0].images) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"purpose": "nattliv"}, "Okänt syfte"),
        ({"length_km": 0.3}, "0,5 och 15 km"),
        ({"length_km": 16}, "0,5 och 15 km"),
        ({"center_lat": 63.40, "center_lon": 13.08}, "täcker"),
    ],
)
def test_bad_walk_input_is_a_swedish_422(client, change, message):
    response = client.post("/api/workspaces/0180/walks", json={**WALK, **change})
    assert response.status_code == 422, response.text
    assert message in str(response.json()["detail"])


def test_finding_far_from_the_route_is_refused_and_near_is_kept(client, walk):
    near = {"lat": 59.3375, "lon": 18.07, "category": "belysning", "description": "Mörkt"}
    response = client.post(f"/api/walks/{walk['id']}/findings", json=near)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "öppen"
    far = {**near, "lat": 59.36}  # about 2,5 km north of Norrmalm
    response = client.post(f"/api/walks/{walk['id']}/findings", json=far)
    assert response.status_code == 422
    assert "högst 1 km" in response.json()["detail"]
    csv_text = client.get(f"/api/walks/{walk['id']}/findings.csv").text
    assert "öppen" in csv_text and "belysning" in csv_text


def test_template_syntax_in_a_finding_shows_as_text_on_its_map(client, walk):
    # folium/branca compile each rendered map part as a Jinja template, so text reaching a map
    # must not read as template syntax: "{{ ... }}" was evaluated on the server and "{%" was
    # a 500 before the escaping path turned braces into entities.
    description = "{{ 'ab' ~ 'cd' }} {% if true %}ja{% endif %} {# kommentar"
    finding = {"lat": 59.3375, "lon": 18.07, "category": "belysning", "description": description}
    response = client.post(f"/api/walks/{walk['id']}/findings", json=finding)
    assert response.status_code == 201, response.text
    page = client.get(f"/api/walks/{walk['id']}/findings/karta")
    assert page.status_code == 200, page.text[:300]
    assert "abcd" not in page.text
    assert "&#123;&#123; &#x27;ab&#x27; ~ &#x27;cd&#x27; &#125;&#125;" in page.text
