"""server-side sessions, failed sign-in counts, TOTP second factor and recovery codes

Revision ID: user_sessions
Revises: pdf_store
Create Date: 2026-12-03 08:00:00.000000+00:00

A session was a cookie holding ``<user id>:<users.session_token>``: signing out did not end it. Now
each session is a row of ``user_sessions`` (the cookie holds a random id, the row its SHA-256), ended
on sign-out, on timeouts and on account changes; ``users.session_token`` goes. Users gain the count of
failed sign-ins since their last sign-in and a TOTP second factor with one-time recovery codes.
Downgrading gives every user a fresh session token (every session ends).
"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "user_sessions"
down_revision = "pdf_store"
branch_labels = None
depends_on = None

END_REASONS = ("signed_out", "idle_timeout", "absolute_timeout", "ended_by_user", "password_changed",
               "password_reset", "account_disabled", "role_changed", "mfa_reset", "mfa_disabled")


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=30), nullable=True),
        sa.CheckConstraint("ended_reason IS NULL OR ended_reason IN ("
                           + ", ".join(repr(r) for r in END_REASONS) + ")",
                           name=op.f("ck_user_sessions_ended_reason")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("id_sha256", name=op.f("uq_user_sessions_id_sha256")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"], unique=False)
    op.create_table(
        "mfa_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_mfa_recovery_codes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_codes")),
    )
    op.create_index(op.f("ix_mfa_recovery_codes_user_id"), "mfa_recovery_codes", ["user_id"], unique=False)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_sign_ins", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("mfa_enabled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch.drop_column("session_token")


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    users = sa.table("users", sa.column("id", sa.Integer()), sa.column("session_token", sa.String()))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(session_token=secrets.token_urlsafe(32)))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)
        batch.drop_column("totp_last_step")
        batch.drop_column("mfa_enabled_at")
        batch.drop_column("totp_secret")
        batch.drop_column("last_sign_in_at")
        batch.drop_column("failed_sign_ins")
    op.drop_index(op.f("ix_mfa_recovery_codes_user_id"), table_name="mfa_recovery_codes")
    op.drop_table("mfa_recovery_codes")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
