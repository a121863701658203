"""Every public page and public JSON endpoint answers without a server error for all 290 codes.

A municipality with no Polisen record and no executed work (e.g. 0180 before anything is
registered) must still get its pages; one app and one in-process client serve every request.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from geodata.municipalities import all_municipalities
from geodata.settings import use_settings
from service.api.app import create_app
from tests.conftest import app_settings

#: The public JSON endpoints per municipality (prefix ``/api/public/{code}``).
PUBLIC_JSON = ("record", "executed", "progress")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = app_settings(tmp_path_factory.mktemp("public-all"))
    with use_settings(settings):
        yield TestClient(create_app(settings), raise_server_exceptions=False)


def test_there_are_290_municipalities() -> None:
    assert len({m.code for m in all_municipalities()}) == 290


def test_national_pages_answer(client: TestClient) -> None:
    for path in ("/", "/sverige", "/api/public/sverige"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])


def test_every_municipality_page_answers_without_server_error(client: TestClient) -> None:
    failures: list[tuple[str, int]] = []
    codes = sorted(m.code for m in all_municipalities())
    for code in codes:
        paths = [f"/kommun/{code}", f"/kommun/{code}/karta"]
        paths += [f"/api/public/{code}/{name}" for name in PUBLIC_JSON]
        for path in paths:
            response = client.get(path)
            if response.status_code >= 500 or response.status_code != 200:
                failures.append((path, response.status_code))
    assert not failures, failures[:20]
    # A municipality without executed work still states its (empty) record in Swedish.
    page = client.get("/kommun/0180/karta").text
    assert "orter nådda inom 5 km" in page
