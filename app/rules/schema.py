"""JSON Schemas and closed vocabularies for the rule data under ``audit_rules/``.

The vocabularies are the field's terms from the design brief: the thirteen risk categories of the
seed report (Institut Montaigne, *China Trends*, Nov 2021, "Smart Education"), CNIL's four-level
severity and likelihood scale, and the three effects a rule can have.
"""

from __future__ import annotations

from .operators import OPERATORS as _OPERATOR_REGISTRY

CATEGORIES: tuple[str, ...] = (
    "facial-recognition",
    "emotion-attention",
    "black-box-algorithms",
    "commercial-capture",
    "data-security",
    "children-consent",
    "proportionality",
    "transparency",
    "retention",
    "cross-border",
    "health-wellbeing",
    "equity-access",
    "governance",
)
SCALE: tuple[str, ...] = ("negligible", "limited", "significant", "maximum")
"""CNIL's four-level scale, used for both severity and likelihood (index 0..3)."""
RISK_LEVELS: tuple[str, ...] = ("low", "medium", "high", "critical")
VERDICTS: tuple[str, ...] = (*RISK_LEVELS, "prohibited")
EFFECTS: tuple[str, ...] = ("risk", "obligation", "unlawful", "prohibited")
"""What a finding is: a privacy ``risk``; a legal ``obligation`` the answers show unmet; ``unlawful``: no
lawful basis is available for the processing as designed (critical whatever the measures; only a
different design lifts it); ``prohibited``: an explicit legal ban."""
OVERRIDE_LEVEL: dict[str, str] = {"unlawful": "critical", "prohibited": "critical"}
"""Effects whose finding sits at a fixed risk level whatever the aggravations and measures: no
mitigation lowers it (the verdict of a prohibited finding is ``prohibited``, above critical)."""
AGGRAVATED_EFFECTS: tuple[str, ...] = ("risk", "obligation")
"""Effects an aggravation can raise: the others already sit at a fixed level."""
JURISDICTIONS: tuple[str, ...] = ("CN", "EU", "UK", "US")
PACKS: dict[str, tuple[str, ...]] = {
    "core": JURISDICTIONS,
    "cn": ("CN",),
    "eu": ("EU",),
    "uk": ("UK",),
    "us": ("US",),
}
"""Rule pack folder -> the jurisdictions a rule in it may name."""
LANGS: tuple[str, ...] = ("en", "zh")
VERIFICATION: tuple[str, ...] = ("V-TEXT", "V-PAGE", "V-PAGE-secondary", "UNVERIFIED")
QUESTION_TYPES: tuple[str, ...] = ("text", "textarea", "single", "multi", "boolean", "integer", "date")
OPERATORS: dict[str, tuple[str, ...]] = {
    name: op.types or QUESTION_TYPES for name, op in _OPERATOR_REGISTRY.items()
}
"""Operator -> the question types it accepts; declared in :mod:`app.rules.operators`."""
ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
QID_PATTERN = r"^[a-z][a-z0-9_]*$"
OPTION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_]*$"

_TEXT = {
    "type": "object",
    "properties": {lang: {"type": "string", "minLength": 1} for lang in LANGS},
    "required": list(LANGS),
    "additionalProperties": False,
}
_LOCALISED = {
    "type": ["string", "object"],
    "minLength": 1,
    "properties": {lang: {"type": "string", "minLength": 1} for lang in LANGS},
    "required": list(LANGS),
    "additionalProperties": False,
}
"""A pinpoint or a printed note: a plain string (reads the same in every language, e.g. "16 CFR §312.5")
or ``{en: ..., zh: ...}``, both non-empty. The string keywords apply only to a string, the object
keywords only to a mapping, so a missing or empty translation is named as such."""
_DATE = {"type": "string", "format": "date"}

