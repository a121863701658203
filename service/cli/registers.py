"""``loftesplan places`` and ``loftesplan round``: places of a kind, registers, visit rounds."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from geodata.errors import InvalidInputError

console = Console()
err_console = Console(stderr=True)

#: A settlement given as a point (OSM place node) is taken as this radius (m).
SETTLEMENT_RADIUS_M = 1500.0


def _area(kommun: str | None, settlement: str | None, osm_file: Path | None) -> Any:
    """The Area to plan in: a settlement, a kommun, or None (the OSM file's extent)."""
    from geodata.area import Area

    if settlement and not kommun:
        raise InvalidInputError("Ange också --kommun när du anger --settlement.")
    if kommun is None:
        if osm_file is None:
            raise InvalidInputError(
                "Ange --kommun (och ev. --settlement) eller en OSM-fil med --osm-file."
            )
        return None
    from geodata.municipalities import find_settlement, municipality_boundary

    if settlement:
        row = find_settlement(kommun, settlement)
        geom = row.geometry
        if geom.geom_type == "Point":
            geom = geom.buffer(SETTLEMENT_RADIUS_M)
        return Area(name=str(row["name"]), geometry=geom, source=str(row.get("source", "")))
    return municipality_boundary(kommun)


KIND_HELP = (
    "Platstyp: utskänkningsställen, skolor, paketombud, båthamnar, fritidsgårdar, parker "
    "(eller venue, school, parcel_locker, marina, youth_centre, park)."
)


def _text(value: object) -> str:
    """Table cell text: empty for None and NaN."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _with_latlon(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    wgs = frame.to_crs(4326)
    return wgs.assign(lat=wgs.geometry.y.round(7), lon=wgs.geometry.x.round(7))


def _plain(frame: pd.DataFrame) -> list[dict[str, Any]]:
    plain = pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).astype(object)
    return plain.where(plain.notna(), None).to_dict(orient="records")


def _load_places(
    kind: str, area: Any, osm_file: Path | None, register: Path | None
) -> tuple[gpd.GeoDataFrame, Any, pd.DataFrame | None]:
    from geodata.osm import load_features
    from geodata.registers import import_register, match_register, places_of_kind

    features = load_features(area, osm_file=osm_file)
    places = places_of_kind(kind, features=features)
    if register is None:
        return places, None, None
    reg = import_register(register, osm_file=osm_file, features=features)
    return places, reg, match_register(reg, places)


def register(app: typer.Typer) -> None:
    """Add the commands to ``app``."""

    @app.command(help="Lista platser av ett slag i en kommun och matcha dem mot ett eget register.")
    def places(
        kind: str = typer.Argument(..., help=KIND_HELP),
        kommun: str | None = typer.Option(None, "--kommun", help="Kommunens namn eller kod."),
        osm_file: Path | None = typer.Option(None, "--osm-file", help="Lokal OSM-fil."),
        register_file: Path | None = typer.Option(
            None, "--register", help="Eget register (CSV eller Excel) med namn och adress."
        ),
        as_json: bool = typer.Option(False, "--json", help="Skriv ut JSON."),
    ) -> None:
        """List the places of a kind in a municipality, and match them to your own register."""
        from geodata.registers import kind_label

        label = kind_label(kind)
        area = _area(kommun, None, osm_file)
        found, reg, table = _load_places(kind, area, osm_file, register_file)
        if as_json:
            data: dict[str, Any] = {
                "kind": found.attrs["kind"],
                "label": label,
                "count": len(found),
                "note": found.attrs["note"] or None,
                "attribution": found.attrs["attribution"],
                "places": _plain(_with_latlon(found)),
            }
            if table is not None:
                data["register"] = {
                    "source": reg.source,
                    "rows": len(reg.rows),
                    "unplaced": _plain(reg.unplaced),
                    "match": _plain(table),
                }
            typer.echo(json.dumps(data, ensure_ascii=False, indent=1))
            return
        where = area.name if area is not None else Path(osm_file or "").name
        out = Table(title=f"{label.capitalize()} i {where}: {len(found)}")
        for col in ("namn", "typ", "öppettider", "osm"):
            out.add_column(col)
        for row in found.itertuples():
            out.add_row(
                _text(row.name) or "(namnlös)",
                _text(row.type_label),
                _text(row.opening_hours),
                row.place_id,
            )
        out.caption = found.attrs["attribution"]
        console.print(out)
        if found.attrs["note"]:
            console.print(f"[yellow]Obs:[/] {found.attrs['note']}")
        if table is not None:
            counts = table["status"].value_counts()
            match = Table(
                title=f"Register {Path(reg.source).name} mot OSM: "
                f"{counts.get('matched', 0)} samma, {counts.get('only_register', 0)} bara i "
                f"registret, {counts.get('only_osm', 0)} bara i OSM"
            )
            for col in ("status", "register", "OSM", "avstånd m", "likhet", "orsak"):
                match.add_column(col)
            labels = {"matched": "samma", "only_register": "bara register", "only_osm": "bara OSM"}
            # OSM-only places are already listed above; the match table shows the register.
            for row in table[table["status"] != "only_osm"].itertuples():
                distance = _text(row.distance_m) and f"{row.distance_m:.0f}"
                score = _text(row.score) and f"{row.score:.0f}"
                match.add_row(
                    labels[row.status],
                    _text(row.register_name),
                    _text(row.osm_name),
                    distance,
                    score,
                    _text(row.reason),
                )
            console.print(match)
            if len(reg.unplaced):
                err_console.print(
                    f"[yellow]{len(reg.unplaced)} rader i registret kunde inte placeras:[/]"
                )
                for row in reg.unplaced.itertuples():
                    err_console.print(f"  rad {row.row}: {row.name}, {row.address}: {row.reason}")

    @app.command(
        "round", help="Planera en besöksrunda en kväll eller dag genom platser av ett slag."
    )
    def round_(
        kind: str = typer.Argument(..., help="Platstyp, t.ex. utskänkningsställen."),
        kommun: str | None = typer.Option(None, "--kommun", help="Kommunens namn eller kod."),
        settlement: str | None = typer.Option(
            None, "--settlement", help="Tätort i kommunen (alla platser där)."
        ),
        osm_file: Path | None = typer.Option(None, "--osm-file", help="Lokal OSM-fil."),
        register_file: Path | None = typer.Option(
            None, "--register", help="Eget register: besök registrets platser."
        ),
        start: str | None = typer.Option(None, "--start", help="Start och mål som LAT,LON."),
        day: str | None = typer.Option(None, "--date", help="Datum ÅÅÅÅ-MM-DD (i dag)."),
        clock: str | None = typer.Option(None, "--from", help="Starttid TT:MM (18:00)."),
        max_places: int | None = typer.Option(None, "--max-places", help="Högst så många besök."),
        hours: float = typer.Option(6.0, "--hours", help="Rundans längsta tid i timmar."),
        service_min: float = typer.Option(15.0, "--service-min", help="Minuter per besök."),
        mode: str = typer.Option(
            "drive", "--mode", help="drive (bil, enkelriktning följs) eller walk (till fots)."
        ),
        gpx: Path | None = typer.Option(None, "--gpx", help="Spara rutten som GPX."),
        map_file: Path | None = typer.Option(None, "--map", help="Spara en karta (HTML)."),
        as_json: bool = typer.Option(False, "--json", help="Skriv ut JSON."),
    ) -> None:
        """Plan one evening's or day's visit round through places of a kind."""
        from geodata.registers import kind_label, register_places
        from service.planning.rounds import parse_date_time
        from service.planning.walks import parse_latlon
        from service.usecases import RoundRequest, plan_round_for_places

        label = kind_label(kind)
        start_time = parse_date_time(day, clock)
        start_point = parse_latlon(start, "startpunkten") if start else None
        if mode not in {"drive", "walk"}:
            raise InvalidInputError(f"Okänt färdsätt {mode!r}; välj drive eller walk.")
        area = _area(kommun, settlement, osm_file)
        found, reg, table = _load_places(kind, area, osm_file, register_file)
        extra = []
        if table is not None:
            # The register decides which places hold a licence; OSM adds the opening hours.
            matched = table.loc[table["status"] == "matched", "osm_id"]
            only_reg = table.loc[table["status"] == "only_register", "register_row"]
            own = register_places(reg, found.crs)
            own = own[own["place_id"].isin("register/" + only_reg.astype(str))]
            found = pd.concat([found[found["place_id"].isin(matched)], own], ignore_index=True)
            found = gpd.GeoDataFrame(found, geometry="geometry", crs=own.crs)
            extra.append(own.attrs["attribution"])
        where = area.name if area is not None else Path(osm_file or "").name
        plan = plan_round_for_places(
            RoundRequest(
                places=found,
                area=area,
                osm_file=osm_file,
                mode=mode,
                start=start_point,
                start_time=start_time,
                max_places=max_places,
                max_hours=hours,
                service_min=service_min,
                title=f"Tillsynsrunda {label}, {where}",
            )
        ).round
        if gpx is not None:
            gpx.write_text(plan.to_gpx(), encoding="utf-8")
        if map_file is not None:
            from service.render.maps.assets import write_map
            from service.render.maps.round import round_map

            write_map(round_map(plan, extra, tiles=None), map_file)
        if as_json:
            typer.echo(json.dumps(plan.to_json(), ensure_ascii=False, indent=1))
            return
        out = Table(title=f"{plan.title}: {plan.length_km:.2f} km, {len(plan.stops)} besök")
        for col in ("nr", "namn", "ankomst", "öppettider"):
            out.add_column(col)
        for s in plan.stops:
            out.add_row(
                str(s.order), s.name, f"{s.arrival:%H:%M}", s.opening_hours or "saknas i OSM"
            )
        out.caption = plan.attribution
        console.print(out)
        console.print(
            f"Start {plan.start_time:%Y-%m-%d %H:%M}, tillbaka {plan.end_time:%H:%M}. "
            + " ".join(plan.notes)
        )
        if len(plan.skipped):
            reasons = plan.skipped["reason"].value_counts()
            console.print(
                f"{len(plan.skipped)} platser ej med: "
                + ", ".join(f"{n} {r}" for r, n in reasons.items())
            )
