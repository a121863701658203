"""Findings from a trygghetsvandring and their follow-up.

A finding is an observation on the walk (a broken lamp, an overgrown path) that gets a
responsible party, an action and a deadline, and is followed until done. The library keeps
findings in memory (:class:`FindingCollection`) and reads/writes GeoJSON and CSV; storing
them is the service's job.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any
from uuid import uuid4

from pydantic import BaseModel, Field, ValidationError, field_validator

from geodata.errors import InvalidInputError


class Category(StrEnum):
    """The protocol's checklist headings."""

    belysning = "belysning"
    vegetation = "vegetation och sikt"
    nedskrapning = "nedskräpning"
    klotter = "klotter"
    skadegorelse = "skadegörelse"
    framkomlighet = "framkomlighet"
    trafiksakerhet = "trafiksäkerhet"
    upplevd_trygghet = "upplevd trygghet"
    annat = "annat"


#: Checklist shown per stop in the protocol (heading, what to look at).
CHECKLIST: tuple[tuple[str, str], ...] = (
    ("Belysning", "Trasiga eller saknade lampor, mörka partier, bländning"),
    ("Vegetation och sikt", "Skymmande buskar och träd, dolda hörn, skymd sikt"),
    ("Skötsel", "Nedskräpning, klotter, skadegörelse"),
    ("Framkomlighet", "Trasig beläggning, hinder, tillgänglighet"),
    ("Trafiksäkerhet", "Hastighet, korsningar, övergångsställen"),
    ("Upplevd trygghet", "Hur känns platsen? Folkliv, insyn, vägen ut"),
    ("Förslag till åtgärd", "Vad bör göras, av vem?"),
)


class Responsible(StrEnum):
    """Who acts on a finding."""

    kommun = "kommun"
    polis = "polis"
    fastighetsagare = "fastighetsägare"
    trafikverket = "Trafikverket"
    annan = "annan"


class Status(StrEnum):
    """Follow-up state: öppen -> planerad -> åtgärdad (and back when a fix did not hold).

    The values are Swedish, as the API and the exports show them; the English names of
    earlier versions (open, planned, done) are read as aliases.
    """

    open = "öppen"
    planned = "planerad"
    done = "åtgärdad"


STATUS_LABELS = {Status.open: "Öppen", Status.planned: "Planerad", Status.done: "Åtgärdad"}
#: Earlier English status values, still accepted on input and in stored rows.
STATUS_ALIASES = {"open": Status.open, "planned": Status.planned, "done": Status.done}
#: Swedish labels of the categories (capitalised headings for exports and maps).
CATEGORY_LABELS = {c: c.value.capitalize() for c in Category}
#: A finding further than this from the walk's route is refused (m).
MAX_FINDING_DISTANCE_M = 1000.0


def parse_status(value: Any) -> Status:
    """``"planerad"``, ``"Planerad"`` or ``"planned"`` -> :attr:`Status.planned`.

    Raises
    ------
    InvalidInputError
        For any other value.
    """
    text = str(value).strip().lower()
    if text in STATUS_ALIASES:
        return STATUS_ALIASES[text]
    try:
        return Status(text)
    except ValueError:
        raise InvalidInputError(
            f"Okänd status {value!r}; välj öppen, planerad eller åtgärdad."
        ) from None


def check_near_route(lat: float, lon: float, route_lonlat: Any) -> float:
    """Distance (m) from a finding to the walk's route; a Swedish error beyond 1 km.

    Parameters
    ----------
    lat, lon
        The finding (WGS 84).
    route_lonlat
        ``(n, 2)`` lon/lat of the route.
    """
    import numpy as np
    import shapely

    from geodata import METRIC_CRS, WGS84, transformer

    to_metric = transformer(WGS84, METRIC_CRS)
    coords = np.asarray(route_lonlat, dtype=float)
    x, y = to_metric.transform(coords[:, 0], coords[:, 1])
    line = shapely.LineString(np.column_stack([x, y])) if len(coords) > 1 else None
    px, py = to_metric.transform(lon, lat)
    point = shapely.Point(px, py)
    distance = float(line.distance(point)) if line is not None else float("inf")
    if distance > MAX_FINDING_DISTANCE_M:
        km = f"{distance / 1000:.1f}".replace(".", ",")
        raise InvalidInputError(
            f"Fyndet ligger {km} km från vandringens slinga; ett fynd får ligga högst 1 km "
            "från slingan. Kontrollera koordinaterna."
        )
    return distance


