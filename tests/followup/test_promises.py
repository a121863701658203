"""The promise model and the Swedish promise parser, on the five real promise pages.

Expected values come from reading the texts in ``../shared/promises`` (see the comments), not
from a parser run. Short synthetic texts appear only in the unit tests of single rules and
are named as such.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from geodata.errors import InvalidInputError, UnknownMunicipalityError
from service.cli import app
from service.followup import promises as promises_module
from service.followup.promises import (
    Activity,
    ActivityKind,
    Promise,
    parse_promise,
    parse_promise_file,
)
from tests.conftest import PROMISES

K = ActivityKind
FILES = ("are", "stromsund", "alvsbyn", "hagfors", "hammaro")


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {name: (PROMISES / f"{name}.txt").read_text(encoding="utf-8") for name in FILES}


@pytest.fixture(scope="module")
def parsed(texts: dict[str, str]) -> dict[str, Promise]:
    return {name: parse_promise(text) for name, text in texts.items()}


def of_kind(promise: Promise, kind: ActivityKind) -> list[Activity]:
    return [a for a in promise.activities if a.kind == kind]


def one(promise: Promise, kind: ActivityKind) -> Activity:
    found = of_kind(promise, kind)
    assert len(found) == 1, [a.source for a in found]
    return found[0]


# --- every file -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_every_activity_keeps_its_source_sentence(
    name: str, texts: dict[str, str], parsed: dict[str, Promise]
) -> None:
    promise = parsed[name]
    assert promise.activities
    for a in promise.activities:
        assert a.source.strip()
        assert a.source in texts[name]
    for report in promise.follow_up:
        assert report.text in texts[name]


@pytest.mark.parametrize("name", FILES)
def test_page_chrome_is_never_read_as_content(name: str, parsed: dict[str, Promise]) -> None:
    chrome = ("Till toppen", "Kontakta", "JavaScript", "Lyssna", "facebook", "0670-", "0563")
    promise = parsed[name]
    for text in [a.source for a in promise.activities] + [r.text for r in promise.follow_up]:
        assert not any(c.lower() in text.lower() for c in chrome), text


@pytest.mark.parametrize(
    ("name", "code", "kommun"),
    [
        ("are", "2321", "Åre kommun"),
        ("stromsund", "2313", "Strömsunds kommun"),
        ("alvsbyn", "2560", "Älvsbyns kommun"),
        ("hagfors", "1783", "Hagfors kommun"),
        ("hammaro", "1761", "Hammarö kommun"),
    ],
)
def test_municipality_is_found_in_the_text(
    name: str, code: str, kommun: str, parsed: dict[str, Promise]
) -> None:
    assert parsed[name].municipality_code == code
    assert parsed[name].partners.kommun == kommun


@pytest.mark.parametrize("name", FILES)
def test_json_round_trip(name: str, parsed: dict[str, Promise]) -> None:
    promise = parsed[name]
    data = json.loads(promise.model_dump_json())
    assert isinstance(data["activities"], list)
    assert {"kind", "count_min", "per", "responsible", "places", "spread_municipality"} <= set(
        data["activities"][0]
    )
    assert Promise.model_validate_json(promise.model_dump_json()) == promise


# --- Åre --------------------------------------------------------------------------------------


def test_are_traffic_controls(parsed: dict[str, Promise]) -> None:
    # "Polisen genomför minst 100 trafikkontroller ... geografiskt utspritt över hela kommunen.
    # Fokus på kontrollerna ska vara hastighet, beteende och alkohol/drogonykterhet."
    traffic = one(parsed["are"], K.traffic_control)
    assert traffic.count_min == 100
    assert traffic.per == "period"
    assert traffic.spread_municipality is True
    assert traffic.responsible == "police"
    assert {"speed", "behaviour", "alcohol", "drugs"} <= set(traffic.focus)
    assert "trafiksäkerhet" in (traffic.heading or "")


def test_are_all_promised_activities(parsed: dict[str, Promise]) -> None:
    are = parsed["are"]
    assert one(are, K.joint_operation).count_min == 2  # "minst två samplanerade insatser"
    assert one(are, K.terrain_surveillance).count_min == 1  # "minst en skoterövervakning"
    walk = one(are, K.safety_walk)  # "Kommunen genomför minst en trygghetsvandring i centrala..."
    assert walk.count_min == 1
    assert walk.places == ["centrala Åre by"]
    assert walk.responsible == "municipality"
    assert "lighting" in walk.focus  # "i syfte att se över behov av ökad belysning"
    inspection = one(are, K.licensed_premises_inspection)  # "Polisen och kommun genomför ..."
    assert inspection.count_min == 1
    assert inspection.responsible == "both"
    assert "utskänkningsställen" in inspection.places
    training = one(are, K.training)  # "Kommunen erbjuder och genomför minst en utbildning ..."
    assert training.count_min == 1
    assert training.responsible == "municipality"
    visits = one(are, K.school_visit)  # "minst 10 st besök på skolor/fritidsgårdar"
    assert visits.count_min == 10
    assert visits.responsible == "police"
    assert any("skolor" in p for p in visits.places)
    parents = one(are, K.parent_meeting)  # "Polisen och kommunen lovar att delta på minst 3 ..."
    assert parents.count_min == 3
    assert parents.responsible == "both"
    assert "högstadieskolorna" in parents.places
    # "minst två gånger per år informera nätverket": a count per year, not per period
    network = [a for a in are.activities if "nätverket" in a.source]
    assert [(a.count_min, a.per, a.responsible) for a in network] == [(2, "year", "both")]
    # twelve bullets in three groups, nothing from the prose around them
    assert len(are.activities) == 12
    assert all(a.source.startswith(("Polisen", "Kommunen")) for a in are.activities)


def test_are_places_skip_names_that_are_not_places(parsed: dict[str, Promise]) -> None:
    places = {p for a in parsed["are"].activities for p in a.places}
    # "Polisen i Åre", "utbildning i Ansvarsfull Alkoholservering", nätverket "Trygg i Åre"
    assert "Ansvarsfull Alkoholservering" not in places
    assert "Åre" not in places


def test_are_partners_and_guessed_period(parsed: dict[str, Promise]) -> None:
    are = parsed["are"]
    assert are.partners.lokalpolisomrade == "Jämtland/Härjedalen"
    assert are.title == "Medborgarlöften i Åre"
    # No period is stated; the mapping was "under hösten 2016", so 2017, with a warning.
    assert (are.period_start, are.period_end) == (date(2017, 1, 1), date(2017, 12, 31))
    assert any("2016" in w for w in are.warnings)
    assert are.follow_up == []


# --- Strömsund --------------------------------------------------------------------------------


def test_stromsund_follow_up_is_not_read_as_promises(
    texts: dict[str, str], parsed: dict[str, Promise]
) -> None:
    text, promise = texts["stromsund"], parsed["stromsund"]
    follow_up_starts = text.index("Så gick det med medborgarlöftena")
    # The four promises of 2021–2022 (Narkotika, Trafik, Integration, Bedrägerier) ...
    assert len(promise.activities) == 4
    assert all(text.index(a.source) < follow_up_starts for a in promise.activities)
    assert [a.heading for a in promise.activities] == [
        "Narkotika",
        "Trafik",
        "Integration och segregation",
        "Bedrägerier",
    ]
    assert all(a.responsible == "both" for a in promise.activities)
    # ... and the 2019–2021 report is follow-up, read from the section after its heading.
    assert promise.follow_up
    assert all(text.index(r.text) > follow_up_starts for r in promise.follow_up)
    walk = [r for r in promise.follow_up if r.kind == K.safety_walk]
    assert [(r.places, r.achieved) for r in walk] == [(["Hoting"], True)]
    # "Vissa insatser, som krogtillsyner, har inte kunnat genomföras som planerat."
    missed = [r for r in promise.follow_up if "krogtillsyner" in r.text]
    assert [r.achieved for r in missed] == [False]
    # The old promises restated in the report are neither new promises nor outcomes.
    restated = "lovar att arbeta för ökad trafiksäkerhet i kommunen."
    assert not any(restated in r.text for r in promise.follow_up)


def test_stromsund_period_and_counts(parsed: dict[str, Promise]) -> None:
    promise = parsed["stromsund"]
    # "Medborgarlöften 2021–2022", not the 2019–2021 of the follow-up heading
    assert (promise.period_start, promise.period_end) == (date(2021, 1, 1), date(2022, 12, 31))
    traffic = one(promise, K.traffic_control)  # "riktade insatser mot höga hastigheter, ..."
    assert {"speed", "behaviour"} <= set(traffic.focus)
    # "minska med tio procent och ... 15 procent": shares, not counts
    fraud = next(a for a in promise.activities if a.heading == "Bedrägerier")
    assert fraud.count_min is None
    assert "fraud" in fraud.focus


# --- Älvsbyn ----------------------------------------------------------------------------------


def test_alvsbyn_prefixes_and_yearly_counts(parsed: dict[str, Promise]) -> None:
    promise = parsed["alvsbyn"]
    assert promise.partners.lokalpolisomrade == "Piteå älvdal"
    # "Löftet gäller till 2025-12-31": an end date and no stated start.
    assert (promise.period_start, promise.period_end) == (None, date(2025, 12, 31))
    # "Polis: Hundsök i skolan två gånger per år."
    dogs = one(promise, K.drug_dog_search)
    assert (dogs.count_min, dogs.per, dogs.responsible) == (2, "year", "police")
    # "Polis: Kontroll minst en gång per år." under "Arbetslivskriminalitet"; "Kommun:
    # Deltagande vid kontroll." is the kommun's part of the same controls.
    controls = of_kind(promise, K.workplace_crime_control)
    assert [(a.responsible, a.count_min, a.per) for a in controls] == [
        ("police", 1, "year"),
        ("municipality", None, None),
    ]
    # "Kommun: Drogvaneundersökning genomförs och följs upp."
    survey = one(promise, K.survey_or_analysis)
    assert survey.responsible == "municipality"
    assert "drugs" in survey.focus  # from the heading: the item names no focus itself
    # "Åtgärd: Trafikkontroller på ”rätt tid och plats”"
    assert len(of_kind(promise, K.traffic_control)) == 1


def test_alvsbyn_background_list_is_not_activities(parsed: dict[str, Promise]) -> None:
    # "Följande processer ligger till grund ...: 1. Medborgardialog 2. Medarbetardialoger ..."
    sources = [a.source for a in parsed["alvsbyn"].activities]
    assert not any("dialog" in s.lower() for s in sources)
    # "• Förebyggande arbete i skolan" only heads its Polis:/Kommun: lines
    assert "Förebyggande arbete i skolan" not in sources
    assert one(parsed["alvsbyn"], K.drug_dog_search).heading == "Förebyggande arbete i skolan"


# --- Hagfors ----------------------------------------------------------------------------------


def test_hagfors_news_article(texts: dict[str, str], parsed: dict[str, Promise]) -> None:
    text, promise = texts["hagfors"], parsed["hagfors"]
    # "Nya överenskommelser 2017"
    assert (promise.period_start, promise.period_end) == (date(2017, 1, 1), date(2017, 12, 31))
    traffic = one(promise, K.traffic_control)  # "Trafikkontroller ska under året genomföras ..."
    assert traffic.count_min is None
    assert {"speed", "behaviour", "alcohol"} <= set(traffic.focus)
    assert traffic.heading == "Trafikmiljön"
    # The six bullets under "Trafikmiljön:" and "Alkohol- och droganvändningen:" only: not the
    # quoted "- Både Hagfors kommun ..." paragraph (it mentions an alkoholinspektion) ...
    assert len(promise.activities) == 6
    assert not of_kind(promise, K.licensed_premises_inspection)
    # ... and not the list under "Uppföljning av tidigare löften".
    follow_up_starts = text.index("Uppföljning av tidigare löften")
    assert all(text.index(a.source) < follow_up_starts for a in promise.activities)
    centre = [r for r in promise.follow_up if "Hagfors centrum" in r.places]
    assert len(centre) == 2
    assert all(r.kind == K.traffic_control for r in centre)


# --- Hammarö ----------------------------------------------------------------------------------


def test_hammaro_places_and_responsibility(parsed: dict[str, Promise]) -> None:
    promise = parsed["hammaro"]
    assert promise.partners.lokalpolisomrade == "Karlstad"
    assert (promise.period_start, promise.period_end) == (date(2020, 1, 1), date(2022, 12, 31))
    traffic = one(promise, K.traffic_control)  # under "Lokalpolisområde Karlstad kommer att:"
    assert "Bymiljövägen (Karlstadsvägen)" in traffic.places
    assert traffic.responsible == "police"
    assert one(promise, K.neighbourhood_watch).responsible == "police"  # "Bedriva grannsamverkan."
    # "Polisen och kommunen kommer tillsammans att: ... Genomföra tillsyner mot verksamheter
    # som har alkoholtillstånd."
    assert one(promise, K.licensed_premises_inspection).responsible == "both"
    guards = one(promise, K.security_patrol)  # "Hammarö kommuns väktare ... båthamnar, ... skolor"
    assert guards.responsible == "municipality"
    assert {"båthamnar", "skolor"} <= set(guards.places)
    # "Trygghetsvandringar tillsammans med polisen och räddningstjänsten." under the kommun
    assert one(promise, K.safety_walk).responsible == "both"
    # The problem list ("1. Alkohol- och drogrelaterad brottslighet 2. Trafik") and the bullets
    # about the promise itself ("Medborgarlöftet kommer att löpa ...") are not activities.
    sources = " ".join(a.source for a in promise.activities)
    assert "Medborgarlöftet" not in sources
    assert "drogrelaterad brottslighet" not in sources
    assert len(promise.activities) == 8


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t  ", "Hej"])
def test_empty_or_too_short_text_is_invalid(text: str) -> None:
    with pytest.raises(InvalidInputError, match="Texten"):
        parse_promise(text)


def test_english_text_is_invalid() -> None:
    english = (
        "The police and the municipality promise to carry out at least ten traffic checks in "
        "the town centre and to hold two safety walks every year, spread over the whole area."
    )
    with pytest.raises(InvalidInputError, match="svenska"):
        parse_promise(english)


def test_swedish_text_without_activities_gives_an_empty_draft() -> None:
    # synthetic: Swedish prose with no promise in it
    promise = parse_promise(
        "Det här är en vanlig svensk text om vädret och om att det regnar i dag på västkusten."
    )
    assert promise.activities == []
    assert any("Inga aktiviteter" in w for w in promise.warnings)


def test_unknown_municipality_override(texts: dict[str, str]) -> None:
    with pytest.raises(UnknownMunicipalityError):
        parse_promise(texts["are"], kommun="Atlantis")


def test_municipality_override(texts: dict[str, str]) -> None:
    promise = parse_promise(texts["are"], kommun="1761")
    assert (promise.municipality_code, promise.municipality_name) == ("1761", "Hammarö")
    assert any("Åre" in w for w in promise.warnings)


def test_parsing_survives_a_failing_registry(
    texts: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(name: str) -> None:
        raise RuntimeError("registry unavailable")

    monkeypatch.setattr(promises_module.meta, "find_municipality", broken)
    promise = parse_promise(texts["hammaro"])
    assert promise.municipality_code is None
    assert promise.municipality_name == "Hammarö"
    assert promise.activities
    assert any("kontrolleras" in w for w in promise.warnings)


def test_unreadable_file(tmp_path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Polisen lovar trygghetsvandringar i Åre".encode("latin-1"))
    with pytest.raises(InvalidInputError):
        parse_promise_file(path)


# --- single rules (synthetic text) ------------------------------------------------------------


def test_synthetic_numbers_responsibility_and_places() -> None:
    text = """Medborgarlöfte 2019 för Strömsunds kommun

