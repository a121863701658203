"""The ``loftesplan`` command.

Each concern registers its commands from its own module so the top level stays a table of
contents: ``municipalities.py``, ``data.py``, ``checkpoints.py``, ``walk.py``, ``promise.py``,
``places.py`` (geocode, events), ``serve.py``.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

from service.cli.errors import SwedishGroup, flag_hint


def _new_app() -> typer.Typer:
    app = typer.Typer(
        name="loftesplan",
        help="Planera och följ upp medborgarlöften: kontroller, trygghetsvandringar, "
        "täckningskartor.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        cls=SwedishGroup,
    )
    app.callback()(_root)
    return app


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


#: The module that registers each top-level command, so ``loftesplan municipality Åre`` imports
#: only what that command needs (the planning libraries take seconds to import).
_MODULE_OF_COMMAND = {
    "municipalities": "municipalities",
    "municipality": "municipalities",
    "data": "data",
    "schedule": "schedule",
    "geocode": "places",
    "events": "places",
}


def _build(modules: tuple[str, ...]) -> typer.Typer:
    app = _new_app()
    for name in modules:
        importlib.import_module(f"service.cli.{name}").register(app)
    return app


_full_app: typer.Typer | None = None


def __getattr__(name: str) -> Any:
    """``service.cli.app``: the app with every command (built on first use)."""
    global _full_app  # noqa: PLW0603 - built once, on demand
    if name == "app":
        if _full_app is None:
            _full_app = _build(_COMMAND_MODULES)
        return _full_app
    raise AttributeError(name)


__all__ = ["app", "flag_hint", "main"]


def main() -> None:
    """Entry point: run the app; every user mistake is one Swedish line and exit 2."""
    first = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    module = _MODULE_OF_COMMAND.get(first or "")
    # Only the command's own module when the command is known (and not asking for the list).
    if module is not None and first == sys.argv[1]:
        _build((module,))()
    else:
        __getattr__("app")()
