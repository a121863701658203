"""The municipality officer's walk in headless Chromium, on real data (Stockholm extract).

The officer signs in, plans a 2.5 km walk around a point picked on the map, opens the route
page and its GPX, then on a 400 px phone records two findings with a real photo each: one
online from the phone's position, one while the page is offline (tap on the map), which is
queued and sent when the phone is back online. The follow-up list then shows both with their
photos. Bad input in every form gives a Swedish message beside the field. A police plan with
a schedule exists in the same municipality: no page or response the officer gets may carry
its planned sites or times. Every page passes axe-core (no serious or critical violation);
no console error, no request off the loopback. Screenshots go to ``artifacts/vandring``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import time
from datetime import date, timedelta

import gpxpy
import httpx
import pytest
from PIL import Image

from service.api.app import create_app
from service.settings import Settings
from tests import browser as harness
from tests.api.test_workplace_walks import CENTRE, FAR, STOCKHOLM_FILE, photo
from tests.browser import Session, screenshot, serve
from tests.conftest import SHARED, planner_token

ARTIFACTS = harness.ARTIFACTS / "vandring"
pytestmark = pytest.mark.slow
PHONE = 400


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("vandring-browser")
    settings = Settings(
        database_url=f"sqlite:///{base / 'loftesplan.db'}",
        data_dir=base / "data",
        shared_dir=SHARED,
        offline=True,
    )
    app = create_app(settings)
    engine = app.state.engine
    kommun = planner_token(engine, "kommunen", "kommunens-losen", ("kommun",), ("0180",))
    polis = planner_token(engine, "polisen", "polisens-losen", ("polis",), ("0180",))
    with serve(app) as url:
        secrets = _police_plan(url, {"Authorization": f"Bearer {polis}"})
        yield url, {"Authorization": f"Bearer {kommun}"}, secrets


def _police_plan(url: str, polis: dict[str, str]) -> dict[str, object]:
    """A police checkpoint plan with a schedule in Stockholm: what must stay secret."""
    plan = {"count": 3, "radius_km": 1, "osm_file": STOCKHOLM_FILE, "whole_file": True}
    with httpx.Client(base_url=url, headers=polis, timeout=120) as client:
        plan_id = client.post("/api/workspaces/0180/plans", json=plan).json()["id"]
        for _ in range(900):
            if client.get(f"/api/plans/{plan_id}").json()["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        today = date.today()
        period = {"count": 6, "start": str(today), "end": str(today + timedelta(days=60))}
        assert client.post(f"/api/plans/{plan_id}/schedule", json=period).status_code == 201
        sites = client.get(f"/api/plans/{plan_id}/sites.geojson").json()["features"]
        events = client.get(f"/api/plans/{plan_id}/schedule").json()
    items = events if isinstance(events, list) else events["events"]
    assert len(sites) == 3 and len(items) == 6
    return {
        "sites": [tuple(f["geometry"]["coordinates"]) for f in sites],
        "times": [str(e["start"])[:16] for e in items],
    }


class Officer(Session):
    """The harness's browser session, also keeping every text response it got."""

    def __init__(self, browser, base: str, width: int, **context) -> None:
        # A phone (``context`` with position and permission) has a 860 px high viewport.
        height = 860 if context else 900
        super().__init__(browser, base, width, height, folder=ARTIFACTS, **context)
        self.page.set_default_timeout(20_000)
        self.bodies: list[tuple[str, str]] = []
        self.page.on("response", self._keep)

    def _keep(self, response) -> None:
        kind = response.headers.get("content-type", "")
        if any(t in kind for t in ("html", "json", "csv", "text/plain", "gpx", "xml")):
            # A redirect or an aborted response has no body.
            with contextlib.suppress(Exception):
                self.bodies.append((response.url, response.text()))


