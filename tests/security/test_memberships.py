"""Memberships and roles: default deny, one role check, the CLI that manages them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.api.app import create_app
from service.settings import Settings
from tests.conftest import PROMISES, planner_token


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("roles")
    return create_app(Settings(database_url=f"sqlite:///{base / 'db.sqlite'}"))


def _headers(app, name: str, roles: tuple[str, ...], kommuner=("2321",)) -> dict[str, str]:
    token = planner_token(app.state.engine, name, roles=roles, kommuner=kommuner)
    return {"Authorization": f"Bearer {token}"}


def test_roles_decide_per_workspace_and_no_membership_sees_nothing(app):
    client = TestClient(app)
    polis = _headers(app, "p", ("polis",))
    kommun = _headers(app, "k", ("kommun",))
    lasare = _headers(app, "l", ("läsare",))
    admin = _headers(app, "a", ("admin",))
    other = _headers(app, "s", ("polis", "kommun", "admin"), kommuner=("2313",))
    nobody = _headers(app, "n", (), kommuner=())

    text = (PROMISES / "are.txt").read_text(encoding="utf-8")
    promise = client.post("/api/workspaces/2321/promises", json={"text": text}, headers=kommun)
    assert promise.status_code == 201
    activity_id = promise.json()["activities"][0]["id"]
    assert (
        client.post(
            "/api/workspaces/2321/promises", json={"text": text}, headers=lasare
        ).status_code
        == 403
    )

    executed = "/api/workspaces/2321/executed"
    assert client.get(executed, headers=polis).status_code == 200
    for headers in (kommun, lasare, admin):
        answer = client.get(executed, headers=headers)
        assert answer.status_code == 403 and "roll" in answer.json()["detail"]
    for headers in (other, nobody):
        assert client.get(executed, headers=headers).status_code == 403
    # Rows of a workspace one is not a member of do not exist for that user.
    change = {"count_min": 7}
    assert (
        client.patch(f"/api/activities/{activity_id}", json=change, headers=other).status_code
        == 404
    )
    assert (
        client.patch(f"/api/activities/{activity_id}", json=change, headers=lasare).status_code
        == 403
    )
    assert (
        client.patch(f"/api/activities/{activity_id}", json=change, headers=polis).status_code
        == 200
    )

    members = client.get("/api/workspaces/2321/members", headers=admin)
    assert members.status_code == 200
    assert {(m["username"], m["role"]) for m in members.json()} >= {("p", "polis"), ("k", "kommun")}
    assert client.get("/api/workspaces/2321/members", headers=polis).status_code == 403
    assert client.get("/api/workspaces", headers=nobody).json() == []
    assert [
        w["municipality_code"] for w in client.get("/api/workspaces", headers=kommun).json()
    ] == ["2321"]


def test_cli_manages_accounts_and_roles(tmp_path, configure):
    from service.cli import app as cli
    from service.settings import get_service_settings

    configure(database_url=f"sqlite:///{tmp_path / 'u.db'}")
    run = CliRunner().invoke
    added = run(
        cli,
        [
            "user",
            "add",
            "eva",
            "--kommun",
            "Åre",
            "--roll",
            "kommun",
            "--password",
            "evas-losen-1",
        ],
    )
    assert added.exit_code == 0 and "Åre" in added.output, added.output
    bad = run(
        cli,
        [
            "user",
            "add",
            "bo",
            "--kommun",
            "2321",
            "--roll",
            "chef",
            "--password",
            "bos-losen-12",
        ],
    )
    assert bad.exit_code != 0
    assert run(cli, ["user", "grant", "eva", "--kommun", "2313", "--roll", "läsare"]).exit_code == 0
    listed = run(cli, ["user", "list"]).output
    assert "kommun i Åre" in listed and "läsare i Strömsund" in listed and "bo" not in listed
    assert run(cli, ["user", "revoke", "eva", "--kommun", "2313"]).exit_code == 0
    assert "Strömsund" not in run(cli, ["user", "list"]).output
    key = run(cli, ["user", "token", "eva"]).output.strip()
    app = create_app(get_service_settings())
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/workspaces", headers=headers).status_code == 200
    assert run(cli, ["user", "passwd", "eva", "--password", "nytt-losen-99"]).exit_code == 0
    assert client.get("/api/workspaces", headers=headers).status_code == 401
    assert run(cli, ["user", "remove", "eva"]).exit_code == 0
    assert "eva" not in run(cli, ["user", "list"]).output
    assert run(cli, ["user", "remove", "eva"]).exit_code != 0
