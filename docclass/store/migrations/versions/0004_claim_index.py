"""Claims walk one index in upload order: (job_id, status, position) replaces (job_id, status).

Revision ID: 0004
Revises: 0003
Create Date: 2026-05-20
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_document_job_status_position", "document", ["job_id", "status", "position"])
    op.drop_index("ix_document_job_status", table_name="document")


def downgrade() -> None:
    op.create_index("ix_document_job_status", "document", ["job_id", "status"])
    op.drop_index("ix_document_job_status_position", table_name="document")
