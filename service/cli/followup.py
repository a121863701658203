"""``loftesplan followup``: a promise against Polisen's notices, period by period."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from geodata.errors import InvalidInputError


def parse_period(text: str) -> tuple[date, date]:
    """``START:END`` (ISO dates, both inclusive) as a pair of dates; Swedish error otherwise."""
    parts = text.split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        start, end = (date.fromisoformat(p.strip()) for p in parts)
    except ValueError as exc:
        raise InvalidInputError(
            f"Ogiltig period '{text}'. Skriv START:SLUT, t.ex. 2023-01-01:2023-12-31."
        ) from exc
    if end < start:
        raise InvalidInputError(f"Perioden '{text}' slutar innan den börjar.")
    return start, end


def register(app: typer.Typer) -> None:
    """Add the ``followup`` command to ``app``."""

    @app.command("followup")
    def followup(
        promise_file: Path = typer.Argument(
            ..., exists=True, dir_okay=False, readable=True, help="Löftestexten (UTF-8)."
        ),
        kommun: str = typer.Option(..., "--kommun", help="Kommunens namn eller kod."),
        archive: Path | None = typer.Option(
            None,
            "--archive",
            help="Polisens händelsearkiv (JSON Lines, ev. .gz); standard: det delade arkivet.",
        ),
        period: str | None = typer.Option(
            None,
            "--period",
            help="START:SLUT i stället för löftets period, t.ex. 2023-01-01:2023-12-31.",
        ),
        radius_km: float = typer.Option(
            5.0, "--radius-km", min=0.1, help="En ort räknas som nådd inom så här många km."
        ),
        as_json: bool = typer.Option(False, "--json", help="Skriv ut resultatet som JSON."),
    ) -> None:
        """Följ upp ett medborgarlöfte mot Polisens händelsenotiser inom löftets period."""
        from service.followup.polisen import archive_follow_up
        from service.followup.progress import PromisedActivity
        from service.followup.promises import parse_promise_file

        promise = parse_promise_file(promise_file, kommun=kommun)
        chosen = parse_period(period) if period else (promise.period_start, promise.period_end)
        activities = [
            PromisedActivity(i, str(a.kind), a.count_min, a.per, tuple(a.places))
            for i, a in enumerate(promise.activities, start=1)
        ]
        result = archive_follow_up(activities, kommun, chosen, archive, radius_m=radius_km * 1000)
        if as_json:
            typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
            return
        _print(result, promise.title or promise_file.name)


def _print(result: object, title: str) -> None:
    from geodata.municipalities import find_municipality
    from service.followup.promises import KIND_LABELS_SV, PER_LABELS_SV
    from service.render import format as fmt

    console = Console() if sys.stdout.isatty() else Console(width=140)
    progress = result.progress  # type: ignore[attr-defined]
    spread = result.spread  # type: ignore[attr-defined]
    start, end = progress.period
    console.print(f"[bold]{title}[/]")
    console.print(
        f"{fmt.municipality_name(find_municipality(result.municipality_code))}"  # type: ignore[attr-defined]
        f" · period {fmt.period_sv(start, end)}"
    )
    if not progress.has_period:
        console.print("Löftet anger ingen fullständig period: inget räknas. Ange --period.")
    table = Table(title="Aktiviteter")
    for column in ("Aktivitet", "Utlovat", "Utfört", "Läge"):
        table.add_column(column)
    for a in progress.activities:
        promised = "–"
        if a.count_min is not None:
            promised = f"minst {fmt.number(a.count_min)}"
            if a.per and a.per != "period":
                promised += f" {PER_LABELS_SV[a.per]} ({fmt.number(a.promised)} totalt)"
        table.add_row(KIND_LABELS_SV.get(a.kind, a.kind), promised, fmt.number(a.done), a.status)
    console.print(table)
    console.print(f"Ej platsbestämda (räknade men utan plats): {fmt.number(progress.unplaced)}")
    for kind, count in progress.unmatched.items():
        console.print(f"Utfört utan motsvarande löfte: {KIND_LABELS_SV.get(kind, kind)} {count}")
    far = spread.farthest_unreached
    console.print(
        f"Spridning ({fmt.km(spread.radius_m, 0)}, {spread.mode}): "
        f"{fmt.number(spread.settlements_reached)} av {fmt.number(spread.settlements_total)} "
        f"orter nådda, {fmt.percent(spread.population_share)} av invånarna bor i dem"
        + (f"; längst bort utan kontroll: {far.name} ({fmt.km(far.distance_m)})" if far else "")
    )
    console.print("Källa: Polisen (händelsenotiser); orter © Lantmäteriet; folkmängd: Källa: SCB.")
