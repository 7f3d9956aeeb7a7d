"""Every closed list (``enum``) in the JSON schemas the app publishes equals the constant that owns it.

The schemas are static files served to other systems; the values they allow are owned by the code
(models, rule schema, questionnaire). A value added in the code and not in a schema makes the app
write files its own schema refuses (this happened with the finding effect ``unlawful`` and the trail
kind ``action_added``); this test names the schema path and the owner when they part.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app import models
from app.rules import schema as rule_schema

SCHEMAS = Path(__file__).resolve().parents[1] / "app" / "static" / "schemas"


def _enums(node: Any, path: str = "") -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    if isinstance(node, dict):
        if "enum" in node:
            found[path] = node["enum"]
        for key, value in node.items():
            found.update(_enums(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.update(_enums(value, f"{path}/{i}"))
    return found


def _vendor_countries() -> tuple[str, ...]:
    from app.rules.loader import load_ruleset

    question = load_ruleset().questionnaire.questions["vendor_country"]
    return tuple(option.id for option in question.options)


PORTABLE = "/properties/content/properties"
PUBLISHED = "/$defs/audit/properties"
PORTABLE_1: dict[str, Any] = {
    f"{PORTABLE}/audit/properties/status": models.AUDIT_STATUSES,
    f"{PORTABLE}/versions/items/properties/from": ("submission", "current"),
    f"{PORTABLE}/assessments/items/properties/verdict": rule_schema.VERDICTS,
    f"{PORTABLE}/issued_reports/items/properties/status": (*models.AUDIT_STATUSES, None),
    f"{PORTABLE}/submissions/items/properties/decision": (*models.DECISIONS, None),
    f"{PORTABLE}/submissions/items/properties/ratings/items/properties/target_kind": models.REVIEW_TARGETS,
    f"{PORTABLE}/submissions/items/properties/ratings/items/properties/rating": models.RATINGS,
    f"{PORTABLE}/trail/items/properties/kind": models.EVENT_KINDS,
}
PORTABLE_2: dict[str, Any] = {  # version 1's lists, and the action plan's and the documents'
    **PORTABLE_1,
    f"{PORTABLE}/actions/items/properties/source": models.ACTION_SOURCES,
    f"{PORTABLE}/actions/items/properties/kind": models.ACTION_KINDS,
    f"{PORTABLE}/actions/items/properties/state": models.ACTION_STATES,
    f"{PORTABLE}/actions/items/properties/target_kind": (*models.REVIEW_TARGETS, None),
    f"{PORTABLE}/actions/items/properties/rating/oneOf/1/properties/target_kind": models.REVIEW_TARGETS,
    f"{PORTABLE}/attachments/items/properties/media_type": models.ATTACHMENT_MEDIA_TYPES,
}
OWNERS: dict[tuple[str, str], Any] = {
    **{("portable-audit-1", path): owner for path, owner in PORTABLE_1.items()},
    **{("portable-audit-2", path): owner for path, owner in PORTABLE_2.items()},
    ("published-audits-2.0", "/properties/scope/properties/kind"): ("all", "product", "comparison"),
    ("published-audits-2.0", f"{PUBLISHED}/product/properties/category"): models.PRODUCT_CATEGORIES,
    ("published-audits-2.0", f"{PUBLISHED}/product/properties/vendor_country"): (*_vendor_countries(), None),
    ("published-audits-2.0", f"{PUBLISHED}/jurisdiction"): rule_schema.JURISDICTIONS,
    ("published-audits-2.0", f"{PUBLISHED}/verdict"): rule_schema.VERDICTS,
    ("published-audits-2.0", f"{PUBLISHED}/findings/items/properties/category"): rule_schema.CATEGORIES,
    ("published-audits-2.0", f"{PUBLISHED}/findings/items/properties/effect"): rule_schema.EFFECTS,
    ("published-audits-2.0", f"{PUBLISHED}/findings/items/properties/level"): rule_schema.VERDICTS,
}
CURRENT = sorted({name for name, _ in OWNERS})


@pytest.mark.parametrize("name", CURRENT)
def test_every_closed_list_of_a_current_schema_has_an_owner(name):
    enums = _enums(json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8")))
    assert sorted(enums) == sorted(path for schema, path in OWNERS if schema == name)


@pytest.mark.parametrize(("name", "path"), sorted(OWNERS))
def test_a_closed_list_equals_its_owner(name, path):
    enums = _enums(json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8")))
    assert sorted(enums[path], key=str) == sorted(OWNERS[(name, path)], key=str), f"{name}.schema.json {path}"
