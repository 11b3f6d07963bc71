"""A job's document table from one covering index; the finishing step's marks as columns.

``refined`` and ``earlier_category`` move out of ``classifier_meta`` (JSON) into columns, so
that ``ix_document_rows`` covers every column of a job's document table: a status page of
10,000 documents reads the index alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ROW_COLUMNS = (
    "job_id", "position", "id", "filename", "status", "progress", "final_category",
    "corrected_category", "confidence", "needs_review", "error", "reviewed_at", "refined",
    "earlier_category",
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(
            sa.Column("refined", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("earlier_category", sa.String(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        refined = "(classifier_meta::jsonb ->> 'refined')::boolean"
        earlier = "classifier_meta::jsonb -> 'single' ->> 'category'"
    else:
        refined = "json_extract(classifier_meta, '$.refined')"
        earlier = "json_extract(classifier_meta, '$.single.category')"
    op.execute(
        f"UPDATE document SET refined = TRUE, earlier_category = {earlier} "
        f"WHERE classifier_meta IS NOT NULL AND {refined}"
    )
    with op.batch_alter_table("document") as batch:
        batch.alter_column("refined", server_default=None)
    op.create_index("ix_document_rows", "document", list(ROW_COLUMNS))


def downgrade() -> None:
    op.drop_index("ix_document_rows", table_name="document")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("earlier_category")
        batch.drop_column("refined")
