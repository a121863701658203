"""Quick kommun facts kept in the cache: same answer, any spelling, stale when data changes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from geodata import facts
from service.cli.municipalities import BOUNDARY_SOURCES, municipality_summary
from tests.conftest import LANTMATERIET


def test_summary_is_remembered_and_found_by_any_spelling() -> None:
    assert facts.cached_summary("Åre") is None
    first = municipality_summary("Åre")
    assert first["boundary"]["source"] == "lantmateriet"
    for spelling in ("Åre", "Åre kommun", "are", "2321", "ÅRE"):
        assert facts.cached_summary(spelling) == first, spelling
    assert municipality_summary("Are") == first
    assert facts.cached_summary("Strömsund") is None  # only what was looked up


def test_a_changed_data_file_makes_the_facts_stale(
    configure: Callable[..., object], tmp_path: Path
) -> None:
    for name in ("ak_riks.zip", "mb_riks.zip"):
        shutil.copy(LANTMATERIET / name, tmp_path / name)
    configure(lantmateriet_dir=tmp_path)
    municipality_summary("Hammarö")
    assert facts.cached_summary("Hammarö") is not None
    (tmp_path / "mb_riks.zip").unlink()  # settlements now come from another file
    assert facts.cached_summary("Hammarö") is None
    again = municipality_summary("Hammarö")  # read anew and remembered under the new stamp
    assert facts.cached_summary("Hammarö") == again


def test_cli_knows_the_same_boundary_sources() -> None:
    from geodata.municipalities import BOUNDARY_SOURCES as GEODATA_SOURCES

    assert BOUNDARY_SOURCES == GEODATA_SOURCES
