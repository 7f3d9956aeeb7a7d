"""review loop: action-plan items with state and history, approval acknowledgements

Revision ID: review_actions
Revises: 0006
Create Date: 2026-12-02 22:00:00.000000+00:00

Action-plan items belonged to one rating of one submission, so a resubmission lost them from the
report and the school could neither add its own nor mark one done. They now carry who set them
(source: reviewer or school), what they concern (target_kind, target_id, copied from the rating),
the submission they were first set on, a state (open or done, with a note and time) and who created
them; review_id becomes optional (a school's own item has no rating). Existing items are reviewer
items, open, with their rating's target and submission filled in.

Submissions get acknowledgement: the reviewer's stated reason for approving a critical or
prohibited verdict, or approving with findings unrated ("" for older rows).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "review_actions"
down_revision = "api_tokens"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("acknowledgement", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("action_items") as batch:
        batch.alter_column("review_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("source", sa.String(length=20), server_default="reviewer", nullable=False))
        batch.add_column(sa.Column("target_kind", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("target_id", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("submission_number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("state", sa.String(length=10), server_default="open", nullable=False))
        batch.add_column(sa.Column("done_note", sa.Text(), server_default="", nullable=False))
        batch.add_column(sa.Column("done_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_action_items_created_by_id_users"), "users", ["created_by_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_check_constraint(op.f("ck_action_items_state"), "state IN ('open', 'done')")
        batch.create_check_constraint(op.f("ck_action_items_source"), "source IN ('reviewer', 'school')")
    op.execute("UPDATE action_items SET "
               "target_kind = (SELECT reviews.target_kind FROM reviews WHERE reviews.id = action_items.review_id), "
               "target_id = (SELECT reviews.target_id FROM reviews WHERE reviews.id = action_items.review_id), "
               "submission_number = (SELECT submissions.number FROM reviews JOIN submissions "
               "ON submissions.id = reviews.submission_id WHERE reviews.id = action_items.review_id)")


def downgrade():
    # A school's own items have no rating and cannot exist in the older schema.
    op.execute("DELETE FROM action_items WHERE review_id IS NULL")
    with op.batch_alter_table("action_items") as batch:
        batch.drop_constraint(op.f("ck_action_items_source"), type_="check")
        batch.drop_constraint(op.f("ck_action_items_state"), type_="check")
        batch.drop_constraint(op.f("fk_action_items_created_by_id_users"), type_="foreignkey")
        batch.drop_column("created_by_id")
        batch.drop_column("done_at")
        batch.drop_column("done_note")
        batch.drop_column("state")
        batch.drop_column("submission_number")
        batch.drop_column("target_id")
        batch.drop_column("target_kind")
        batch.drop_column("source")
        batch.alter_column("review_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("acknowledgement")
