"""``loftesplan geocode`` and ``loftesplan events``: place phrases and Polisen's notices."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from geodata import POLISEN_ATTRIBUTION

console = Console()


def register(app: typer.Typer) -> None:
    """Add the commands to ``app``."""

    @app.command(help="Lägg ut en svensk platsbeskrivning i en kommun (ort, gata, väg, plats).")
    def geocode(
        phrase: str = typer.Argument(..., help='Platsbeskrivning, t.ex. "Storgatan i Hoting".'),
        kommun: str = typer.Option(..., "--kommun", help="Kommunens namn eller kod."),
        osm_file: Path | None = typer.Option(None, "--osm-file", help="Lokal OSM-fil."),
        as_json: bool = typer.Option(False, "--json", help="Skriv ut JSON."),
    ) -> None:
        """Place a Swedish place phrase inside a municipality."""
        from geodata.places import geocode as run

        result = run(phrase, kommun, osm_file=osm_file)
        data = result.to_dict()
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
            return
        table = Table(show_header=False)
        for key, value in data.items():
            table.add_row(key, "" if value is None else str(value))
        console.print(table)

    @app.command(
        help="Lista Polisens händelsenotiser i en kommun, var och en placerad utifrån texten."
    )
    def events(
        kommun: str = typer.Option(..., "--kommun", help="Kommunens namn eller kod."),
        type_: list[str] = typer.Option(
            [], "--type", help='Händelsetyp, t.ex. "Trafikkontroll" (kan upprepas).'
        ),
        since: str | None = typer.Option(None, "--since", help="Från och med datum ÅÅÅÅ-MM-DD."),
        archive: Path | None = typer.Option(None, "--archive", help="Arkivfil (.jsonl[.gz])."),
        online: bool = typer.Option(False, "--online", help="Hämta från polisen.se i stället."),
        osm_file: Path | None = typer.Option(None, "--osm-file", help="Lokal OSM-fil."),
        as_json: bool = typer.Option(False, "--json", help="Skriv ut JSON."),
    ) -> None:
        """List Polisen's event notices in a municipality, each placed from its text."""
        from geodata import osm
        from geodata.events import geocode_events, load_events

        found = load_events(
            kommun, types=type_ or None, since=since, archive=archive, online=online
        )
        network = features = None
        if osm_file is not None:
            network = osm.load_network(None, kind="walk", osm_file=osm_file)
            features = osm.load_features(None, osm_file=osm_file)
        placed = geocode_events(found.events, kommun, network, features)
        rows = []
        plain = placed.drop(columns="geometry").astype(object)
        plain = plain.where(plain.notna(), None)  # NaN is not JSON
        for row in plain.to_dict(orient="records"):
            row["datetime"] = row["datetime"].isoformat()
            if row.get("reason") is None:
                row.pop("reason", None)
            rows.append(row)
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        else:
            table = Table(title=f"Polisens händelser, {kommun}", caption=POLISEN_ATTRIBUTION)
            for col in ("datetime", "type", "summary", "level", "name", "confidence"):
                table.add_column(col)
            for row in rows:
                table.add_row(
                    row["datetime"][:16],
                    row["type"],
                    row["summary"][:70],
                    row["level"],
                    str(row["name"] or ""),
                    f"{row['confidence']:.2f}",
                )
            console.print(table)
        if found.skipped:
            Console(stderr=True).print(
                f"[yellow]{found.skipped} rader i arkivet kunde inte läsas och hoppades över.[/]"
            )
