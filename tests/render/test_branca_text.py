"""Rendered map parts are kept as text: the same output as branca's compiled template, faster."""

from __future__ import annotations

import itertools

import jinja2
from branca.element import Element

from service.render.maps._branca import StaticText, is_static

#: Synthetic strings (not data): the pieces whose handling by Jinja differs from plain text.
PIECES = ["a", "\n", "\r", "\r\n", " ", "{", "}", "%", "#", "}}", "%}", "#}", "-", "é", "\u2028"]


def test_static_text_renders_exactly_as_the_compiled_template() -> None:
    checked = 0
    for size in range(4):
        for parts in itertools.product(PIECES, repeat=size):
            text = "".join(parts)
            if is_static(text):
                assert StaticText(text).render() == jinja2.Template(text).render(), repr(text)
                checked += 1
    assert checked > 2_000


def test_text_elements_are_not_compiled_but_templates_still_are() -> None:
    plain = Element("<style>.a { color: red; }</style>\n")
    assert isinstance(plain._template, StaticText)
    assert plain.render() == "<style>.a { color: red; }</style>"
    template = Element("{{ 6 * 7 }}")
    assert isinstance(template._template, jinja2.Template)
    assert template.render() == "42"
