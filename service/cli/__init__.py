"""The ``loftesplan`` command.

Each concern registers its commands from its own module so the top level stays a table of
contents: ``municipalities.py``, ``data.py``, ``checkpoints.py``, ``walk.py``, ``promise.py``,
``places.py`` (geocode, events), ``serve.py``.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from geodata.errors import LoftesplanError

app = typer.Typer(
    name="loftesplan",
    help="Plan and follow up medborgarlöften: checkpoints, safety walks, coverage maps.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


@app.callback()
def _root(ctx: typer.Context) -> None:
    """Plan and follow up medborgarlöften: checkpoints, safety walks, coverage maps."""
    from geodata.settings import use_settings
    from service.settings import configure_logging, get_service_settings

    # The one place the CLI builds its settings (from LOFTESPLAN_* unless a caller injected
    # some); every command below runs with them injected into the data layer.
    settings = get_service_settings()
    configure_logging(settings)
    ctx.obj = ctx.with_resource(use_settings(settings))


_COMMAND_MODULES = (
    "municipalities",
    "data",
    "checkpoints",
    "walk",
    "promise",
    "followup",
    "places",
    "registers",
    "users",
    "serve",
)


def _register() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(f"service.cli.{name}").register(app)


_register()


#: Request fields whose command-line flag is not ``--`` + the field with dashes.
_FLAG_OF_FIELD = {"register_file": "--register", "center": "--center", "map_path": "--map"}


def flag_hint(exc: LoftesplanError) -> str:
    """`` (--count)`` for an error about the ``count`` field: the flag to change.

    Domain errors describe the problem without naming flags (API users read them too);
    the CLI adds the flag here, where it maps the error.
    """
    if not exc.field:
        return ""
    return f" ({_FLAG_OF_FIELD.get(exc.field, '--' + exc.field.replace('_', '-'))})"


def main() -> None:
    """Entry point: run the app, printing user errors without a traceback."""
    try:
        # With standalone_mode=False click returns typer.Exit's code instead of exiting.
        code = app(standalone_mode=False)
    except LoftesplanError as exc:
        err_console.print(f"[bold red]Fel:[/] {exc}{flag_hint(exc)}")
        sys.exit(2)
    except typer.Abort:
        err_console.print("Avbrutet.")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors arrive here with standalone_mode=False
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)
