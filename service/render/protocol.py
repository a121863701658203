"""The printed walk protocol: HTML (print CSS, A4) and PDF from the same template.

PDF comes from WeasyPrint: it lays out the same HTML and CSS without a browser (pure Python
on Pango, which Debian installs with the fonts), so the server can answer ``protokoll.pdf``
and the CLI can write ``--protocol-pdf`` on machines without Chromium. Page 1 is the static
overview map (:mod:`service.render.static_map`), then directions, lighting and incidents, and
a compact checklist per stop. A 2.5 km walk fits on at most four A4 pages.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from geodata.errors import DataUnavailableError
from geodata.network import WALK_SPEED_KMH
from service.planning.walks.directions import round_m
from service.planning.walks.presets import get_purpose
from service.planning.walks.stops import fmt_km

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    env.filters["km"] = fmt_km
    env.filters["m"] = lambda v: f"{round_m(float(v)):,}".replace(",", "\u00a0")
    env.filters["pct"] = lambda v: f"{100 * float(v):.0f}\u00a0%"
    return env


def render_protocol(route: Any, title: str | None = None, *, with_map: bool = True) -> str:
    """The printable A4 protocol as HTML (the map embedded as a PNG data URI).

    Parameters
    ----------
    route
        A :class:`service.planning.walks.WalkRoute`.
    title
        Overrides the route's title (a user's own name for the walk).
    with_map
        Render the overview map (matplotlib); off only where no image is wanted.
    """
    map_uri = None
    if with_map:
        from service.render.static_map import walk_map_png

        png = walk_map_png(route)
        map_uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    from service.planning.walks import STOP_MINUTES

    purpose = get_purpose(route.purpose)
    minutes = route.length_km * 60.0 / WALK_SPEED_KMH + STOP_MINUTES * len(route.stops)
    incidents = route.incidents if route.incidents is not None else None
    return (
        _env()
        .get_template("protocol.html.j2")
        .render(
            title=title or route.title or "Trygghetsvandring",
            purpose=purpose,
            meeting_point=route.meeting_point or f"{route.start[1]:.5f}, {route.start[0]:.5f}",
            length_km=route.length_km,
            minutes=round(minutes / 5.0) * 5,
            stops=route.stops,
            directions=route.directions,
            questions=purpose.questions,
            lighting=route.lighting,
            incidents=[] if incidents is None else incidents.to_dict("records"),
            incidents_checked=incidents is not None,
            incident_span=route.incident_span,
            repeated_share=route.repeated_edge_share,
            attribution=route.attribution,
            map_uri=map_uri,
        )
    )


def render_protocol_pdf(route: Any, title: str | None = None) -> bytes:
    """The protocol as PDF bytes (WeasyPrint; no browser)."""
    return html_to_pdf(render_protocol(route, title))


def html_to_pdf(html: str) -> bytes:
    """A4 PDF of a rendered protocol page.

    WeasyPrint lays the same HTML out without a browser; it needs Debian's Pango, so a
    machine without it gets a clear Swedish message instead of an OSError.
    """
    try:
        from weasyprint import HTML
    except OSError as exc:  # Pango's shared libraries are missing
        raise DataUnavailableError(
            "PDF kan inte skapas på den här datorn (biblioteket Pango saknas); "
            "skriv ut HTML-protokollet i stället."
        ) from exc
    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf
