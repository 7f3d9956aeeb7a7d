"""create issued reports (SHA-256 of every PDF handed out, for /verify)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00.000000+00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "issued_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("rule_set_version", sa.String(length=40), nullable=False),
        sa.Column("rule_set_sha256", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"],
                                name=op.f("fk_issued_reports_assessment_id_assessments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"], name=op.f("fk_issued_reports_audit_id_audits"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_reports")),
    )
    op.create_index(op.f("ix_issued_reports_assessment_id"), "issued_reports", ["assessment_id"], unique=False)
    op.create_index(op.f("ix_issued_reports_audit_id"), "issued_reports", ["audit_id"], unique=False)
    op.create_index(op.f("ix_issued_reports_sha256"), "issued_reports", ["sha256"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_issued_reports_sha256"), table_name="issued_reports")
    op.drop_index(op.f("ix_issued_reports_audit_id"), table_name="issued_reports")
    op.drop_index(op.f("ix_issued_reports_assessment_id"), table_name="issued_reports")
    op.drop_table("issued_reports")
