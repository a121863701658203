"""``loftesplan walk``: plan a trygghetsvandring loop and write its map, GPX and protocol."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console


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
        weights: str | None = typer.Option(
            None, "--weights", help="Vikter per typ, t.ex. venue=3,unlit=1,school=2."
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
            from service.render.maps.walk import walk_map

            walk_map(route).save(str(map_path))
            written.append(map_path)
        if protocol:
            protocol.write_text(walks.render_protocol(route), encoding="utf-8")
            written.append(protocol)
        if as_json:
            typer.echo(json.dumps(route.to_json(), ensure_ascii=False))
            return
        console = Console()
        console.print(
            f"[bold]Trygghetsvandring[/] {route.area_name}: {route.length_km:.2f} km, "
            f"{len(route.stops)} stopp, prioritet {route.priority_collected:.1f}, "
            f"upprepad sträcka {route.repeated_edge_share:.0%}"
        )
        console.print(f"Samlingsplats: {route.start[1]:.5f}, {route.start[0]:.5f}")
        for stop in route.stops:
            console.print(f"  {stop.order:>2}. {stop.name} – {stop.reason}")
        for path in written:
            console.print(f"Skrev {path}")
        console.print(f"[dim]{route.attribution}[/]")
