"""product registry (vendors, products) and published audits

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 13:00:00.000000+00:00

Adds vendors and products (unique by normalised name), links audits to a product, and adds
publications (redacted, approved audits a school chose to publish) with their findings in columns
for aggregation. Existing audits get no product until their answers are next saved.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "vendors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("normalised_name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=20), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendors")),
        sa.UniqueConstraint("normalised_name", name=op.f("uq_vendors_normalised_name")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("normalised_name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=30), server_default="other", nullable=False),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["vendor_id"], ["vendors.id"], name=op.f("fk_products_vendor_id_vendors"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("vendor_id", "normalised_name", name="uq_products_vendor_id_normalised_name"),
    )
    op.create_index(op.f("ix_products_normalised_name"), "products", ["normalised_name"], unique=False)
    op.create_index(op.f("ix_products_vendor_id"), "products", ["vendor_id"], unique=False)
    with op.batch_alter_table("audits") as batch:
        batch.add_column(sa.Column("product_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_audits_product_id_products"), "products", ["product_id"], ["id"],
                                 ondelete="RESTRICT")
        batch.create_index(op.f("ix_audits_product_id"), ["product_id"], unique=False)
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("submission_number", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("product_version", sa.String(length=100), server_default="", nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=False),
        sa.Column("deployment_month", sa.String(length=7), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("verdict_rank", sa.Integer(), nullable=False),
        sa.Column("rule_set_version", sa.String(length=40), nullable=False),
        sa.Column("school_kind", sa.String(length=40), server_default="", nullable=False),
        sa.Column("school_name", sa.String(length=200), nullable=True),
        sa.Column("findings", JSON, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"], name=op.f("fk_publications_audit_id_audits"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_publications_product_id_products"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
        sa.UniqueConstraint("audit_id", name=op.f("uq_publications_audit_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_publications_public_id")),
    )
    op.create_index(op.f("ix_publications_product_id"), "publications", ["product_id"], unique=False)
    op.create_table(
        "published_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("level_rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"],
                                name=op.f("fk_published_findings_product_id_products"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["publication_id"], ["publications.id"],
                                name=op.f("fk_published_findings_publication_id_publications"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_findings")),
    )
    op.create_index("ix_published_findings_product_id_category", "published_findings", ["product_id", "category"],
                    unique=False)
    op.create_index(op.f("ix_published_findings_publication_id"), "published_findings", ["publication_id"],
                    unique=False)


def downgrade():
    op.drop_index(op.f("ix_published_findings_publication_id"), table_name="published_findings")
    op.drop_index("ix_published_findings_product_id_category", table_name="published_findings")
    op.drop_table("published_findings")
    op.drop_index(op.f("ix_publications_product_id"), table_name="publications")
    op.drop_table("publications")
    with op.batch_alter_table("audits") as batch:
        batch.drop_index(op.f("ix_audits_product_id"))
        batch.drop_constraint(op.f("fk_audits_product_id_products"), type_="foreignkey")
        batch.drop_column("product_id")
    op.drop_index(op.f("ix_products_vendor_id"), table_name="products")
    op.drop_index(op.f("ix_products_normalised_name"), table_name="products")
    op.drop_table("products")
    op.drop_table("vendors")
