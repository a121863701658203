"""Public pages in headless Chromium at 1400 px and 400 px, offline, with an axe-core audit.

Debian's ``chromium`` driven by Playwright; every request that leaves the loopback is aborted
and counted. Screenshots are kept under pytest's basetemp (``public-screens``) as artefacts.
axe-core is vendored from the npm registry in ``tests/vendor/axe-core``.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from service.api.app import create_app
from service.settings import Settings
from tests.conftest import PROMISES, SHARED, planner_token

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
pytestmark = pytest.mark.slow
WIDTHS = (1400, 400)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("public-browser") / "loftesplan.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", shared_dir=SHARED))
    token = planner_token(app.state.engine, "planerare", "hemligt-lösen")
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if uv.started:
            break
        time.sleep(0.1)
    base = f"http://127.0.0.1:{port}"
    text = (PROMISES / "are.txt").read_text(encoding="utf-8")
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        created = client.post("/api/workspaces/Åre/promises", json={"text": text}, timeout=120)
        assert created.status_code == 201
    yield base, created.json()["id"]
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is required for the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("public-screens")


def _pages(promise_id: int) -> list[str]:
    return [
        "/",
        "/sverige",
        "/kommun/2321",
        "/kommun/2321/karta",
        f"/kommun/2321/uppfoljning/{promise_id}",
    ]


def _visit(browser, base: str, path: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def guard(route) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    response = page.goto(base + path, wait_until="networkidle")
    assert response is not None and response.status == 200, path
    return context, page, errors, outside


@pytest.mark.parametrize("width", WIDTHS)
def test_public_pages_fit_offline_and_carry_legend_and_labels(server, browser, screens, width):
    base, promise_id = server
    for path in _pages(promise_id):
        context, page, errors, outside = _visit(browser, base, path, width)
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
        page.screenshot(path=str(screens / f"{name}-{width}.png"), full_page=width == 400)
        assert overflow <= 0, (path, width, overflow)
        assert not errors, (path, errors)
        assert not outside, (path, outside)
        context.close()


def test_public_pages_pass_axe_serious_and_critical(server, browser):
    base, promise_id = server
    source = AXE.read_text(encoding="utf-8")
    report = {}
    for path in _pages(promise_id):
        for width in WIDTHS:
            context, page, _errors, _outside = _visit(browser, base, path, width)
            page.add_script_tag(content=source)
            result = page.evaluate(
                "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
                " return r.violations.map(v => ({id: v.id, impact: v.impact,"
                " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
            )
            bad = [v for v in result if v["impact"] in ("serious", "critical")]
            if bad:
                report[f"{path} @ {width}px"] = bad
            context.close()
    assert not report, json.dumps(report, ensure_ascii=False, indent=1)


def test_start_page_lists_all_290_by_name_with_a_search_box(server, browser):
    base, _ = server
    context, page, _errors, _outside = _visit(browser, base, "/", 400)
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
    context.close()


def test_report_prints_on_a4_without_cut_tables(server, browser, screens):
    base, promise_id = server
    # A4 at 96 dpi less the report's 16 mm margins: 178 mm of line, about 673 px.
    context, page, errors, outside = _visit(
        browser, base, f"/kommun/2321/uppfoljning/{promise_id}", 673
    )
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
    assert not errors and not outside
    context.close()
