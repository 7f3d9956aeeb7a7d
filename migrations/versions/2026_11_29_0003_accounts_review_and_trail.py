"""accounts, organisations, the review loop and the append-only audit trail

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:00:00.000000+00:00

Adds organisations and users; gives audits an owning school, a regulator, a version and a revision
counter; adds submissions, reviews, action items and audit events. Audit events are append-only in
the database itself: triggers refuse UPDATE and DELETE on SQLite and PostgreSQL (and TRUNCATE on
PostgreSQL). Audits created before this revision keep ``organisation_id`` NULL (nobody sees them
until ``eduaudit audits adopt`` assigns a school).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
APPEND_ONLY_MESSAGE = "audit_events is append-only: events cannot be changed or deleted"


def upgrade():
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('school', 'regulator', 'ngo')", name=op.f("ck_organisations_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("demo", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("session_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('school_admin', 'reviewer', 'ngo_analyst', 'instance_admin')",
                           name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_users_organisation_id_organisations"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_organisation_id"), "users", ["organisation_id"], unique=False)

    with op.batch_alter_table("audits") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("regulator_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        batch.create_foreign_key(op.f("fk_audits_organisation_id_organisations"), "organisations",
                                 ["organisation_id"], ["id"], ondelete="RESTRICT")
        batch.create_foreign_key(op.f("fk_audits_regulator_id_organisations"), "organisations",
                                 ["regulator_id"], ["id"], ondelete="RESTRICT")
        batch.create_foreign_key(op.f("fk_audits_created_by_id_users"), "users", ["created_by_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_check_constraint(
            "status", "status IN ('draft', 'submitted', 'changes_requested', 'approved', 'rejected')")
        batch.create_index(op.f("ix_audits_organisation_id"), ["organisation_id"], unique=False)
        batch.create_index(op.f("ix_audits_regulator_id"), ["regulator_id"], unique=False)

    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("regulator_id", sa.Integer(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("decision_comment", sa.Text(), server_default="", nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("decision IS NULL OR decision IN ('approved', 'changes_requested', 'rejected')",
                           name=op.f("ck_submissions_decision")),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"],
                                name=op.f("fk_submissions_assessment_id_assessments"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"], name=op.f("fk_submissions_audit_id_audits"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_submissions_decided_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["regulator_id"], ["organisations.id"],
                                name=op.f("fk_submissions_regulator_id_organisations"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["users.id"],
                                name=op.f("fk_submissions_submitted_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("audit_id", "number", name="uq_submissions_audit_id_number"),
    )
    op.create_index(op.f("ix_submissions_audit_id"), "submissions", ["audit_id"], unique=False)
    op.create_index(op.f("ix_submissions_regulator_id"), "submissions", ["regulator_id"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.String(length=100), nullable=False),
        sa.Column("rating", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating IN ('acceptable', 'needs_improvement', 'must_be_corrected')",
                           name=op.f("ck_reviews_rating")),
        sa.CheckConstraint("target_kind IN ('finding', 'section')", name=op.f("ck_reviews_target_kind")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_reviews_reviewer_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name=op.f("fk_reviews_submission_id_submissions"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("submission_id", "target_kind", "target_id", name="uq_reviews_submission_target"),
    )
    op.create_index(op.f("ix_reviews_submission_id"), "reviews", ["submission_id"], unique=False)

    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"], name=op.f("fk_action_items_audit_id_audits"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"], name=op.f("fk_action_items_review_id_reviews"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
        sa.UniqueConstraint("review_id", name=op.f("uq_action_items_review_id")),
    )
    op.create_index(op.f("ix_action_items_audit_id"), "action_items", ["audit_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"], name=op.f("fk_audit_events_audit_id_audits"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_audit_id"), "audit_events", ["audit_id"], unique=False)
    _create_append_only_triggers()


def _create_append_only_triggers():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END")
    elif dialect == "postgresql":
        op.execute("CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ BEGIN "
                   f"RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END; $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")
        op.execute("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()")
    else:  # pragma: no cover - the project supports SQLite and PostgreSQL
        raise RuntimeError(f"no append-only triggers for {dialect}: add them before using this database")


def downgrade():
    dialect = op.get_bind().dialect.name
    op.drop_index(op.f("ix_audit_events_audit_id"), table_name="audit_events")
    op.drop_table("audit_events")  # its triggers go with it
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    op.drop_index(op.f("ix_action_items_audit_id"), table_name="action_items")
    op.drop_table("action_items")
    op.drop_index(op.f("ix_reviews_submission_id"), table_name="reviews")
    op.drop_table("reviews")
    op.drop_index(op.f("ix_submissions_regulator_id"), table_name="submissions")
    op.drop_index(op.f("ix_submissions_audit_id"), table_name="submissions")
    op.drop_table("submissions")
    with op.batch_alter_table("audits") as batch:
        batch.drop_index(op.f("ix_audits_regulator_id"))
        batch.drop_index(op.f("ix_audits_organisation_id"))
        batch.drop_constraint(op.f("ck_audits_status"), type_="check")
        batch.drop_constraint(op.f("fk_audits_created_by_id_users"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_audits_regulator_id_organisations"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_audits_organisation_id_organisations"), type_="foreignkey")
        batch.drop_column("revision")
        batch.drop_column("version")
        batch.drop_column("created_by_id")
        batch.drop_column("regulator_id")
        batch.drop_column("organisation_id")
    op.drop_index(op.f("ix_users_organisation_id"), table_name="users")
    op.drop_table("users")
    op.drop_table("organisations")
