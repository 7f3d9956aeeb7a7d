"""What is stored is read back by app.rules alone: answers (``Questionnaire.load``) and assessment
results (:mod:`app.rules.results`), including what older versions stored."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from app.answers import read_answers_file
from app.rules.engine import evaluate, headline_level
from app.rules.questionnaire import LoadedAnswers
from app.rules.results import ResultFormatError, StoredEvidence, StoredResult
from app.rules.yamlio import load_yaml, to_plain


def test_load_types_stored_answers_and_reports_what_no_longer_fits(ruleset):
    stored = {"school_type": "primary", "pupil_min_age": 6, "planned_date": "2026-09-01",
              "sensors": ["classroom_cameras"], "no_such_question": "x", "jurisdiction": "XX"}
    loaded = ruleset.questionnaire.load(stored)
    assert isinstance(loaded, LoadedAnswers)
    assert loaded.typed == {"school_type": "primary", "pupil_min_age": 6, "planned_date": dt.date(2026, 9, 1),
                            "sensors": ("classroom_cameras",)}
    gone, unfit = loaded.stale["no_such_question"], loaded.stale["jurisdiction"]
    assert (gone.question_id, gone.code, gone.message) == ("no_such_question", "answer.no_longer_asked",
                                                           "this question is no longer asked")
    assert unfit.question_id == "jurisdiction" and "is not one of the choices" in unfit.message
    assert loaded.conflicts == []


def test_load_reports_answers_that_conflict_and_never_raises(ruleset):
    loaded = ruleset.questionnaire.load({"pupil_min_age": 12, "pupil_max_age": 9, "pupils_affected": None})
    assert loaded.typed == {"pupil_min_age": 12, "pupil_max_age": 9} and loaded.stale == {}
    assert [(e.question_id, "below the youngest" in e.message) for e in loaded.conflicts] == [("pupil_max_age", True)]
    assert ruleset.questionnaire.load({}) == LoadedAnswers({})


# -- stored assessment results ---------------------------------------------------------------------

CASES = Path(__file__).parent / "cases"
RUNS = [(path.name[: -len(".expected.yaml")], run) for path in sorted(CASES.glob("*.expected.yaml"))
        for run in to_plain(load_yaml(path))["runs"]]


@pytest.mark.parametrize(("name", "run"), RUNS, ids=[f"{n}-{r['jurisdiction']}-{r['as_of']}" for n, r in RUNS])
def test_every_public_case_result_round_trips_through_the_reader(ruleset, name, run):
    answers, _meta = read_answers_file(CASES / f"{name}.yaml", ruleset.questionnaire)
    result = evaluate(ruleset, answers, run["jurisdiction"], dt.date.fromisoformat(run["as_of"]))
    stored = json.loads(json.dumps(result.to_dict()))  # as the database hands it back
    read = StoredResult.from_json(stored)
    assert read.to_json() == stored
    assert (read.verdict, read.jurisdiction, read.as_of, read.rule_set_sha256) == (
        result.verdict, result.jurisdiction, result.as_of, result.rule_set_sha256)
    assert [(f.rule_id, f.category, f.headline_level, tuple(e.question for e in f.evidence), f.merged)
            for f in read.findings] == [
        (f.rule_id, f.category, headline_level(f.effect, f.residual_risk_level),
         tuple(e.question for e in f.evidence), f.merged) for f in result.findings]
    assert [(s.scheme, s.required, s.criteria_met) for s in read.screening] == [
        (s.scheme, s.required, s.criteria_met) for s in result.screening]


FIRST_STORED_SHAPE = {
    # What the web app stored when it was new: no "merged", no evidence "matched" (and results of the
    # engine before screening existed have no "screening" either).
    "verdict": "high", "jurisdiction": "CN", "as_of": "2019-09-01",
    "rule_set": {"version": "0.1.0", "sha256": "a" * 64},
    "findings": [{
        "rule_id": "face-gate-without-alternative", "rule_version": 1, "category": "facial-recognition",
        "effect": "risk", "severity": "significant", "likelihood": "maximum", "risk_level": "high",
        "residual_severity": "significant", "residual_likelihood": "limited", "residual_risk_level": "medium",
        "evidence": [{"question": "sensors", "answer": ["face_gates"]}, {"question": "alternative", "answer": None}],
        "mitigations_applied": ["local-processing"],
        "references": [{"source": "moe-2019-face", "pinpoint": "para. 3", "verification": "UNVERIFIED"}],
        "unverified": True,
    }],
}


def test_a_result_of_the_first_stored_shape_reads_with_defaults():
    read = StoredResult.from_json(FIRST_STORED_SHAPE)
    assert read.screening == () and read.as_of == dt.date(2019, 9, 1) and read.rule_set_version == "0.1.0"
    [finding] = read.findings
    assert finding.merged == () and finding.headline_level == "medium" and finding.unverified
    assert finding.evidence == (StoredEvidence("sensors", ["face_gates"]), StoredEvidence("alternative", None))
    assert finding.references[0].pinpoint == "para. 3"
    again = read.to_json()
    assert again["screening"] == [] and again["findings"][0]["merged"] == []
    assert finding.trace == () and again["findings"][0]["trace"] == []  # before 0.4.0: not recorded
    assert "matched" not in again["findings"][0]["evidence"][0]


def test_only_the_keys_the_contract_always_had_are_required():
    bare = {k: v for k, v in FIRST_STORED_SHAPE.items()}
    bare["findings"] = [{k: FIRST_STORED_SHAPE["findings"][0][k] for k in (
        "rule_id", "category", "effect", "severity", "likelihood", "risk_level", "residual_risk_level")}]
    [finding] = StoredResult.from_json(bare).findings
    assert (finding.rule_version, finding.residual_severity, finding.evidence, finding.references,
            finding.mitigations_applied, finding.unverified) == (None, None, (), (), (), False)


DROP = object()


def _with(path: tuple, value: Any) -> dict[str, Any]:
    """FIRST_STORED_SHAPE with the key at ``path`` set to ``value`` (``DROP``: removed)."""
    data = json.loads(json.dumps(FIRST_STORED_SHAPE))
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is DROP:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(("data", "path", "message"), [
    (["not", "an", "object"], "", "expected an object, got a list"),
    (_with(("verdict",), DROP), "verdict", "missing"),
    (_with(("verdict",), "dreadful"), "verdict", "'dreadful' is not one of low, medium, high, critical, prohibited"),
    (_with(("as_of",), "1 Sept 2019"), "as_of", "'1 Sept 2019' is not a date (YYYY-MM-DD)"),
    (_with(("rule_set",), "0.1.0"), "rule_set", "expected an object, got text"),
    (_with(("rule_set", "sha256"), DROP), "rule_set.sha256", "missing"),
    (_with(("findings",), {}), "findings", "expected a list, got an object"),
    (_with(("findings", 0, "rule_id"), DROP), "findings[0].rule_id", "missing"),
    (_with(("findings", 0, "effect"), "banned"), "findings[0].effect", "'banned' is not one of"),
    (_with(("findings", 0, "rule_version"), True), "findings[0].rule_version", "expected a whole number, got true"),
    (_with(("findings", 0, "unverified"), "no"), "findings[0].unverified", "expected true or false, got text"),
    (_with(("findings", 0, "evidence", 1), "alternative"), "findings[0].evidence[1]", "expected an object"),
    (_with(("findings", 0, "evidence", 0, "matched"), [1]), "findings[0].evidence[0].matched[0]", "expected text"),
    (_with(("findings", 0, "references", 0, "pinpoint"), None), "findings[0].references[0].pinpoint",
     "expected text, got null"),
    (_with(("findings", 0, "trace"), [{"step": "escalation", "severity": "maximum", "likelihood": "maximum",
                                       "level": "critical"}]),
     "findings[0].trace[0].step", "'escalation' is not one of"),
    (_with(("findings", 0, "trace"), [{"step": "aggravation", "severity": "maximum", "likelihood": "limited",
                                       "level": "high", "change": {"severity": "1"}}]),
     "findings[0].trace[0].change", "expected severity/likelihood: whole numbers"),
])
def test_a_malformed_result_is_refused_naming_the_key(data, path, message):
    with pytest.raises(ResultFormatError) as caught:
        StoredResult.from_json(data)
    assert caught.value.path == path
    assert caught.value.message.startswith(message)
    assert str(caught.value).startswith("stored assessment result")
