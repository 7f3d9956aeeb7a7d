"""The product registry, publishing approved audits (redacted), and the NGO's aggregates.

Registry: vendors and products are unique by normalised name (:func:`normalise_name`); an audit is
linked to its product whenever the product or vendor answers change (:func:`link_audit`).

Publishing (:func:`publish`): after a regulator approved an audit, its school may publish it. What
is published is a redacted copy (:class:`app.models.Publication`): product, version, jurisdiction,
month of the planned deployment, verdict, rule-set version, the school's kind, the school's name
only if it chose so, and the findings as rule id, category, level and effect. Never published: the
report id, free-text answers, the exact date, people (users, reviewers), the regulator, review
comments, and every other answer.

Aggregates (:func:`product_stats`, :func:`comparison`) run a fixed number of SQL statements
whatever the number of audits or products (GROUP BY in the database, not loops in Python).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
import hashlib
import io
import json
import re
import secrets
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from .. import trail
from ..extensions import current_ruleset, db
from ..models import (
    PRODUCT_CATEGORIES,
    Audit,
    Product,
    Publication,
    PublishedFinding,
    Submission,
    User,
    Vendor,
)
from ..problems import Problem
from ..rules.schema import CATEGORIES, VERDICTS
from ..timefmt import as_utc

LEVEL_RANK = {level: i for i, level in enumerate(VERDICTS)}
"""low 0, medium 1, high 2, critical 3, prohibited 4."""
HIGH_RANK = LEVEL_RANK["high"]
COMPARE_MIN, COMPARE_MAX = 2, 10
TOP_FINDINGS = 5

LEGAL_SUFFIXES = ("co", "company", "corp", "corporation", "inc", "incorporated", "llc", "ltd", "limited", "plc",
                  "gmbh", "ag", "sa", "sas", "bv", "pte", "pty", "group")
"""Words dropped from the end of a vendor's name when normalising ("Hikvision Co., Ltd." = "hikvision")."""
CJK_LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司")


class RegistryError(Problem, ValueError):
    """A registry or publishing action cannot be done as asked; the code says why (``registry.*`` and
    ``compare.*`` in :data:`app.messages.MESSAGES`)."""


def normalise_name(name: str, *, vendor: bool = False) -> str:
    """The registry key of a name: Unicode NFKC, case-folded, punctuation and spacing collapsed to
    single spaces; for a vendor also without trailing legal forms (Co., Ltd., Inc., 有限公司...).

    >>> normalise_name("  Smart-Classroom   System ")
    'smart classroom system'
    >>> normalise_name("Hikvision Co., Ltd.", vendor=True)
    'hikvision'
    """
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = re.sub(r"[\W_]+", " ", text).strip()
    if vendor:
        changed = True
        while changed and text:
            changed = False
            for suffix in CJK_LEGAL_SUFFIXES:  # longest first; a name that is only a legal form keeps it
                if text.endswith(suffix):
                    if len(text) > len(suffix):
                        text, changed = text[: -len(suffix)].rstrip(), True
                    break
            words = text.split()
            while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
                words.pop()
                changed = True
            text = " ".join(words)
    return text


def find_or_create_vendor(name: str, *, country: str | None = None) -> Vendor:
    """The vendor whose normalised name matches ``name``, or a new one (flushed). A known vendor
    without a country takes ``country``. Raises :class:`RegistryError` for a name with no letters."""
    key = normalise_name(name, vendor=True)
    if not key:
        raise RegistryError("registry.vendor_name_empty", name=name)
    vendor = db.session.scalar(sa.select(Vendor).where(Vendor.normalised_name == key))
    if vendor is None:
        vendor = Vendor(name=name.strip(), normalised_name=key, country=country)
        db.session.add(vendor)
        db.session.flush()
    elif vendor.country is None and country:
        vendor.country = country
    return vendor


