"""Rendered map parts are text, not templates: branca's ``Element(text)`` compiles no Jinja.

folium renders each layer's header, HTML and script through its Jinja macros, and branca wraps
each result in ``Element(text)``, whose constructor compiles that text as a Jinja template
again (to render it unchanged later). About a hundred compilations make up half of the CPU a
public municipality map costs (154 -> 70 ms). For text without Jinja syntax the compiled
template renders the text itself, newlines normalised and one final newline dropped; this
module gives such elements that result without compiling. Text with ``{{``, ``{%`` or ``{#``
compiles as before (our escaping path, :mod:`service.render.escape`, keeps those out of text
that users or data write).
"""

from __future__ import annotations

from typing import Any

from branca import element

#: What starts a Jinja tag, expression or comment (the default delimiters branca uses).
_JINJA_OPENERS = ("{{", "{%", "{#")


class StaticText:
    """A stand-in for ``jinja2.Template(text)`` where ``text`` holds no Jinja syntax."""

    def __init__(self, text: str) -> None:
        # Jinja's defaults: newlines become "\n" and a single trailing newline is dropped.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.text = text[:-1] if text.endswith("\n") else text

    def render(self, *_args: Any, **_kwargs: Any) -> str:
        """The text, whatever the context."""
        return self.text


def is_static(text: str) -> bool:
    """Whether ``text`` renders as itself (no Jinja syntax in it)."""
    return not any(opener in text for opener in _JINJA_OPENERS)


_compiling_init = element.Element.__init__


def _init(self: Any, template: str | None = None, template_name: str | None = None) -> None:
    _compiling_init(self, None, template_name)
    self._template_str = template
    if template is not None:
        self._template = StaticText(template) if is_static(template) else element.Template(template)


element.Element.__init__ = _init
