"""Single rules of the promise parser, each on a short synthetic Swedish text named as such.

The whole-text behaviour is tested on real promises in ``test_promises.py`` and
``test_promise_eval.py``; these tests pin one rule each so a lexicon edit that breaks it
says which.
"""

from __future__ import annotations

from datetime import date

from service.followup.promises import ActivityKind, parse_promise
from service.followup.promises.classify import find_kinds, segment_kinds
from service.followup.promises.lexicon import load_lexicon, stem

K = ActivityKind


def kinds(text: str) -> list[ActivityKind]:
    return [f.kind for f in segment_kinds(text, load_lexicon())]


def test_stemmer_reads_inflections_and_compounds() -> None:
    assert stem("trafikkontrollerna") == stem("trafikkontroll")
    # synthetic phrases: inflection, compound head, compound part
    assert kinds("genomföra trafikkontrollerna") == [K.traffic_control]
    assert kinds("utökade fordonskontroller") == [K.traffic_control]
    assert kinds("riktade trafikövervakningsinsatser") == [K.traffic_control]
    assert kinds("minst två utbildningar") == [K.training]
    # "årskurs" is not a "kurs"
    assert K.training not in kinds("informationskampanj riktad till årskurs 3")


def test_coordinated_compounds_and_joined_kinds_split() -> None:
    # synthetic: "trafik- och informationsinsatser" is two kinds
    assert kinds("genomföra särskilda trafik- och informationsinsatser") == [
        K.traffic_control,
        K.information_campaign,
    ]
    assert kinds("genomföra trygghetsvandringar och verka för utökad grannsamverkan") == [
        K.safety_walk,
        K.neighbourhood_watch,
    ]
    # an unspecified action in its own clause is a second activity, of kind other
    assert kinds("prioritera närvaro i byn samt att genomföra planerade insatser") == [
        K.security_patrol,
        K.other,
    ]


def test_weak_words_and_means() -> None:
    # synthetic: "informera" gives way to the parent meeting it happens at
    assert kinds("medverka vid föräldramöten och där informera om risker") == [K.parent_meeting]
    # "X genom Y": the means names the activity
    assert kinds("öka sin närvaro genom utökade fordonskontroller") == [K.traffic_control]
    # "i samverkan med" is how, not what
    assert kinds("genomföra en skoterövervakning i samverkan med andra myndigheter") == [
        K.terrain_surveillance
    ]
    assert find_kinds("vid varje genomförd trygghetsvandring", load_lexicon()) == []


def test_commitments_goals_and_past_reports() -> None:
    text = """Medborgarlöfte 2024 för Strömsunds kommun

Bakgrund

Polisen ska genomföra trafikkontroller enligt den förra överenskommelsen.

Polisen lovar att:
 • Arbeta för ett tryggt centrum.
 • Genomföra minst tio trafikkontroller i Hoting.
 • Trygghetsvandringar har genomförts i Gäddede.
 • Verka för att utveckla samverkansformer.
"""
    # synthetic: background, aims and reports of earlier work are not activities
    promise = parse_promise(text)
    assert [(a.kind, a.count_min) for a in promise.activities] == [(K.traffic_control, 10)]
    assert promise.activities[0].responsible == "police"
    assert promise.activities[0].explanation.responsible == "rubriken över punkten"


def test_counts_are_annualised_only_for_one_calendar_year() -> None:
    one_year = "Medborgarlöfte 2024\n\nPolisen lovar att:\n • Minst en trafikkontroll varje dygn.\n"
    three_years = one_year.replace("2024", "2024–2026")
    # synthetic
    (a,) = parse_promise(one_year, kommun="Strömsund").activities
    assert (a.count_min, a.per) == (365, "period")
    assert "365" in a.explanation.count
    (b,) = parse_promise(three_years, kommun="Strömsund").activities
    assert (b.count_min, b.per) == (1, "day")


