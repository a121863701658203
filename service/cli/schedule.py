"""``loftesplan schedule PLAN.geojson``: draw dates and times for a checkpoint plan's sites."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import typer

from geodata.errors import InvalidInputError


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(
            f"Ogiltigt datum '{text}'; skriv ÅÅÅÅ-MM-DD.", field=field
        ) from None


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def read_plan_sites(path: Path) -> list[Any]:
    """The numbered sites of a plan written by ``loftesplan checkpoints --out`` (or any points).

    Sites are numbered 1..K in file order; road designation and name come from the file's
    ``ref`` and ``name`` columns when present, the nearest settlement from the data layer.
    """
    import geopandas as gpd

    from service.planning.field import FieldSite, name_sites

    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # any reader failure means the same thing to the user
        raise InvalidInputError(
            f"Kan inte läsa planen {path.name}: ingen GeoJSON-fil med platser.", field="plan"
        ) from exc
    if frame.empty or not frame.geom_type.eq("Point").all():
        raise InvalidInputError(
            f"Planen {path.name} ska innehålla platser (punkter), som `checkpoints --out` skriver.",
            field="plan",
        )
    points = frame.to_crs("EPSG:4326") if frame.crs is not None else frame
    lonlat = [(float(p.x), float(p.y)) for p in points.geometry]
    refs = [_text(v) or None for v in frame.get("ref", [None] * len(frame))]
    names = [_text(v) or None for v in frame.get("name", [None] * len(frame))]
    reasons = [_text(v) for v in frame.get("reason", [""] * len(frame))]
    named = name_sites(lonlat, refs, names)
    return [
        FieldSite(
            number=i,
            lat=lat,
            lon=lon,
            road_ref=ref,
            road_name=road_name,
            settlement=town,
            reason=reason,
        )
        for i, ((lon, lat), (ref, road_name, town), reason) in enumerate(
            zip(lonlat, named, reasons, strict=True), start=1
        )
    ]


def register(app: typer.Typer) -> None:
    """Add the ``schedule`` command to ``app``."""

    @app.command(help="Fördela kontrollerna i en plan över perioden: datum, tid och plats.")
    def schedule(
        plan: Path = typer.Argument(
            ..., exists=True, dir_okay=False, help="Planens platser (GeoJSON från --out)."
        ),
        count: int = typer.Option(..., "--count", min=1, help="Antal kontroller i perioden."),
        start: str = typer.Option(..., "--start", help="Periodens första dag ÅÅÅÅ-MM-DD."),
        end: str = typer.Option(..., "--end", help="Periodens sista dag ÅÅÅÅ-MM-DD."),
        seed: int = typer.Option(0, "--seed", help="Frö: samma frö ger samma schema."),
        ics: Path | None = typer.Option(None, "--ics", help="Skriv schemat som kalender (.ics)."),
        csv: Path | None = typer.Option(None, "--csv", help="Skriv schemat för Excel (.csv)."),
        as_json: bool = typer.Option(False, "--json", help="Skriv schemat som JSON."),
    ) -> None:
        """Draw dates and time blocks for a plan's sites over a period."""
        from service.planning.field import FieldEvent
        from service.planning.schedule import schedule_checkpoints
        from service.render.exports import schedule_csv, schedule_ics

        first, last = _day(start, "start"), _day(end, "end")
        if last < first:
            raise InvalidInputError("Periodens sista dag ligger före den första.", field="end")
        sites = read_plan_sites(plan)
        by_id = {str(s.number): s for s in sites}
        drawn = schedule_checkpoints(list(by_id), count, first, last, seed=seed)
        events = [
            FieldEvent(
                event_id=e.order,
                site=by_id[e.site_id],
                start=e.start,
                end=e.end,
                block=e.block,
                joint=e.joint,
            )
            for e in drawn
        ]
        if ics is not None:
            ics.write_bytes(schedule_ics(events, f"Kontrollschema {plan.stem}", 0))
            typer.echo(f"Skrev {ics}", err=True)
        if csv is not None:
            csv.write_bytes(schedule_csv(events))
            typer.echo(f"Skrev {csv}", err=True)
        rows: list[dict[str, Any]] = [
            {
                "order": e.event_id,
                "start": e.start.isoformat(),
                "end": e.end.isoformat(),
                "block": e.block,
                "site": e.site.number,
                "place": e.site.label,
                "lat": round(e.site.lat, 6),
                "lon": round(e.site.lon, 6),
            }
            for e in events
        ]
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        typer.echo(f"{len(rows)} kontroller {first} – {last} på {len(sites)} platser:")
        for row in rows:
            typer.echo(
                f"{row['start'][:16].replace('T', ' ')}  {row['block']:<12} "
                f"plats {row['site']:>3}  {row['place']}"
            )