CONDITION: dict = {
    "$id": "condition",
    "oneOf": [
        {
            "type": "object",
            "properties": {"all": {"type": "array", "minItems": 1, "items": {"$ref": "#"}}},
            "required": ["all"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"any": {"type": "array", "minItems": 1, "items": {"$ref": "#"}}},
            "required": ["any"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"not": {"$ref": "#"}},
            "required": ["not"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "q": {"type": "string", "pattern": QID_PATTERN},
                **{op: {} for op in OPERATORS},
            },
            "required": ["q"],
            "minProperties": 2,
            "maxProperties": 2,
            "additionalProperties": False,
        },
    ],
}

QUESTIONNAIRE: dict = {
    "type": "object",
    "required": ["version", "sections"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "integer", "minimum": 1},
        "sections": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "title", "questions"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": QID_PATTERN},
                    "title": _TEXT,
                    "intro": _TEXT,
                    "show_if": CONDITION,
                    "questions": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["id", "type", "label", "help"],
                            "additionalProperties": False,
                            "properties": {
                                "id": {"type": "string", "pattern": QID_PATTERN},
                                "type": {"enum": list(QUESTION_TYPES)},
                                "label": _TEXT,
                                "help": _TEXT,
                                "required": {"type": "boolean"},
                                "show_if": CONDITION,
                                "min": {"type": "integer"},
                                "max": {"type": "integer"},
                                "max_length": {"type": "integer", "minimum": 1, "maximum": 20000},
                                "exclusive": {"type": "array", "items": {"type": "string"}},
                                "options": {
                                    "type": "array",
                                    "minItems": 2,
                                    "items": {
                                        "type": "object",
                                        "required": ["id", "label"],
                                        "additionalProperties": False,
                                        "properties": {
                                            "id": {"type": "string", "pattern": OPTION_PATTERN},
                                            "label": _TEXT,
                                            "help": _TEXT,
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}

SOURCES: dict = {
    "type": "object",
    "required": ["sources"],
    "additionalProperties": False,
    "properties": {
        "sources": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": ID_PATTERN},
            "additionalProperties": {
                "type": "object",
                "required": ["title", "issuer", "kind", "verification"],
                "additionalProperties": False,
                "properties": {
                    "title": _TEXT,
                    "issuer": _TEXT,
                    "kind": {"enum": ["law", "regulation", "guidance", "standard", "decision", "court",
                                      "seed-report", "news", "analysis"]},
                    "jurisdiction": {"enum": [*JURISDICTIONS, "INT"]},
                    "date": _DATE,
                    "effective": _DATE,
                    "number": {"type": "string"},
                    "url": {"type": "string"},
                    "verification": {"enum": list(VERIFICATION)},
                    "note": _LOCALISED,
                },
            },
        }
    },
}

RISK_MATRIX: dict = {
    "type": "object",
    "required": ["scale", "levels", "matrix"],
    "additionalProperties": False,
    "properties": {
        "scale": {"const": list(SCALE)},
        "levels": {"const": list(RISK_LEVELS)},
        "matrix": {
            "type": "object",
            "required": list(SCALE),
            "additionalProperties": False,
            "properties": {
                sev: {
                    "type": "object",
                    "required": list(SCALE),
                    "additionalProperties": False,
                    "properties": {lik: {"enum": list(RISK_LEVELS)} for lik in SCALE},
                }
                for sev in SCALE
            },
        },
    },
}

RULESET: dict = {
    "type": "object",
    "required": ["version"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
        "parameters": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["value", "note"],
                "additionalProperties": False,
                "properties": {"value": _DATE, "note": {"type": "string"}},
            },
        },
    },
}

REFERENCES = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["source", "pinpoint"],
        "additionalProperties": False,
        "properties": {
            "source": {"type": "string", "pattern": ID_PATTERN},
            "pinpoint": _LOCALISED,
            "verification": {"enum": list(VERIFICATION)},
            "note": _LOCALISED,
        },
    },
}
"""Citations: source id from sources.yaml + pinpoint; ``verification`` may only weaken the source's."""

