"""findings: the sender's Idempotency-Key, so a resent finding is stored once

Revision ID: 0008_finding_idempotency_key
Revises: 0007_plan_candidates
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008_finding_idempotency_key"
down_revision = "0007_plan_candidates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
            )
        )
        batch_op.create_index("ix_finding_idempotency_key", ["idempotency_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_idempotency_key")
        batch_op.drop_column("idempotency_key")
