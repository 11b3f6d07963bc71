"""The offline classifier's layout measurements of each document, kept for the batch pass.

Measuring a head's layout was the costliest part of the job's batch pass and of a re-score
after corrections, and the first answer had already done it. Documents read before this
revision have none: the batch pass measures theirs again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("layout", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.drop_column("layout")