Vi lovar att:
 • Polisen genomför minst tio trafikkontroller på E45/Järnvägsgatan i Strömsund och väg 342.
 • Kommunen erbjuder föräldrar information två gånger per år vid Vattudalstorget.
 • Vi genomför trygghetsvandringar i Hoting och på olika platser i kommunen.
 • Polisen genomför hastighetskontroller på länsväg 345 och riksväg 50 varje månad.
"""
    promise = parse_promise(text)
    assert (promise.period_start, promise.period_end) == (date(2019, 1, 1), date(2019, 12, 31))
    first, second, third, fourth = promise.activities
    assert (first.kind, first.count_min, first.responsible) == (K.traffic_control, 10, "police")
    assert first.places == ["E45/Järnvägsgatan i Strömsund", "väg 342"]
    assert (second.count_min, second.per, second.responsible) == (2, "year", "municipality")
    assert second.places == ["Vattudalstorget"]
    assert (third.kind, third.responsible, third.places) == (K.safety_walk, "both", ["Hoting"])
    assert third.spread_municipality is True
    assert (fourth.per, fourth.places) == ("month", ["länsväg 345", "riksväg 50"])


def test_synthetic_prose_without_list_and_date_range() -> None:
    text = (
        "Polisen och kommunen lovar att genomföra minst fem trygghetsvandringar i Hoting. "
        "Löftet gäller från 1 januari 2020 till 31 december 2022. Vädret var fint."
    )
    promise = parse_promise(text)
    assert (promise.period_start, promise.period_end) == (date(2020, 1, 1), date(2022, 12, 31))
    assert [(a.kind, a.count_min, a.places) for a in promise.activities] == [
        (K.safety_walk, 5, ["Hoting"])
    ]
    assert promise.activities[0].source in text


def test_synthetic_follow_up_heading() -> None:
    text = """Medborgarlöften 2023–2024

 • Polisen genomför minst 20 trafikkontroller i kommunen.
 • Kommunen genomför en trygghetsvandring.

