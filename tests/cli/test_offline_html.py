"""Every HTML file the CLI writes works with no network: assets inlined, layers drawn."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.render.maps.assets import external_assets
from service.render.maps.base_layer import NO_SWEDISH_BASE
from tests.browser import Session
from tests.conftest import OSLO, STOCKHOLM

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


@pytest.mark.parametrize("name", [n for n, _ in MAP_COMMANDS])
def test_map_draws_its_layers_with_the_network_off(
    map_files: dict[str, Path], browser, name: str
) -> None:
    session = Session(browser, width=1000, height=700, allowed=("file://", "data:"), offline=True)
    page = session.page
    page.goto(map_files[name].as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-container", timeout=20_000)
    # Vector layers (roads, sites, routes) are SVG paths or canvas; markers are icons.
    drawn = page.locator("path.leaflet-interactive, .leaflet-marker-icon, canvas").count()
    session.close()
    assert drawn > 0
    # No script failed and nothing failed to load (an inlined page has no files beside it).
    assert session.errors == []
    assert session.outside == []  # nothing was even attempted off this machine


def test_swedish_walk_map_draws_the_base_layer_offline(map_files: dict[str, Path], browser) -> None:
    """The Stockholm walk lies in Stockholms kommun: land, water and named settlements."""
    context = browser.new_context(viewport={"width": 1000, "height": 700}, offline=True)
    page = context.new_page()
    page.goto(map_files["walk"].as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-container", timeout=20_000)
    labels = page.locator(".lp-label").all_inner_texts()
    fills = page.eval_on_selector_all(
        "path", "ps => ps.map(p => (p.getAttribute('fill') || '').toLowerCase())"
    )
    legend = page.locator(".lp-legend").inner_text()
    sources = page.locator(".lp-attribution").inner_text()
    context.close()
    assert "Stockholm" in labels  # the settlement under the walk, by name
    assert any("kommun" in label for label in labels)  # neighbouring municipalities
    assert "#f4f1e8" in fills  # land (SCB)
    assert "#b9d3ea" in fills  # water (Lantmäteriet's area beyond the land)
    assert "Vatten" in legend and NO_SWEDISH_BASE not in legend
    assert "Lantmäteriet" in sources and "SCB" in sources


def test_map_abroad_draws_the_network_extent_and_says_so(map_files: dict[str, Path]) -> None:
    """Oslo has no Swedish base data: the extent is land and the legend says why."""
    html = map_files["checkpoints"].read_text(encoding="utf-8")
    assert NO_SWEDISH_BASE in html
    assert "#f4f1e8" in html
    walk = map_files["walk"].read_text(encoding="utf-8")
    assert NO_SWEDISH_BASE not in walk