#: Allowed status changes. A done finding can be reopened on the repeat walk.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.open: frozenset({Status.planned, Status.done}),
    Status.planned: frozenset({Status.open, Status.done}),
    Status.done: frozenset({Status.open}),
}

_CSV_FIELDS = (
    "id",
    "walk_id",
    "lat",
    "lon",
    "category",
    "description",
    "severity",
    "responsible",
    "action",
    "deadline",
    "status",
    "created",
    "updated",
)


class Finding(BaseModel):
    """One observation on a walk.

    ``severity`` runs from 1 (minor) to 5 (urgent).
    """

    id: str = Field(default_factory=lambda: uuid4().hex[:12])
    walk_id: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    category: Category
    description: str = Field(min_length=1)
    severity: int = Field(default=2, ge=1, le=5)
    responsible: Responsible = Responsible.kommun
    action: str = ""
    deadline: date | None = None
    status: Status = Status.open
    created: date = Field(default_factory=date.today)
    updated: date = Field(default_factory=date.today)

    @field_validator("category", mode="before")
    @classmethod
    def _category_alias(cls, value: Any) -> Any:
        # The protocol's "skötsel" heading covers three categories; accept it as a
        # reading of the paper form and keep the common ones by name.
        aliases = {"skötsel": "nedskräpning", "vegetation": "vegetation och sikt"}
        return aliases.get(str(value).strip().lower(), str(value).strip().lower())

    @field_validator("status", mode="before")
    @classmethod
    def _status_alias(cls, value: Any) -> Any:
        text = str(value).strip().lower()
        return STATUS_ALIASES.get(text, text)

    @field_validator("responsible", mode="before")
    @classmethod
    def _responsible_case(cls, value: Any) -> Any:
        text = str(value).strip()
        return "Trafikverket" if text.lower() == "trafikverket" else text.lower()

    def to_feature(self) -> dict[str, Any]:
        """GeoJSON Feature (WGS 84)."""
        props = self.model_dump(mode="json", exclude={"lat", "lon"})
        props["status_label"] = STATUS_LABELS[self.status]
        props["category_label"] = CATEGORY_LABELS[self.category]
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
            "properties": props,
        }


def _user_error(exc: ValidationError, what: str) -> InvalidInputError:
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    return InvalidInputError(f"Ogiltigt fynd ({what}): " + "; ".join(parts))


