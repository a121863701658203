"""workplace: a plan's candidate sites kept with its road layers (pick one to add)

Revision ID: 0007_plan_candidates
Revises: 0006_notice_match
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_plan_candidates"
down_revision = "0006_notice_match"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("planlayers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("candidates", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("planlayers", schema=None) as batch_op:
        batch_op.drop_column("candidates")
