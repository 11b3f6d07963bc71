"""OCR facts per document, the analyst's review (who/when), a job's name.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("ocr_pages", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("ocr_confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reviewed_by", sa.String(), nullable=True))
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("name", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_column("name")
    with op.batch_alter_table("document") as batch:
        for column in ("reviewed_by", "reviewed_at", "ocr_confidence", "ocr_pages"):
            batch.drop_column(column)
