"""``loftesplan walk``: plan a trygghetsvandring loop and write its map, GPX and protocol."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from geodata.errors import InvalidInputError


def _date(text: str | None, option: str) -> date | None:
    """``"2025-03-14"`` -> date, or a Swedish error naming the option."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError(f"{option}: skriv datumet ÅÅÅÅ-MM-DD (fick {text!r}).") from exc


def _pct(share: float) -> str:
    return f"{100 * share:.0f} %"


def register(app: typer.Typer) -> None:
    """Add the ``walk`` command to ``app``."""

    @app.command(help="Planera en slinga för en trygghetsvandring förbi platser som känns otrygga.")
    def walk(
        settlement: str | None = typer.Option(
            None, "--settlement", help="Tätort att vandra i (kräver --kommun)."
        ),
        kommun: str | None = typer.Option(None, "--kommun", help="Kommunens namn eller kod."),
        center: str | None = typer.Option(None, "--center", help="Mittpunkt LAT,LON."),
        radius_km: float | None = typer.Option(
            None, "--radius-km", help="Radie runt --center (standard: halva längden)."
        ),
        osm_file: Path | None = typer.Option(None, "--osm-file", help="Lokal OSM-fil."),
        length_km: float | None = typer.Option(
            None, "--length-km", help="Slingans längd i km (standard 2,5)."
        ),
        minutes: float | None = typer.Option(
            None, "--minutes", help="Vandringens tid i minuter (5 km/h plus stopp)."
        ),
        start: str | None = typer.Option(None, "--start", help="Samlingsplats LAT,LON."),
        purpose: str = typer.Option(
            "allmän",
            "--purpose",
            help="Syfte: belysning, krogmiljö, skolväg, centrum eller allmän.",
        ),
        weights: str | None = typer.Option(
            None, "--weights", help="Vikter per typ som ändrar syftets, t.ex. venue=3,unlit=1."
        ),
        incidents_since: str | None = typer.Option(
            None, "--incidents-since", help="Polisens händelser från ÅÅÅÅ-MM-DD (standard 2 år)."
        ),
        incidents_until: str | None = typer.Option(
            None, "--incidents-until", help="Polisens händelser till ÅÅÅÅ-MM-DD (standard i dag)."
        ),
        points: Path | None = typer.Option(
            None, "--points", help="GeoJSON med egna punkter (anmälningar, tidigare fynd)."
        ),
        out: Path | None = typer.Option(None, "--out", help="Skriv slingan som GeoJSON."),
        gpx: Path | None = typer.Option(None, "--gpx", help="Skriv slingan som GPX."),
        map_path: Path | None = typer.Option(None, "--map", help="Skriv karta (HTML)."),
        protocol: Path | None = typer.Option(
            None, "--protocol", help="Skriv protokoll för utskrift (HTML, A4)."
        ),
        protocol_pdf: Path | None = typer.Option(
            None, "--protocol-pdf", help="Skriv protokollet som PDF (A4, högst 4 sidor för 2,5 km)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Skriv resultatet som JSON."),
    ) -> None:
        """Plan a safety-walk loop (trygghetsvandring) past places that feel unsafe."""
        from service.planning import walks
        from service.usecases import WalkRequest, plan_walk_for_area

        route = plan_walk_for_area(
            WalkRequest(
                settlement=settlement,
                kommun=kommun,
                center=walks.parse_latlon(center, "--center") if center else None,
                radius_km=radius_km,
                osm_file=osm_file,
                length_km=length_km,
                minutes=minutes,
                start=walks.parse_latlon(start, "--start") if start else None,
                weights=weights,
                points=points,
                purpose=purpose,
                incidents_since=_date(incidents_since, "--incidents-since"),
                incidents_until=_date(incidents_until, "--incidents-until"),
            )
        ).route
        written = []
        if out:
            out.write_text(json.dumps(route.to_geojson(), ensure_ascii=False), encoding="utf-8")
            written.append(out)
        if gpx:
            gpx.write_text(route.to_gpx(), encoding="utf-8")
            written.append(gpx)
        if map_path:
            from service.render.maps.assets import write_map
            from service.render.maps.walk import walk_map

            write_map(walk_map(route, tiles=None), map_path)
            written.append(map_path)
        if protocol:
            from service.render.protocol import render_protocol

            protocol.write_text(render_protocol(route), encoding="utf-8")
            written.append(protocol)
        if protocol_pdf:
            from service.render.protocol import render_protocol_pdf

            protocol_pdf.write_bytes(render_protocol_pdf(route))
            written.append(protocol_pdf)
        if as_json:
            typer.echo(json.dumps(route.to_json(), ensure_ascii=False))
            return
        console = Console()
        light = route.lighting
        console.print(f"[bold]{escape(route.title)}[/]")
        console.print(
            f"{len(route.stops)} stopp, upprepad sträcka {_pct(route.repeated_edge_share)}. "
            f"Belysning: belyst {light['lit_m']:.0f} m, obelyst {light['unlit_m']:.0f} m, "
            f"okänd {light['unknown_m']:.0f} m – okänd belysning är det vandringen ska kontrollera."
        )
        console.print(f"Samlingsplats: {escape(route.meeting_point or '')}")
        for stop in route.stops:
            console.print(f"  {stop.order:>2}. {escape(stop.name)} – {escape(stop.reason)}")
        if route.incidents is not None and len(route.incidents):
            passed = ", ".join(
                f"{r.street} {r.count}" for r in route.incidents.itertuples(index=False)
            )
            console.print(f"Polisens händelser längs slingan: {escape(passed)}")
        for path in written:
            console.print(f"Skrev {path}")
        console.print(f"[dim]{route.attribution}[/]")
