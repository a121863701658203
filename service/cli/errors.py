"""Every mistake a CLI user can make, as one Swedish line and exit code 2.

:class:`SwedishGroup` is the click group behind ``loftesplan``. It accepts decimal commas in
every number option, and turns click's usage errors (missing option, unknown command or
option, bad value), the project's :class:`~geodata.errors.LoftesplanError` family and file
errors into one or two lines of Swedish on stderr. Library exception text never reaches the
user: it goes to the log file in the cache directory.
"""

from __future__ import annotations

import difflib
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any

from typer import _click as click
from typer._click import exceptions as click_errors
from typer.core import TyperGroup, _TyperParameter
from typer.exceptions import Abort, Exit

from geodata.errors import DataUnavailableError, LoftesplanError

log = logging.getLogger("loftesplan.cli")

#: Exit code for every user mistake.
USAGE_EXIT = 2

#: How the CLI supplies data a domain error says is missing (the API says it its own way).
DATA_HINTS = {
    "osm_file": "Ange en OSM-fil med --osm-file FIL, eller importera en en gång (en kommun, "
    "ett län eller hela Sverige) med `loftesplan data import osm FIL`.",
    "archive": "Ange ett arkiv med --archive FIL, eller importera det med "
    "`loftesplan data import polisen FIL`.",
    "boundary": "Ange en egen gräns med --boundary FIL, eller importera Lantmäteriets filer med "
    "`loftesplan data import lantmateriet KATALOG`.",
}

_EXPECTED = {
    "float": "ett tal, t.ex. 2,5",
    "integer": "ett heltal, t.ex. 10",
    "boolean": "ja/nej (true/false)",
    "text": "text",
}

_ERRNO_TEXT = {
    2: "finns inte",
    13: "saknar behörighet",
    17: "finns redan",
    20: "en del av sökvägen är inte en katalog",
    21: "är en katalog",
    28: "disken är full",
    30: "filsystemet är skrivskyddat",
}


def _fold_number(value: object) -> object:
    """'2,5' -> '2.5', '3 430' -> '3430' (Swedish decimal comma and digit groups)."""
    if isinstance(value, str):
        return re.sub(r"[\s\u00a0\u202f]", "", value).replace(",", ".")
    return value


