"""``loftesplan checkpoints``: spread K traffic checkpoints over a municipality's roads."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import typer

from geodata.errors import InvalidInputError

#: Settlements at or above this population must be reached by a site where feasible.
DEFAULT_POPULATION_THRESHOLD = 1000


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def run_checkpoints(
    kommun: str | None = None,
    boundary: Path | None = None,
    osm_file: Path | None = None,
    count: int = 100,
    radius_km: float | None = None,
    radius_min: float | None = None,
    candidates: Path | None = None,
    fixed: Path | None = None,
    exclude: Path | None = None,
    min_separation_km: float | None = None,
    weighting: str = "length",
    exact: bool = False,
    seed: int = 0,
    population_threshold: float | None = DEFAULT_POPULATION_THRESHOLD,
    with_map: bool = False,
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """Load data, plan and measure; the CLI and benchmarks share this.

    Returns
    -------
    plan, metrics, output
        The :class:`~service.checkpoints.CheckpointPlan`, the spread metrics and the JSON
        object the CLI prints with ``--json``.
    """
    from geodata.area import Area
    from geodata.osm import load_features, load_network
    from service.checkpoints import plan_checkpoints, read_points
    from service.coverage import spread_metrics

    t0 = time.perf_counter()
    if (radius_km is None) == (radius_min is None):
        raise InvalidInputError("Ange exakt en av --radius-km och --radius-min.")
    radius_value = radius_km if radius_km is not None else radius_min
    if radius_value is None or radius_value <= 0:
        raise InvalidInputError("Radien måste vara större än 0.")
    if count < 1:
        raise InvalidInputError("Antalet kontroller (--count) måste vara minst 1.")
    if kommun and boundary:
        raise InvalidInputError("Ange antingen --kommun eller --boundary, inte båda.")
    if not (kommun or boundary or osm_file):
        raise InvalidInputError("Ange --kommun, --boundary eller --osm-file.")
    mode, radius = ("length", radius_km * 1000.0) if radius_km else ("time", radius_min * 60.0)

    area = None
    settlements = None
    if kommun:
        from geodata.municipalities import municipality_boundary
        from geodata.municipalities import settlements as find_settlements

        area = municipality_boundary(kommun)
        settlements = find_settlements(kommun)
        if settlements is not None and settlements.empty:
            settlements = None
    elif boundary:
        area = Area.from_geojson(boundary)
    _log(f"Läser vägnät{' för ' + area.name if area else ''}…")
    network = load_network(area, "drive", osm_file)
    if network.edges.empty:
        raise InvalidInputError("Området saknar bilvägar att planera på.")
    features = load_features(area, osm_file) if candidates is None else None
    t_load = time.perf_counter() - t0

    user_cands = read_points(candidates, "kandidatfilen") if candidates else None
    fixed_pts = read_points(fixed, "filen med fasta platser") if fixed else None
    exclude_geom = Area.from_geojson(exclude) if exclude else None
    _log(f"Planerar {count} kontroller på {network.total_length_km:.0f} km väg…")
    plan = plan_checkpoints(
        network,
        count,
        radius,
        mode=mode,
        features=features,
        candidates=user_cands,
        fixed=fixed_pts,
        exclude=exclude_geom,
        min_separation=min_separation_km * 1000.0 if min_separation_km else None,
        weighting=weighting,
        settlements=settlements,
        population_threshold=population_threshold if settlements is not None else None,
        method="exact" if exact else "heuristic",
        seed=seed,
        area=area,
    )
    metrics = spread_metrics(
        network, plan.sites, radius, settlements, mode=mode, pieces=plan.pieces
    )
    total = time.perf_counter() - t0
    sites_wgs = plan.sites.to_crs("EPSG:4326")
    output = {
        "sites": [
            {
                "id": int(row.id),
                "lat": round(float(row.geometry.y), 6),
                "lon": round(float(row.geometry.x), 6),
                "reason": row.reason,
                "road_km_covered": round(float(row.road_km_covered), 3),
            }
            for row in sites_wgs.itertuples()
        ],
        "metrics": {
            key: metrics[key]
            for key in (
                "road_km_total",
                "road_km_covered",
                "share_road_km_covered",
                "share_population_covered",
                "settlements_reached",
                "settlements_total",
                "largest_gap_km",
            )
        },
        "timings_s": {
            "load": round(t_load, 3),
            "network": round(plan.timings["candidates"] + plan.timings["network"], 3),
            "optimise": round(plan.timings["optimise"], 3),
            "total": round(total, 3),
        },
    }
    return plan, metrics, output


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
        out: Path | None = typer.Option(None, "--out", help="Skriv platserna som GeoJSON."),
        map_path: Path | None = typer.Option(None, "--map", help="Skriv täckningskarta (HTML)."),
        as_json: bool = typer.Option(False, "--json", help="Skriv resultatet som JSON."),
    ) -> None:
        """Sprid K trafikkontroller över kommunens vägnät (maximal täckning)."""
        if weighting not in ("length", "class", "population"):
            raise InvalidInputError("--weighting ska vara length, class eller population.")
        plan, metrics, output = run_checkpoints(
            kommun, boundary, osm_file, count, radius_km, radius_min, candidates, fixed,
            exclude, min_separation_km, weighting, exact, seed,
        )  # fmt: skip
        if out:
            write_geojson(plan, out)
            _log(f"Skrev {out}")
        if map_path:
            from service.maps.coverage import coverage_map

            coverage_map(plan, metrics).save(str(map_path))
            _log(f"Skrev {map_path} ({map_path.stat().st_size / 1e6:.1f} MB)")
        if as_json:
            print(json.dumps(output, ensure_ascii=False))
            return
        m = output["metrics"]
        _log(
            f"{len(output['sites'])} kontroller täcker {m['road_km_covered']:.0f} av "
            f"{m['road_km_total']:.0f} km väg ({100 * m['share_road_km_covered']:.1f} %); "
            f"största lucka {m['largest_gap_km']:.1f} km."
        )
        for site in output["sites"]:
            print(
                f"{site['id']:>4}  {site['lat']:.5f}, {site['lon']:.5f}  {site['reason']:<15} "
                f"{site['road_km_covered']:.1f} km"
            )
