"""workplace: site field names and scheduled event outcomes

Revision ID: 0002_workplace
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002_workplace"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sitelabel",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("road_ref", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("road_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("settlement", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["plansite.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("site_id"),
    )
    op.create_table(
        "planlayers",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("covered", sa.JSON(), nullable=True),
        sa.Column("uncovered", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["checkpointplan.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    op.create_table(
        "eventoutcome",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("actual_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("executed_id", sa.Integer(), nullable=True),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["scheduledcheckpoint.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["executed_id"], ["executedactivity.id"]),
        sa.PrimaryKeyConstraint("event_id"),
    )


def downgrade() -> None:
    op.drop_table("eventoutcome")
    op.drop_table("planlayers")
    op.drop_table("sitelabel")
