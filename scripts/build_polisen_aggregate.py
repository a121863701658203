"""Build the compact national aggregate of Polisen's notices shipped with the package.

Usage::

    python scripts/build_polisen_aggregate.py [ARCHIVE] [--out PATH]

ARCHIVE defaults to the shared ``polisen-events-2022-2026.jsonl.gz``; PATH defaults to
``service/followup/data/polisen_aggregate.json.gz`` (the copy a fresh install shows).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from service.followup.record import AGGREGATE_NAME, build_aggregate, write_aggregate

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "service" / "followup" / "data" / AGGREGATE_NAME


def main() -> None:
    """Build and write the aggregate, printing one line per municipality."""
    parser = argparse.ArgumentParser(description="Bygg Polisens sammanställning per kommun.")
    parser.add_argument("archive", nargs="?", default=None, help="Händelsearkivet (JSON Lines).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Utfil (.json.gz).")
    args = parser.parse_args()
    started = time.perf_counter()
    aggregate = build_aggregate(args.archive, progress=print)
    path = write_aggregate(aggregate, args.out)
    print(
        f"Skrev {path} ({path.stat().st_size / 1000:.0f} kB), {aggregate['notices']} notiser "
        f"{aggregate['first_date']}–{aggregate['data_date']}, {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
