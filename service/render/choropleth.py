"""An inline SVG choropleth of all 290 municipalities (no tiles, no script, works offline)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import shapely

from geodata.municipalities import _scb_boundaries
from service.render import escape

#: Sequential colours (ColorBrewer YlGnBu, colour-blind safe), lightest = fewest.
CLASS_COLOURS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA = "#f0f0f0"
WIDTH = 360.0


@lru_cache(maxsize=1)
def _paths() -> tuple[dict[str, str], float]:
    """SVG path data per municipality code (simplified, y flipped) and the drawing height."""
    land = _scb_boundaries()
    minx, miny, maxx, maxy = land.total_bounds
    scale = WIDTH / (maxx - minx)
    height = (maxy - miny) * scale
    out = {}
    for code, geom in land.items():
        simple = shapely.simplify(geom, 1500.0, preserve_topology=True)
        parts = []
        for poly in getattr(simple, "geoms", [simple]):
            if poly.is_empty or poly.area < 4e6:  # islets under 4 km² vanish at this scale
                continue
            coords = np.asarray(poly.exterior.coords)
            xs = (coords[:, 0] - minx) * scale
            ys = (maxy - coords[:, 1]) * scale
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
            parts.append(f"M{points}Z")
        out[str(code)] = "".join(parts)
    return out, height


def class_breaks(values: Sequence[float], classes: int = len(CLASS_COLOURS)) -> list[float]:
    """Quantile class limits (upper bounds of all but the last class)."""
    data = np.asarray([v for v in values if v is not None], dtype=float)
    if data.size == 0:
        return []
    return [float(q) for q in np.quantile(data, np.linspace(0, 1, classes + 1)[1:-1])]


def colour_for(value: float | None, breaks: Sequence[float]) -> str:
    """The class colour of ``value``."""
    if value is None:
        return NO_DATA
    index = int(np.searchsorted(np.asarray(breaks), value, side="left"))
    return CLASS_COLOURS[min(index, len(CLASS_COLOURS) - 1)]


def choropleth_svg(
    values: dict[str, float | None], titles: dict[str, str], breaks: Sequence[float], label: str
) -> str:
    """The SVG: one path per municipality, coloured by class, with a hover title.

    The SVG is one image (``role="img"``) named by ``label``; the table on the page is its
    text alternative. Clicking a municipality opens its page (``data-kod``).
    """
    paths, height = _paths()
    rows = []
    for code, d in paths.items():
        colour = colour_for(values.get(code), breaks)
        title = escape.text(titles.get(code, code))
        rows.append(
            f'<path d="{d}" fill="{colour}" data-kod="{code}"><title>{title}</title></path>'
        )
    return (
        f'<svg class="choropleth" viewBox="0 0 {WIDTH:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape.text(label)}" stroke="#555" stroke-width="0.3">'
        + "".join(rows)
        + "</svg>"
    )