_EXAMPLE = {
    "type": "object",
    "required": ["answers"],
    "additionalProperties": False,
    "properties": {
        "jurisdiction": {"enum": list(JURISDICTIONS)},
        "as_of": _DATE,
        "note": {"type": "string"},
        "answers": {"type": "object"},
    },
}
_DATE_OR_PARAM = {
    "oneOf": [
        _DATE,
        {"type": "object", "required": ["param"], "additionalProperties": False,
         "properties": {"param": {"type": "string", "pattern": QID_PATTERN}}},
    ]
}

def _examples(*kinds: str) -> dict:
    """Examples of each kind (e.g. must fire, must stay silent), each kind a non-empty list."""
    return {"type": "object", "required": list(kinds), "additionalProperties": False,
            "properties": {k: {"type": "array", "minItems": 1, "items": _EXAMPLE} for k in kinds}}


def _rule_examples() -> dict:
    """A rule's examples: must fire, must stay silent, and optionally ``lowered``: one of its measures at
    work (``answers`` fire the rule without the measure, ``answers`` plus ``measure`` with it)."""
    out = _examples("fire", "silent")
    lowered = {**_EXAMPLE, "required": ["mitigation", "answers", "measure"],
               "properties": {**_EXAMPLE["properties"], "mitigation": {"type": "string", "pattern": ID_PATTERN},
                              "measure": {"type": "object", "minProperties": 1}}}
    out["properties"] = {**out["properties"], "lowered": {"type": "array", "minItems": 1, "items": lowered}}
    return out


_EFFECTIVE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"from": _DATE_OR_PARAM, "until": _DATE_OR_PARAM, "note": _LOCALISED},
}
_STEPS = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "severity": {"type": "integer", "minimum": 1, "maximum": 3},
        "likelihood": {"type": "integer", "minimum": 1, "maximum": 3},
    },
}
"""Whole steps on the severity and likelihood axes: what a mitigation lowers, an aggravation raises."""

_MITIGATIONS = {
    "type": ["array", "string"],
    "pattern": "^none$",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["id", "label", "when", "lowers"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "label": _TEXT,
            "when": CONDITION,
            "lowers": _STEPS,
            # where the law or guidance names the measure (printed beside it, not as the rule's basis)
            "references": REFERENCES,
        },
    },
}
"""A rule's measures that lower its residual level, or the string ``none`` (then ``no_mitigation`` says
why no measure can). The string keyword applies only to a string, the array ones only to a list, so a
wrong measure is named as such."""

RULE: dict = {
    "type": "object",
    "required": ["id", "version", "title", "rationale", "recommendation", "category", "effect", "severity",
                 "likelihood", "jurisdictions", "when", "references", "examples"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": ID_PATTERN, "maxLength": 80},
        "version": {"type": "integer", "minimum": 1},
        "title": _TEXT,
        "rationale": _TEXT,
        "recommendation": _TEXT,
        "category": {"enum": list(CATEGORIES)},
        "also_categories": {"type": "array", "items": {"enum": list(CATEGORIES)}, "uniqueItems": True},
        "effect": {"enum": list(EFFECTS)},
        "severity": {"enum": list(SCALE)},
        "likelihood": {"enum": list(SCALE)},
        "jurisdictions": {"type": "array", "minItems": 1, "uniqueItems": True,
                          "items": {"enum": list(JURISDICTIONS)}},
        "effective": _EFFECTIVE,
        "legal_review": _TEXT,
        "overrides": {"type": "array", "uniqueItems": True, "items": {"type": "string", "pattern": ID_PATTERN}},
        "when": CONDITION,
        "unless": CONDITION,
        "mitigations": _MITIGATIONS,
        "no_mitigation": {
            "type": "object",
            "required": ["reason", "references"],
            "additionalProperties": False,
            "properties": {"reason": _TEXT, "references": REFERENCES},
        },
        "references": REFERENCES,
        "examples": _rule_examples(),
    },
}