Så gick det

 • En trygghetsvandring har genomförts i Gäddede.
 • Polisen lovar att arbeta för ökad trafiksäkerhet.
"""
    promise = parse_promise(text, kommun="Strömsund")
    assert [a.kind for a in promise.activities] == [K.traffic_control, K.safety_walk]
    assert [(r.kind, r.places) for r in promise.follow_up] == [(K.safety_walk, ["Gäddede"])]


# --- CLI --------------------------------------------------------------------------------------


def test_cli_json() -> None:
    result = CliRunner().invoke(app, ["promise", "parse", str(PROMISES / "hammaro.txt"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["municipality_code"] == "1761"
    assert isinstance(data["activities"], list)
    assert any("Bymiljövägen (Karlstadsvägen)" in a["places"] for a in data["activities"])


def test_cli_table_in_swedish() -> None:
    result = CliRunner().invoke(
        app, ["promise", "parse", str(PROMISES / "are.txt"), "--kommun", "Åre"]
    )
    assert result.exit_code == 0, result.output
    assert "Trafikkontroll" in result.output
    assert "Åre kommun (2321)" in result.output


def test_cli_unknown_kommun() -> None:
    result = CliRunner().invoke(
        app, ["promise", "parse", str(PROMISES / "are.txt"), "--kommun", "Atlantis"]
    )
    assert result.exit_code == 2 and "Okänd kommun" in result.stderr, result.output


def test_synthetic_wrapped_and_nested_items() -> None:
    text = """Trafik

 • Polisen genomför minst 10
 trafikkontroller i Hoting.
 • Förebyggande arbete i skolan
  Polis: Hundsök i skolan en gång per termin.
  Kommun: Drogvaneundersökning genomförs.
  Polis: Besök på skolor tre gånger per år.
"""
    promise = parse_promise(text, kommun="Strömsund")
    first, *children = promise.activities
    assert (first.kind, first.count_min, first.places) == (K.traffic_control, 10, ["Hoting"])
    assert first.source == "Polisen genomför minst 10\n trafikkontroller i Hoting."
    assert [(a.responsible, a.heading) for a in children] == [
        ("police", "Förebyggande arbete i skolan"),
        ("municipality", "Förebyggande arbete i skolan"),
        ("police", "Förebyggande arbete i skolan"),
    ]
    assert (children[0].kind, children[0].count_min, children[0].per) == (
        K.drug_dog_search,
        1,
        "term",
    )
    assert (children[2].kind, children[2].count_min) == (K.school_visit, 3)
