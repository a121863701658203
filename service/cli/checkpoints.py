"""``loftesplan checkpoints``: spread K traffic checkpoints over a municipality's roads."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer

from geodata.errors import InvalidInputError
from service.planning.checkpoints.risk import DEFAULT_RISK_WEIGHT, DEFAULT_VENUE_WEIGHT
from service.render.format import number, percent
from service.usecases import CheckpointRequest, plan_checkpoints_for_area


def _log(message: str) -> None:
    typer.echo(message, err=True)


def write_geojson(plan: Any, path: Path) -> None:
    """Write the chosen sites as GeoJSON (WGS 84)."""
    sites = plan.sites.drop(columns=["edge", "fraction", "preference"], errors="ignore")
    sites.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")


#: Reach of a checkpoint when the planner gives none: 5 minutes' driving.
DEFAULT_RADIUS_MIN = 5.0


def register(app: typer.Typer) -> None:
    """Add the ``checkpoints`` command to ``app``."""

    @app.command()
    def checkpoints(
        kommun: str | None = typer.Option(
            None, "--kommun", help="Kommunens namn eller kod (eller --boundary)."
        ),
        boundary: Path | None = typer.Option(
            None, "--boundary", help="Område som GeoJSON (i stället för --kommun)."
        ),
        osm_file: Path | None = typer.Option(
            None,
            "--osm-file",
            help="Lokal OSM-fil; ensam: hela filens område. Utan: sparad data eller internet.",
        ),
        count: int = typer.Option(..., "--count", help="Antal kontroller (K)."),
        radius_km: float | None = typer.Option(
            None, "--radius-km", help="Räckvidd i km (i stället för --radius-min)."
        ),
        radius_min: float | None = typer.Option(
            None,
            "--radius-min",
            help="Räckvidd i minuters körning (i stället för --radius-km). "
            f"Utan någon av dem: {DEFAULT_RADIUS_MIN:g} minuter.",
        ),
        candidates: Path | None = typer.Option(None, "--candidates", help="Egna kandidater."),
        fixed: Path | None = typer.Option(None, "--fixed", help="Fasta platser (GeoJSON)."),
        exclude: Path | None = typer.Option(None, "--exclude", help="Uteslutna områden."),
        min_separation_km: float | None = typer.Option(
            None,
            "--min-separation-km",
            help="Minsta fågelvägsavstånd mellan platser (km); standard en tredjedel av "
            "räckvidden, 0 stänger av.",
        ),
        weighting: str = typer.Option(
            "length",
            "--weighting",
            help="Vad som ska täckas: length (väglängd), class (vägklass), population "
            "(befolkning) eller risk (Polisens trafikolyckor, rattfylleri och trafikbrott, "
            "plus vägar nära utskänkningsställen).",
        ),
        risk_weight: float = typer.Option(
            DEFAULT_RISK_WEIGHT,
            "--risk-weight",
            help="Med --weighting risk: andel risk (0–1) i blandningen med väglängd.",
        ),
        venue_weight: float = typer.Option(
            DEFAULT_VENUE_WEIGHT,
            "--venue-weight",
            help="Med --weighting risk: utskänkningsställenas andel (0–1) av risken "
            "(vägar inom 1 km).",
        ),
        events_since: str | None = typer.Option(
            None,
            "--events-since",
            help="Med --weighting risk: händelser från detta datum (ÅÅÅÅ-MM-DD); "
            "standard de senaste tre åren.",
        ),
        objective: str = typer.Option(
            "spread",
            "--objective",
            help="spread: största täckning, sedan bäst spridning (standard); coverage: bara "
            "täckning, utan standardavstånd (den tidigare metoden, för jämförelse).",
        ),
        exact: bool = typer.Option(False, "--exact", help="Exakt lösning med HiGHS."),
        time_limit: float | None = typer.Option(
            None,
            "--time-limit",
            help=(
                "Längsta tid för optimeringen i sekunder (standard 120 s med --exact; "
                "täckningen får högst två tredjedelar, spridningen resten)."
            ),
        ),
        seed: int = typer.Option(0, "--seed", help="Frö för likvärdiga val."),
        network: str = typer.Option(
            "road",
            "--network",
            help="Vägnät att planera på: road (bilvägar), snowmobile (skoterleder, "
            "skoterövervakning) eller track (skogs- och traktorvägar, kontroller i terräng).",
        ),
        out: Path | None = typer.Option(None, "--out", help="Skriv platserna som GeoJSON."),
        map_path: Path | None = typer.Option(None, "--map", help="Skriv täckningskarta (HTML)."),
        as_json: bool = typer.Option(False, "--json", help="Skriv resultatet som JSON."),
    ) -> None:
        """Sprid K kontroller över kommunens vägnät eller leder i terräng.

        Först så mycket väg (eller risk) inom räckhåll som möjligt, sedan så jämnt utspritt
        som möjligt utan att täckningen minskar. Planen får en övre gräns för vad någon plan
        kan nå och hur långt från bästa möjliga den som mest ligger.

        --radius-min räknar i terräng med 30 km/h på skogsvägar och 40 km/h på skoterleder.
        """
        since = None
        if events_since is not None:
            try:
                since = date.fromisoformat(events_since)
            except ValueError as exc:
                raise InvalidInputError(
                    f"Ogiltigt datum {events_since!r}; skriv ÅÅÅÅ-MM-DD (--events-since)."
                ) from exc
        request = CheckpointRequest(
            kommun=kommun,
            boundary=boundary,
            osm_file=osm_file,
            count=count,
            radius_km=radius_km,
            radius_min=DEFAULT_RADIUS_MIN
            if radius_km is None and radius_min is None
            else radius_min,
            candidates=candidates,
            fixed=fixed,
            exclude=exclude,
            min_separation_km=min_separation_km,
            weighting=weighting,
            exact=exact,
            seed=seed,
            network=network,
            objective=objective,
            time_limit=time_limit,
            risk_weight=risk_weight,
            venue_weight=venue_weight,
            events_since=since,
        )
        result = plan_checkpoints_for_area(request, progress=_log)
        plan, metrics, output = result.plan, result.metrics.to_dict(), result.to_json()
        if out:
            write_geojson(plan, out)
            _log(f"Skrev {out}")
        if map_path:
            from service.render.maps.assets import write_map
            from service.render.maps.coverage import coverage_map

            write_map(coverage_map(plan, metrics, tiles=None), map_path)
            _log(f"Skrev {map_path} ({map_path.stat().st_size / 1e6:.1f} MB)")
        if as_json:
            print(json.dumps(output, ensure_ascii=False))
            return
        what = "väg" if network == "road" else "led"
        for line in explained_lines(output, what):
            _log(line)
        for site in output["sites"]:
            print(
                f"{site['id']:>4}  {site['lat']:.5f}, {site['lon']:.5f}  {site['reason']:<15} "
                f"{site['road_km_covered']:.1f} km"
            )


def explained_lines(output: dict[str, Any], what: str = "väg") -> list[str]:
    """The plan's figures, one line each with its Swedish explanation after a dash."""
    m, why = output["metrics"], output["explanations"]
    lines = [
        f"Täckt {what}: {number(m['road_km_covered'], 1)} av {number(m['road_km_total'], 1)} km "
        f"({percent(m['share_road_km_covered'])}) – {why['road_km_covered']}",
        f"Största lucka: {number(m['largest_gap_km'], 1)} km – {why['largest_gap_km']}",
        f"Vägkilometer per kontroll, minst / median / störst: "
        f"{number(m['road_km_per_site_min'], 1)} / {number(m['road_km_per_site_median'], 1)} / "
        f"{number(m['road_km_per_site_max'], 1)} km – {why['road_km_per_site_min']}",
        f"Medelavstånd till närmaste kontroll: {number(m['mean_distance_km'], 2)} km – "
        f"{why['mean_distance_km']}",
        f"Kortaste avstånd mellan två kontroller: {number(m['min_site_distance_km'], 2)} km – "
        f"{why['min_site_distance_km']}",
    ]
    if m.get("settlements_total"):
        lines.append(
            f"Tätorter nådda: {m['settlements_reached']} av {m['settlements_total']}; "
            f"befolkning {percent(m['share_population_covered'])} – "
            f"{why['share_population_covered']}"
        )
    cert = output.get("certificate")
    if cert:
        lines.append(
            f"Övre gräns: {number(cert['upper_bound'], 1)} {cert['unit']} (planen "
            f"{number(cert['covered'], 1)}); "
            f"{cert['text']} – {why['upper_bound']}"
        )
    risk = output.get("risk")
    if risk:
        lines.append(
            f"{risk['label'][0].upper()}{risk['label'][1:]}: {percent(risk['share'])} "
            f"({risk['placed']} av {risk['notices']} händelser placerade) – {why['risk_share']}"
        )
    return lines
