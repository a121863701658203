"""Every HTML file the CLI writes works with no network: assets inlined, layers drawn."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.render.maps.assets import external_assets
from tests.conftest import OSLO, STOCKHOLM

CHROMIUM = "/usr/bin/chromium"

#: One run of each CLI command that writes a map: (name, arguments before --map).
MAP_COMMANDS = [
    ("checkpoints", ["checkpoints", "--osm-file", str(OSLO), "--count", "3", "--radius-km", "2"]),
    (
        "walk",
        [
            "walk",
            "--osm-file",
            str(STOCKHOLM),
            "--center",
            "59.3365,18.0700",
            "--radius-km",
            "0,6",
            "--length-km",
            "1,5",
        ],
    ),
    ("round", ["round", "venue", "--osm-file", str(STOCKHOLM), "--max-places", "4"]),
]

_REMOTE_ASSET = re.compile(
    r"""<script[^>]+src=["']https?://|<link[^>]+href=["']https?://[^"']*["'][^>]*stylesheet"""
    r"""|<link[^>]+stylesheet[^>]+href=["']https?://""",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def map_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from geodata.settings import use_settings
    from service.settings import Settings

    base = tmp_path_factory.mktemp("maps")
    files = {}
    with use_settings(Settings(cache_dir=base / "cache", data_dir=base / "data", offline=True)):
        for name, args in MAP_COMMANDS:
            path = base / f"{name}.html"
            result = CliRunner().invoke(app, [*args, "--map", str(path)])
            assert result.exit_code == 0, result.output
            files[name] = path
    return files


@pytest.mark.parametrize("name", [n for n, _ in MAP_COMMANDS])
def test_no_remote_script_or_stylesheet(map_files: dict[str, Path], name: str) -> None:
    html = map_files[name].read_text(encoding="utf-8")
    assert external_assets(html) == []
    assert not _REMOTE_ASSET.search(html)
    assert "L.map(" in html and "leaflet" in html.lower()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is required for the browser tests")
        pytest.skip("Debian's chromium is required for the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.mark.parametrize("name", [n for n, _ in MAP_COMMANDS])
def test_map_draws_its_layers_with_the_network_off(
    map_files: dict[str, Path], browser, name: str
) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 700}, offline=True)
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def guard(route) -> None:
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page.goto(map_files[name].as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-container", timeout=20_000)
    # Vector layers (roads, sites, routes) are SVG paths or canvas; markers are icons.
    drawn = page.locator("path.leaflet-interactive, .leaflet-marker-icon, canvas").count()
    context.close()
    assert drawn > 0
    assert errors == []
    assert outside == []  # nothing was even attempted off this machine
