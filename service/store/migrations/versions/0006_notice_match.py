"""workplace: Polisen notices confirmed as checkpoints of a plan

Revision ID: 0006_notice_match
Revises: 0005_finding_status_swedish
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006_notice_match"
down_revision = "0005_finding_status_swedish"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "noticematch",
        sa.Column("executed_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("site_number", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["executed_id"], ["executedactivity.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["plan_id"], ["checkpointplan.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("executed_id"),
    )
    with op.batch_alter_table("noticematch", schema=None) as batch_op:
        batch_op.create_index("ix_noticematch_plan_id", ["plan_id"], unique=False)


def downgrade() -> None:
    op.drop_table("noticematch")
