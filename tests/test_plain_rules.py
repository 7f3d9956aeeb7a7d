"""The hand-written rules the engine benchmark measures against (bench/plain_rules.py) are the rule
set's rules: one per rule id, each giving the engine's result on the public cases' runs and on every
rule's own examples, and around each rule's examples: the same answers in every jurisdiction and on
either side of the rule's dates, and with one or a few of the answers it reads changed."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from ruamel.yaml import YAML

from app.rules.engine import _example_answers, fire
from bench.bench_engine import case_runs, effective_runs
from bench.plain_rules import PLAIN_RULES

JURISDICTIONS = ("CN", "EU", "UK", "US")
DAY = dt.timedelta(days=1)


def _examples(rule):
    """(label, example) for each of ``rule``'s fire, silent and lowered examples."""
    out = [(f"fire {i}", ex) for i, ex in enumerate(rule.fire_examples)]
    out += [(f"silent {i}", ex) for i, ex in enumerate(rule.silent_examples)]
    for i, lowered in enumerate(rule.lowered_examples):
        out += [(f"lowered {i} without", lowered.without), (f"lowered {i} with", lowered.with_measure)]
    return out


def _answer_sets(ruleset):
    """(where, effective answers, jurisdiction, as_of) for every case run and every rule example."""
    runs = case_runs(ruleset)
    out = [(f"case {name}", eff, j, d)
           for (name, *_), (eff, j, d) in zip(runs, effective_runs(ruleset, runs), strict=True)]
    for rule in ruleset.rules:
        for label, ex in _examples(rule):
            out.append((f"{rule.id} {label} example", _example_answers(ruleset, ex), ex.jurisdiction, ex.as_of))
    return out


def _leaves(tree):
    """The comparisons ``{q: id, <operator>: value}`` of a condition as written in a rule file."""
    for kind in ("all", "any"):
        if kind in tree:
            for child in tree[kind]:
                yield from _leaves(child)
            return
    if "not" in tree:
        yield from _leaves(tree["not"])
    else:
        yield tree


def _read(ruleset, rule):
    """The questions ``rule``'s ``when`` and ``unless`` compare, each with the values they compare it to."""
    conditions = [rule.when_raw]
    if rule.unless is not None:
        conditions.append(YAML(typ="safe").load((Path(ruleset.root).parent / rule.path).read_text("utf-8"))["unless"])
    compared: dict[str, list] = {}
    for condition in conditions:
        for leaf in _leaves(condition):
            compared.setdefault(leaf["q"], []).extend(v for k, v in leaf.items() if k != "q")
    return compared


def _candidates(question, current, compared):
    """Answers to try for ``question`` in place of ``current``: none, every option (a single choice,
    a yes/no), each option alone or added to or taken from ``current`` (a multi choice), and either
    side of every number or date the rule compares it to."""
    qtype = question.type
    if qtype == "single":
        return [None, *(o.id for o in question.options)]
    if qtype == "boolean":
        return [None, True, False, "unknown"]
    if qtype == "multi":
        out = [None, *((o.id,) for o in question.options)]
        have = tuple(current) if isinstance(current, tuple) else ()
        for o in question.options:
            if o.id in have:
                out.append(tuple(x for x in have if x != o.id) or None)
            elif o.id in question.exclusive:
                out.append((o.id,))
            else:
                chosen = {*have, o.id} - set(question.exclusive)
                out.append(tuple(x.id for x in question.options if x.id in chosen))
        return out
    if qtype == "integer":
        near = {v + k for v in compared if isinstance(v, int) for k in (-1, 0, 1)}
        return [None, *sorted(n for n in near if (question.min is None or n >= question.min)
                                                and (question.max is None or n <= question.max))]
    if qtype == "date":
        near = {dt.date.fromisoformat(str(v)) + k * DAY for v in compared for k in (-1, 0, 1)}
        return [None, *sorted(near)]
    return [None]


