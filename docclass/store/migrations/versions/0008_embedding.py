"""The meaning reader's vector of each document, kept for the job's batch pass.

A topic taxonomy's documents are embedded once, in whichever reader process reads them;
the finishing step's batch pass (and a re-score after corrections) runs in one process and
used to embed about half of them again (its own cache only holds what it read itself).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("embedding", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.drop_column("embedding")
