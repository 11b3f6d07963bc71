"""Baseline: jobs, documents and corrections as the last release without migrations made them.

Times are ``timestamp with time zone`` (sqlmodel's ``UTCDateTime``): aware UTC values in and
out, whatever the server's or session's zone.

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("taxonomy_name", sa.String(), nullable=False),
        sa.Column("classifier", sa.String(), nullable=False),
        sa.Column("total_files", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("taxonomy_toml", sa.String(), nullable=False),
        sa.Column("taxonomy_base_dir", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_job_created_at", "job", ["created_at"])
    op.create_index("ix_job_status", "job", ["status"])
    op.create_table(
        "document",
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=True),
        sa.Column("engine", sa.String(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("characters", sa.Integer(), nullable=True),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("page_starts", sa.JSON(), nullable=True),
        sa.Column("text_preview", sa.String(), nullable=True),
        sa.Column("detectors", sa.JSON(), nullable=True),
        sa.Column("detector_counts", sa.JSON(), nullable=True),
        sa.Column("final_category", sa.String(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=True),
        sa.Column("rationale", sa.String(), nullable=True),
        sa.Column("classifier", sa.String(), nullable=True),
        sa.Column("classifier_meta", sa.JSON(), nullable=True),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("review_reason", sa.String(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("timings", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("corrected_category", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_document_job_status", "document", ["job_id", "status"])
    op.create_index("ix_document_sha256", "document", ["sha256"])
    op.create_index("ix_document_status_job", "document", ["status", "job_id", "position"])
    op.create_table(
        "correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doc_id", sa.String(), nullable=False),
        sa.Column("taxonomy_name", sa.String(), nullable=False),
        sa.Column("predicted_category", sa.String(), nullable=True),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("corrected_by", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["doc_id"], ["document.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_correction_doc_id", "correction", ["doc_id"])
    op.create_index("ix_correction_taxonomy_name", "correction", ["taxonomy_name"])


def downgrade() -> None:
    op.drop_table("correction")
    op.drop_table("document")
    op.drop_table("job")
