"""The officer's walk pages on a real walk (Stockholm Norrmalm extract): form, route page,
phone findings with real photos (EXIF stripped unless agreed, HEIC converted), the follow-up
list with filters and CSV, roles, and that no planned checkpoint site or time reaches them.
"""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image

from service.api.app import create_app
from service.settings import Settings
from tests.conftest import SHARED, planner_token

STOCKHOLM_FILE = "geodata/osm/stockholm-norrmalm.osm.bz2"
#: A point in Norrmalm (Humlegården's south-west corner); the walk is planned around it.
CENTRE = (59.3375, 18.07)
#: Three kilometres south of the centre: in Södermalm, far from any Norrmalm walk.
FAR = (59.3105, 18.07)


def photo(kind: str = "JPEG", size: tuple[int, int] = (320, 240), exif: bool = True) -> bytes:
    """A real image made here, with camera, owner and GPS EXIF when asked."""
    image = Image.new("RGB", size, (40, 90, 160))
    for x in range(0, size[0], 16):  # some structure, so it is not one flat colour
        image.paste((230, 200, 40), (x, 0, x + 4, size[1]))
    out = io.BytesIO()
    options = {}
    if exif:
        tags = Image.Exif()
        tags[ExifTags.Base.Make] = "Testkamera"
        tags[ExifTags.Base.Artist] = "Anna Andersson"
        tags[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (59.0, 20.0, 15.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (18.0, 4.0, 12.0),
        }
        options["exif"] = tags
    if kind == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    image.save(out, kind, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def app_dirs(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("walkpages")
    settings = Settings(
        database_url=f"sqlite:///{base / 'loftesplan.db'}",
        data_dir=base / "data",
        shared_dir=SHARED,
        offline=True,
    )
    return TestClient(create_app(settings)), base / "data"


@pytest.fixture(scope="module")
def client(app_dirs) -> TestClient:
    return app_dirs[0]


@pytest.fixture(scope="module")
def users(client) -> dict[str, dict[str, str]]:
    engine = client.app.state.engine
    tokens = {
        "kommun": planner_token(engine, "kommunhandlaggare", roles=("kommun",), kommuner=("0180",)),
        "läsare": planner_token(engine, "lasaren", roles=("läsare",), kommuner=("0180",)),
        "polis": planner_token(engine, "polisplanerare", roles=("polis",), kommuner=("0180",)),
    }
    return {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}


@pytest.fixture(scope="module")
def walk_id(client, users) -> int:
    form = {
        "namn": "Kvällsvandring Norrmalm",
        "lat": str(CENTRE[0]).replace(".", ","),
        "lon": str(CENTRE[1]),
        "radie": "0,8",
        "langd": "2,5",
        "enhet": "km",
        "syfte": "belysning",
        "osm_fil": STOCKHOLM_FILE,
    }
    made = client.post(
        "/arbetsyta/0180/vandringar/ny", data=form, headers=users["kommun"], follow_redirects=False
    )
    assert made.status_code == 303, made.text[:2000]
    return int(made.headers["location"].rsplit("/", 1)[1])


def route_point(client, users, walk_id: int) -> tuple[float, float]:
    """A point on the walk's route (the third stop)."""
    walk = client.get(f"/api/walks/{walk_id}", headers=users["kommun"]).json()
    stop = walk["stops"][2]
    return stop["lat"], stop["lon"]


def post_finding(client, headers, walk_id, point, files=(), json=True, **fields):
    data = {"lat": str(point[0]), "lon": str(point[1]), "category": "belysning"}
    data |= {"description": "Trasig lampa vid gångvägen"} | fields
    upload = [("photos", f) for f in files]
    extra = {"Accept": "application/json"} if json else {}
    return client.post(
        f"/vandring/{walk_id}/fynd", data=data, files=upload or None, headers=headers | extra
    )


def test_walk_form_plans_a_walk_of_the_asked_length_with_its_route_page(client, users, walk_id):
    form = client.get("/arbetsyta/0180/vandringar/ny", headers=users["kommun"])
    assert form.status_code == 200
    assert "Krogmiljö" in form.text and "Skolväg" in form.text  # purposes from the presets
    walk = client.get(f"/api/walks/{walk_id}", headers=users["kommun"]).json()
    assert walk["name"] == "Kvällsvandring Norrmalm"
    assert 2.0 <= walk["length_km"] <= 3.0, walk["length_km"]
    assert walk["purpose"] == "belysning"
    page = client.get(f"/arbetsyta/vandring/{walk_id}", headers=users["kommun"])
    assert page.status_code == 200
    assert "Logga ut" in page.text and "kommunhandlaggare" in page.text
    for link in ("walk.gpx", "protokoll", f"/vandring/{walk_id}/fynd"):
        assert link in page.text
    rows = re.findall(r"<tr><td class=\"num\">(\d+)</td>", page.text)
    assert [int(r) for r in rows] == list(range(1, len(walk["stops"]) + 1))
    gpx = client.get(f"/api/walks/{walk_id}/walk.gpx", headers=users["kommun"])
    assert gpx.status_code == 200 and "<trkpt" in gpx.text


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({}, "ort", "Välj en tätort"),
        ({"lat": "59,33", "lon": "öst"}, "punkt", "decimalgrader"),
        ({"ort": "Stockholm", "langd": "lång"}, "langd", "ska vara ett tal"),
        ({"ort": "Stockholm", "langd": ""}, "langd", "Ange vandringens längd"),
        ({"ort": "Stockholm", "syfte": "picknick"}, "syfte", "Okänt syfte"),
        ({"ort": "Stockholm", "osm_fil": "../../etc/passwd"}, "osm_fil", "finns inte"),
        ({"ort": "Stockholm", "langd": "40"}, "langd", "km"),
        ({"ort": "Stockholm", "langd": "600", "enhet": "min"}, "langd", "km"),
        ({"ort": "Stockholm", "langd": "2", "enhet": "mil"}, "langd", "Välj km eller minuter"),
        ({"ort": "Ingenstans by", "osm_fil": STOCKHOLM_FILE}, "ort", "Ingenstans"),
    ],
)
def test_walk_form_bad_input_gives_a_swedish_message_beside_the_field(
    client, users, form, field, words
):
    data = {"langd": "2,5", "enhet": "km", "syfte": "allmän"} | form
    answer = client.post("/arbetsyta/0180/vandringar/ny", data=data, headers=users["kommun"])
    assert answer.status_code == 200, answer.text[:500]  # the form again, with the message
    message = re.search(
        rf'<span class="error" id="fel-{field}" +role="alert">([^<]+)</span>', answer.text
    )
    assert message, answer.text
    assert words in message.group(1)


def test_finding_photos_are_stripped_of_exif_unless_the_user_agrees(
    app_dirs, client, users, walk_id
):
    point = route_point(client, users, walk_id)
    files = [("lampa.jpg", photo("JPEG"), "image/jpeg"), ("skylt.png", photo("PNG"), "image/png")]
    plain = post_finding(client, users["kommun"], walk_id, point, files)
    assert plain.status_code == 201, plain.text
    assert plain.json()["photos"] == 2
    kept = post_finding(
        client,
        users["kommun"],
        walk_id,
        point,
        [("gps.jpg", photo("JPEG"), "image/jpeg")],
        keep_position="1",
        category="vegetation och sikt",
        description="Buskar skymmer",
    )
    assert kept.status_code == 201, kept.text
    stored = app_dirs[1] / "fynd"
    first = Image.open(stored / str(plain.json()["id"]) / "1.jpg")
    assert dict(first.getexif()) == {}  # no camera, owner or position
    second = Image.open(stored / str(plain.json()["id"]) / "2.png")
    assert second.format == "PNG" and dict(second.getexif()) == {}
    agreed = Image.open(stored / str(kept.json()["id"]) / "1.jpg").getexif()
    assert ExifTags.Base.Make not in agreed and ExifTags.Base.Artist not in agreed
    gps = agreed.get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N" and float(gps[ExifTags.GPS.GPSLatitude][0]) == 59
    served = client.get(f"/arbetsyta/fynd/{plain.json()['id']}/foto/2", headers=users["läsare"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"


def test_heic_photo_is_converted_to_jpeg(app_dirs, client, users, walk_id):
    point = route_point(client, users, walk_id)
    files = [("IMG_0001.HEIC", photo("HEIF", exif=False), "image/heic")]
    made = post_finding(client, users["kommun"], walk_id, point, files, category="klotter")
    assert made.status_code == 201, made.text
    stored = app_dirs[1] / "fynd" / str(made.json()["id"]) / "1.jpg"
    assert Image.open(stored).format == "JPEG"


@pytest.mark.parametrize(
    ("case", "field", "words"),
    [
        ("not_image", "photos", "inte en bild"),
        ("oversized", "photos", "högst 10 MB"),
        ("four_photos", "photos", "Högst 3 foton"),
        ("far", "position", "km från vandringens slinga"),
        ("no_position", "position", "Ange var fyndet finns"),
        ("empty_text", "description", "kort beskrivning"),
        ("no_category", "category", "Välj en kategori"),
    ],
)
def test_bad_findings_are_refused_in_swedish_beside_the_field(
    client, users, walk_id, case, field, words
):
    point = route_point(client, users, walk_id)
    files: list = []
    fields: dict[str, str] = {}
    if case == "not_image":
        files = [("lampa.jpg", b"%PDF-1.4 inte en bild", "image/jpeg")]
    elif case == "oversized":
        big = photo("PNG", size=(2600, 2600), exif=False) + b"\0" * (10 * 1024 * 1024)
        files = [("stor.png", big, "image/png")]
    elif case == "four_photos":
        files = [(f"{i}.jpg", photo(), "image/jpeg") for i in range(4)]
    elif case == "far":
        point = FAR
    elif case == "no_position":
        fields = {"lat": "", "lon": ""}
    elif case == "empty_text":
        fields = {"description": "   "}
    elif case == "no_category":
        fields = {"category": ""}
    before = client.get(f"/api/walks/{walk_id}/findings", headers=users["kommun"]).json()
    answer = post_finding(client, users["kommun"], walk_id, point, files, **fields)
    assert answer.status_code == 200, answer.text
    assert answer.json()["saved"] is False
    assert words in answer.json()["errors"][field]
    page = post_finding(client, users["kommun"], walk_id, point, files, json=False, **fields)
    assert page.status_code == 200
    beside = re.search(rf'id="fel-{field}" +role="alert">([^<]+)<', page.text)
    assert beside and words in beside.group(1)
    after = client.get(f"/api/walks/{walk_id}/findings", headers=users["kommun"]).json()
    assert len(after) == len(before)


def test_follow_up_list_filters_updates_and_exports_csv(client, users, walk_id):
    point = route_point(client, users, walk_id)
    made = post_finding(client, users["kommun"], walk_id, point, description="Mörk passage")
    finding = made.json()["id"]
    still_open = post_finding(client, users["kommun"], walk_id, point, category="klotter")
    assert still_open.json()["saved"] is True
    deadline = (date.today() + timedelta(days=30)).isoformat()
    update = {"ansvarig": "fastighetsägare", "senast": deadline, "status": "planerad"}
    done = client.post(
        f"/arbetsyta/fynd/{finding}",
        data=update | {"atgard": "Ny armatur"},
        headers=users["kommun"],
        follow_redirects=False,
    )
    assert done.status_code == 303
    listed = client.get("/arbetsyta/0180/fynd?status=planerad", headers=users["kommun"])
    assert listed.status_code == 200
    assert f'id="fynd-{finding}"' in listed.text and "Mörk passage" in listed.text
    assert listed.text.count('<article class="finding"') == 1
    others = client.get("/arbetsyta/0180/fynd?status=öppen", headers=users["kommun"])
    assert f'id="fynd-{finding}"' not in others.text
    assert f'id="fynd-{still_open.json()["id"]}"' in others.text
    exported = client.get(
        "/arbetsyta/0180/fynd.csv?ansvarig=fastighetsägare", headers=users["läsare"]
    )
    assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert [r["Fynd"] for r in rows] == [str(finding)]
    assert rows[0]["Status"] == "Planerad" and rows[0]["Senast klart"] == deadline
    assert rows[0]["Åtgärd"] == "Ny armatur" and "," in rows[0]["Latitud"]
    bad = client.post(
        f"/arbetsyta/fynd/{finding}", data=update | {"senast": "i morgon"}, headers=users["kommun"]
    )
    assert bad.status_code == 200
    assert re.search(rf'id="fel-senast-{finding}" role="alert">Ange datumet', bad.text)
    wrong = client.get("/arbetsyta/0180/fynd?status=borta", headers=users["kommun"])
    assert wrong.status_code == 200 and "Okänd status" in wrong.text


def stored_with_key(client, key: str) -> list[int]:
    """Ids of the finding rows that carry ``key`` (read from the database itself)."""
    from sqlmodel import Session, col, select

    from service.store.models import FindingRow

    with Session(client.app.state.engine) as session:
        rows = session.exec(select(FindingRow).where(col(FindingRow.idempotency_key) == key))
        return [r.id for r in rows]


def test_finding_resent_with_its_idempotency_key_is_stored_once(app_dirs, client, users, walk_id):
    """The phone's retry after a lost answer: same key, same finding, one row, one photo."""
    point = route_point(client, users, walk_id)
    before = client.get(f"/api/walks/{walk_id}/findings", headers=users["kommun"]).json()
    key = str(uuid.uuid4())
    keyed = users["kommun"] | {"Idempotency-Key": key}
    files = [("lampa.jpg", photo("JPEG"), "image/jpeg")]
    first = post_finding(client, keyed, walk_id, point, files, description="Mörk trappa")
    assert first.status_code == 201, first.text
    again = post_finding(client, keyed, walk_id, point, files, description="Mörk trappa")
    assert again.status_code == 200, again.text
    assert again.json()["saved"] is True
    assert again.json()["id"] == first.json()["id"] and again.json()["photos"] == 1
    assert stored_with_key(client, key) == [first.json()["id"]]
    assert [p.name for p in (app_dirs[1] / "fynd" / str(first.json()["id"])).iterdir()] == ["1.jpg"]
    other = post_finding(
        client, users["kommun"] | {"Idempotency-Key": str(uuid.uuid4())}, walk_id, point, files
    )
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    after = client.get(f"/api/walks/{walk_id}/findings", headers=users["kommun"]).json()
    assert len(after) == len(before) + 2

    # The API: 201 the first time, 200 with the same finding after.
    api_key = str(uuid.uuid4())
    body = {"lat": point[0], "lon": point[1], "category": "belysning", "description": "Mörkt"}
    sent = [
        client.post(
            f"/api/walks/{walk_id}/findings",
            json=body,
            headers=users["kommun"] | {"Idempotency-Key": api_key},
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [201, 200], sent[1].text
    assert sent[0].json() == sent[1].json()
    assert stored_with_key(client, api_key) == [sent[0].json()["id"]]
    plain = client.post(f"/api/walks/{walk_id}/findings", json=body, headers=users["kommun"])
    assert plain.status_code == 201 and plain.json()["idempotency_key"] is None
    bad = client.post(
        f"/api/walks/{walk_id}/findings",
        json=body,
        headers=users["kommun"] | {"Idempotency-Key": "nyckel med mellanslag"},
    )
    assert bad.status_code == 422 and "Idempotency-Key ska vara" in bad.json()["detail"]


def test_idempotency_key_of_another_walk_or_workspace_is_refused(client, users, walk_id):
    """A key used on one walk is refused on another, naming neither walk nor finding."""
    point = route_point(client, users, walk_id)
    key = str(uuid.uuid4())
    keyed = users["kommun"] | {"Idempotency-Key": key}
    first = post_finding(client, keyed, walk_id, point)
    assert first.status_code == 201, first.text
    second_walk = client.post(
        "/api/workspaces/0180/walks",
        json={
            "center_lat": CENTRE[0],
            "center_lon": CENTRE[1],
            "radius_km": 0.6,
            "length_km": 1.5,
            "osm_file": STOCKHOLM_FILE,
        },
        headers=users["kommun"],
    )
    assert second_walk.status_code == 201, second_walk.text
    other_id = second_walk.json()["id"]
    other_point = route_point(client, users, other_id)
    for refused in (
        post_finding(client, keyed, other_id, other_point),
        client.post(
            f"/api/walks/{other_id}/findings",
            json={
                "lat": other_point[0],
                "lon": other_point[1],
                "category": "belysning",
                "description": "Mörkt",
            },
            headers=keyed,
        ),
    ):
        assert refused.status_code == 409, refused.text
        detail = refused.json()["detail"]
        assert "redan använts för ett annat fynd" in detail
        assert str(first.json()["id"]) not in detail and str(walk_id) not in detail
    # A user of another kommun reaches neither the walk nor the finding (the role check).
    outsider = planner_token(
        client.app.state.engine, "utomstaende", roles=("kommun",), kommuner=("2321",)
    )
    stranger = post_finding(
        client, {"Authorization": f"Bearer {outsider}", "Idempotency-Key": key}, walk_id, point
    )
    assert stranger.status_code == 404 and str(first.json()["id"]) not in stranger.text
    assert stored_with_key(client, key) == [first.json()["id"]]
    assert client.get(f"/api/walks/{other_id}/findings", headers=users["kommun"]).json() == []


def test_reader_reads_but_cannot_write(client, users, walk_id):
    assert client.get(f"/vandring/{walk_id}/fynd", headers=users["läsare"]).status_code == 200
    assert (
        'id="fynd-form"'
        not in client.get(f"/vandring/{walk_id}/fynd", headers=users["läsare"]).text
    )
    refused = post_finding(client, users["läsare"], walk_id, route_point(client, users, walk_id))
    assert refused.status_code == 403 and "roll" in refused.json()["detail"]
    form = client.get("/arbetsyta/0180/vandringar/ny", headers=users["läsare"])
    assert form.status_code == 403
    assert client.get(f"/vandring/{walk_id}/fynd").status_code == 401


def test_no_planned_checkpoint_site_or_time_reaches_the_officer(client, users, walk_id):
    plan = {"count": 3, "radius_km": 1, "osm_file": STOCKHOLM_FILE, "whole_file": True}
    started = client.post("/api/workspaces/0180/plans", json=plan, headers=users["polis"])
    assert started.status_code == 202, started.text
    plan_id = started.json()["id"]
    for _ in range(900):
        state = client.get(f"/api/plans/{plan_id}", headers=users["polis"]).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert state["status"] == "done", state
    today = date.today()
    schedule = {
        "count": 6,
        "start": today.isoformat(),
        "end": (today + timedelta(days=60)).isoformat(),
    }
    assert (
        client.post(
            f"/api/plans/{plan_id}/schedule", json=schedule, headers=users["polis"]
        ).status_code
        == 201
    )
    sites = client.get(f"/api/plans/{plan_id}/sites.geojson", headers=users["polis"]).json()
    events = client.get(f"/api/plans/{plan_id}/schedule", headers=users["polis"]).json()
    walk = client.get(f"/api/walks/{walk_id}", headers=users["kommun"]).json()
    on_route = {(round(lat, 5), round(lon, 5)) for lon, lat in walk["route"]}
    secrets: set[str] = set()
    for feature in sites["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        if (round(lat, 5), round(lon, 5)) in on_route:
            continue  # a site on the walk's own route is the route, not a leak
        secrets |= {f"[{lon}, {lat}]", f"{lat}", f"{lon}"}
        secrets.add(f"{lat:.5f}, {lon:.5f}".replace(".", ","))
    items = events if isinstance(events, list) else events.get("events", [])
    assert items
    for event in items:
        secrets.add(str(event["start"])[:16])
    paths = [
        "/arbetsyta/0180/vandringar/ny", f"/arbetsyta/vandring/{walk_id}", "/arbetsyta/0180/fynd",
        "/arbetsyta/0180/fynd.csv", f"/vandring/{walk_id}/fynd", f"/api/walks/{walk_id}",
    ]  # fmt: skip
    for path in paths:
        answer = client.get(path, headers=users["kommun"])
        assert answer.status_code == 200, path
        leaked = [s for s in secrets if s in answer.text]
        assert not leaked, (path, leaked)
    assert client.get(f"/api/plans/{plan_id}", headers=users["kommun"]).status_code == 403
