"""Sentences built from the answers: the deployment description and the summary for pupils and parents.

Plain strings only (the template escapes them). User text (product, vendor, the administrator's
description) is carried as a value inside these strings or as its own field, never as markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..rules.questionnaire import UNKNOWN, Questionnaire
from .texts import (
    COMPLAINT_ROUTES,
    HOSTING_PHRASES,
    LEAVES_PHRASES,
    PARENTS,
    PARENTS_RISKS,
    PARENTS_VERDICT,
    PRODUCT_KIND_PHRASES,
    PROSE,
    RETENTION_PHRASES,
    SCHOOL_TYPE_PHRASES,
    SECTOR_PHRASES,
    VENDOR_COUNTRY_PHRASES,
)


def _in_sentence(label: str, lang: str) -> str:
    """An option label as it reads inside an English sentence: "Face images" -> "face images",
    but "ID-card numbers" and "EEG" keep their capitals."""
    if lang != "en" or len(label) < 2 or not label[1].islower():
        return label
    return label[0].lower() + label[1:]


def join(items: Sequence[str], lang: str) -> str:
    """Items as a list in a sentence: "a, b and c" (semicolons when an item has a comma), "a、b和c" in Chinese."""
    items = [i for i in items if i]
    words = PROSE[lang]
    if len(items) <= 1:
        return "".join(items)
    sep = "; " if lang == "en" and any("," in i for i in items) else words["list_sep"]
    last = (";" if sep == "; " else "") + words["and"]
    return sep.join(items[:-1]) + last + items[-1]


def option_labels(qn: Questionnaire, question_id: str, value: Any, lang: str) -> list[str]:
    """Labels of a single or multi answer, as they read in a sentence."""
    question = qn.questions[question_id]
    values = value if isinstance(value, tuple) else (value,)
    out = []
    for v in values:
        option = question.option(v) if v is not None else None
        out.append(_in_sentence(option.label[lang], lang) if option else str(v))
    return out


def _phrase(table: Mapping[str, Mapping[str, str]], qn: Questionnaire, question_id: str, value: Any,
            lang: str) -> str:
    if value in table:
        return table[value][lang]
    return join(option_labels(qn, question_id, value, lang), lang)


def _article(noun_phrase: str) -> str:
    return ("an " if noun_phrase[:1].lower() in "aeiou" else "a ") + noun_phrase


def deployment(qn: Questionnaire, answers: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The deployment in three short paragraphs, and the administrator's own description apart.

    Returns ``{"paragraphs": [str, ...], "description": str | None}``. Unanswered questions are
    left out of the sentences (the appendix lists every answer).
    """
    w = PROSE[lang]
    a = answers
    product, vendor = a.get("product_name") or "", a.get("vendor_name") or ""
    kind = _phrase(PRODUCT_KIND_PHRASES, qn, "product_kind", a["product_kind"], lang) if "product_kind" in a else ""
    if lang == "en" and "product_kind" in a and a["product_kind"] not in PRODUCT_KIND_PHRASES:
        kind = _article(kind)
    country = ""
    if a.get("vendor_country") in VENDOR_COUNTRY_PHRASES:
        country = w["country"].format(country=VENDOR_COUNTRY_PHRASES[a["vendor_country"]][lang])
    first = [w["supplied"].format(product=product, kind=kind, vendor=vendor, country=country)]

    date = a["planned_date"].isoformat() if isinstance(a.get("planned_date"), dt.date) else w["unknown_value"]
    school_type = a.get("school_type")
    if school_type in SCHOOL_TYPE_PHRASES or school_type is None:
        school = SCHOOL_TYPE_PHRASES.get(school_type, {"en": "school", "zh": "学校"})[lang]
        sector = SECTOR_PHRASES[a["school_sector"]][lang] if a.get("school_sector") in SECTOR_PHRASES else ""
        school = sector + school if lang == "zh" else _article(f"{sector} {school}".strip())
        used = w["used"].format(school=school, date=date)
    else:
        used = w["used_no_school"].format(date=date)
    lo, hi = a.get("pupil_min_age"), a.get("pupil_max_age")
    if lo is not None and hi is not None:
        used += (w["ages_same"] if lo == hi else w["ages"]).format(lo=lo, hi=hi)
    if a.get("pupils_affected"):
        used += w["pupils"].format(n=f"{a['pupils_affected']:,}")
    if a.get("use_mandatory") is True:
        used += w["mandatory"]
    elif a.get("use_mandatory") is False:
        used += w["voluntary"]
    first.append(used + ("。" if lang == "zh" else "."))

    second = []
    if a.get("purposes"):
        second.append(w["purposes"].format(items=join(option_labels(qn, "purposes", a["purposes"], lang), lang)))
    if a.get("data_categories"):
        sentence = w["data"].format(items=join(option_labels(qn, "data_categories", a["data_categories"], lang),
                                               lang))
        sensors = a.get("sensors")
        if sensors == ("none",):
            sentence += w["no_sensors"]
        elif sensors:
            sentence += w["sensors"].format(items=join(option_labels(qn, "sensors", sensors, lang), lang))
        second.append(sentence + ("。" if lang == "zh" else "."))
    scope = a.get("monitoring_scope")
    if scope == ("none",):
        second.append(w["no_monitoring"])
    elif scope:
        second.append(w["monitoring"].format(items=join(option_labels(qn, "monitoring_scope", scope, lang), lang)))

    third = []
    hosting = a.get("hosting")
    if hosting in HOSTING_PHRASES:
        third.append(w["hosting"].format(where=HOSTING_PHRASES[hosting][lang]))
    elif hosting == UNKNOWN:
        third.append(w["hosting_unknown"])
    if a.get("leaves_country") in LEAVES_PHRASES:
        third.append(LEAVES_PHRASES[a["leaves_country"]][lang])
    if a.get("retention_period") == "days_or_weeks" and isinstance(a.get("retention_days"), int):
        third.append(w["retention_days"].format(n=a["retention_days"]))
    elif a.get("retention_period") in RETENTION_PHRASES:
        third.append(w["retention"].format(what=RETENTION_PHRASES[a["retention_period"]][lang]))

    space = "" if lang == "zh" else " "
    paragraphs = [space.join(p) for p in (first, second, third) if p]
    return {"paragraphs": paragraphs, "description": a.get("product_description")}


