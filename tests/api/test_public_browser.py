"""Public pages in headless Chromium at 1400 px and 400 px, offline, with an axe-core audit.

Debian's ``chromium`` driven by Playwright; every request that leaves the loopback is aborted
and counted. Screenshots are kept in ``artifacts/publika-sidor``.
axe-core is vendored from the npm registry in ``tests/vendor/axe-core``.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from service.api.app import create_app
from service.settings import Settings
from tests.browser import ARTIFACTS, Session, axe_violations, screenshot, serve
from tests.conftest import PROMISES, SHARED, planner_token

pytestmark = pytest.mark.slow
WIDTHS = (1400, 400)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("public-browser") / "loftesplan.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", shared_dir=SHARED))
    token = planner_token(app.state.engine, "planerare", "hemligt-lösen")
    with serve(app) as base:
        text = (PROMISES / "are.txt").read_text(encoding="utf-8")
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            created = client.post("/api/workspaces/Åre/promises", json={"text": text}, timeout=120)
            assert created.status_code == 201
        yield base, created.json()["id"]


@pytest.fixture(scope="module")
def screens() -> Path:
    folder = ARTIFACTS / "publika-sidor"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pages(promise_id: int) -> list[str]:
    return [
        "/",
        "/sverige",
        "/kommun/2321",
        "/kommun/2321/karta",
        f"/kommun/2321/uppfoljning/{promise_id}",
    ]


def _visit(browser, base: str, path: str, width: int) -> Session:
    session = Session(browser, base, width=width)
    session.open(path)
    return session


@pytest.mark.parametrize("width", WIDTHS)
def test_public_pages_fit_offline_and_carry_legend_and_labels(server, browser, screens, width):
    base, promise_id = server
    for path in _pages(promise_id):
        session = _visit(browser, base, path, width)
        page = session.page
        if path.endswith("/karta"):
            page.wait_for_selector(".leaflet-container")
            labels = page.locator(".lp-label").all_inner_texts()
            assert {"Åre", "Järpen", "Undersåker"} <= set(labels), labels
            assert page.locator(".lp-legend li").count() >= 4
            # Click, not hover, opens a settlement's details.
            page.locator(".leaflet-interactive").first.click(force=True)
            assert page.locator(".leaflet-popup-content").count() == 1
        if path == "/sverige":
            assert page.locator("svg.choropleth path").count() == 290
            assert page.locator(".lp-legend li").count() >= 3
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        name = path.strip("/").replace("/", "-") or "start"
        screenshot(page, screens, f"{name}-{width}", full_page=width == 400)
        assert overflow <= 0, (path, width, overflow)
        session.assert_clean(path)
        session.close()


def test_public_pages_pass_axe_serious_and_critical(server, browser):
    base, promise_id = server
    report = {}
    for path in _pages(promise_id):
        for width in WIDTHS:
            session = _visit(browser, base, path, width)
            bad = axe_violations(session.page)
            if bad:
                report[f"{path} @ {width}px"] = bad
            session.close()
    assert not report, report


def test_start_page_lists_all_290_by_name_with_a_search_box(server, browser):
    base, _ = server
    session = _visit(browser, base, "/", 400)
    page = session.page
    options = page.locator("select#kommun option").all_inner_texts()
    assert len(options) == 290
    assert options[0].startswith("Ale kommun") and options[-1].startswith("Övertorneå kommun")
    assert "Region Gotland (Gotlands län)" in options
    page.fill("#sok", "strömsund")
    assert page.locator("select#kommun option").all_inner_texts() == [
        "Strömsunds kommun (Jämtlands län)"
    ]
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/kommun/2313")
    assert page.locator("h1").inner_text() == "Strömsunds kommun"
    session.close()


def test_report_prints_on_a4_without_cut_tables(server, browser, screens):
    base, promise_id = server
    # A4 at 96 dpi less the report's 16 mm margins: 178 mm of line, about 673 px.
    session = _visit(browser, base, f"/kommun/2321/uppfoljning/{promise_id}", 673)
    page = session.page
    page.emulate_media(media="print")
    widest = page.evaluate(
        "Math.max(...Array.from(document.querySelectorAll('table'))"
        ".map(t => t.getBoundingClientRect().right))"
    )
    assert widest <= 673, widest
    assert page.evaluate("document.documentElement.scrollWidth") <= 673
    assert page.locator("header.site").is_hidden()  # no page chrome on paper
    pdf = screens / "uppfoljning-A4.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    width_pt, height_pt = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert round(width_pt) == 595 and round(height_pt) == 842  # A4
    text = "".join(p.extract_text() for p in reader.pages)
    for needed in ("Uppföljning av medborgarlöfte", "1 januari 2017", "Källa: Polisen"):
        assert needed in text, needed
    session.assert_clean()
    session.close()
