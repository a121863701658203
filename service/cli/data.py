"""``loftesplan data fetch|info``: load OSM networks and feature layers into the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from geodata.area import Area
from geodata.errors import DataUnavailableError, UnknownMunicipalityError
from geodata.osm.tags import kind_name

console = Console()

KIND_LABELS = {
    "drive": "bilvägar",
    "walk": "gångvägar",
    "snowmobile": "skoterleder",
    "track": "skogsbilvägar",
}


def _feature_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind_name(k, plural=True)} {n}" for k, n in counts.items()) or "inga"


def _resolve_area(name_or_code: str, boundary: Path | None) -> Area:
    """The municipality's boundary, or the user's polygon named after the municipality."""
    from dataclasses import replace

    from geodata import municipalities

    if boundary is None:
        return municipalities.municipality_boundary(name_or_code)
    area = Area.from_geojson(boundary)
    try:
        found = municipalities.find_municipality(name_or_code)
    except UnknownMunicipalityError:
        return replace(area, name=name_or_code)  # a named area of the user's own
    return replace(area, name=found.name, code=found.code)


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to ``app``."""
    data_app = typer.Typer(
        help="Data: importera (Lantmäteriet, Polisen, OSM), lista, hämta OSM-data till cachen."
    )
    app.add_typer(data_app, name="data")
    register_import(data_app)

    @data_app.command("fetch")
    def fetch(
        name_or_code: str = typer.Argument(
            ..., help="Kommunens namn eller kod, t.ex. Åre eller 2321."
        ),
        osm_file: Path | None = typer.Option(
            None,
            "--osm-file",
            help="Lokal OSM-fil (.osm, .osm.bz2, .osm.pbf) i stället för Overpass.",
        ),
        boundary: Path | None = typer.Option(
            None, "--boundary", help="GeoJSON-polygon (WGS 84) i stället för kommungränsen."
        ),
        kinds: list[str] = typer.Option(
            ["drive", "walk"], "--kind", help="Nätverkstyper: drive, walk, snowmobile, track."
        ),
        refresh: bool = typer.Option(
            False, "--refresh", help="Hämta om även om data finns i cachen."
        ),
    ) -> None:
        """Load drive and walk networks and feature layers for an area into the cache."""
        from geodata.osm import lit_summary, load_area

        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task(f"Avgränsar {name_or_code}", total=None)
            area = _resolve_area(name_or_code, boundary)

            def step(message: str) -> None:
                progress.update(task, description=message)

            step(f"{area.name}: {area.area_km2:,.0f} km² ({area.source})".replace(",", " "))
            data = load_area(area, osm_file, kinds, refresh=refresh, progress=step)
            progress.update(task, description="Klart")
        table = Table(title=f"OSM-data för {area.name}")
        for column in ("lager", "antal", "km", "belyst", "källa", "datadatum"):
            table.add_column(column)
        for kind, network in data.networks.items():
            lit = lit_summary(network)
            table.add_row(
                KIND_LABELS.get(kind, kind),
                f"{len(network.edges)} sträckor",
                f"{network.total_length_km:.1f}",
                f"{lit.loc['yes', 'share']:.0%} ({lit.loc['missing', 'share']:.0%} otaggat)",
                network.provenance.source,
                network.provenance.data_date or "–",
            )
        if data.features is not None:
            prov = data.features.attrs.get("provenance", {})
            table.add_row(
                "objekt",
                str(len(data.features)),
                "",
                "",
                prov.get("source", ""),
                prov.get("data_date") or "–",
            )
        console.print(table)
        if data.features is not None:
            counts = data.features["kind"].value_counts()
            console.print("Objekt: " + _feature_counts({str(k): int(n) for k, n in counts.items()}))
        console.print(f"Cache: {', '.join(sorted(data.cache_dirs))}")
        first = next(iter(data.networks.values()), None)
        if first is not None:
            console.print(first.provenance.label)

    @data_app.command("info")
    def info(
        name_or_code: str = typer.Argument(
            ..., help="Kommunens namn eller kod (eller områdets namn)."
        ),
    ) -> None:
        """Show what is cached for an area: kinds, counts, km, source, data date."""
        from geodata.osm import cache

        entries = cache.entries(name_or_code)
        if not entries:
            try:
                from geodata import municipalities

                found = municipalities.find_municipality(name_or_code)
                entries = cache.entries(found.code) or cache.entries(found.name)
            except UnknownMunicipalityError:
                pass
        if not entries:
            raise DataUnavailableError(
                f"Inget i cachen för {name_or_code}. Hämta med `loftesplan data fetch "
                f"{name_or_code}` (kräver internet) eller med `--osm-file FIL`."
            )
        table = Table(title=f"Cachad OSM-data: {name_or_code}")
        for column in ("område", "lager", "antal", "km", "källa", "datadatum", "sparad"):
            table.add_column(column)
        for meta in entries:
            table.add_row(*_info_row(meta))
        console.print(table)
        for meta in entries:
            if meta.get("layer") == "features":
                console.print("Objekt: " + _feature_counts(meta.get("by_kind", {})))
        console.print(f"Katalog: {', '.join(sorted({m['directory'] for m in entries}))}")


