"""finding: status values in Swedish (öppen, planerad, åtgärdad), as the API and exports show

Revision ID: 0005_finding_status_swedish
Revises: 0004_activity_explanation
Create Date: 2026-12-01 16:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_finding_status_swedish"
down_revision = "0004_activity_explanation"
branch_labels = None
depends_on = None

_SWEDISH = {"open": "öppen", "planned": "planerad", "done": "åtgärdad"}


def _rename(mapping: dict[str, str]) -> None:
    finding = sa.table("finding", sa.column("status", sa.String))
    for old, new in mapping.items():
        op.execute(finding.update().where(finding.c.status == old).values(status=new))


def upgrade() -> None:
    _rename(_SWEDISH)


def downgrade() -> None:
    _rename({new: old for old, new in _SWEDISH.items()})
