"""stored files: the registry's full export (JSON or CSV) is kept in the store like a PDF

Revision ID: export_store
Revises: user_sessions
Create Date: 2026-12-03 09:00:00.000000+00:00

With background workers the export of every published audit is written by a job into the PDF store
and served from there while no publication changed; its ``stored_pdfs`` row (kind ``export``) records
the file's SHA-256 and size, like a PDF's.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "export_store"
down_revision = "user_sessions"
branch_labels = None
depends_on = None


def _kinds(kinds: tuple[str, ...]) -> None:
    with op.batch_alter_table("stored_pdfs") as batch:
        batch.drop_constraint(op.f("ck_stored_pdfs_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_stored_pdfs_kind"),
                                      "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")")


def upgrade():
    _kinds(("report", "comparison", "export"))


def downgrade():
    op.execute("DELETE FROM stored_pdfs WHERE kind = 'export'")
    _kinds(("report", "comparison"))
