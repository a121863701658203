"""The service's pages in headless Chromium, offline: no console errors, Leaflet draws its layers.

Debian's ``chromium`` driven by Playwright (``executablePath=/usr/bin/chromium``); every request
that leaves the loopback is aborted and counted, so a page that needs the internet fails.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.api.app import create_app
from service.settings import Settings
from tests.browser import ARTIFACTS, Session, screenshot, serve
from tests.conftest import PROMISES, SHARED, planner_token

pytestmark = pytest.mark.slow
SCREENS = ARTIFACTS / "sidor"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("browser") / "loftesplan.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", shared_dir=SHARED))
    token = planner_token(app.state.engine, "planerare", "hemligt-lösen")
    with serve(app) as base:
        headers = {"Authorization": f"Bearer {token}"}
        _seed(base, headers)
        yield base, headers


def _seed(base: str, headers: dict[str, str]) -> None:
    import httpx

    text = (PROMISES / "are.txt").read_text(encoding="utf-8")
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        assert client.post("/api/workspaces/Åre/promises", json={"text": text}).status_code == 201
        old = (datetime.now(UTC) - timedelta(days=10)).isoformat()
        for lat, lon, town in ((63.398, 13.081, "Åre"), (63.355, 13.45, "Järpen")):
            body = {"happened_at": old, "lat": lat, "lon": lon, "settlement": town}
            assert client.post("/api/workspaces/2321/executed", json=body).status_code == 201
        body = {"happened_at": old, "lat": 63.30, "lon": 12.60}  # no settlement: a hexagon
        assert client.post("/api/workspaces/2321/executed", json=body).status_code == 201
        walk = {
            "center_lat": 59.3375,
            "center_lon": 18.07,
            "radius_km": 0.6,
            "length_km": 2.0,
            "osm_file": "geodata/osm/stockholm-norrmalm.osm.bz2",
        }
        created = client.post("/api/workspaces/0180/walks", json=walk)
        assert created.status_code == 201, created.text
        finding = {"lat": 59.338, "lon": 18.07, "category": "belysning", "description": "Mörkt"}
        assert client.post("/api/walks/1/findings", json=finding).status_code == 201
        plan = {
            "count": 15,
            "radius_km": 3,
            "osm_file": "geodata/osm/oslo-east-2019.osm.pbf",
            "whole_file": True,
        }
        assert client.post("/api/workspaces/2321/plans", json=plan).status_code == 202
        for _ in range(600):
            if client.get("/api/plans/1").json()["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert client.get("/api/plans/1").json()["status"] == "done"
        start = (datetime.now(UTC) + timedelta(days=1)).date()
        body = {"count": 30, "start": str(start), "end": str(start + timedelta(days=180))}
        assert client.post("/api/plans/1/schedule", json=body).status_code == 201


def _open(browser, base: str, path: str, headers: dict[str, str] | None = None) -> Session:
    session = Session(browser, base, height=800, extra_http_headers=headers or {})
    session.open(path)
    return session


def test_start_page(server, browser):
    base, _ = server
    session = _open(browser, base, "/")
    page = session.page
    assert page.locator("select#kommun option").count() == 290
    page.select_option("select#kommun", "2321")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/kommun/2321")
    assert "Trafikkontroll" in page.content()
    session.assert_clean()
    session.close()


def test_public_map_renders_its_layers_offline(server, browser):
    base, _ = server
    session = _open(browser, base, "/kommun/2321/karta")
    page = session.page
    page.wait_for_selector(".leaflet-container")
    # Boundary + hexagon + settlement circles are SVG paths in Leaflet's overlay pane.
    assert page.locator(".leaflet-overlay-pane path").count() >= 4
    assert page.locator(".leaflet-control-layers").count() == 1
    shot = screenshot(page, SCREENS, "publik-karta", full_page=False)
    _assert_not_blank(shot)
    session.assert_clean()
    session.close()


def test_walk_and_findings_maps_render(server, browser):
    base, headers = server
    for path, min_paths in (("/api/walks/1/karta", 2), ("/api/walks/1/findings/karta", 2)):
        session = _open(browser, base, path, headers)
        page = session.page
        page.wait_for_selector(".leaflet-container")
        assert page.locator(".leaflet-overlay-pane path").count() >= min_paths
        shot = screenshot(page, SCREENS, path.strip("/").replace("/", "-"), full_page=False)
        _assert_not_blank(shot)
        session.assert_clean(path)
        session.close()


def test_planner_pages_refuse_the_public(server, browser):
    base, _ = server
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(base + "/api/walks/1/karta")
    assert response is not None and response.status == 401
    context.close()


def _assert_not_blank(path: Path) -> None:
    from PIL import Image

    image = Image.open(path).convert("L")
    low, high = image.getextrema()
    assert image.size[0] >= 800 and high - low > 50  # drawn, not a blank page


def test_planner_signs_in_and_sees_map_and_schedule(server, browser):
    base, _ = server
    session = _open(browser, base, "/planering/1")
    page = session.page
    assert "/logga-in" in page.url  # not signed in: the form
    page.fill("input[name=username]", "planerare")
    page.fill("input[name=password]", "hemligt-lösen")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/arbetsyta/plan/1")  # the old address leads to the workplace
    assert page.locator("table.sites tbody tr").count() == 15
    assert page.locator("table.schedule tbody tr").count() == 30
    frame = page.frame_locator("iframe.map")
    frame.locator(".leaflet-container").wait_for()
    # Roads and sites are drawn on a canvas (many features); count Leaflet's layers instead.
    assert frame.locator(".leaflet-overlay-pane canvas").count() >= 1
    layers = page.frames[1].evaluate(
        "Object.keys(window).filter(k => k.startsWith('map_'))"
        ".map(k => Object.keys(window[k]._layers).length)[0]"
    )
    assert layers >= 15 + 2  # the sites plus the covered and uncovered road layers
    shot = screenshot(page, SCREENS, "planering")
    _assert_not_blank(shot)
    session.assert_clean()
    session.close()
