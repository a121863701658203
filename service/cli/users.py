"""``loftesplan user``: accounts, their roles per municipality, passwords and API keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlmodel import Session, col

ROLE_HELP = "Roll i kommunens arbetsyta: admin, polis, kommun eller läsare."


@contextmanager
def _session() -> Iterator[Session]:
    from service.settings import get_service_settings
    from service.store.db import engine_for, session_scope

    with session_scope(engine_for(get_service_settings().resolved_database_url)) as session:
        yield session


def register(app: typer.Typer) -> None:
    """Add the ``user`` command group to ``app``."""
    users = typer.Typer(
        help="Konton, roller per kommun, lösenord och API-nycklar.", no_args_is_help=True
    )
    app.add_typer(users, name="user")

    @users.command("add", help="Skapa ett konto med en roll i en kommuns arbetsyta.")
    def add(
        username: str = typer.Argument(..., help="Användarnamn."),
        kommun: str = typer.Option(..., "--kommun", help="Kommunkod eller kommunnamn."),
        roll: str = typer.Option(..., "--roll", help=ROLE_HELP),
        password: str = typer.Option(
            ..., prompt="Lösenord", hide_input=True, confirmation_prompt=True, help="Lösenord."
        ),
    ) -> None:
        """Create an account with a role in a municipality's workspace."""
        from service.store.accounts import check_role, create_user, grant

        check_role(roll)
        with _session() as session:
            workspace = grant(session, create_user(session, username, password), kommun, roll)
        typer.echo(f"Skapade {username} med rollen {roll} i {workspace.municipality_name}.")

    @users.command("grant", help="Ge ett konto en roll i en kommuns arbetsyta.")
    def grant_cmd(
        username: str = typer.Argument(..., help="Användarnamn."),
        kommun: str = typer.Option(..., "--kommun", help="Kommunkod eller kommunnamn."),
        roll: str = typer.Option(..., "--roll", help=ROLE_HELP),
    ) -> None:
        """Give an account a role in a municipality's workspace."""
        from service.store.accounts import find_user, grant

        with _session() as session:
            workspace = grant(session, find_user(session, username), kommun, roll)
        typer.echo(f"{username} har nu rollen {roll} i {workspace.municipality_name}.")

    @users.command("revoke", help="Ta bort en roll (eller alla roller) i en kommun från ett konto.")
    def revoke_cmd(
        username: str = typer.Argument(..., help="Användarnamn."),
        kommun: str = typer.Option(..., "--kommun", help="Kommunkod eller kommunnamn."),
        roll: str | None = typer.Option(None, "--roll", help="Bara den här rollen."),
    ) -> None:
        """Take a role (or every role) in a municipality from an account."""
        from service.store.accounts import find_user, revoke

        with _session() as session:
            count = revoke(session, find_user(session, username), kommun, roll)
        typer.echo(f"Tog bort {count} roll(er) från {username}.")

    @users.command("passwd", help="Byt lösenord; alla sessioner och nycklar för kontot upphör.")
    def passwd(
        username: str = typer.Argument(..., help="Användarnamn."),
        password: str = typer.Option(
            ...,
            prompt="Nytt lösenord",
            hide_input=True,
            confirmation_prompt=True,
            help="Nytt lösenord.",
        ),
    ) -> None:
        """Change a password; every session and key of the account is revoked."""
        from service.store.accounts import find_user, set_password

        with _session() as session:
            revoked = set_password(session, find_user(session, username), password)
        typer.echo(f"Bytte lösenord för {username}; {revoked} sessioner/nycklar upphörde.")

    @users.command("remove", help="Ta bort ett konto med dess roller, sessioner och nycklar.")
    def remove(username: str = typer.Argument(..., help="Användarnamn.")) -> None:
        """Delete an account with its memberships, sessions and keys."""
        from service.store.accounts import find_user, remove_user

        with _session() as session:
            remove_user(session, find_user(session, username))
        typer.echo(f"Tog bort {username}.")

    @users.command("list", help="Lista konton och deras roller per kommun.")
    def list_cmd() -> None:
        """List accounts and their roles per municipality."""
        from sqlmodel import select

        from service.store.accounts import memberships_of
        from service.store.models import User

        with _session() as session:
            for user in session.exec(select(User).order_by(col(User.username))):
                roles = memberships_of(session, user.id)
                shown = ", ".join(f"{r} i {w.municipality_name}" for w, r in roles)
                typer.echo(f"{user.username}\t{shown or '(inga roller)'}")

    @users.command("token", help="Skapa en API-nyckel (visas en gång; bara dess hash sparas).")
    def token(
        username: str = typer.Argument(..., help="Användarnamn."),
        name: str = typer.Option("cli", help="Vad nyckeln används till."),
        dagar: int | None = typer.Option(None, "--dagar", min=1, help="Giltig så många dagar."),
    ) -> None:
        """Issue an API key (printed once; only its hash is stored)."""
        from datetime import timedelta

        from service.store.accounts import find_user
        from service.store.security import API_KEY, issue_token

        lifetime = timedelta(days=dagar) if dagar else None
        with _session() as session:
            user = find_user(session, username)
            typer.echo(issue_token(session, user, name=name, kind=API_KEY, lifetime=lifetime))
