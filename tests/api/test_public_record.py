"""/sverige lists all 290 municipalities; its figures for the five seeds match the CLI."""

from __future__ import annotations

import json
import re
import sys

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.settings import Settings
from tests.conftest import POLISEN_ARCHIVE, PROMISES, SEEDS

SEED_FILES = {
    "2321": "are.txt",
    "2313": "stromsund.txt",
    "2560": "alvsbyn.txt",
    "1783": "hagfors.txt",
    "1761": "hammaro.txt",
}


@pytest.fixture(scope="module")
def sverige(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    db = tmp_path_factory.mktemp("sverige") / "loftesplan.db"
    with TestClient(create_app(Settings(database_url=f"sqlite:///{db}"))) as client:
        page = client.get("/sverige?ar=2023")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    return {
        row["data-kod"]: [td.get_text(" ", strip=True) for td in row.find_all("td")]
        for row in soup.select("#rekord tbody tr")
    }


def test_sverige_lists_all_290_with_links(sverige):
    assert len(sverige) == 290
    assert sverige["0980"][0] == "Region Gotland"
    assert sverige["2313"][0] == "Strömsunds kommun"


@pytest.mark.parametrize("code", sorted(SEEDS))
def test_sverige_matches_the_cli_for_the_seeds(sverige, monkeypatch, capsys, code):
    from service.cli import main

    args = [
        "loftesplan", "followup", str(PROMISES / SEED_FILES[code]), "--kommun", code,
        "--archive", str(POLISEN_ARCHIVE), "--period", "2023-01-01:2023-12-31", "--json",
    ]  # fmt: skip
    monkeypatch.setattr(sys, "argv", args)
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code in (0, None)
    result = json.loads(capsys.readouterr().out)
    traffic = [a for a in result["activities"] if a["kind"] == "traffic_control"]
    done = sum(a["done"] for a in traffic)
    spread = result["spread"]
    _name, _county, checks, _per, reached, farthest = sverige[code]
    # Every seed promise has a traffic-control line, so the CLI counts all of 2023's checks.
    assert traffic and int(checks.replace("\u00a0", "")) == done
    assert reached == f"{spread['settlements_reached']} av {spread['settlements_total']}"
    if spread["farthest_unreached_km"] is not None:
        km = re.search(r"\(([\d\u00a0]+,\d) km\)", farthest)
        assert km and km.group(1) == f"{spread['farthest_unreached_km']:.1f}".replace(".", ",")


def test_public_api_gives_the_same_record(sverige, tmp_path):
    with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db"))) as client:
        national = client.get("/api/public/sverige?ar=2023").json()
        are = client.get("/api/public/2321/record").json()
        assert client.get("/api/public/Atlantis/record").status_code == 404
    assert national["year"] == "2023" and len(national["municipalities"]) == 290
    assert "Källa: Polisen" in national["source"]
    for row in national["municipalities"]:
        cells = sverige[row["code"]]
        assert int(cells[2].replace("\u00a0", "")) == row["traffic_checks"]
        assert cells[4] == f"{row['settlements_reached']} av {row['settlements_total']}"
    quarters_2023 = [q for q in are["quarters"] if q["quarter"].startswith("2023")]
    assert sum(q["checks"] for q in quarters_2023) == are["years"]["2023"]["traffic_checks"]
    assert [q["quarter"] for q in quarters_2023] == ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]
