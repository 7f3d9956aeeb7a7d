"""issued reports: audit version, status and school printed on the PDF

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 15:00:00.000000+00:00

/verify named the audit but not which version of it, whether the PDF was a draft or a filed report,
nor the school. issue_pdf now records the audit's version, its status id and the school's name as
printed on the cover when the PDF is issued. The columns are nullable: rows issued before this
revision have NULL there ("not recorded" on /verify), and school_name is NULL for a PDF whose cover
names no school.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("issued_reports") as batch:
        batch.add_column(sa.Column("audit_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("school_name", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("issued_reports") as batch:
        batch.drop_column("school_name")
        batch.drop_column("status")
        batch.drop_column("audit_version")
