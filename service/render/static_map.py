"""Static overview map of a walk as a PNG, rendered on the server with matplotlib.

No browser and no tiles: the base layer is the walkable network around the loop (grey), the
loop is drawn in three colours by lighting (lit, unlit, unknown), with numbered stops and the
meeting point. Used on page 1 of the printed protocol.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from geodata import WGS84, transformer

LIT = "#1a9850"
UNLIT = "#d7301f"
UNKNOWN = "#fd8d3c"
START = "#238b45"
STOP = "#08306b"
LIGHTING_COLOURS = {"lit": LIT, "unlit": UNLIT, "unknown_lit": UNKNOWN}
LIGHTING_LABELS = {
    "lit": "Belyst (lit=yes)",
    "unlit": "Obelyst (lit=no)",
    "unknown_lit": "Belysning okänd – kontrollera",
}


def walk_map_png(route: Any, width_mm: float = 182.0, height_mm: float = 150.0) -> bytes:
    """The walk's overview map as PNG bytes (150 dpi).

    Parameters
    ----------
    route
        A :class:`service.planning.walks.WalkRoute`.
    width_mm, height_mm
        Printed size of the image.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    crs = route.crs
    fig = plt.figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=150)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_aspect("equal")
    if route.base is not None and len(route.base):
        for xy in _lines(route.base.to_crs(crs).geometry):
            ax.plot(xy[:, 0], xy[:, 1], color="#c8c8c8", linewidth=0.6, zorder=1)
    walked = np.asarray(route.geometry.coords)
    ax.plot(walked[:, 0], walked[:, 1], color="#6baed6", linewidth=7, alpha=0.35, zorder=2)
    edges = route.lighting_edges.to_crs(crs)
    for kind, colour in LIGHTING_COLOURS.items():
        for xy in _lines(edges[edges["kind"] == kind].geometry):
            ax.plot(
                xy[:, 0], xy[:, 1], color=colour, linewidth=2.6, zorder=3, solid_capstyle="round"
            )
    to_metric = transformer(WGS84, crs)
    _numbered_marker(ax, to_metric.transform(*route.start), "S", START, large=True)
    for stop in route.stops:
        _numbered_marker(ax, to_metric.transform(stop.lon, stop.lat), str(stop.order), STOP)
    xmin, ymin, xmax, ymax = route.geometry.buffer(60).bounds
    # Keep the page's aspect so the map fills the frame.
    aspect = height_mm / width_mm
    cx, cy, w, h = (xmin + xmax) / 2, (ymin + ymax) / 2, xmax - xmin, ymax - ymin
    w, h = max(w, h / aspect), max(h, w * aspect)
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    handles = [
        Line2D([], [], color=c, linewidth=3, label=LIGHTING_LABELS[k])
        for k, c in LIGHTING_COLOURS.items()
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.85)
    ax.text(
        0.995,
        0.005,
        route.attribution,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=5.5,
        color="#444",
        backgroundcolor=(1, 1, 1, 0.7),
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    plt.close(fig)
    return buffer.getvalue()


def _numbered_marker(
    ax: Any, xy: tuple[float, float], label: str, colour: str, large: bool = False
) -> None:
    """A filled circle with ``label`` in white at ``xy`` (the start is drawn larger)."""
    ax.scatter([xy[0]], [xy[1]], s=260 if large else 200, color=colour, edgecolor="white",
               linewidth=1.5 if large else 1.2, zorder=5)  # fmt: skip
    ax.annotate(label, xy, ha="center", va="center", color="white",
                fontsize=9 if large else 7.5, fontweight="bold", zorder=6)  # fmt: skip


def _lines(geoms: Any) -> list[np.ndarray]:
    """Coordinate arrays of every LineString part."""
    out: list[np.ndarray] = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        parts = getattr(geom, "geoms", [geom])
        out.extend(np.asarray(part.coords) for part in parts)
    return out
