"""The ``loftesplan`` command.

Each concern registers its commands from its own module so the top level stays a table of
contents: ``municipalities.py``, ``data.py``, ``checkpoints.py``, ``walk.py``, ``promise.py``,
``places.py`` (geocode, events), ``serve.py``.
"""

from __future__ import annotations

import importlib

import typer

from service.cli.errors import SwedishGroup, flag_hint

app = typer.Typer(
    name="loftesplan",
    help="Planera och följ upp medborgarlöften: kontroller, trygghetsvandringar, täckningskartor.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=SwedishGroup,
)


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
    "schedule",
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


__all__ = ["app", "flag_hint", "main"]


def main() -> None:
    """Entry point: run the app; every user mistake is one Swedish line and exit 2."""
    app()
