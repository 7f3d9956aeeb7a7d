"""document requests: an action-plan item may ask for a document, answered by an attachment

Revision ID: document_requests
Revises: export_store
Create Date: 2026-12-03 12:00:00.000000+00:00

A reviewer can ask the school for a document on a finding or section ("provide the signed DPA"). The
request is an action-plan item of kind ``document_request`` (existing items are of kind ``action``);
when the school attaches a document in answer, ``attachment_id`` names it and the item is done.
Downgrading drops the requests (the older schema cannot tell them from actions).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "document_requests"
down_revision = "export_store"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("action_items") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), server_default="action", nullable=False))
        batch.add_column(sa.Column("attachment_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_action_items_attachment_id_attachments"), "attachments",
                                 ["attachment_id"], ["id"], ondelete="RESTRICT")
        batch.create_check_constraint(op.f("ck_action_items_kind"), "kind IN ('action', 'document_request')")


def downgrade():
    op.execute("DELETE FROM action_items WHERE kind = 'document_request'")
    with op.batch_alter_table("action_items") as batch:
        batch.drop_constraint(op.f("ck_action_items_kind"), type_="check")
        batch.drop_constraint(op.f("fk_action_items_attachment_id_attachments"), type_="foreignkey")
        batch.drop_column("attachment_id")
        batch.drop_column("kind")
