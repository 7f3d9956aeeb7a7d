"""stored PDFs: each distinct PDF rendered once, kept in the PDF store by the key of what determines it

Revision ID: pdf_store
Revises: 0006
Create Date: 2026-12-02 22:00:00.000000+00:00

PDFs are rendered by background jobs and written to the PDF store (a folder shared by every web and
worker process). A row here names the stored file by its key (the SHA-256 of the audit revision,
language, variant, rule-set hash, review state... that determine its bytes) with the file's SHA-256
and size, and for a report the issued-report row recorded with it. The unique key is what keeps a
retried job from recording a second issued report.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "pdf_store"
down_revision = "review_actions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_pdfs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("issued_report_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('report', 'comparison')", name=op.f("ck_stored_pdfs_kind")),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"], name=op.f("fk_stored_pdfs_audit_id_audits"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["issued_report_id"], ["issued_reports.id"],
                                name=op.f("fk_stored_pdfs_issued_report_id_issued_reports"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_pdfs")),
        sa.UniqueConstraint("key", name=op.f("uq_stored_pdfs_key")),
    )
    op.create_index(op.f("ix_stored_pdfs_audit_id"), "stored_pdfs", ["audit_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_stored_pdfs_audit_id"), table_name="stored_pdfs")
    op.drop_table("stored_pdfs")