def _with(qn, answers, qid, value):
    """``answers`` with question ``qid`` answered ``value`` (``None``: not answered); when that puts the
    youngest pupils above the oldest, the other bound moves along (the app refuses such answers)."""
    out = {k: v for k, v in answers.items() if k != qid}
    if value is not None:
        out[qid] = value
    if qid in qn.CROSS_CHECKED and qn.cross_check(out):
        out["pupil_max_age" if qid == "pupil_min_age" else "pupil_min_age"] = value
    return out


def _neighbours(ruleset, rule, variants=25):
    """(where, effective answers, jurisdiction, as_of) around ``rule``'s examples: each example in every
    jurisdiction on the day before and the first day of each end of the rule's window; each with one
    answer the rule reads changed to each of :func:`_candidates`; and ``variants`` of each with two to
    four such answers changed at once, drawn by a generator seeded with the rule id (the same every run)."""
    qn = ruleset.questionnaire
    compared = _read(ruleset, rule)
    edges = {e + k * DAY for e in (rule.effective_from, rule.effective_until) if e for k in (-1, 0)}
    rng = random.Random(rule.id)
    out = []
    for label, ex in _examples(rule):
        for j in JURISDICTIONS:
            for d in sorted(edges | {ex.as_of}):
                answers = qn.effective_answers({**ex.answers, "jurisdiction": j})
                out.append((f"its {label} example in {j}", answers, j, d))
        changed = []
        for qid, values in compared.items():
            for value in _candidates(qn.questions[qid], ex.answers.get(qid), values):
                changed.append((f"{qid}={value!r}", _with(qn, ex.answers, qid, value)))
        for _ in range(variants):
            answers, what = ex.answers, []
            for qid in rng.sample(sorted(compared), min(len(compared), rng.randint(2, 4))):
                value = rng.choice(_candidates(qn.questions[qid], answers.get(qid), compared[qid]))
                answers = _with(qn, answers, qid, value)
                what.append(f"{qid}={value!r}")
            changed.append((", ".join(what), answers))
        for what, answers in changed:
            out.append((f"its {label} example with {what}",
                        qn.effective_answers({**answers, "jurisdiction": ex.jurisdiction}), ex.jurisdiction, ex.as_of))
    return out


def _disagreements(rule, sets):
    out = []
    fn = PLAIN_RULES[rule.id]
    for where, answers, jurisdiction, as_of in sets:
        engine = bool(fire(rule, answers, jurisdiction, as_of))
        plain = fn(answers, jurisdiction, as_of)
        if plain is not engine:  # a hand-written rule returns True or False, nothing else
            out.append(f"{rule.id} on {where} ({jurisdiction}, {as_of}): engine {engine}, hand-written {plain!r}")
    return out


def test_there_is_one_hand_written_rule_per_rule_of_the_rule_set(ruleset):
    assert sorted(PLAIN_RULES) == sorted(r.id for r in ruleset.rules)


def test_every_hand_written_rule_fires_exactly_where_the_engine_fires_it(ruleset):
    sets = _answer_sets(ruleset)
    assert len(sets) > 2 * len(ruleset.rules)  # the cases' runs, and at least a fire and a silent example per rule
    disagreements = [line for rule in ruleset.rules for line in _disagreements(rule, sets)]
    assert not disagreements, f"{len(disagreements)} disagreements:\n" + "\n".join(disagreements[:40])
    # Each rule is compared where it fires and where it stays silent, not only one of the two.
    fired = {rule.id: sum(fire(rule, a, j, d) for _w, a, j, d in sets) for rule in ruleset.rules}
    assert all(0 < n < len(sets) for n in fired.values()), {k: n for k, n in fired.items() if not 0 < n < len(sets)}


def test_every_hand_written_rule_agrees_around_its_examples(ruleset):
    disagreements = []
    for rule in ruleset.rules:
        disagreements += _disagreements(rule, _neighbours(ruleset, rule))
    assert not disagreements, f"{len(disagreements)} disagreements:\n" + "\n".join(disagreements[:40])
