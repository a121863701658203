"""A non-editable install finds its data only through ``loftesplan data import``.

The project is built into a wheel and installed (``--no-deps``) into a fresh venv that sees
the outer venv's libraries; nothing of ``../shared`` is beside it. The shared data is
imported with the installed ``loftesplan``, then ``loftesplan serve`` shows Lantmäteriet's
boundary and Polisen's figures for Åre.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from geodata import LANTMATERIET_ATTRIBUTION
from service.render.format import number
from tests.browser import free_port
from tests.conftest import LANTMATERIET, POLISEN_ARCHIVE

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


@pytest.mark.slow
def test_installed_wheel_imports_data_and_serves_it(tmp_path: Path) -> None:
    # The source without its VCS and caches, so the build writes nothing into the checkout.
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            "tests",
            "benchmarks",
            "notebooks",
            "*.egg-info",
            "build",
            "dist",
            "__pycache__",
            ".*cache",
            "shared",
            "out",
            "artifacts",
        ),
    )
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(source)],
        check=True, timeout=120,
    )  # fmt: skip
    (wheel,) = wheels.glob("loftesplan-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The outer venv's libraries as plain path entries after the venv's own site-packages
    # (a path line in a .pth is not processed for further .pth files, so an editable
    # install of the project there cannot shadow the installed wheel).
    (inner,) = (venv / "lib").glob("python3*/site-packages")
    (inner / "outer_libraries.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=120,
    )
    work = tmp_path / "work"  # no ../shared beside it, nor beside the installed package
    work.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LOFTESPLAN_") and k not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }
    env |= {
        "LOFTESPLAN_DATA_DIR": str(tmp_path / "data"),
        "LOFTESPLAN_CACHE_DIR": str(tmp_path / "cache"),
        "LOFTESPLAN_OFFLINE": "1",
        "LOFTESPLAN_POLISEN_POLL_MINUTES": "0",
    }
    probe = subprocess.run(
        [python, "-c", "import geodata, json; from geodata.settings import get_settings; "
         "s = get_settings(); print(json.dumps([geodata.__file__, str(s.shared_dir)]))"],
        cwd=work, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    package, shared = json.loads(probe.stdout)
    assert str(venv) in package and "site-packages" in package  # the installed copy, not ROOT
    assert shared == "None"

    loftesplan = venv / "bin" / "loftesplan"
    for kind, path in (("lantmateriet", LANTMATERIET), ("polisen", POLISEN_ARCHIVE)):
        done = subprocess.run(
            [loftesplan, "data", "import", kind, str(path)],
            cwd=work, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    listed = subprocess.run(
        [loftesplan, "data", "list", "--json"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert {r["kind"] for r in json.loads(listed.stdout)} >= {"lantmateriet", "polisen"}

    port = free_port()
    server = subprocess.Popen(
        [loftesplan, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/health")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "serve did not answer within 60 s"
                time.sleep(0.5)
        page = _get(f"{base}/kommun/2321")
        record = json.loads(_get(f"{base}/api/public/2321/record"))
        karta = _get(f"{base}/kommun/2321/karta")
    finally:
        server.terminate()  # the server this test started, by its own handle
        server.wait(timeout=20)
    # Polisen's figures from the imported archive: every year's count on the page.
    checks = {year: row["traffic_checks"] for year, row in record["years"].items()}
    assert sum(checks.values()) > 0
    assert "Polisen" in record["source"]
    for year, count in checks.items():
        assert f'<td>{year}</td><td class="num">{number(count)}</td>' in page
    # Lantmäteriet's boundary (ak_riks, data date 2018-06-13), not the embedded SCB outline.
    assert f"{LANTMATERIET_ATTRIBUTION}, data 2018-06-13" in karta
