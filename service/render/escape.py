r"""The one escaping path for text that reaches a page or a map's JavaScript.

Folium writes tooltips and popups into the page's script inside JavaScript template literals
(`` `...` ``) and then hands them to Leaflet as HTML; GeoJSON tooltips put property values
into ``innerHTML``. Text from users (finding descriptions, walk and plan names) and from
data (OSM names, settlement names) must therefore be safe in both places at once:

* as HTML: ``& < > " '`` become entities;
* inside a template literal: `` ` ``, ``$`` and ``\\`` (which would end the literal, start an
  expression or escape a character) and U+2028/U+2029 become entities too, so the literal's
  value is exactly the HTML text, which the browser then shows as the original characters;
* as Jinja source: ``{`` and ``}`` become entities, since folium's library (branca) compiles
  each rendered map part as a template once more before it writes the page.

Every map builds its tooltips with :func:`tooltip`, its popups with :func:`popup` (markup we
write, with each value passed through :func:`text`) and its GeoJSON tooltip properties with
:func:`geojson_text`. Jinja templates escape by themselves (autoescape).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import folium
import pandas as pd

#: Characters that are harmless in HTML text but not inside a JavaScript template literal, and
#: the braces: branca compiles each rendered map part as a Jinja template again, so
#: ``{{ ... }}`` in a finding's description ran on the server and ``{%`` answered 500.
_TEMPLATE_LITERAL = str.maketrans(
    {
        "`": "&#96;",
        "$": "&#36;",
        "\\": "&#92;",
        "\u2028": "&#8232;",
        "\u2029": "&#8233;",
        "{": "&#123;",
        "}": "&#125;",
    }
)


def text(value: object) -> str:
    """Any value as HTML text that is also inert inside a JavaScript template literal."""
    return html.escape(str(value), quote=True).translate(_TEMPLATE_LITERAL)


def markup(fragment: str) -> str:
    r"""Service-written markup (values already through :func:`text`), inert in a literal.

    The markup itself must not use `` ` ``, ``$``, ``\`` or braces as code.
    """
    return fragment.translate(_TEMPLATE_LITERAL)


def tooltip(value: object, **options: Any) -> folium.Tooltip:
    """A folium tooltip showing ``value`` as plain text."""
    return folium.Tooltip(text(value), **options)


def popup(fragment: str, max_width: int = 260) -> folium.Popup:
    """A folium popup from service-written markup whose values went through :func:`text`."""
    return folium.Popup(markup(fragment), max_width=max_width)


def text_popup(value: object, max_width: int = 260) -> folium.Popup:
    """A folium popup showing ``value`` as plain text."""
    return folium.Popup(text(value), max_width=max_width)


def geojson_text(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A copy of ``frame`` whose ``columns`` hold :func:`text` of their values.

    For properties a ``GeoJsonTooltip`` or ``GeoJsonPopup`` shows (it sets ``innerHTML``).
    """
    out = frame.copy()
    for column in columns:
        out[column] = out[column].map(text)
    return out