class FindingCollection:
    """Findings of one or more walks, in memory, in insertion order."""

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self._items: dict[str, Finding] = {}
        for finding in findings:
            self._items[finding.id] = finding

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._items.values())

    def get(self, finding_id: str) -> Finding:
        """The finding with ``finding_id``; raises InvalidInputError if there is none."""
        try:
            return self._items[finding_id]
        except KeyError:
            raise InvalidInputError(f"Det finns inget fynd med id {finding_id}.") from None

    def add(self, **fields: Any) -> Finding:
        """Create and keep a finding from its fields."""
        try:
            finding = Finding(**fields)
        except ValidationError as exc:
            raise _user_error(exc, "nytt") from exc
        if finding.id in self._items:
            raise InvalidInputError(f"Fyndet {finding.id} finns redan.")
        self._items[finding.id] = finding
        return finding

    def update(self, finding_id: str, *, today: date | None = None, **changes: Any) -> Finding:
        """Change fields of a finding; a status change must follow :data:`TRANSITIONS`."""
        current = self.get(finding_id)
        if "id" in changes or "created" in changes:
            raise InvalidInputError("Ett fynds id och skapandedatum kan inte ändras.")
        if "status" in changes:
            new = parse_status(changes["status"])
            changes = {**changes, "status": new}
            if new != current.status and new not in TRANSITIONS[current.status]:
                raise InvalidInputError(
                    f"Fyndet kan inte gå från {STATUS_LABELS[current.status].lower()} till "
                    f"{STATUS_LABELS[new].lower()}."
                )
            if new == Status.planned and not (changes.get("deadline") or current.deadline):
                raise InvalidInputError("Ett planerat fynd behöver ett slutdatum (deadline).")
        data = {**current.model_dump(), **changes, "updated": today or date.today()}
        try:
            updated = Finding(**data)
        except ValidationError as exc:
            raise _user_error(exc, finding_id) from exc
        self._items[finding_id] = updated
        return updated

    def filter(
        self,
        *,
        walk_id: str | None = None,
        status: Status | str | None = None,
        responsible: Responsible | str | None = None,
        category: Category | str | None = None,
        overdue_on: date | None = None,
    ) -> list[Finding]:
        """Findings matching every given criterion.

        ``overdue_on`` keeps unfinished findings whose deadline is before that date.
        """
        out = []
        for f in self._items.values():
            if walk_id is not None and f.walk_id != walk_id:
                continue
            if status is not None and f.status != parse_status(status):
                continue
            if responsible is not None and f.responsible != Responsible(responsible):
                continue
            if category is not None and f.category != Category(category):
                continue
            if overdue_on is not None and not (
                f.status != Status.done and f.deadline is not None and f.deadline < overdue_on
            ):
                continue
            out.append(f)
        return out

    # -- exchange formats -------------------------------------------------------------

    def to_geojson(self) -> dict[str, Any]:
        """FeatureCollection of all findings."""
        return {"type": "FeatureCollection", "features": [f.to_feature() for f in self]}

    def to_csv(self) -> str:
        """CSV text, one finding a row (UTF-8, comma-separated, ISO dates)."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=_CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        for f in self:
            row = f.model_dump(mode="json")
            writer.writerow({k: "" if row[k] is None else row[k] for k in _CSV_FIELDS})
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write ``.geojson``/``.json`` or ``.csv`` by suffix."""
        path = Path(path)
        if path.suffix.lower() == ".csv":
            path.write_text(self.to_csv(), encoding="utf-8")
        elif path.suffix.lower() in {".geojson", ".json"}:
            path.write_text(json.dumps(self.to_geojson(), ensure_ascii=False, indent=1), "utf-8")
        else:
            raise InvalidInputError(f"{path.name}: spara fynd som .geojson eller .csv.")
        return path

    @classmethod
    def from_geojson(cls, data: dict[str, Any] | str) -> FindingCollection:
        """Read findings written by :meth:`to_geojson`."""
        obj = json.loads(data) if isinstance(data, str) else data
        if not isinstance(obj, dict) or obj.get("type") != "FeatureCollection":
            raise InvalidInputError("Fynden ska vara en GeoJSON FeatureCollection.")
        findings = []
        for i, feature in enumerate(obj.get("features", [])):
            try:
                lon, lat = feature["geometry"]["coordinates"][:2]
                props = dict(feature.get("properties") or {})
                props.pop("status_label", None)
                props.pop("category_label", None)
                findings.append(Finding(**props, lat=lat, lon=lon))
            except (KeyError, TypeError, ValueError) as exc:
                if isinstance(exc, ValidationError):
                    raise _user_error(exc, f"objekt {i + 1}") from exc
                raise InvalidInputError(f"Fynd {i + 1} saknar punktgeometri: {exc}") from exc
        return cls(findings)

    @classmethod
    def from_csv(cls, text: str) -> FindingCollection:
        """Read findings written by :meth:`to_csv`."""
        reader = csv.DictReader(io.StringIO(text))
        missing = {"walk_id", "lat", "lon", "category", "description"} - set(
            reader.fieldnames or []
        )
        if missing:
            raise InvalidInputError(f"CSV-filen saknar kolumnerna {', '.join(sorted(missing))}.")
        findings = []
        for i, row in enumerate(reader):
            clean = {k: v for k, v in row.items() if k in _CSV_FIELDS and v not in ("", None)}
            try:
                findings.append(Finding(**clean))
            except ValidationError as exc:
                raise _user_error(exc, f"rad {i + 2}") from exc
        return cls(findings)

    @classmethod
    def load(cls, path: str | Path) -> FindingCollection:
        """Read ``.geojson``/``.json`` or ``.csv`` by suffix."""
        path = Path(path)
        if not path.is_file():
            raise InvalidInputError(f"Hittar inte filen {path}.")
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix.lower() == ".csv":
            return cls.from_csv(text)
        try:
            return cls.from_geojson(json.loads(text))
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{path.name} är inte giltig GeoJSON: {exc}") from exc
