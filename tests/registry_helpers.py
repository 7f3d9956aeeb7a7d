"""Helpers of the registry tests and of bench/bench_registry.py (inside an app context).

- :func:`reviewed_audit`: an audit taken through the real services (created, answered, evaluated,
  submitted, decided) up to the status asked for; :func:`publish` publishes it.
- :func:`seed_products` and :func:`seed_publications`: many published audits at once with SQLAlchemy
  core inserts (vendors, products, audits, publications, published_findings), for the query-count,
  memory and speed checks. Ids are given explicitly; on PostgreSQL the id sequences are moved past
  them afterwards, so the ORM can still add rows.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from webhelpers import REALISTIC, complete

from app.extensions import current_ruleset, db
from app.models import Audit, Organisation, Product, Publication, PublishedFinding, User, Vendor
from app.registry import services as registry
from app.rules.schema import VERDICTS

Finding = tuple[str, str, str, str]
"""``(rule_id, category, effect, level)`` of a published finding."""


def user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def reviewed_audit(school: User, reviewer: User | None, overrides: Mapping[str, Any] | None = None, *,
                   status: str = "approved", comment: str = "Fine.", note: str = "",
                   reviews: Sequence[Any] = ()) -> Audit:
    """A new audit of ``school``'s organisation with :data:`webhelpers.REALISTIC` answers plus
    ``overrides``, taken to ``status`` (draft, submitted, approved, changes_requested, rejected)
    through the real services; ``reviews`` (``ReviewInput``) are saved before the decision. Flushed."""
    from app.audits import services as audits
    from app.evaluation import evaluate_audit
    from app.review import services as review

    ruleset = current_ruleset()
    qn = ruleset.questionnaire
    answers = complete(qn, {**REALISTIC, **(overrides or {})})
    audit = audits.create_audit(qn, product_name=answers["product_name"], vendor_name=answers["vendor_name"],
                                organisation=school.organisation, user=school)
    audits.save_step(qn, audit, qn.validate_answers(answers), user=school)
    if status == "draft":
        return audit
    evaluation = evaluate_audit(ruleset, audit)
    submission = review.submit(audit, evaluation.snapshot, school, reviewer.organisation, note)
    if status == "submitted":
        return audit
    if reviews:
        review.save_reviews(ruleset, submission, reviewer, list(reviews))
    review.decide(submission, reviewer, status, comment,
                  "Approved in the test set-up." if status == "approved" else "")
    return audit


def publish(audit: Audit, school: User, *, show_school_name: bool = False) -> Publication:
    return registry.publish(audit, school, show_school_name=show_school_name)


# -- bulk seeding -----------------------------------------------------------------------------------

def _code(prefix: str, number: int) -> str:
    """``prefix`` + 10 base32 characters unique for ``number`` < 2**48 (the public id / report id format)."""
    return prefix + base64.b32encode(number.to_bytes(8, "little")).decode("ascii")[:10]


def _next_id(table: sa.Table) -> int:
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))) + 1


def _fix_sequences(*tables: sa.Table) -> None:
    if db.engine.dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"))


def school_id(name: str = "Bulk Seed School") -> int:
    """The id of the school organisation ``name`` (created if missing)."""
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, kind="school")
        db.session.add(org)
        db.session.flush()
    return org.id


def seed_products(count: int, *, per_vendor: int = 5, prefix: str = "Seeded", category: str = "classroom_analytics",
                  chunk: int = 5000) -> list[int]:
    """``count`` products (and a vendor per ``per_vendor`` of them); returns their ids."""
    vendors_t, products_t = Vendor.__table__, Product.__table__
    v0, p0 = _next_id(vendors_t), _next_id(products_t)
    now = dt.datetime.now(dt.UTC)
    n_vendors = -(-count // per_vendor)
    vendors = [{"id": v0 + i, "name": f"{prefix} Vendor {v0 + i} Co., Ltd.",
                "normalised_name": f"{prefix.lower()} vendor {v0 + i}", "country": "cn", "created_at": now}
               for i in range(n_vendors)]
    products = [{"id": p0 + i, "vendor_id": v0 + i // per_vendor, "name": f"{prefix} Product {p0 + i}",
                 "normalised_name": f"{prefix.lower()} product {p0 + i}", "category": category,
                 "website": f"https://example.com/{p0 + i}", "created_at": now} for i in range(count)]
    for table, rows in ((vendors_t, vendors), (products_t, products)):
        for start in range(0, len(rows), chunk):
            db.session.execute(sa.insert(table), rows[start:start + chunk])
    _fix_sequences(vendors_t, products_t)
    db.session.flush()
    return [p["id"] for p in products]


def ruleset_findings() -> list[Finding]:
    """Every rule of the loaded rule set as a published finding (level from its severity and
    likelihood, ``prohibited`` for a prohibition)."""
    ruleset = current_ruleset()
    return [(r.id, r.category, r.effect,
             "prohibited" if r.effect == "prohibited" else ruleset.matrix.level(r.severity, r.likelihood))
            for r in ruleset.rules]


def random_findings(pool: Sequence[Finding], low: int = 5, high: int = 25) -> Callable[[random.Random, int],
                                                                                        list[Finding]]:
    """A findings picker for :func:`seed_publications`: ``low``..``high`` distinct findings of ``pool``."""
    def pick(rng: random.Random, _number: int) -> list[Finding]:
        return rng.sample(list(pool), min(len(pool), rng.randint(low, high)))
    return pick


def seed_publications(product_ids: Sequence[int], count: int, *, organisation_id: int,
                      findings: Callable[[random.Random, int], list[Finding]] | None = None,
                      fields: Callable[[int], Mapping[str, Any]] | None = None, seed: int = 0,
                      school_name: str | None = None, jurisdictions: Sequence[str] = ("CN", "EU", "UK", "US"),
                      versions: Sequence[str] = ("", "1.0", "1.2", "2.0", "2.10"), chunk: int = 2000) -> None:
    """``count`` approved, published audits spread round-robin over ``product_ids``, with their
    publications and published findings (``findings(rng, n)`` for the n-th audit; default: 5 to 25
    of the loaded rule set). The verdict is the worst finding's level; ``fields(n)`` overrides columns of
    the n-th publication (``verdict``, ``product_version``, ``jurisdiction``, ``deployment_month``...)."""
    rng = random.Random(seed)
    pick = findings or random_findings(ruleset_findings())
    rank = registry.LEVEL_RANK
    rule_set_version = current_ruleset().version
    audits_t, pubs_t, found_t = Audit.__table__, Publication.__table__, PublishedFinding.__table__
    a0, u0, f0 = _next_id(audits_t), _next_id(pubs_t), _next_id(found_t)
    names = dict(db.session.execute(sa.select(Product.id, Product.name).where(Product.id.in_(set(product_ids)))).all())
    now = dt.datetime.now(dt.UTC)
    audits, pubs, found = [], [], []
    next_finding = f0

    def flush() -> None:
        for table, rows in ((audits_t, audits), (pubs_t, pubs), (found_t, found)):
            if rows:
                db.session.execute(sa.insert(table), rows)
            rows.clear()

    for n in range(count):
        product_id = product_ids[n % len(product_ids)]
        items = pick(rng, n)
        level = VERDICTS[max((rank[f[3]] for f in items), default=0)]
        month = f"{rng.randint(2018, 2026)}-{rng.randint(1, 12):02d}"
        audits.append({"id": a0 + n, "report_id": _code("EA-", a0 + n), "product_name": names[product_id],
                       "vendor_name": "seeded", "jurisdiction": "EU", "answers": {}, "status": "approved",
                       "organisation_id": organisation_id, "version": 1, "revision": 1, "product_id": product_id,
                       "created_at": now, "updated_at": now})
        pubs.append({"id": u0 + n, "public_id": _code("PUB-", u0 + n), "audit_id": a0 + n, "submission_number": 1,
                     "product_id": product_id, "product_version": rng.choice(versions),
                     "jurisdiction": rng.choice(jurisdictions), "deployment_month": month, "verdict": level,
                     "verdict_rank": rank[level], "rule_set_version": rule_set_version,
                     "school_kind": rng.choice(["primary", "lower_secondary", "upper_secondary"]),
                     "school_name": school_name,
                     "findings": [{"rule_id": r, "category": c, "effect": e, "level": lv} for r, c, e, lv in items],
                     "published_at": now})
        if fields:
            pubs[-1].update(fields(n))
            pubs[-1]["verdict_rank"] = rank[pubs[-1]["verdict"]]
        for r, c, _e, lv in items:
            found.append({"id": next_finding, "publication_id": u0 + n, "product_id": product_id, "rule_id": r,
                          "category": c, "level": lv, "level_rank": rank[lv]})
            next_finding += 1
        if len(audits) >= chunk:
            flush()
    flush()
    _fix_sequences(audits_t, pubs_t, found_t)
    db.session.flush()
