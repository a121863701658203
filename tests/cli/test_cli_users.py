from typer.testing import CliRunner

from service.cli import app

#: ``loftesplan user add`` for one police planner in Åre.
ADD_ANNA = [
    "user",
    "add",
    "anna",
    "--kommun",
    "2321",
    "--roll",
    "polis",
    "--password",
    "ett-langt-losen",
]


def test_user_add_and_token_work_against_the_configured_database(tmp_path, configure):
    configure(database_url=f"sqlite:///{tmp_path / 'u.db'}")
    from service.settings import get_service_settings

    runner = CliRunner()
    added = runner.invoke(app, ADD_ANNA)
    assert added.exit_code == 0, added.output
    token = runner.invoke(app, ["user", "token", "anna"])
    assert token.exit_code == 0 and len(token.output.strip()) >= 40
    from service.store.db import engine_for, session_scope
    from service.store.security import user_for_token

    with session_scope(engine_for(get_service_settings().resolved_database_url)) as session:
        assert user_for_token(session, token.output.strip()).username == "anna"
    again = runner.invoke(app, ADD_ANNA)
    assert again.exit_code != 0