def _info_row(meta: dict[str, Any]) -> list[str]:
    area = meta.get("area", {})
    prov = meta.get("provenance", {})
    counts = meta.get("counts", {})
    if meta.get("layer") == "features":
        layer = "objekt"
        count = str(counts.get("features", 0))
        km = ""
    else:
        layer = KIND_LABELS.get(meta.get("kind", ""), meta.get("kind", ""))
        count = f"{counts.get('edges', 0)} sträckor, {counts.get('nodes', 0)} noder"
        km = f"{meta.get('length_km', 0):.1f}"
    source = prov.get("source", "")
    if source == "file":
        source = f"fil {Path(prov.get('detail', '')).name}"
    label = f"{area.get('code') or ''} {area.get('name', '')}".strip()
    return [
        label,
        layer,
        count,
        km,
        source,
        prov.get("data_date") or "–",
        meta.get("created", "")[:10],
    ]


import_app = typer.Typer(
    help="Importera riktiga data till datakatalogen (för installerad användning utan ../shared).",
    no_args_is_help=True,
)


def _report(paths: list[Path]) -> None:
    from service.render.format import number

    for path in paths:
        size = number(path.stat().st_size / 1e6, 1)
        console.print(f"Importerade {path.name} ({size} MB) till {path.parent}")


@import_app.command("lantmateriet")
def import_lantmateriet_cmd(
    source: Path = typer.Argument(
        ..., exists=True, help="Katalog med ak_riks.zip och mb_riks.zip, eller en av filerna."
    ),
) -> None:
    """Lantmäteriets kommungränser och orter (GSD-Översiktskartan 1:1 miljon, CC0)."""
    from geodata import imported

    _report(imported.import_lantmateriet(source))


@import_app.command("polisen")
def import_polisen_cmd(
    source: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="Händelsearkiv (.jsonl eller .jsonl.gz)."
    ),
) -> None:
    """Polisens händelsenotiser (arkiv i JSON Lines); bygger om sammanställningen per kommun."""
    from geodata import imported
    from service.followup.record import import_archive
    from service.render.format import date_sv, number

    path = imported.import_polisen(source)
    _report([path])
    # The public pages' national record is rebuilt from the imported copy (idempotent); it
    # supersedes the one shipped with the package.
    console.print("Bygger sammanställningen per kommun för de publika sidorna (några minuter) …")
    aggregate = import_archive(path)
    console.print(
        f"Sammanställningen: {number(aggregate['notices'])} notiser, "
        f"{date_sv(aggregate['first_date'])} – {date_sv(aggregate['data_date'])}."
    )


@import_app.command("osm")
def import_osm_cmd(
    source: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="OSM-fil: en kommun, ett län eller hela Sverige."
    ),
    name: str | None = typer.Option(None, "--name", help="Namn i datakatalogen (filens namn)."),
) -> None:
    """Ett OSM-utdrag; varje kommun skärs ut ur det när den behövs (--kommun utan --osm-file)."""
    from geodata import imported

    _report([imported.import_osm(source, name)])


def register_import(data_app: typer.Typer) -> None:
    """Add ``data import …`` and ``data list`` to the ``data`` group."""
    data_app.add_typer(import_app, name="import")

    @data_app.command("list")
    def list_(as_json: bool = typer.Option(False, "--json", help="Skriv JSON.")) -> None:
        """Show imported data: kind, file, size, data date, import date and licence."""
        import json

        from geodata import imported
        from service.render.format import number

        rows = imported.listing()
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        if not rows:
            console.print(
                "Inga importerade data. Importera med "
                "`loftesplan data import lantmateriet|polisen|osm`."
            )
            return
        table = Table(title="Importerade data")
        for column in ("slag", "fil", "storlek", "datadatum", "importerad", "licens"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                row["kind"],
                row["name"],
                f"{number(row['bytes'] / 1e6, 1)} MB",
                row["data_date"] or "–",
                (row["imported"] or "–")[:10],
                row["licence"],
            )
        console.print(table)
