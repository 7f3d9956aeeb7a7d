"""evidence attached to answers; accounts managed on the web (password links, an account log)

Revision ID: evidence_accounts
Revises: 0006
Create Date: 2026-12-02 22:00:00.000000+00:00

Adds ``attachments`` (documents attached to an audit's answers: name, type, size, SHA-256, and the
versions of the audit they belong to; the bytes live in the attachment store, not in the database),
two columns on ``users`` for the one-time password-setting link an instance administrator issues
(the SHA-256 of its token and its expiry), and ``account_events``, the instance's append-only log of
account changes. Like ``audit_events`` (0003), the log refuses UPDATE and DELETE in the database
itself on SQLite and PostgreSQL, and TRUNCATE on PostgreSQL.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "evidence_accounts"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
APPEND_ONLY_MESSAGE = "account_events is append-only: events cannot be changed or deleted"


def upgrade():
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("added_in_version", sa.Integer(), nullable=False),
        sa.Column("removed_in_version", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("media_type IN ('application/pdf', 'image/png', 'image/jpeg', 'text/plain')",
                           name=op.f("ck_attachments_media_type")),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"], name=op.f("fk_attachments_audit_id_audits"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_attachments_uploaded_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_audit_id"), "attachments", ["audit_id"], unique=False)
    op.create_index(op.f("ix_attachments_sha256"), "attachments", ["sha256"], unique=False)

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("reset_token_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("reset_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint(op.f("uq_users_reset_token_sha256"), ["reset_token_sha256"])

    op.create_table(
        "account_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_account_events_actor_id_users"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_events_user_id_users"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_account_events_organisation_id_organisations"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_events")),
    )
    op.create_index(op.f("ix_account_events_user_id"), "account_events", ["user_id"], unique=False)
    _create_append_only_triggers()


def _create_append_only_triggers():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER account_events_no_{verb.lower()} BEFORE {verb} ON account_events "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END")
    elif dialect == "postgresql":
        op.execute("CREATE OR REPLACE FUNCTION account_events_append_only() RETURNS trigger AS $$ BEGIN "
                   f"RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END; $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER account_events_no_change BEFORE UPDATE OR DELETE ON account_events "
                   "FOR EACH ROW EXECUTE FUNCTION account_events_append_only()")
        op.execute("CREATE TRIGGER account_events_no_truncate BEFORE TRUNCATE ON account_events "
                   "FOR EACH STATEMENT EXECUTE FUNCTION account_events_append_only()")
    else:  # pragma: no cover - the project supports SQLite and PostgreSQL
        raise RuntimeError(f"no append-only triggers for {dialect}: add them before using this database")


def downgrade():
    dialect = op.get_bind().dialect.name
    op.drop_index(op.f("ix_account_events_user_id"), table_name="account_events")
    op.drop_table("account_events")  # its triggers go with it
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS account_events_append_only()")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_reset_token_sha256"), type_="unique")
        batch.drop_column("reset_expires_at")
        batch.drop_column("reset_token_sha256")
    op.drop_index(op.f("ix_attachments_sha256"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_audit_id"), table_name="attachments")
    op.drop_table("attachments")
