"""What the public pages show, assembled from the national record and the stored follow-up.

The routers in :mod:`service.api.routers.pages` stay thin: they call these builders and hand
the result to a template. Every number is formatted by :mod:`service.render.format`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geodata.municipalities import Municipality, all_municipalities, settlements
from service.followup.record import (
    load_aggregate,
    national_record,
    notice_types,
    quarterly,
    years_of,
)
from service.followup.spread import cached_road_network
from service.render import format as fmt
from service.render.choropleth import CLASS_COLOURS, NO_DATA, choropleth_svg, class_breaks
from service.render.maps.assets import use_local_assets
from service.render.maps.public import public_map


def source_line(aggregate: dict[str, Any]) -> str:
    """The Polisen source line with the record's dates and origin."""
    return (
        f"{aggregate['attribution']}, händelsenotiser {fmt.date_sv(aggregate['first_date'])} – "
        f"{fmt.date_sv(aggregate['data_date'])} ({aggregate.get('origin', 'medföljande')} "
        f"sammanställning, byggd {fmt.date_sv(aggregate['built'])})"
    )


def default_year(aggregate: dict[str, Any]) -> str | None:
    """The latest full calendar year of the record (else the latest year)."""
    years = years_of(aggregate)
    last = aggregate.get("data_date") or ""
    if len(years) > 1 and not last.endswith("12-31"):
        return years[-2]
    return years[-1] if years else None


def chosen_year(aggregate: dict[str, Any], year: str | None) -> str | None:
    """``year`` if the record covers it; "alla" gives None (the whole record)."""
    if year == "alla":
        return None
    if year in years_of(aggregate):
        return year
    return default_year(aggregate)


def start_context() -> dict[str, Any]:
    """The start page: every municipality, sorted by its name."""
    ordered = sorted(all_municipalities(), key=lambda m: fmt.sort_key(m.name))
    return {
        "municipalities": [
            {"code": m.code, "name": m.name, "label": fmt.municipality_name(m), "county": m.county}
            for m in ordered
        ]
    }


def sweden_context(year: str | None) -> dict[str, Any]:
    """/sverige: the national table and choropleth for one year (or the whole record)."""
    aggregate = load_aggregate()
    chosen = chosen_year(aggregate, year)
    rows = national_record(aggregate, chosen)
    per = {r.code: r.per_10000 for r in rows}
    breaks = class_breaks([v for v in per.values() if v is not None])
    span = chosen or "hela perioden"
    titles = {
        r.code: f"{r.name}: {fmt.number(r.checks)} trafikkontroller {span}, "
        f"{fmt.number(r.per_10000, 1)} per 10 000 invånare"
        for r in rows
    }
    svg = choropleth_svg(
        per,
        titles,
        breaks,
        f"Karta över Sveriges 290 kommuner: trafikkontroller per 10 000 invånare, {span}. "
        "Samma siffror finns i tabellen nedan.",
    )
    limits = [0.0, *breaks]
    legend = []
    for i, colour in enumerate(CLASS_COLOURS[: len(limits)]):
        low = limits[i]
        high = breaks[i] if i < len(breaks) else None
        text = (
            f"{fmt.number(low, 1)}–{fmt.number(high, 1)}"
            if high is not None
            else f"över {fmt.number(low, 1)}"
        )
        legend.append((colour, text))
    legend.append((NO_DATA, "uppgift saknas"))
    return {
        "rows": sorted(rows, key=lambda r: fmt.sort_key(r.name)),
        "year": chosen,
        "years": years_of(aggregate),
        "svg": svg,
        "legend": legend,
        "source": source_line(aggregate),
        "fmt": fmt,
    }


