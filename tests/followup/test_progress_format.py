"""Swedish presentation: one formatting module for pages, reports, maps and the CLI."""

from __future__ import annotations

from datetime import date, datetime

from geodata.municipalities import all_municipalities
from service.render import format as fmt

NBSP = "\u00a0"


def test_numbers_use_space_thousands_and_decimal_comma():
    assert fmt.number(3430) == f"3{NBSP}430"
    assert fmt.number(10_605_520) == f"10{NBSP}605{NBSP}520"
    assert fmt.number(4.7368, 1) == "4,7"
    assert fmt.percent(0.995) == f"99,5{NBSP}%"
    assert fmt.km(38977.0) == f"39,0{NBSP}km"
    assert fmt.number(None) == fmt.number(float("nan")) == "–"


def test_dates_and_periods_read_as_swedish_text():
    assert fmt.date_sv(date(2017, 1, 1)) == "1 januari 2017"
    assert fmt.date_sv(datetime(2023, 5, 24, 13, 40)) == "24 maj 2023"
    assert fmt.date_sv("2026-08-22") == "22 augusti 2026"
    assert fmt.period_sv(date(2020, 1, 1), date(2022, 12, 31)) == (
        "1 januari 2020 – 31 december 2022"
    )
    assert fmt.period_sv(None, None) == "period saknas"
    assert fmt.quarter_sv("2023Q2") == "kv. 2 2023"


def test_municipality_names_in_the_form_each_uses():
    names = {m.code: fmt.municipality_name(m) for m in all_municipalities()}
    assert names["2313"] == "Strömsunds kommun"
    assert names["0180"] == "Stockholms kommun"
    assert names["0980"] == "Region Gotland"
    assert names["2080"] == "Falu kommun"
    assert names["2321"] == "Åre kommun"
    assert names["1761"] == "Hammarö kommun"
    assert names["2560"] == "Älvsbyns kommun"
    assert len(set(names.values())) == 290


def test_swedish_alphabetical_order_puts_a_ring_a_umlaut_o_umlaut_last():
    ordered = sorted((m.name for m in all_municipalities()), key=fmt.sort_key)
    assert ordered[0] == "Ale" and ordered[-1] == "Övertorneå"
    assert ordered.index("Ystad") < ordered.index("Åre") < ordered.index("Älvsbyn")
    assert ordered.index("Älvsbyn") < ordered.index("Örebro")
