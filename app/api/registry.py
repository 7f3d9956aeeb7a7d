"""``/api/v1``: the public product registry (products with published audits, a product's figures,
the published audits as the export document) and publishing an approved audit (its school only).

The registry's reading routes are public, as its pages are: no token needed, rate-limited per address.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, jsonify
from flask_login import current_user

from .. import access
from ..extensions import db
from ..registry import services as registry_services
from ..rules.schema import VERDICTS
from ..timefmt import as_utc
from . import schemas
from .auth import limited, signed_in
from .parsing import Blueprint
from .problems import ApiProblem

blp = limited(Blueprint("api_registry", __name__, description="Products, published audits and their exports."))

EXPORT_DOC = {"description": "Published audits (app/static/schemas/published-audits-2.0.schema.json)",
              "content": {"application/json": {"schema": {"type": "object",
                                                          "required": ["schema_version", "audits"]}}}}


@blp.get("/products")
@blp.arguments(schemas.ProductQuery, location="query")
@blp.response(200, schemas.ProductList)
def list_products(query: dict[str, Any]):
    """Products with at least one published audit, by name; ``q`` matches the product's or vendor's
    name, ``category`` the product's category."""
    rows, total = registry_services.list_products(query=query["q"], category=query["category"],
                                                  limit=query["limit"], offset=query["offset"])
    return {"total": total, "products": [{"id": r.id, "name": r.name, "vendor": r.vendor, "category": r.category,
                                          "audits": r.audits, "worst_verdict": VERDICTS[r.worst_rank]}
                                         for r in rows]}


@blp.get("/products/<id:product_id>")
@blp.response(200, schemas.ProductStats)
def get_product(product_id: int):
    """What the product's page shows: the product, how many audits were published, verdicts and
    jurisdictions counted, findings by category, verdicts by product version and by year."""
    stats = registry_services.product_stats(product_id)
    if stats is None:
        raise ApiProblem(404, "api.not_found")
    return jsonify(stats)


def _export(product_ids: list[int] | None, scope: dict[str, Any]) -> Response:
    return jsonify({"$schema": registry_services.EXPORT_SCHEMA,
                    "schema_version": registry_services.EXPORT_SCHEMA_VERSION,
                    "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "scope": scope,
                    "audits": list(registry_services.export_records(product_ids))})


@blp.get("/products/<id:product_id>/published")
@blp.doc(responses={"200": EXPORT_DOC})
def product_export(product_id: int):
    """The product's published audits, as the export document."""
    if not registry_services.has_publications(product_id):
        raise ApiProblem(404, "api.not_found")
    return _export([product_id], {"kind": "product", "products": [product_id]})


@blp.get("/published")
@blp.doc(responses={"200": EXPORT_DOC})
def published_export():
    """Every published audit, as the export document."""
    return _export(None, {"kind": "all", "products": None})


@blp.post("/audits/<report_id>/publication")
@blp.arguments(schemas.PublishInput)
@blp.response(201, schemas.PublicationOutput)
@signed_in("school_admin")
def publish(body: dict[str, Any], report_id: str):
    """Publish the approved audit, redacted, to the product registry (the school's name only if
    ``show_school_name``). 403 unless approved; 409 when already published."""
    audit = access.audit_for(report_id, "publish")
    try:
        publication = registry_services.publish(audit, current_user, show_school_name=body["show_school_name"])
    except registry_services.RegistryError as exc:
        db.session.rollback()
        raise ApiProblem(409, exc.code, **exc.params) from None
    db.session.commit()
    return {"public_id": publication.public_id, "product_id": publication.product_id,
            "published_at": as_utc(publication.published_at), "school_name": publication.school_name}, 201


@blp.delete("/audits/<report_id>/publication")
@blp.response(204)
@signed_in("school_admin")
def unpublish(report_id: str):
    """Withdraw the audit's publication (403 when it is not published)."""
    audit = access.audit_for(report_id, "unpublish")
    registry_services.unpublish(audit, current_user)
    db.session.commit()
    return None
