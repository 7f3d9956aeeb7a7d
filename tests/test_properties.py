"""Property tests over the real rule set: any well-typed answers evaluate without error and
deterministically in every jurisdiction; removing a risky answer never raises the verdict."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rules.engine import evaluate
from app.rules.loader import RuleLoadError, get_ruleset
from app.rules.model import LEVEL_RANK
from app.rules.schema import JURISDICTIONS

try:
    RULESET = get_ruleset()
except RuleLoadError:  # reported by test_rule_examples.test_rule_set_loads; keep collection alive
    RULESET = None
QN = RULESET.questionnaire if RULESET else None
DATES = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2030, 12, 31))


def _value(q):
    if q.type == "single":
        return st.sampled_from([o.id for o in q.options])
    if q.type == "multi":
        plain = [o.id for o in q.options if o.id not in q.exclusive]
        subsets = st.lists(st.sampled_from(plain), min_size=1, unique=True) if plain else st.nothing()
        return st.one_of(subsets, *[st.just([x]) for x in q.exclusive]) if q.exclusive else subsets
    if q.type == "boolean":
        return st.sampled_from([True, False, "unknown"])
    if q.type == "integer":
        return st.integers(min_value=q.min if q.min is not None else 0,
                           max_value=min(q.max if q.max is not None else 10**6, 10**6))
    if q.type == "date":
        return DATES
    return st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)


@st.composite
def answer_sets(draw):
    answers = {}
    for q in (QN.questions.values() if QN else ()):
        if draw(st.booleans()):
            answers[q.id] = draw(_value(q))
    lo, hi = answers.get("pupil_min_age"), answers.get("pupil_max_age")
    if lo is not None and hi is not None and hi < lo:
        answers["pupil_min_age"], answers["pupil_max_age"] = hi, lo
    return answers


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(answers=answer_sets(), as_of=DATES)
def test_any_well_typed_answers_evaluate_deterministically_everywhere(answers, as_of):
    assert RULESET is not None, "the rule set does not load"
    for jurisdiction in JURISDICTIONS:
        first = evaluate(RULESET, answers, jurisdiction, as_of)
        again = evaluate(RULESET, dict(reversed(list(answers.items()))), jurisdiction, as_of)
        assert first.to_dict() == again.to_dict()
        assert first.verdict in LEVEL_RANK


# Multi-choice questions whose options add risk (data kinds, uses, outputs...). Safeguard lists such as
# `encryption` are the opposite: removing a safeguard may rightly raise the verdict.
SAFEGUARD_MULTI = {"encryption"}
RISKY_MULTI = [q for q in (QN.questions.values() if QN else ()) if q.type == "multi" and q.id not in SAFEGUARD_MULTI]


@SETTINGS
@given(answers=answer_sets(), as_of=DATES, data=st.data())
def test_removing_a_risky_answer_never_raises_the_verdict(answers, as_of, data):
    chosen = [q for q in RISKY_MULTI if any(x not in q.exclusive for x in answers.get(q.id, ()))]
    if not chosen:
        return
    q = data.draw(st.sampled_from(chosen))
    option = data.draw(st.sampled_from([x for x in answers[q.id] if x not in q.exclusive]))
    fewer = {**answers, q.id: [x for x in answers[q.id] if x != option]}
    if not fewer[q.id]:
        del fewer[q.id]
    for jurisdiction in JURISDICTIONS:
        before = evaluate(RULESET, answers, jurisdiction, as_of).verdict
        after = evaluate(RULESET, fewer, jurisdiction, as_of).verdict
        assert LEVEL_RANK[after] <= LEVEL_RANK[before], (q.id, option, jurisdiction, before, after)
