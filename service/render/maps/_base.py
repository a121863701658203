"""Small pieces shared by the folium maps: fixed HTML panels, legend and attribution footer."""

from __future__ import annotations

import folium
from branca.element import Element

from service.render import escape

_POSITIONS = {
    "topright": "top: 10px; right: 10px;",
    "bottomleft": "bottom: 24px; left: 10px;",
    "bottomright": "bottom: 24px; right: 10px;",
    "topleft": "top: 80px; left: 10px;",
}


def add_panel(fmap: folium.Map, inner_html: str, position: str, css_class: str) -> None:
    """Pin an HTML box to a corner of the map (not a layer: it stays when layers toggle)."""
    style = (
        f"position: fixed; {_POSITIONS[position]} z-index: 9999; background: white; "
        "padding: 8px 10px; border: 1px solid #888; border-radius: 4px; "
        "font: 12px/1.35 sans-serif; max-width: 320px; box-shadow: 0 1px 4px rgba(0,0,0,.3);"
    )
    fmap.get_root().html.add_child(
        Element(f'<div class="{css_class}" style="{style}">{inner_html}</div>')
    )


def add_legend(fmap: folium.Map, title: str, entries: list[tuple[str, str]]) -> None:
    """A legend box: ``entries`` are (colour, Swedish label)."""
    rows = "".join(
        f'<div><span style="display:inline-block;width:18px;height:4px;background:{c};'
        f'vertical-align:middle;margin-right:6px"></span>{escape.text(label)}</div>'
        for c, label in entries
    )
    add_panel(fmap, f"<b>{escape.text(title)}</b>{rows}", "bottomleft", "lp-legend")


def add_attribution(fmap: folium.Map, labels: list[str]) -> None:
    """Footer with every source and its data date (required wherever the data is shown)."""
    text = " · ".join(escape.text(label) for label in dict.fromkeys(labels) if label)
    add_panel(fmap, f"Källor: {text}", "bottomright", "lp-attribution")


def number_icon(label: int | str, colour: str = "#08306b") -> folium.DivIcon:
    """A round numbered marker for ordered stops (walks, rounds)."""
    return folium.DivIcon(
        icon_size=(24, 24),
        icon_anchor=(12, 12),
        html=(
            f'<div style="background:{colour};color:#fff;border:2px solid #fff;'
            "border-radius:12px;width:24px;height:24px;text-align:center;"
            f'font:bold 12px/20px sans-serif;box-shadow:0 0 3px #000">{escape.text(label)}</div>'
        ),
    )