def _map_click(page, map_id: str, lat: float, lon: float) -> None:
    """Bring ``lat, lon`` into view and tap the map there (as a finger or mouse would).

    The page pans to the phone's position with an animation, so the spot is first brought to
    the map's centre, as a user drags the map before tapping; otherwise it can lie outside the
    map's box and the tap lands on the form below.
    """
    x, y = page.evaluate(
        "([lat, lon]) => { Vandring.map.stop(); Vandring.map.panTo([lat, lon], {animate: false});"
        " const p = Vandring.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )
    page.locator(f"#{map_id}").click(position={"x": x, "y": y})


def _beside(page, field: str) -> str:
    alert = page.locator(f"#fel-{field}")
    alert.wait_for(state="visible")
    return alert.inner_text()


def _file(name: str, kind: str, data: bytes) -> dict[str, object]:
    return {"name": name, "mimeType": kind, "buffer": data}


def _assert_no_secrets(officer: Officer, secrets: dict, route: list) -> None:
    on_route = {(round(lat, 5), round(lon, 5)) for lon, lat in route}
    needles = list(secrets["times"])
    for lon, lat in secrets["sites"]:
        if (round(lat, 5), round(lon, 5)) not in on_route:
            needles += [f"[{lon}, {lat}]", str(lat), f"{lat:.5f}".replace(".", ",")]
    assert officer.bodies
    for url, body in officer.bodies:
        leaked = [n for n in needles if n in body]
        assert not leaked, (url, leaked)


def test_officer_plans_a_walk_and_records_findings_on_a_phone(server, browser, tmp_path):
    base, kommun, secrets = server
    desk = Officer(browser, base, 1200)
    desk.sign_in("kommunen", "kommunens-losen")
    header = desk.page.inner_text("header")
    assert "kommunen" in header and "kommun" in header and "Logga ut" in header
    desk.page.click("a[href='/arbetsyta/0180/vandringar/ny']")
    desk.page.wait_for_selector("#valj-karta .leaflet-interactive")
    # Empty form: a Swedish message beside the place field, no walk planned.
    desk.page.fill("#langd", "")
    desk.page.click("#planera")
    assert "Välj en tätort" in _beside(desk.page, "ort")
    assert "Ange vandringens längd" in _beside(desk.page, "langd")
    desk.check("01-vandring-form-fel")
    desk.page.fill("#osm_fil", "../../etc/passwd")
    desk.page.fill("#langd", "2,5")
    desk.page.click("#planera")
    assert "finns inte i tjänstens datakatalog" in _beside(desk.page, "osm_fil")
    # Pick the point on the map, zoomed in on Norrmalm.
    desk.page.evaluate("([lat, lon]) => Vandring.map.setView([lat, lon], 15)", list(CENTRE))
    _map_click(desk.page, "valj-karta", *CENTRE)
    picked = float(desk.page.input_value("#lat")), float(desk.page.input_value("#lon"))
    assert abs(picked[0] - CENTRE[0]) < 0.0005 and abs(picked[1] - CENTRE[1]) < 0.0005
    desk.page.fill("#namn", "Kvällsvandring Norrmalm")
    desk.page.fill("#radie", "0,8")
    desk.page.fill("#langd", "2,5")
    desk.page.select_option("#syfte", "belysning")
    desk.page.fill("#osm_fil", STOCKHOLM_FILE)
    started = time.perf_counter()
    desk.page.click("#planera", no_wait_after=True)
    desk.page.wait_for_url(re.compile(r".*/arbetsyta/vandring/\d+$"), timeout=240_000)
    planning_s = time.perf_counter() - started
    walk_id = int(desk.page.url.rsplit("/", 1)[1])
    length = re.search(r"(\d+,\d) km", desk.page.inner_text("main")).group(1)
    assert 2.0 <= float(length.replace(",", ".")) <= 3.0, length
    stops = desk.page.locator("table tbody tr").count()
    assert stops >= 3
    assert desk.page.locator(".stop-nr").count() == stops
    desk.check("02-vandring-slinga")
    gpx = gpxpy.parse(desk.download("GPX för GPS-appar", tmp_path).read_text(encoding="utf-8"))
    assert gpx.tracks and len(gpx.waypoints) >= stops
    with httpx.Client(base_url=base, headers=kommun, timeout=60) as api:
        walk = api.get(f"/api/walks/{walk_id}").json()
        assert api.get(f"/api/walks/{walk_id}/protokoll").status_code == 200

    first_spot = walk["stops"][1]["lat"], walk["stops"][1]["lon"]
    second_spot = walk["stops"][-2]["lat"], walk["stops"][-2]["lon"]
    phone = Officer(
        browser,
        base,
        PHONE,
        geolocation={"latitude": FAR[0], "longitude": FAR[1]},
        permissions=["geolocation"],
        is_mobile=True,
        has_touch=True,
    )
    phone.sign_in("kommunen", "kommunens-losen")
    phone.page.goto(f"{base}/vandring/{walk_id}/fynd")
    phone.page.wait_for_selector("#fynd-karta .leaflet-interactive")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE, width
    # Empty: three messages beside the fields, checked in the phone before anything is sent.
    phone.page.click("#spara")
    assert "Ange var fyndet finns" in _beside(phone.page, "position")
    assert "Välj en kategori" in _beside(phone.page, "category")
    assert "kort beskrivning" in _beside(phone.page, "description")
    phone.check("03-fynd-tomt-400")
    # Far from the route (the phone is in Södermalm): refused by the service.
    phone.page.click("#min-position")
    phone.page.wait_for_function("document.getElementById('lat').value !== ''")
    phone.page.select_option("#category", "belysning")
    phone.page.fill("#description", "Trasig gatlampa")
    phone.page.click("#spara")
    assert "km från vandringens slinga" in _beside(phone.page, "position")
    # A "photo" that is not an image, and one over 10 MB.
    phone.context.set_geolocation({"latitude": first_spot[0], "longitude": first_spot[1]})
    phone.page.click("#min-position")
    phone.page.wait_for_function(
        f"Math.abs(document.getElementById('lat').value - {first_spot[0]}) < 1e-5"
    )
    fake = _file("lampa.jpg", "image/jpeg", b"%PDF-1.4 inte en bild")
    phone.page.set_input_files("#photos", [fake])
    phone.page.click("#spara")
    assert "inte en bild" in _beside(phone.page, "photos")
    huge = _file("stor.jpg", "image/jpeg", photo() + b"\0" * (11 * 1024 * 1024))
    phone.page.set_input_files("#photos", [huge])
    phone.page.click("#spara")
    assert "högst 10 MB" in _beside(phone.page, "photos")
    # Finding 1, online, from the phone's position, with a JPEG.
    phone.page.set_input_files("#photos", [_file("lampa.jpg", "image/jpeg", photo("JPEG"))])
    phone.page.click("#spara")
    phone.page.wait_for_selector("#svar:has-text('Fyndet är sparat')")
    assert phone.page.inner_text("#antal-sparade") == "1"
    assert phone.page.locator("#fel-position").is_hidden()
    phone.check("04-fynd-sparat-400")
    # Finding 2, offline: a tap on the map, a PNG; queued, then sent when back online.
    phone.context.set_offline(True)
    phone.page.wait_for_selector("#natlage", state="visible")
    _map_click(phone.page, "fynd-karta", *second_spot)
    phone.page.select_option("#category", "vegetation och sikt")
    phone.page.fill("#description", "Buskar skymmer gångvägen")
    phone.page.set_input_files("#photos", [_file("buskar.png", "image/png", photo("PNG"))])
    phone.page.click("#spara")
    phone.page.wait_for_selector("#ko li.koad")
    assert "ligger i kö" in phone.page.inner_text("#svar")
    screenshot(phone.page, ARTIFACTS, "05-fynd-i-ko-400")
    with httpx.Client(base_url=base, headers=kommun, timeout=60) as api:
        assert len(api.get(f"/api/walks/{walk_id}/findings").json()) == 1
    phone.context.set_offline(False)
    phone.page.wait_for_selector("#ko li.tom")
    assert "skickat och sparat" in phone.page.inner_text("#svar")
    with httpx.Client(base_url=base, headers=kommun, timeout=60) as api:
        stored = api.get(f"/api/walks/{walk_id}/findings").json()
    assert sorted(f["category"] for f in stored) == ["belysning", "vegetation och sikt"]
    phone.page.reload()
    assert phone.page.locator("#sparade li").count() == 2
    phone.check("06-fynd-efter-uppkoppling-400")

    # The follow-up list: both findings with their photos; set owner, deadline, status; CSV.
    desk.page.goto(f"{base}/arbetsyta/0180/fynd")
    assert desk.page.locator("article.finding").count() == 2
    images = desk.page.locator("article.finding img")
    assert images.count() == 2
    for i in range(2):
        images.nth(i).scroll_into_view_if_needed()
        desk.page.wait_for_function(
            "(i) => document.querySelectorAll('article.finding img')[i].naturalWidth > 0", arg=i
        )
    finding = stored[0]["id"]
    deadline = str(date.today() + timedelta(days=21))
    desk.page.select_option(f"#ansvarig-{finding}", "fastighetsägare")
    desk.page.fill(f"#senast-{finding}", deadline)
    desk.page.select_option(f"#status-{finding}", "planerad")
    desk.page.click(f"#fynd-{finding} button[type=submit]")
    desk.page.wait_for_url(re.compile(rf".*#fynd-{finding}$"))
    desk.page.select_option("#f-status", "planerad")
    desk.page.click(".filters button[type=submit]")
    assert desk.page.locator("article.finding").count() == 1
    desk.check("07-fynd-lista")
    exported = desk.download("Ladda ner CSV (Excel)", tmp_path)
    rows = list(csv.DictReader(io.StringIO(exported.read_text("utf-8-sig")), delimiter=";"))
    assert [(r["Fynd"], r["Status"], r["Senast klart"]) for r in rows] == [
        (str(finding), "Planerad", deadline)
    ]
    served = Image.open(
        io.BytesIO(httpx.get(f"{base}/arbetsyta/fynd/{finding}/foto/1", headers=kommun).content)
    )
    assert served.format in ("JPEG", "PNG") and not dict(served.getexif())

    seen = {url.split("?")[0].removeprefix(base) for o in (desk, phone) for url, _ in o.bodies}
    wanted = {"/arbetsyta", "/arbetsyta/0180/vandringar/ny", f"/arbetsyta/vandring/{walk_id}",
              f"/vandring/{walk_id}/fynd", "/arbetsyta/0180/fynd"}  # fmt: skip
    assert wanted <= seen, wanted - seen
    for officer in (desk, phone):
        _assert_no_secrets(officer, secrets, walk["route"])
        assert not officer.errors and not officer.outside
    print(f"walk planned in {planning_s:.1f} s; {len(desk.bodies) + len(phone.bodies)} responses")
