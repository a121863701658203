"""``loftesplan user``: planner accounts and API tokens for the service."""

from __future__ import annotations

import typer
from sqlmodel import select

from geodata.errors import InvalidInputError


def register(app: typer.Typer) -> None:
    """Add the ``user`` command group to ``app``."""
    users = typer.Typer(help="Planerarkonton och API-nycklar för tjänsten.", no_args_is_help=True)
    app.add_typer(users, name="user")

    @users.command("add", help="Skapa ett planerarkonto i tjänstens databas.")
    def add(
        username: str = typer.Argument(..., help="Användarnamn."),
        password: str = typer.Option(
            ..., prompt="Lösenord", hide_input=True, confirmation_prompt=True, help="Lösenord."
        ),
    ) -> None:
        """Create a planner account in the service's database."""
        from service.settings import get_service_settings
        from service.store.db import create_user, engine_for, session_scope
        from service.store.models import User

        if len(password) < 8:
            raise InvalidInputError("Lösenordet måste ha minst 8 tecken.")
        engine = engine_for(get_service_settings().resolved_database_url)
        with session_scope(engine) as session:
            if session.exec(select(User).where(User.username == username)).first():
                raise InvalidInputError(f"Användaren {username} finns redan.")
            create_user(session, username, password)
        typer.echo(f"Skapade planeraren {username}.")

    @users.command("token", help="Skapa en API-nyckel (visas en gång; bara dess hash sparas).")
    def token(
        username: str = typer.Argument(..., help="Användarnamn."),
        name: str = typer.Option("cli", help="Vad nyckeln används till."),
    ) -> None:
        """Issue an API token (printed once; only its hash is stored)."""
        from service.settings import get_service_settings
        from service.store.db import engine_for, issue_token, session_scope
        from service.store.models import User

        engine = engine_for(get_service_settings().resolved_database_url)
        with session_scope(engine) as session:
            user = session.exec(select(User).where(User.username == username)).first()
            if user is None:
                raise InvalidInputError(f"Användaren {username} finns inte.")
            typer.echo(issue_token(session, user, name=name))