def municipality_record(m: Municipality, promises: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The municipality page's Polisen record: per quarter and per year, against promises."""
    aggregate = load_aggregate()
    quarters = quarterly(aggregate, m.code)
    years = {r.code: r for r in national_record(aggregate, None) if r.code == m.code}
    per_year = []
    for year in years_of(aggregate):
        row = next(r for r in national_record(aggregate, year) if r.code == m.code)
        per_year.append((year, row))
    highest = max([q["checks"] for q in quarters] or [0]) or 1
    against = []
    for promise in promises:
        start, end = promise.get("period_start"), promise.get("period_end")
        for activity in promise.get("activities", []):
            if activity["kind"] != "traffic_control" or not start or not end:
                continue
            within = sum(q["checks"] for q in quarters if _quarter_within(q["quarter"], start, end))
            covered = _covered(aggregate, start, end)
            against.append(
                {
                    "title": promise.get("title") or "Medborgarlöfte",
                    "period": fmt.period_sv(start, end),
                    "promised": activity.get("promised") or activity.get("count_min"),
                    "notices": within,
                    "covered": covered,
                }
            )
    return {
        "quarters": quarters,
        "highest": highest,
        "per_year": per_year,
        "overall": years.get(m.code),
        "types": notice_types(aggregate, m.code)[:8],
        "against": against,
        "source": source_line(aggregate),
    }


def _quarter_within(key: str, start: Any, end: Any) -> bool:
    year, quarter = int(key[:4]), int(key[-1])
    first_month = 3 * (quarter - 1) + 1
    return (year, first_month) >= (start.year, start.month) and (year, first_month) <= (
        end.year,
        end.month,
    )


def _covered(aggregate: dict[str, Any], start: Any, end: Any) -> str:
    """Whether the record covers the promise period: "helt", "delvis" or "inte"."""
    first, last = aggregate.get("first_date"), aggregate.get("data_date")
    if not first or not last:
        return "inte"
    if end.isoformat() < first or start.isoformat() > last:
        return "inte"
    if start.isoformat() >= first and end.isoformat() <= last:
        return "helt"
    return "delvis"


def map_page(
    m: Municipality, year: str | None, areas: Sequence[dict[str, object]]
) -> dict[str, Any]:
    """The public map page: folium parts to embed, legend, and the settlements table."""
    aggregate = load_aggregate()
    chosen = chosen_year(aggregate, year)
    towns = settlements(m.code)
    entry = aggregate["municipalities"].get(m.code, {}).get("traffic", {})
    block = entry.get("all") if chosen is None else entry.get("years", {}).get(chosen)
    reach = dict((block or {}).get("reached", {}))
    span = chosen or "hela perioden"
    caption = f"Polisens trafikkontroller {span}"
    result = public_map(
        m.code, towns, reach, areas, caption, [source_line(aggregate)], cached_road_network(m.code)
    )
    root = result.fmap.get_root()
    root.render()
    rows = []
    for _, town in towns.iterrows():
        name = str(town["name"])
        rows.append(
            {
                "name": name,
                "category": "tätort" if town["category"] == "Tätort" else "småort/bebyggelse",
                "population": town["population"],
                "checks": reach.get(name, 0),
            }
        )
    note = ""
    if towns.empty:
        # No settlement outlines here (no mb_riks.zip, offline): the record still names them.
        rows = [
            {"name": n, "category": "ort", "population": None, "checks": c}
            for n, c in sorted(reach.items())
        ]
        note = (
            "Orternas ytor saknas här (Lantmäteriets mb_riks.zip), så kartan visar inga orter; "
            "tabellen visar de orter Polisens notiser nådde. Importera Lantmäteriets data med "
            "`loftesplan data import lantmateriet`."
        )
    return {
        "note": note,
        "header": use_local_assets(root.header.render()),
        "body": root.html.render(),
        "script": root.script.render(),
        "legend": result.legend,
        "attributions": result.attributions,
        "towns": rows,
        "block": _map_block(block),
        "year": chosen,
        "years": years_of(aggregate),
        "caption": caption,
        "fmt": fmt,
    }


#: The record figures the map page reads; a municipality without Polisen checks has none.
_MAP_BLOCK_KEYS = (
    "settlements_reached",
    "settlements_total",
    "population_share",
    "farthest_unreached",
    "farthest_unreached_km",
)


def _map_block(block: dict[str, Any] | None) -> dict[str, Any]:
    """The chosen period's record with every figure the map page reads (None when absent)."""
    found = dict(block or {})
    return {**dict.fromkeys(_MAP_BLOCK_KEYS), **found}


def report_spread(
    m: Municipality, executed: Sequence[Any], period: tuple[Any, Any], until: Any
) -> dict[str, Any] | None:
    """Spread of the registered executed work inside the promise period (None without one)."""
    import numpy as np

    from geodata import METRIC_CRS, WGS84, transformer
    from service.followup.progress import local_day
    from service.followup.spread import executed_spread, population_by_code

    start, end = period
    if start is None or end is None:
        return None
    points = [
        (e.lon, e.lat)
        for e in executed
        if e.lat is not None
        and e.lon is not None
        and start <= local_day(e.happened_at) <= end
        and e.happened_at.replace(tzinfo=None) <= until.replace(tzinfo=None)
    ]
    to_metric = transformer(WGS84, METRIC_CRS)
    xy = np.array([to_metric.transform(x, y) for x, y in points], dtype=float).reshape(-1, 2)
    spread = executed_spread(xy, settlements(m.code), population_by_code().get(m.code))
    return {"spread": spread, "far": spread.farthest_unreached}
