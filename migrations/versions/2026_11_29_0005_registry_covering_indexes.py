"""registry: covering indexes for the product and comparison pages

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 14:00:00.000000+00:00

The comparison of the most-audited products took 0.4-0.9 s at 50,000 published audits (bench/
bench_registry.py): the GROUP BY over published findings read every matching row from the table and
sorted it. These indexes hold every column those aggregates read, in GROUP BY order, so the
database reads the index alone. The findings index replaces ix_published_findings_product_id_category
(its first two columns).
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_published_findings_product_stats", "published_findings",
                    ["product_id", "category", "rule_id", "level_rank", "publication_id"], unique=False)
    op.drop_index("ix_published_findings_product_id_category", table_name="published_findings")
    op.create_index("ix_publications_product_stats", "publications",
                    ["product_id", "verdict_rank", "verdict", "jurisdiction", "product_version", "deployment_month"],
                    unique=False)


def downgrade():
    op.drop_index("ix_publications_product_stats", table_name="publications")
    op.create_index("ix_published_findings_product_id_category", "published_findings", ["product_id", "category"],
                    unique=False)
    op.drop_index("ix_published_findings_product_stats", table_name="published_findings")