def find_or_create_product(vendor: Vendor, name: str, *, category: str | None = None,
                           website: str | None = None) -> Product:
    """The vendor's product whose normalised name matches ``name``, or a new one (flushed). The first
    category and website given are kept (a later audit with another answer does not change them).
    Raises :class:`RegistryError` for a name with no letters or an unknown category."""
    key = normalise_name(name)
    if not key:
        raise RegistryError("registry.product_name_empty", name=name)
    if category is not None and category not in PRODUCT_CATEGORIES:
        raise RegistryError("registry.unknown_category", category=category, categories=PRODUCT_CATEGORIES)
    product = db.session.scalar(sa.select(Product).where(Product.vendor_id == vendor.id,
                                                         Product.normalised_name == key))
    if product is None:
        product = Product(vendor_id=vendor.id, name=name.strip(), normalised_name=key, category=category or "other",
                          website=website or None)
        db.session.add(product)
        db.session.flush()
    else:
        if product.category == "other" and category:
            product.category = category
        if not product.website and website:
            product.website = website
    return product


def link_audit(audit: Audit, typed: Mapping[str, Any]) -> Product | None:
    """Point ``audit.product_id`` at the registry product its answers name (``product_name``,
    ``vendor_name``, ``product_kind``, ``vendor_country``, ``product_website``), creating vendor and
    product if new; ``None`` (and no link) while either name is missing or has no letters."""
    product_name, vendor_name = typed.get("product_name"), typed.get("vendor_name")
    if not product_name or not vendor_name or not normalise_name(product_name) \
            or not normalise_name(vendor_name, vendor=True):
        previous = audit.product_id
        audit.product_id = None
        if previous is not None:  # a name cleared or left without letters leaves nothing behind either
            db.session.flush()
            _drop_if_unused(previous)
        return None
    vendor = find_or_create_vendor(vendor_name, country=typed.get("vendor_country"))
    kind = typed.get("product_kind")
    product = find_or_create_product(vendor, product_name, category=kind if kind in PRODUCT_CATEGORIES else None,
                                     website=typed.get("product_website"))
    if audit.product_id != product.id:
        previous = audit.product_id
        audit.product_id = product.id
        db.session.flush()
        if previous is not None:
            _drop_if_unused(previous)
    return product


def _drop_if_unused(product_id: int) -> None:
    """Delete a product (and its vendor, if it has no other product) that no audit and no publication
    names any more: a name corrected while typing leaves nothing behind in the registry."""
    in_use = sa.union_all(sa.select(Audit.id).where(Audit.product_id == product_id),
                          sa.select(Publication.id).where(Publication.product_id == product_id))
    if db.session.scalar(sa.select(sa.func.count()).select_from(in_use.subquery())):
        return
    product = db.session.get(Product, product_id)
    if product is None:
        return
    vendor_id = product.vendor_id
    db.session.delete(product)
    db.session.flush()
    if db.session.scalar(sa.select(Product.id).where(Product.vendor_id == vendor_id).limit(1)) is None:
        vendor = db.session.get(Vendor, vendor_id)
        if vendor is not None:
            db.session.delete(vendor)
            db.session.flush()


def new_public_id() -> str:
    """``PUB-`` + 10 random base32 characters: the published record's id (not the report id)."""
    return "PUB-" + base64.b32encode(secrets.token_bytes(10)).decode("ascii")[:10]


def publish(audit: Audit, user: User, *, show_school_name: bool) -> Publication:
    """Publish the approved audit, redacted (see the module's docstring); flushed, with a trail event.

    Raises :class:`RegistryError` if the audit is not approved, is already published, or names no
    product.
    """
    if audit.status != "approved":
        raise RegistryError("registry.not_approved", report_id=audit.report_id, status=audit.status)
    if db.session.scalar(sa.select(Publication.id).where(Publication.audit_id == audit.id)) is not None:
        raise RegistryError("registry.already_published", report_id=audit.report_id)
    submission = db.session.scalar(sa.select(Submission).where(
        Submission.audit_id == audit.id, Submission.decision == "approved").order_by(Submission.number.desc()))
    if submission is None:  # pragma: no cover - status "approved" is set only with an approved submission
        raise RegistryError("registry.no_approved_submission", report_id=audit.report_id)
    snapshot = submission.assessment
    typed = current_ruleset().questionnaire.load(snapshot.answers).typed
    product = link_audit(audit, typed)
    if product is None:
        raise RegistryError("registry.no_product")
    # Each finding at the level the report states (prohibited, else the residual level), so public
    # pages agree with the approved report.
    findings = [{"rule_id": f.rule_id, "category": f.category, "effect": f.effect, "level": f.headline_level}
                for f in snapshot.read_result().findings]
    publication = Publication(
        public_id=new_public_id(), audit_id=audit.id, submission_number=submission.number, product_id=product.id,
        product_version=typed.get("product_version") or "", jurisdiction=snapshot.jurisdiction,
        deployment_month=snapshot.as_of.strftime("%Y-%m"), verdict=snapshot.verdict,
        verdict_rank=LEVEL_RANK[snapshot.verdict], rule_set_version=snapshot.rule_set_version,
        school_kind=typed.get("school_type") or "",
        school_name=audit.organisation.name if show_school_name and audit.organisation else None,
        findings=findings)
    db.session.add(publication)
    db.session.flush()
    db.session.add_all([PublishedFinding(publication_id=publication.id, product_id=product.id, rule_id=f["rule_id"],
                                         category=f["category"], level=f["level"], level_rank=LEVEL_RANK[f["level"]])
                        for f in findings])
    db.session.flush()
    trail.record(audit, "published", user, {"public_id": publication.public_id,
                                            "school_name_shown": bool(publication.school_name)})
    return publication


