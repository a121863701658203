"""The promise model: activities, follow-up reports, partners and the draft promise."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

Per = Literal["period", "year", "term", "month", "week", "day"]
Responsible = Literal["police", "municipality", "both"]


class ActivityKind(StrEnum):
    """What kind of work an activity is (the vocabulary of issue 5)."""

    traffic_control = "traffic_control"
    joint_operation = "joint_operation"
    terrain_surveillance = "terrain_surveillance"
    safety_walk = "safety_walk"
    licensed_premises_inspection = "licensed_premises_inspection"
    training = "training"
    school_visit = "school_visit"
    parent_meeting = "parent_meeting"
    collaboration_meeting = "collaboration_meeting"
    drug_dog_search = "drug_dog_search"
    neighbourhood_watch = "neighbourhood_watch"
    information_campaign = "information_campaign"
    workplace_crime_control = "workplace_crime_control"
    security_patrol = "security_patrol"
    survey_or_analysis = "survey_or_analysis"
    other = "other"


KIND_LABELS_SV: dict[ActivityKind, str] = {
    ActivityKind.traffic_control: "Trafikkontroll",
    ActivityKind.joint_operation: "Samplanerad insats",
    ActivityKind.terrain_surveillance: "Terräng-/skoterövervakning",
    ActivityKind.safety_walk: "Trygghetsvandring",
    ActivityKind.licensed_premises_inspection: "Tillsyn av utskänkningsställen",
    ActivityKind.training: "Utbildning",
    ActivityKind.school_visit: "Skolbesök",
    ActivityKind.parent_meeting: "Föräldramöte",
    ActivityKind.collaboration_meeting: "Samverkan/möte",
    ActivityKind.drug_dog_search: "Narkotikahundsök",
    ActivityKind.neighbourhood_watch: "Grannsamverkan",
    ActivityKind.information_campaign: "Informationsinsats",
    ActivityKind.workplace_crime_control: "Kontroll mot arbetslivskriminalitet",
    ActivityKind.security_patrol: "Närvaro/bevakning",
    ActivityKind.survey_or_analysis: "Kartläggning/analys",
    ActivityKind.other: "Övrigt",
}
RESPONSIBLE_LABELS_SV: dict[str, str] = {
    "police": "Polisen",
    "municipality": "Kommunen",
    "both": "Polisen och kommunen",
}
PER_LABELS_SV: dict[str, str] = {
    "period": "under perioden",
    "year": "per år",
    "term": "per termin",
    "month": "per månad",
    "week": "per vecka",
    "day": "per dag",
}


class Explanation(BaseModel):
    """Why the parser read an activity as it did, one Swedish line per decision.

    Attributes
    ----------
    kind
        The lexicon entry or rule that gave the kind ("lexikon: trafikkontroll").
    count
        The rule that gave ``count_min`` ("minst + tal: 'minst 100'"), or why none was given.
    responsible
        Where the responsible party came from: the segment, its heading or the page.
    """

    kind: str = ""
    count: str = ""
    responsible: str = ""


class Activity(BaseModel):
    """One promised activity, as drafted from one list item of the promise text.

    Attributes
    ----------
    kind
        What is done, from :class:`ActivityKind`.
    count_min
        The promised minimum ("minst 100", "två gånger"), or None when no number is promised.
    per
        The unit ``count_min`` is promised for: "year" for "två gånger per år", "period" for a
        count over the whole promise; None when the text gives neither.
    responsible
        Who carries it out: "police", "municipality" or "both".
    places
        Place phrases as written ("centrala Åre by", "Bymiljövägen (Karlstadsvägen)",
        "skolor/fritidsgårdar"); geocoding is a separate step.
    spread_municipality
        True where the text asks for spread over the municipality ("utspritt över hela
        kommunen", "geografiskt spridda", "olika platser i kommunen").
    focus
        Focus tags (speed, behaviour, alcohol, drugs, ...), from the item or else its heading.
    heading
        The heading (focus area) the item stands under, as written, or None.
    source
        The source sentence: the exact slice of the input text the activity was read from.
    explanation
        Which rule or lexicon entry decided the kind, the count and the responsible party.
    """

    kind: ActivityKind
    count_min: int | None = Field(default=None, ge=0)
    per: Per | None = None
    responsible: Responsible = "both"
    places: list[str] = Field(default_factory=list)
    spread_municipality: bool = False
    focus: list[str] = Field(default_factory=list)
    heading: str | None = None
    source: str
    explanation: Explanation | None = None


class FollowUp(BaseModel):
    """One reported outcome from a follow-up section ("Så gick det", "Uppföljning").

    Attributes
    ----------
    text
        The report as written (an exact slice of the input).
    heading
        The heading it stands under, or None.
    kind
        The kind of activity reported, or None when the report names none.
    places
        Place phrases as written.
    achieved
        False for reports of what was not done ("har inte genomförts").
    """

    text: str
    heading: str | None = None
    kind: ActivityKind | None = None
    places: list[str] = Field(default_factory=list)
    achieved: bool = True


class Partners(BaseModel):
    """The parties to a promise, as named in the text."""

    lokalpolisomrade: str | None = None
    kommun: str | None = None


class Promise(BaseModel):
    """A draft medborgarlöfte: municipality, period, partners, activities and follow-up.

    Attributes
    ----------
    municipality_code, municipality_name
        The kommun (code "2321", name "Åre"), from the ``kommun`` override or the text; the
        code is None when the name could not be checked against the registry.
    period_start, period_end
        The period the promise runs for; None where the text does not say.
    partners
        Lokalpolisområde and kommun.
    activities
        The promised activities, in text order.
    follow_up
        Reported outcomes of earlier promises; never counted as activities.
    title
        The page's title (its first heading).
    warnings
        Notes for the reviewing planner (Swedish): guessed periods, unchecked municipality, no
        activities found.
    """

    municipality_code: str | None = None
    municipality_name: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    partners: Partners = Field(default_factory=Partners)
    activities: list[Activity] = Field(default_factory=list)
    follow_up: list[FollowUp] = Field(default_factory=list)
    title: str | None = None
    warnings: list[str] = Field(default_factory=list)
