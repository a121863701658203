"""Every notebook runs top to bottom against the real data in ``../shared``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nbclient
import nbformat
import pytest

from tests.conftest import run_coroutine

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))

#: Notebooks run at once, each in its own kernel process (nbclient's asynchronous API): a
#: kernel spends most of its time importing and reading data, and CI has a second core.
AT_ONCE = 2


@pytest.fixture(scope="module")
def executed() -> dict[str, nbformat.NotebookNode | Exception]:
    """Each notebook executed (its cells' outputs filled in), or what stopped it."""

    async def run(path: Path, gate: asyncio.Semaphore) -> tuple[str, object]:
        notebook = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(
            notebook,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        async with gate:
            try:
                await client.async_execute()
            except Exception as exc:  # reported by that notebook's own test
                return path.stem, exc
        return path.stem, notebook

    async def run_all() -> dict[str, nbformat.NotebookNode | Exception]:
        gate = asyncio.Semaphore(AT_ONCE)
        return dict(await asyncio.gather(*(run(path, gate) for path in NOTEBOOKS)))

    return run_coroutine(run_all())


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, executed: dict[str, nbformat.NotebookNode | Exception]):
    notebook = executed[path.stem]
    if isinstance(notebook, Exception):
        raise notebook
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
    assert not errors


def test_there_is_a_notebook_per_seed_municipality():
    assert {p.stem for p in NOTEBOOKS} >= {"are", "stromsund", "alvsbyn", "hagfors", "hammaro"}