def parents_summary(qn: Questionnaire, answers: Mapping[str, Any], *, verdict: str, jurisdiction: str,
                    findings: Sequence[Mapping[str, Any]], assessment_needed: bool, lang: str) -> dict[str, Any]:
    """The one-page summary for pupils and parents, in plain words.

    ``findings`` are the report's finding dicts (worst first); the main worries are the plain-words
    texts of their categories, most serious first, at most five. ``assessment_needed``: whether to
    tell families to ask for the impact assessment.
    """
    p = PARENTS[lang]
    a = answers
    product, vendor = a.get("product_name") or "", a.get("vendor_name") or ""
    if a.get("purposes"):
        planned = p["planned"].format(product=product, vendor=vendor,
                                      purposes=join(option_labels(qn, "purposes", a["purposes"], lang), lang))
    else:
        planned = p["planned_no_purpose"].format(product=product, vendor=vendor)
    planned_more = p["mandatory"] if a.get("use_mandatory") is True else (
        p["voluntary"] if a.get("use_mandatory") is False else "")
    data = option_labels(qn, "data_categories", a["data_categories"], lang) if a.get("data_categories") else []

    serious = [f for f in findings if f["headline_level"]["id"] != "low"] or list(findings)
    categories: list[str] = []
    for f in serious:
        if f["category"]["id"] not in categories:
            categories.append(f["category"]["id"])
    risks = [PARENTS_RISKS[c][lang] for c in categories[:5] if c in PARENTS_RISKS]

    ask = [p["ask_notice"],
           p["ask_alternative_equal"] if a.get("alternative_offered") == "equal" else p["ask_alternative_none"],
           p["ask_rights"]]
    if assessment_needed:
        ask.append(p["ask_assessment"])
    if a.get("stakeholders_consulted") is not True:
        ask.append(p["ask_views"])
    ask.append(p["complain"].format(where=COMPLAINT_ROUTES[jurisdiction][lang]))
    return {
        "planned": planned, "planned_more": planned_more, "data_intro": p["data_intro"], "data": data,
        "verdict_intro": p["verdict_intro"], "verdict": PARENTS_VERDICT[verdict][lang],
        "risks_intro": p["risks_intro"], "risks": risks or [p["no_risks"]], "ask": ask,
    }