class _SwedishNumber:
    """Wraps a parameter's coercion so '2,5' and '3 430' are read as numbers."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        """Fold Swedish number notation, then coerce as before."""
        if isinstance(value, list | tuple):
            folded: Any = type(value)(_fold_number(v) for v in value)
        else:
            folded = _fold_number(value)
        try:
            return self.inner.coerce(folded, param=param, ctx=ctx)
        except click_errors.BadParameter as exc:
            raise click_errors.BadParameter(f"'{value}'", ctx=ctx, param=param) from exc


class SwedishUsageError(click_errors.UsageError):
    """A usage error whose message is already Swedish."""


#: Option names (Python side) that are files the command writes.
OUTPUT_PARAMS = {
    "out",
    "map_path",
    "map_file",
    "gpx",
    "protocol",
    "ics",
    "csv",
    "report",
    "pack",
    "gpkg",
}


class _WritableOutput:
    """Wraps an output path's coercion: refuse, before any work, a file that cannot be written."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        """Coerce, then check that the file's folder exists and is writable."""
        import os
        from pathlib import Path

        path = self.inner.coerce(value, param=param, ctx=ctx)
        if path is None or str(path) == "-":
            return path
        target = Path(path)
        folder = target.parent if str(target.parent) else Path()
        name = _option_name(param)
        if target.is_dir():
            raise SwedishUsageError(f"{target} är en katalog; ange ett filnamn för {name}.")
        if not folder.is_dir():
            raise SwedishUsageError(f"Katalogen {folder} finns inte ({name} {target}).")
        if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
            raise SwedishUsageError(f"Kan inte skriva {target}: saknar behörighet ({name}).")
        return path


def _number_annotation(param: _TyperParameter) -> bool:
    from typer._typing import get_args, is_number_type

    annotation = param.type_descriptor.annotation
    return is_number_type(annotation) or any(is_number_type(a) for a in get_args(annotation))


def _accept_decimal_comma(command: click.Command) -> None:
    """Swedish numbers for every number parameter; output files checked before any work."""
    for param in command.params:
        if not isinstance(param, _TyperParameter):
            continue
        runtime = param.get_runtime_param()
        if isinstance(runtime, _SwedishNumber | _WritableOutput):
            continue
        if _number_annotation(param):
            param._runtime_param = _SwedishNumber(runtime)  # type: ignore[assignment]
        elif param.name in OUTPUT_PARAMS and param.type_descriptor.is_path:
            param._runtime_param = _WritableOutput(runtime)  # type: ignore[assignment]
    for sub in getattr(command, "commands", {}).values():
        _accept_decimal_comma(sub)


def _option_name(param: click.Parameter | None) -> str:
    if param is None:
        return "ett värde"
    opts = list(getattr(param, "opts", []) or [])
    if getattr(param, "param_type_name", "") == "option" and opts:
        return max(opts, key=len)
    return (getattr(param, "metavar", None) or param.name or "argumentet").upper()


def _quoted(message: str) -> str | None:
    found = re.search(r"'([^']*)'", message) or re.search(r'"([^"]*)"', message)
    return found.group(1) if found else None


def _expected(param: click.Parameter | None) -> str:
    if not isinstance(param, _TyperParameter):
        return ""
    desc = param.type_descriptor
    if desc.is_choice and desc.choices:
        return "en av " + ", ".join(str(getattr(c, "value", c)) for c in desc.choices)
    if desc.is_datetime:
        return "ett datum ÅÅÅÅ-MM-DD"
    annotation = desc.annotation
    kind = "float" if annotation is float else "integer" if annotation is int else ""
    text = _EXPECTED.get(kind, "")
    info = param.type_descriptor.parameter_info
    if text and (info.min is not None or info.max is not None):
        text += f" från {info.min}" if info.min is not None else ""
        text += f" till {info.max}" if info.max is not None else ""
    return text


def _command_path(ctx: click.Context | None) -> str:
    return ctx.command_path if ctx is not None else "loftesplan"


def usage_message(exc: click_errors.ClickException) -> str:
    """A Swedish line (or two) for one of click's errors."""
    ctx = getattr(exc, "ctx", None)
    help_hint = f"Se `{_command_path(ctx)} --help`."
    message = exc.format_message()
    if isinstance(exc, SwedishUsageError):
        return exc.message
    if isinstance(exc, click_errors.MissingParameter):
        name = _option_name(exc.param)
        is_option = getattr(exc.param, "param_type_name", "") == "option"
        helptext = getattr(exc.param, "help", None)
        what = f": {helptext.rstrip('.')}" if is_option and helptext else ""
        kind = "Flaggan" if is_option else "Argumentet"
        return f"{kind} {name} saknas{what}.\n{help_hint}"
    if isinstance(exc, click_errors.NoSuchOption):
        close = difflib.get_close_matches(exc.option_name, exc.possibilities or [], n=3)
        guess = f" Menade du {' eller '.join(close)}?" if close else ""
        return f"Okänd flagga {exc.option_name}.{guess}\n{help_hint}"
    if isinstance(exc, click_errors.BadParameter):
        name = _option_name(exc.param)
        value = _quoted(exc.message)
        shown = f" '{value}'" if value is not None else ""
        expected = _expected(exc.param)
        if isinstance(exc.param, _TyperParameter) and exc.param.type_descriptor.is_path:
            log.info("Path error: %s", exc.message)
            return f"Filen{shown} finns inte eller kan inte läsas ({name})."
        need = f"; ange {expected}" if expected else ""
        return f"Ogiltigt värde{shown} för {name}{need}.\n{help_hint}"
    if isinstance(exc, click_errors.FileError):
        return f"Kan inte öppna filen {exc.ui_filename}."
    if message.startswith("No such command"):
        name = _quoted(message) or ""
        group = ctx.command if ctx is not None else None
        names = list(getattr(group, "commands", {}))
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        guess = f" Menade du {' eller '.join(close)}?" if close else ""
        return f"Okänt kommando '{name}'.{guess}\n{help_hint}"
    if message.startswith(("Got unexpected extra argument", "Got unexpected extra arguments")):
        extra = message.split("(", 1)[-1].rstrip(")")
        return f"För många argument: {extra}.\n{help_hint}"
    if "requires an argument" in message:
        option = getattr(exc, "option_name", None) or _quoted(message) or "flaggan"
        return f"Flaggan {option} behöver ett värde.\n{help_hint}"
    if "Missing command" in message:
        return f"Ange ett kommando.\n{help_hint}"
    log.info("Untranslated usage error: %s", message)
    return f"Felaktig användning.\n{help_hint}"


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


def error_message(exc: BaseException) -> str:
    """A Swedish line for a domain or file error (with the flag or command that helps)."""
    if isinstance(exc, LoftesplanError):
        if isinstance(exc, DataUnavailableError) and exc.field in DATA_HINTS:
            return f"{exc}\n{DATA_HINTS[exc.field]}"
        return f"{exc}{flag_hint(exc)}"
    if isinstance(exc, OSError):
        reason = _ERRNO_TEXT.get(exc.errno or 0, "går inte att använda")
        name = exc.filename or "filen"
        return f"Filen {name} {reason}."
    return str(exc)


class SwedishGroup(TyperGroup):
    """The ``loftesplan`` group: Swedish errors, exit 2, decimal commas."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; report mistakes in Swedish and exit 2 (never a traceback)."""
        _accept_decimal_comma(self)
        code: int
        try:
            result = super().main(
                args=args,
                prog_name=prog_name or "loftesplan",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
            code = result if isinstance(result, int) else 0
        except Exit as exc:
            code = exc.exit_code
        except click_errors.ClickException as exc:
            click.echo(f"Fel: {usage_message(exc)}", err=True)
            code = USAGE_EXIT
        except (LoftesplanError, OSError) as exc:
            log.info("User error", exc_info=exc)
            click.echo(f"Fel: {error_message(exc)}", err=True)
            code = USAGE_EXIT
        except Abort:
            click.echo("Avbrutet.", err=True)
            code = 130
        except Exception as exc:  # a bug: keep the traceback in the log, not on the screen
            where = _log_unexpected(exc)
            click.echo(
                f"Fel: ett oväntat fel inträffade ({type(exc).__name__}). "
                f"Detaljer finns i {where}.",
                err=True,
            )
            code = 1
        if standalone_mode:
            sys.exit(code)
        return code


def _log_unexpected(exc: BaseException) -> str:
    """Write the traceback to ``CACHE_DIR/loftesplan.log``; return that path."""
    import traceback

    from geodata.settings import get_settings

    path = get_settings().cache_dir / "loftesplan.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write("".join(traceback.format_exception(exc)))
    except OSError:
        return "loggen (kunde inte skrivas)"
    return str(path)
