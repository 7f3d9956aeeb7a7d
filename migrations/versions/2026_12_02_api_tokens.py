"""personal API tokens

Revision ID: api_tokens
Revises: 0006
Create Date: 2026-12-02 22:00:00.000000+00:00

A user's personal tokens for /api/v1: the SHA-256 of the token (never the token), a short prefix to
tell tokens apart, the scope (read or write), expiry and revocation times.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "api_tokens"
down_revision = "evidence_accounts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("scope IN ('read', 'write')", name=op.f("ck_api_tokens_scope")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.create_index(batch.f("ix_api_tokens_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_index(batch.f("ix_api_tokens_user_id"))
    op.drop_table("api_tokens")