def unpublish(audit: Audit, user: User) -> str:
    """Withdraw the audit's publication: its record and findings leave every public page and export at
    once (the trail keeps an "unpublished" event); returns the withdrawn public id. The school may
    publish again later (a new public id). Raises :class:`RegistryError` if it is not published."""
    publication = publication_of(audit)
    if publication is None:
        raise RegistryError("registry.not_published", report_id=audit.report_id)
    public_id = publication.public_id
    db.session.execute(sa.delete(PublishedFinding).where(PublishedFinding.publication_id == publication.id))
    db.session.delete(publication)
    db.session.flush()
    trail.record(audit, "unpublished", user, {"public_id": public_id})
    return public_id


def publication_of(audit: Audit) -> Publication | None:
    """The audit's publication, or ``None``."""
    return db.session.scalar(sa.select(Publication).where(Publication.audit_id == audit.id))


# -- reading: listing, product page, comparison ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class ProductRow:
    """A product in the public list: with the number of its published audits and their worst verdict."""

    id: int
    name: str
    vendor: str
    category: str
    audits: int
    worst_rank: int


def list_products(*, query: str = "", category: str = "", limit: int = 50, offset: int = 0) -> tuple[
        list[ProductRow], int]:
    """Products with at least one published audit, matching ``query`` (normalised substring of the
    product's or vendor's name) and ``category``; by name. Returns ``(rows, total)``; two statements
    (built once per process for each combination of filters, with the values as parameters)."""
    key = normalise_name(query)
    count_stmt, page_stmt = _product_list_statements(bool(key), bool(category))
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if key:
        params["like"] = f"%{key.replace('%', '').replace('_', ' ')}%"
    if category:
        params["category"] = category
    connection = db.session.connection()  # columns only: no ORM work per statement
    total = connection.execute(count_stmt, params).scalar()
    rows = connection.execute(page_stmt, params)
    return [ProductRow(*row) for row in rows], int(total or 0)


@functools.cache
def _product_list_statements(by_name: bool, by_category: bool) -> tuple[sa.Select, sa.Select]:
    """(count, page) statements of :func:`list_products` for one combination of filters."""
    counts = (sa.select(Publication.product_id, sa.func.count().label("n"),
                        sa.func.max(Publication.verdict_rank).label("worst"))
              .group_by(Publication.product_id).subquery())
    stmt = (sa.select(Product.id, Product.name, Vendor.name, Product.category, counts.c.n, counts.c.worst)
            .join(counts, counts.c.product_id == Product.id).join(Vendor, Vendor.id == Product.vendor_id))
    if by_name:
        like = sa.bindparam("like", type_=sa.String)
        stmt = stmt.where(sa.or_(Product.normalised_name.like(like), Vendor.normalised_name.like(like)))
    if by_category:
        stmt = stmt.where(Product.category == sa.bindparam("category", type_=sa.String))
    count = sa.select(sa.func.count()).select_from(stmt.subquery())
    page = (stmt.order_by(Product.normalised_name, Product.id)
            .limit(sa.bindparam("limit", type_=sa.Integer)).offset(sa.bindparam("offset", type_=sa.Integer)))
    return count, page


def published_product_ids(product_ids: list[int]) -> list[int]:
    """Those of ``product_ids`` that at least one published audit names, in the order given; one statement."""
    published = set(db.session.scalars(sa.select(Publication.product_id).distinct()
                                        .where(Publication.product_id.in_(product_ids))))
    return [i for i in product_ids if i in published]


