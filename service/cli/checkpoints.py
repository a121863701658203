"""``loftesplan checkpoints``: spread K traffic checkpoints over a municipality's roads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from geodata.errors import InvalidInputError
from service.usecases import CheckpointRequest, plan_checkpoints_for_area


def _log(message: str) -> None:
    typer.echo(message, err=True)


def write_geojson(plan: Any, path: Path) -> None:
    """Write the chosen sites as GeoJSON (WGS 84)."""
    sites = plan.sites.drop(columns=["edge", "fraction", "preference"], errors="ignore")
    sites.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")


def register(app: typer.Typer) -> None:
    """Add the ``checkpoints`` command to ``app``."""

    @app.command()
    def checkpoints(
        kommun: str | None = typer.Option(None, "--kommun", help="Kommunens namn eller kod."),
        boundary: Path | None = typer.Option(None, "--boundary", help="Område som GeoJSON."),
        osm_file: Path | None = typer.Option(None, "--osm-file", help="Lokal OSM-fil."),
        count: int = typer.Option(..., "--count", help="Antal kontroller (K)."),
        radius_km: float | None = typer.Option(None, "--radius-km", help="Räckvidd i km."),
        radius_min: float | None = typer.Option(None, "--radius-min", help="Räckvidd i minuter."),
        candidates: Path | None = typer.Option(None, "--candidates", help="Egna kandidater."),
        fixed: Path | None = typer.Option(None, "--fixed", help="Fasta platser (GeoJSON)."),
        exclude: Path | None = typer.Option(None, "--exclude", help="Uteslutna områden."),
        min_separation_km: float | None = typer.Option(
            None, "--min-separation-km", help="Minsta fågelvägsavstånd mellan platser (km)."
        ),
        weighting: str = typer.Option("length", "--weighting", help="length, class, population"),
        exact: bool = typer.Option(False, "--exact", help="Exakt lösning med HiGHS."),
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
        """Sprid K kontroller över kommunens vägnät eller leder i terräng (maximal täckning).

        --radius-min räknar i terräng med 30 km/h på skogsvägar och 40 km/h på skoterleder.
        """
        if weighting not in ("length", "class", "population"):
            raise InvalidInputError("--weighting ska vara length, class eller population.")
        request = CheckpointRequest(
            kommun=kommun,
            boundary=boundary,
            osm_file=osm_file,
            count=count,
            radius_km=radius_km,
            radius_min=radius_min,
            candidates=candidates,
            fixed=fixed,
            exclude=exclude,
            min_separation_km=min_separation_km,
            weighting=weighting,
            exact=exact,
            seed=seed,
            network=network,
        )
        result = plan_checkpoints_for_area(request, progress=_log)
        plan, metrics, output = result.plan, result.metrics.to_dict(), result.to_json()
        if out:
            write_geojson(plan, out)
            _log(f"Skrev {out}")
        if map_path:
            from service.render.maps.coverage import coverage_map

            coverage_map(plan, metrics).save(str(map_path))
            _log(f"Skrev {map_path} ({map_path.stat().st_size / 1e6:.1f} MB)")
        if as_json:
            print(json.dumps(output, ensure_ascii=False))
            return
        m = output["metrics"]
        what = "väg" if network == "road" else "led"
        _log(
            f"{len(output['sites'])} kontroller täcker {m['road_km_covered']:.0f} av "
            f"{m['road_km_total']:.0f} km {what} ({100 * m['share_road_km_covered']:.1f} %); "
            f"största lucka {m['largest_gap_km']:.1f} km."
        )
        for site in output["sites"]:
            print(
                f"{site['id']:>4}  {site['lat']:.5f}, {site['lon']:.5f}  {site['reason']:<15} "
                f"{site['road_km_covered']:.1f} km"
            )