def test_number_traps_are_not_counts() -> None:
    text = """Medborgarlöfte 2024–2025

Kommunen lovar att:
 • Genomföra ett 2-årigt projekt med trivselvärdar i centrum.
 • Informera elever i årskurs 8 om trafikregler.
 • Genomföra ett antal planerade insatser mot brottsaktiva.
 • Genomföra två riktade insatser/år omfattande minst två dagar.
"""
    # synthetic
    counts = [a.count_min for a in parse_promise(text, kommun="Strömsund").activities]
    assert counts == [1, None, None, 2]


def test_period_from_months_and_joined_years() -> None:
    # synthetic
    summer = (
        "Medborgarlöftet gäller under juni till och med augusti 2021.\n\n"
        "Polisen ska:\n • Patrullera i hamnen.\n"
    )
    promise = parse_promise(summer, kommun="Malmö")
    assert (promise.period_start, promise.period_end) == (date(2021, 6, 1), date(2021, 8, 31))
    two = (
        "Polis och kommun lovar att under 2018 och 2019 arbeta tillsammans.\n\n"
        "Polisen:\n • Patrullera i centrum.\n"
    )
    promise = parse_promise(two, kommun="Söderhamn")
    assert (promise.period_start, promise.period_end) == (date(2018, 1, 1), date(2019, 12, 31))


def test_party_from_parenthesis_vi_and_a_police_only_promise() -> None:
    joint = (
        "Medborgarlöfte 2024. Polisen och kommunen lovar att:\n"
        " • Vi genomför trafikkontroller.\n • Tillsyn av krogar. (Kommunen)\n"
    )
    # synthetic
    first, second = parse_promise(joint, kommun="Åre").activities
    assert (first.responsible, second.responsible) == ("both", "municipality")
    police = (
        "Lokalpolisområde Nackas medborgarlöften 2024\n\n"
        "Vi lovar att:\n • Vi genomför trafikkontroller vid skolor.\n"
    )
    (only,) = parse_promise(police, kommun="Nacka").activities
    assert only.responsible == "police"


def test_spread_from_an_elaborating_sub_item() -> None:
    text = """Medborgarlöfte 2024–2025

Polisen och kommunen lovar att:
 • Genomföra minst 3 medborgarmöten per år.
  • Ska genomföras på olika platser i kommunen.
  • Medborgarna ska kunna ställa frågor.
"""
    # synthetic: the sub-items elaborate the item above them
    (meeting,) = parse_promise(text, kommun="Piteå").activities
    assert (meeting.kind, meeting.count_min, meeting.spread_municipality) == (K.other, 3, True)


def test_third_party_and_earlier_promise_sections_are_skipped() -> None:
    text = """Medborgarlöften 2020–2021

Polisen och kommunen lovar att:
 • Polisen ska genomföra trafikkontroller.
 • Kustbevakningen förbinder sig att öka sin närvaro till sjöss.

Medborgarlöften 2018

Polisen och kommunen lovar att:
 • Kommunen genomför trygghetsvandringar.
"""
    # synthetic
    promise = parse_promise(text, kommun="Ödeshög")
    assert [a.kind for a in promise.activities] == [K.traffic_control]


def test_elaborating_sentences_and_subjects_without_a_known_verb() -> None:
    text = """Medborgarlöftet 2016

Polisen och kommunen åtar sig att:
 • Polisen och kommunen genomför i januari gemensamma informationsmöten. Mötena riktas till alla.
 • Polisen och kommunen offentliggör medborgarlöftet via hemsidor.
"""
    # synthetic: "Mötena riktas ..." elaborates the meetings; the subject is read without a
    # verb from the lexicon's list ("offentliggör")
    first, second = parse_promise(text, kommun="Malung-Sälen").activities
    assert (first.kind, first.responsible) == (K.information_campaign, "both")
    assert (second.kind, second.responsible) == (K.other, "both")