SUGGESTIONS_MAX = 10
"""Names one suggestion request returns at most, whatever the registry's size."""


def known_names(organisation_id: int | None, field: str, query: str = "",
                limit: int = SUGGESTIONS_MAX) -> list[str]:
    """Product (``field="product_name"``) or vendor (``"vendor_name"``) names a school may pick from when
    it starts an audit: those of published audits and those its own audits name (never another
    school's unpublished ones), containing ``query`` (case-insensitive; ``%`` and ``_`` are literal).
    At most ``limit`` distinct names, sorted. One statement. Raises ``ValueError`` for another field."""
    if field not in ("product_name", "vendor_name"):
        raise ValueError(f"no suggestions for {field!r}")
    mine = sa.select(Audit.product_id).where(Audit.organisation_id == organisation_id,
                                             Audit.product_id.is_not(None))
    ids = sa.union(mine, sa.select(Publication.product_id)).subquery()
    if field == "product_name":
        column, stmt = Product.name, sa.select(Product.name)
    else:
        column, stmt = Vendor.name, sa.select(Vendor.name).join(Product, Product.vendor_id == Vendor.id)
    stmt = stmt.where(Product.id.in_(sa.select(ids)))
    if query:
        stmt = stmt.where(sa.func.lower(column).contains(query.lower(), autoescape=True))
    return list(db.session.scalars(stmt.distinct().order_by(column).limit(limit)))


def has_publications(product_id: int) -> bool:
    """Whether at least one published audit names the product (so its public pages exist)."""
    return db.session.scalar(sa.select(Publication.id).where(Publication.product_id == product_id).limit(1)) \
        is not None


def _counts(rows: Any) -> dict[Any, Counter]:
    out: dict[Any, Counter] = defaultdict(Counter)
    for key, sub, n in rows:
        out[key][sub] += n
    return out


def product_stats(product_id: int) -> dict[str, Any] | None:
    """Everything the product page shows, in six statements; ``None`` if the product has no published
    audit (unpublished products are not public).

    Keys: ``product`` (id, name, vendor, vendor_country, category, website), ``audits`` (count),
    ``verdicts`` (verdict -> count), ``jurisdictions`` (code -> count), ``by_category`` (category ->
    list of ``{rule_id, count, worst}`` most frequent first), ``versions`` (version -> verdict ->
    count, in version order), ``years`` (year -> verdict -> count).
    """
    head = db.session.execute(
        sa.select(Product.id, Product.name, Vendor.name, Vendor.country, Product.category, Product.website)
        .join(Vendor, Vendor.id == Product.vendor_id).where(Product.id == product_id)).first()
    if head is None:
        return None
    of_product = Publication.product_id == product_id
    verdicts = Counter(dict(db.session.execute(
        sa.select(Publication.verdict, sa.func.count()).where(of_product).group_by(Publication.verdict)).all()))
    total = sum(verdicts.values())
    if total == 0:
        return None
    jurisdictions = Counter(dict(db.session.execute(
        sa.select(Publication.jurisdiction, sa.func.count()).where(of_product)
        .group_by(Publication.jurisdiction)).all()))
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for category, rule_id, n, worst in db.session.execute(
            sa.select(PublishedFinding.category, PublishedFinding.rule_id,
                      sa.func.count(sa.distinct(PublishedFinding.publication_id)),
                      sa.func.max(PublishedFinding.level_rank))
            .where(PublishedFinding.product_id == product_id)
            .group_by(PublishedFinding.category, PublishedFinding.rule_id)):
        by_category[category].append({"rule_id": rule_id, "count": n, "worst": VERDICTS[worst]})
    for items in by_category.values():
        items.sort(key=lambda i: (-i["count"], i["rule_id"]))
    versions = _counts(db.session.execute(
        sa.select(Publication.product_version, Publication.verdict, sa.func.count()).where(of_product)
        .group_by(Publication.product_version, Publication.verdict)))
    year = sa.func.substr(Publication.deployment_month, 1, 4)
    years = _counts(db.session.execute(
        sa.select(year, Publication.verdict, sa.func.count()).where(of_product).group_by(year, Publication.verdict)))
    pid, name, vendor, country, category, website = head
    return {
        "product": {"id": pid, "name": name, "vendor": vendor, "vendor_country": country, "category": category,
                    "website": website},
        "audits": total, "verdicts": verdicts, "jurisdictions": jurisdictions,
        "by_category": {c: by_category[c] for c in CATEGORIES if c in by_category},
        "versions": {v: versions[v] for v in sorted(versions, key=_version_key)},
        "years": {y: years[y] for y in sorted(years)},
    }


