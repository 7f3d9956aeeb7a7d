"""The public registry pages run a constant number of SQL statements, whatever the number of published
audits or of products compared (aggregation in the database, no query per audit or per product).

Statements are counted with a ``before_cursor_execute`` listener on the app's engine while the page
is served; the data are bulk-inserted published audits (see ``registry_helpers.seed_publications``).
"""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa
from registry_helpers import school_id, seed_products, seed_publications

from app.extensions import db


@contextlib.contextmanager
def counting(app):
    """Collect the SQL statements the app's engine sends while the block runs."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def statements_for(app, client, url: str) -> list[str]:
    client.get(url).close()  # warm-up: anything done once per process is not counted
    with counting(app) as statements:
        response = client.get(url)
        assert response.status_code == 200, url
        response.get_data()  # a streamed export runs its query while being read
        response.close()
    return statements


def _urls(ids: list[int]) -> dict[str, str]:
    return {
        "products": "/products",
        "products search": "/products?q=seeded+product",
        "products category": "/products?category=classroom_analytics",
        "product page": f"/products/{ids[0]}",
        "compare 2": f"/compare?p={ids[0]}&p={ids[1]}",
        "compare 10": "/compare?" + "&".join(f"p={i}" for i in ids[:10]),
        "product export": f"/products/{ids[0]}/export.csv",
        "all export": "/published/export.json",
    }


def test_statement_counts_do_not_grow_with_audits_or_products(app, anon_client):
    with app.app_context():
        ids = seed_products(10)
        seed_publications(ids, 10, organisation_id=school_id(), seed=1)
        db.session.commit()
    few = {name: statements_for(app, anon_client, url) for name, url in _urls(ids).items()}
    with app.app_context():
        seed_publications(ids, 990, organisation_id=school_id(), seed=2)
        db.session.commit()
        assert db.session.scalar(sa.text("SELECT count(*) FROM publications")) == 1000
        assert db.session.scalar(sa.text("SELECT count(*) FROM published_findings")) > 1000 * 5 - 1
    many = {name: statements_for(app, anon_client, url) for name, url in _urls(ids).items()}
    counts = {name: (len(few[name]), len(many[name])) for name in few}
    assert all(a == b for a, b in counts.values()), counts
    assert len(many["compare 2"]) == len(many["compare 10"]), counts
    # And they are few: the aggregates are GROUP BY queries (see app.registry.services).
    assert len(many["product page"]) <= 6, many["product page"]
    assert len(many["compare 10"]) <= 5, many["compare 10"]
    assert len(many["products"]) <= 2, many["products"]
    assert len(many["all export"]) <= 2, many["all export"]


def test_the_counter_sees_every_statement(app, anon_client):
    """The counter can fail the test above: a page that queried once per product would show it."""
    with app.app_context():
        ids = seed_products(3)
        seed_publications(ids, 3, organisation_id=school_id())
        db.session.commit()
    with counting(app) as statements:
        with app.app_context():
            for i in ids:
                db.session.execute(sa.text("SELECT id FROM products WHERE id = :i"), {"i": i})
    assert len([s for s in statements if "FROM products WHERE id" in s]) == 3


@pytest.mark.parametrize("products", [2, 5, 10])
def test_comparison_statements_do_not_depend_on_how_many_products(app, anon_client, products):
    with app.app_context():
        ids = seed_products(10)
        seed_publications(ids, 200, organisation_id=school_id(), seed=products)
        db.session.commit()
    two = statements_for(app, anon_client, f"/compare?p={ids[0]}&p={ids[1]}")
    n = statements_for(app, anon_client, "/compare?" + "&".join(f"p={i}" for i in ids[:products]))
    assert len(two) == len(n)
    export_two = statements_for(app, anon_client, f"/compare/export.json?p={ids[0]}&p={ids[1]}")
    export_n = statements_for(app, anon_client, "/compare/export.json?" + "&".join(f"p={i}" for i in ids[:products]))
    assert len(export_two) == len(export_n)
