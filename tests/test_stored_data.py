"""What is stored is read back by app.rules alone: answers (``Questionnaire.load``) and assessment
results (:mod:`app.rules.results`), including what older versions stored."""

from __future__ import annotations

import datetime as dt

from app.rules.questionnaire import LoadedAnswers


def test_load_types_stored_answers_and_reports_what_no_longer_fits(ruleset):
    stored = {"school_type": "primary", "pupil_min_age": 6, "planned_date": "2026-09-01",
              "sensors": ["classroom_cameras"], "no_such_question": "x", "jurisdiction": "XX"}
    loaded = ruleset.questionnaire.load(stored)
    assert isinstance(loaded, LoadedAnswers)
    assert loaded.typed == {"school_type": "primary", "pupil_min_age": 6, "planned_date": dt.date(2026, 9, 1),
                            "sensors": ("classroom_cameras",)}
    assert loaded.stale["no_such_question"] == "this question is no longer asked"
    assert "is not one of the choices" in loaded.stale["jurisdiction"]
    assert loaded.conflicts == []


def test_load_reports_answers_that_conflict_and_never_raises(ruleset):
    loaded = ruleset.questionnaire.load({"pupil_min_age": 12, "pupil_max_age": 9, "pupils_affected": None})
    assert loaded.typed == {"pupil_min_age": 12, "pupil_max_age": 9} and loaded.stale == {}
    assert [(e.question_id, "below the youngest" in e.message) for e in loaded.conflicts] == [("pupil_max_age", True)]
    assert ruleset.questionnaire.load({}) == LoadedAnswers({})