def _version_key(version: str) -> tuple:
    """Natural order of version strings ("" first, then 1.2 < 1.10)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", version)
                 if part)


class CompareError(RegistryError):
    """The products asked for cannot be compared: a query value is not a product id
    (``compare.not_a_product_id``, ``value``) or too few or too many distinct products are asked for
    (``compare.product_count``, ``count``)."""


def parse_product_ids(values: list[str]) -> list[int]:
    """Distinct product ids from query values, in the order given. Raises :class:`CompareError` for a
    value that is not a positive integer, or fewer than 2 or more than 10 products."""
    ids: list[int] = []
    for value in values:
        if not value.isdigit() or int(value) < 1:
            raise CompareError("compare.not_a_product_id", value=value)
        if int(value) not in ids:
            ids.append(int(value))
    if not COMPARE_MIN <= len(ids) <= COMPARE_MAX:
        raise CompareError("compare.product_count", min=COMPARE_MIN, max=COMPARE_MAX, count=len(ids))
    return ids


def comparison(product_ids: list[int]) -> list[dict[str, Any]]:
    """Side by side, in five statements: per product ``product`` (as in :func:`product_stats`),
    ``audits``, ``verdicts``, ``high_share`` (category -> share 0..1 of its published audits with a
    finding of that category at high or worse), ``top_findings`` (up to 5 ``{rule_id, count}``),
    ``jurisdictions`` (code -> count). Products without a published audit are left out."""
    heads_stmt, verdicts_stmt, high_stmt, rules_stmt, jurisdictions_stmt = _comparison_statements()
    ids = {"ids": list(product_ids)}
    # Columns only, no entities: run on the session's connection, without the ORM's per-statement work.
    connection = db.session.connection()
    heads = connection.execute(heads_stmt, ids).all()
    verdicts = _counts(connection.execute(verdicts_stmt, ids))
    high = _counts(connection.execute(high_stmt, ids))
    rules = _counts(connection.execute(rules_stmt, ids))
    jurisdictions = _counts(connection.execute(jurisdictions_stmt, ids))
    by_id = {row[0]: row for row in heads}
    out = []
    for pid in product_ids:
        total = sum(verdicts[pid].values())
        if pid not in by_id or total == 0:
            continue
        _id, name, vendor, country, category, website = by_id[pid]
        out.append({
            "product": {"id": pid, "name": name, "vendor": vendor, "vendor_country": country, "category": category,
                        "website": website},
            "audits": total, "verdicts": verdicts[pid],
            "high_share": {c: high[pid][c] / total for c in CATEGORIES},
            "top_findings": [{"rule_id": r, "count": n} for r, n in
                             sorted(rules[pid].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FINDINGS]],
            "jurisdictions": jurisdictions[pid],
        })
    return out


def comparison_state(product_ids: list[int]) -> tuple[tuple[Any, ...], ...]:
    """What :func:`comparison` of ``product_ids`` depends on, in one statement over an index (no scan of
    the findings): per product with a published audit, in id order, its head (id, name, vendor, vendor
    country, category, website), the number of its publications, and the id and public id of the latest.

    Publications are never changed, only added and withdrawn (:func:`publish`, :func:`unpublish`), and
    their findings with them; a new one always gets an id above every present one. So the same count and
    the same latest publication mean the same publications: one withdrawn and another added changes the
    latest, one withdrawn alone changes the count. The latest one's random public id is part of it because
    SQLite gives a new publication the id of a withdrawn latest one (as :func:`registry_state`)."""
    return tuple(tuple(row) for row in db.session.connection().execute(
        _comparison_state_statement(), {"ids": list(product_ids)}))


@functools.cache
def _comparison_state_statement() -> sa.Select:
    per_product = (sa.select(Publication.product_id, sa.func.count().label("n"),
                             sa.func.max(Publication.id).label("latest"))
                   .where(Publication.product_id.in_(sa.bindparam("ids", expanding=True)))
                   .group_by(Publication.product_id).subquery())
    latest = aliased(Publication)
    return (sa.select(Product.id, Product.name, Vendor.name, Vendor.country, Product.category, Product.website,
                      per_product.c.n, per_product.c.latest, latest.public_id)
            .join(Vendor, Vendor.id == Product.vendor_id)
            .join(per_product, per_product.c.product_id == Product.id)
            .join(latest, latest.id == per_product.c.latest)
            .order_by(Product.id))


@functools.cache
def _comparison_statements() -> tuple[sa.Select, ...]:
    """The five statements of :func:`comparison`, built once per process; the product ids are the
    expanding parameter ``ids``."""
    ids = sa.bindparam("ids", expanding=True)
    heads = (sa.select(Product.id, Product.name, Vendor.name, Vendor.country, Product.category, Product.website)
             .join(Vendor, Vendor.id == Product.vendor_id).where(Product.id.in_(ids)))
    verdicts = (sa.select(Publication.product_id, Publication.verdict, sa.func.count())
                .where(Publication.product_id.in_(ids)).group_by(Publication.product_id, Publication.verdict))
    high = (sa.select(PublishedFinding.product_id, PublishedFinding.category,
                      sa.func.count(sa.distinct(PublishedFinding.publication_id)))
            .where(PublishedFinding.product_id.in_(ids), PublishedFinding.level_rank >= HIGH_RANK)
            .group_by(PublishedFinding.product_id, PublishedFinding.category))
    rules = (sa.select(PublishedFinding.product_id, PublishedFinding.rule_id,
                       sa.func.count(sa.distinct(PublishedFinding.publication_id)))
             .where(PublishedFinding.product_id.in_(ids))
             # Grouped by category too (a rule has one category; _counts adds up any split): the order of
             # ix_published_findings_product_stats, so the database reads that index alone, without sorting.
             .group_by(PublishedFinding.product_id, PublishedFinding.category, PublishedFinding.rule_id))
    jurisdictions = (sa.select(Publication.product_id, Publication.jurisdiction, sa.func.count())
                     .where(Publication.product_id.in_(ids))
                     .group_by(Publication.product_id, Publication.jurisdiction))
    return heads, verdicts, high, rules, jurisdictions


# -- exports --------------------------------------------------------------------------------------

EXPORT_SCHEMA = "https://eduaudit.example/schemas/published-audits/2.0"
"""``$id`` of app/static/schemas/published-audits-2.0.schema.json, written into every JSON export."""
EXPORT_SCHEMA_VERSION = "2.0"
CSV_BOM = "\ufeff"
"""UTF-8 byte order mark at the start of CSV files, so spreadsheet programs read Chinese names right."""
EXPORT_FORMATS = {"json": "application/json", "csv": "text/csv"}
"""Export formats and their media types."""
CSV_COLUMNS = ("public_id", "product_id", "product", "vendor", "vendor_country", "category", "product_version",
               "jurisdiction", "deployment_month", "verdict", "rule_set_version", "school_kind", "school_name",
               "published_at", "findings_count", "high_or_worse_categories", "rule_ids")


def export_records(product_ids: list[int] | None = None, *, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Published audits as export records (the ``audits`` items of the JSON schema), oldest first;
    all of them, or those of ``product_ids``. Streams from the database in batches of ``batch`` rows
    (memory does not grow with the number of audits)."""
    P = Publication
    stmt = (sa.select(P.public_id, P.product_id, Product.name, Product.category, Vendor.name, Vendor.country,
                      P.product_version, P.jurisdiction, P.deployment_month, P.verdict, P.rule_set_version,
                      P.school_kind, P.school_name, P.published_at, P.findings)
            .join(Product, Product.id == P.product_id).join(Vendor, Vendor.id == Product.vendor_id)
            .order_by(P.id).execution_options(yield_per=batch))
    if product_ids is not None:
        stmt = stmt.where(P.product_id.in_(product_ids))
    for (public_id, product_id, product, category, vendor, country, version, jurisdiction, month, verdict,
         rule_set_version, school_kind, school_name, published_at, findings) in db.session.execute(stmt):
        yield {
            "public_id": public_id,
            "product": {"id": product_id, "name": product, "category": category, "vendor": vendor,
                        "vendor_country": country},
            "product_version": version,
            "jurisdiction": jurisdiction,
            "deployment_month": month,
            "verdict": verdict,
            "rule_set_version": rule_set_version,
            "school": {"kind": school_kind, "name": school_name},
            "published_at": as_utc(published_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "findings": findings,
        }


def csv_row(record: Mapping[str, Any]) -> list[str]:
    """One export record as a CSV row (:data:`CSV_COLUMNS`)."""
    high = sorted({f["category"] for f in record["findings"] if LEVEL_RANK[f["level"]] >= HIGH_RANK})
    p = record["product"]
    return [record["public_id"], str(p["id"]), p["name"], p["vendor"], p["vendor_country"] or "", p["category"],
            record["product_version"], record["jurisdiction"], record["deployment_month"], record["verdict"],
            record["rule_set_version"], record["school"]["kind"], record["school"]["name"] or "",
            record["published_at"], str(len(record["findings"])), ";".join(high),
            ";".join(f["rule_id"] for f in record["findings"])]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """A cell that spreadsheet programs will not run as a formula (OWASP CSV injection): text starting
    with = + - @ tab or CR gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def json_chunks(records: Iterator[dict[str, Any]], scope: dict[str, Any],
                generated_at: dt.datetime | None = None) -> Iterator[str]:
    """The JSON export document (schema :data:`EXPORT_SCHEMA`) of ``records`` (:func:`export_records`)
    and ``scope``, as text chunks written as the records come (memory does not grow with them).
    ``generated_at``: UTC time written into it, default now."""
    at = generated_at or dt.datetime.now(dt.UTC)
    head = {"$schema": EXPORT_SCHEMA, "schema_version": EXPORT_SCHEMA_VERSION,
            "generated_at": as_utc(at).strftime("%Y-%m-%dT%H:%M:%SZ"), "scope": scope}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "audits": ['
    first = True
    for record in records:
        yield ("" if first else ",") + "\n" + json.dumps(record, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def csv_chunks(records: Iterator[dict[str, Any]], *, flush_at: int = 64 * 1024) -> Iterator[str]:
    """The CSV export (BOM, header :data:`CSV_COLUMNS`, one row per record, cells :func:`csv_safe`) as
    text chunks of about ``flush_at`` characters, written as the records come."""
    yield CSV_BOM
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow([csv_safe(v) for v in csv_row(record)])
        if buffer.tell() > flush_at:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export_chunks(fmt: str, records: Iterator[dict[str, Any]], scope: dict[str, Any]) -> Iterator[str]:
    """The export of ``records`` in ``fmt`` (a key of :data:`EXPORT_FORMATS`) as text chunks. Raises
    ``ValueError`` for another format."""
    if fmt == "json":
        return json_chunks(records, scope)
    if fmt == "csv":
        return csv_chunks(records)
    raise ValueError(f"an export is {' or '.join(EXPORT_FORMATS)}, not {fmt[:20]!r}")


def registry_state() -> dict[str, Any]:
    """What the full export's content depends on, read cheaply (no scan of the publications, one pass
    over the published products): the number of publications, the id and public id of the latest, and a digest
    of the published products' names, categories, vendors and vendor countries (which a later audit
    may fill in). Any publication, withdrawal or such change gives another value.

    Count and latest id alone would not do: SQLite reuses the id of a withdrawn latest publication,
    so the latest one's random public id is part of it."""
    P = Publication
    count, latest = db.session.execute(sa.select(sa.func.count(P.id), sa.func.max(P.id))).one()
    latest_public_id = db.session.scalar(sa.select(P.public_id).where(P.id == latest)) if latest else None
    products = (sa.select(Product.id, Product.name, Product.category, Vendor.name, Vendor.country)
                .join(Vendor, Vendor.id == Product.vendor_id)
                .where(sa.exists().where(P.product_id == Product.id)).order_by(Product.id)
                .execution_options(yield_per=1000))
    digest = hashlib.sha256()
    for row in db.session.execute(products):
        digest.update(json.dumps(list(row), ensure_ascii=False).encode("utf-8"))
    return {"publications": count, "latest": latest, "latest_public_id": latest_public_id,
            "products": digest.hexdigest(), "schema_version": EXPORT_SCHEMA_VERSION}
