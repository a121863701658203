"""``loftesplan promise parse``: read a medborgarlöfte text into a draft promise."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

promise_app = typer.Typer(
    name="promise",
    help="Medborgarlöften: läs en löftestext till ett utkast med aktiviteter.",
    no_args_is_help=True,
)


def _why(explanation: object) -> str:
    """The explanation of an activity as three short Swedish lines (typ, antal, ansvarig)."""
    if explanation is None:
        return ""
    parts = (
        ("typ", getattr(explanation, "kind", "")),
        ("antal", getattr(explanation, "count", "")),
        ("ansvarig", getattr(explanation, "responsible", "")),
    )
    return "\n".join(f"{label}: {text}" for label, text in parts if text)


def _period_label(start: object, end: object) -> str:
    if start is None and end is None:
        return "okänd"
    return f"{start or '?'} – {end or '?'}"


@promise_app.command("parse")
def parse(
    file: Path = typer.Argument(..., help="Löftestexten (UTF-8)."),
    kommun: str | None = typer.Option(
        None, "--kommun", help="Kommunens namn eller kod; ersätter den som står i texten."
    ),
    as_json: bool = typer.Option(False, "--json", help="Skriv ut utkastet som JSON."),
) -> None:
    """Läs ett medborgarlöfte (text med sidans menyer och kontaktrutor) till ett utkast.

    Varje aktivitet visas med sin källtext och varför den lästes så: vilket lexikonord eller
    vilken regel som gav typ, antal och ansvarig.
    """
    from service.followup.promises import (
        KIND_LABELS_SV,
        PER_LABELS_SV,
        RESPONSIBLE_LABELS_SV,
        focus_label,
        parse_promise_file,
    )

    promise = parse_promise_file(file, kommun=kommun)
    if as_json:
        typer.echo(promise.model_dump_json(indent=2))
        return
    # Piped output gets a readable width instead of rich's 80-column default.
    console = Console() if sys.stdout.isatty() else Console(width=160)
    kommun_label = promise.partners.kommun or promise.municipality_name or "okänd kommun"
    code = f" ({promise.municipality_code})" if promise.municipality_code else ""
    console.print(f"[bold]{promise.title or file.name}[/]")
    console.print(f"Kommun: {kommun_label}{code}")
    console.print(f"Lokalpolisområde: {promise.partners.lokalpolisomrade or 'anges inte'}")
    console.print(f"Period: {_period_label(promise.period_start, promise.period_end)}")
    table = Table(title=f"Aktiviteter ({len(promise.activities)})", show_lines=True)
    for column in ("Typ", "Antal", "Ansvarig", "Platser", "Spridning", "Fokus"):
        table.add_column(column, overflow="fold", ratio=1)
    table.add_column("Källtext", overflow="fold", ratio=3)
    table.add_column("Varför", overflow="fold", ratio=2)
    for a in promise.activities:
        count = "" if a.count_min is None else f"minst {a.count_min}"
        if a.count_min is not None and a.per:
            count += f" {PER_LABELS_SV[a.per]}"
        table.add_row(
            KIND_LABELS_SV[a.kind],
            count,
            RESPONSIBLE_LABELS_SV[a.responsible],
            ", ".join(a.places),
            "hela kommunen" if a.spread_municipality else "",
            ", ".join(focus_label(t) for t in a.focus),
            a.source.strip(),
            _why(a.explanation),
        )
    console.print(table)
    if promise.follow_up:
        done = Table(title=f"Uppföljning av tidigare löften ({len(promise.follow_up)})")
        for column in ("Genomfört", "Typ", "Platser", "Text"):
            done.add_column(column, overflow="fold")
        for r in promise.follow_up:
            done.add_row(
                "ja" if r.achieved else "nej",
                KIND_LABELS_SV[r.kind] if r.kind else "",
                ", ".join(r.places),
                r.text.strip(),
            )
        console.print(done)
    for warning in promise.warnings:
        console.print(f"[yellow]Obs:[/] {warning}")


def register(app: typer.Typer) -> None:
    """Add the ``promise`` command group to ``app``."""
    app.add_typer(promise_app, name="promise")
