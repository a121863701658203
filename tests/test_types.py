"""The type checker as a habit: mypy on ``geodata`` and ``service`` reports no errors.

The configuration (checked packages, excluded migrations, libraries treated as untyped and
why) lives in ``pyproject.toml`` under ``[tool.mypy]``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_mypy_reports_no_errors_on_geodata_and_service() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "Success: no issues found" in proc.stdout
