"""Findings of safety walks for Swedish Excel: UTF-8 with BOM, ``;``-separated, decimal comma.

The same conventions as the field exports of a schedule (:mod:`service.render.exports`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from service.followup.findings import CATEGORY_LABELS, STATUS_LABELS, Finding

CSV_HEADERS = (
    "Fynd",
    "Vandring",
    "Kategori",
    "Beskrivning",
    "Allvarlighet",
    "Ansvarig",
    "Åtgärd",
    "Senast klart",
    "Status",
    "Registrerat",
    "Ändrat",
    "Latitud",
    "Longitud",
    "Foton",
)


def _comma(value: float, digits: int = 6) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def findings_excel_csv(
    findings: Sequence[Finding], walk_names: Mapping[int, str], photos: Mapping[int, int]
) -> bytes:
    """One finding a row with Swedish headers and labels.

    Parameters
    ----------
    findings
        The findings to write, in order.
    walk_names
        Walk id -> the walk's name.
    photos
        Finding id -> number of stored photos.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for f in findings:
        writer.writerow(
            [
                f.id,
                walk_names.get(int(f.walk_id), f.walk_id),
                CATEGORY_LABELS[f.category],
                f.description,
                f.severity,
                f.responsible.value,
                f.action,
                f.deadline.isoformat() if f.deadline else "",
                STATUS_LABELS[f.status],
                f.created.isoformat(),
                f.updated.isoformat(),
                _comma(f.lat),
                _comma(f.lon),
                photos.get(int(f.id), 0),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
