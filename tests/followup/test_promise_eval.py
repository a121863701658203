"""The promise parser against the 25 hand-annotated real promises of ``promises/dev``.

Runs ``benchmarks/eval_promises.py`` (the same harness a developer runs by hand) and fails
below the floors of issue 17, so a regression in the parser or its lexicon fails CI.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import PROMISES, ROOT

DEV = PROMISES / "dev"


@pytest.fixture(scope="module")
def harness():
    path = ROOT / "benchmarks" / "eval_promises.py"
    spec = importlib.util.spec_from_file_location("eval_promises", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_promises"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def evaluated(harness):
    assert len(list(DEV.glob("*.json"))) == 25
    return harness.evaluate(DEV)


def test_dev_set_scores_above_the_floors(harness, evaluated) -> None:
    figures, results = evaluated
    assert figures["annotated"] == 129  # INDEX.md: 25 promises, 129 activities
    failed = harness.below_floors(figures)
    errors = [f"{r.slug}: {e}" for r in results for e in r.errors]
    assert not failed, "\n".join(failed + errors)


def test_every_dev_activity_explains_itself(evaluated) -> None:
    from service.followup.promises import parse_promise

    for txt in sorted(DEV.glob("*.txt")):
        text = txt.read_text(encoding="utf-8")
        for a in parse_promise(text).activities:
            assert a.source.strip() and a.source in text
            assert a.explanation is not None
            assert a.explanation.kind and a.explanation.count and a.explanation.responsible


def test_harness_scores_a_wrong_parse_low(harness, tmp_path: Path) -> None:
    # The harness itself can fail: an annotation that disagrees with the text scores zero.
    src = DEV / "lulea-2018"
    (tmp_path / "lulea-2018.txt").write_text(src.with_suffix(".txt").read_text("utf-8"), "utf-8")
    gold = src.with_suffix(".json").read_text("utf-8").replace('"traffic_control"', '"other"')
    gold = gold.replace('"police"', '"municipality"')
    (tmp_path / "lulea-2018.json").write_text(gold, "utf-8")
    figures, results = harness.evaluate(tmp_path)
    assert figures["kind_f1"] < 1.0
    assert figures["responsible_accuracy"] < 0.7
    assert any("saknas other" in e for e in results[0].errors)
    assert harness.below_floors(figures)