AGGRAVATIONS: dict = {
    "type": "object",
    "required": ["aggravations"],
    "additionalProperties": False,
    "properties": {
        "aggravations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "label", "rationale", "when", "applies_to", "raises", "references",
                             "examples"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": ID_PATTERN, "maxLength": 80},
                    "label": _TEXT,
                    "rationale": _TEXT,
                    "when": CONDITION,
                    "applies_to": {
                        "type": "object",
                        "required": ["jurisdictions"],
                        "minProperties": 2,
                        "additionalProperties": False,
                        "properties": {
                            "categories": {"type": "array", "minItems": 1, "uniqueItems": True,
                                           "items": {"enum": list(CATEGORIES)}},
                            "effects": {"type": "array", "minItems": 1, "uniqueItems": True,
                                        "items": {"enum": list(AGGRAVATED_EFFECTS)}},
                            "jurisdictions": {"oneOf": [
                                {"type": "array", "minItems": 1, "uniqueItems": True,
                                 "items": {"enum": list(JURISDICTIONS)}},
                                {"type": "object", "minProperties": 1, "propertyNames": {"enum": list(JURISDICTIONS)},
                                 "additionalProperties": {
                                     "type": "object", "additionalProperties": False,
                                     "properties": {"from": _DATE_OR_PARAM, "until": _DATE_OR_PARAM}}},
                            ]},
                        },
                    },
                    "effective": _EFFECTIVE,
                    "raises": _STEPS,
                    "references": REFERENCES,
                    "examples": _examples("apply", "not_apply"),
                },
            },
        }
    },
}
"""``audit_rules/aggravations.yaml``: facts stated in the answers that raise a finding's severity and/or
likelihood by whole steps (capped at maximum). ``applies_to`` names the jurisdictions (a list, or a mapping
to each one's own ``from``/``until`` where the law that makes the fact aggravating differs by jurisdiction)
and the findings (by primary category and/or effect: both must match when both are given); examples must
apply / must not."""

SCREENING: dict = {
    "type": "object",
    "required": ["schemes"],
    "additionalProperties": False,
    "properties": {
        "schemes": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "title", "jurisdictions", "threshold", "required_text", "not_required_text",
                             "references", "criteria"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": ID_PATTERN},
                    "title": _TEXT,
                    "jurisdictions": {"type": "array", "minItems": 1, "uniqueItems": True,
                                      "items": {"enum": list(JURISDICTIONS)}},
                    "threshold": {"type": "integer", "minimum": 1},
                    "effective_from": _DATE,
                    "effective_note": {"type": "string"},
                    "required_text": _TEXT,
                    "not_required_text": _TEXT,
                    "references": REFERENCES,
                    "unless": CONDITION,
                    "criteria": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["id", "label", "pinpoint", "when"],
                            "additionalProperties": False,
                            "properties": {
                                "id": {"type": "string", "pattern": ID_PATTERN},
                                "label": _TEXT,
                                "pinpoint": _LOCALISED,
                                "when": CONDITION,
                            },
                        },
                    },
                },
            },
        }
    },
}

FRAMEWORK: dict = {
    "type": "object",
    "required": ["id", "title", "source", "jurisdictions", "requirements"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": ID_PATTERN},
        "title": _TEXT,
        "source": {"type": "string", "pattern": ID_PATTERN},
        "jurisdictions": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": list(JURISDICTIONS)}},
        "requirements": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "pinpoint", "text", "questions", "rules"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": ID_PATTERN},
                    "pinpoint": _LOCALISED,
                    "text": _TEXT,
                    "questions": {"type": "array", "items": {"type": "string", "pattern": QID_PATTERN}},
                    "rules": {"type": "array", "items": {"type": "string", "pattern": ID_PATTERN}},
                },
            },
        },
    },
}
