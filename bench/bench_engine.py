"""Engine benchmark: time per audit over the public cases with the full rule set.

Run: `make bench` (or `.venv/bin/python bench/bench_engine.py [--repeat N]`). Prints figures; it
asserts no speed, so it never fails a build on a slow machine (it does assert that the hand-written
rules of bench/plain_rules.py agree with the engine before timing them). Record results in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import itertools
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.answers import read_answers_file  # noqa: E402
from app.rules.engine import evaluate, fire  # noqa: E402
from app.rules.loader import load_ruleset  # noqa: E402
from app.rules.model import RuleSet  # noqa: E402
from app.rules.yamlio import load_yaml, to_plain  # noqa: E402
from bench.plain_rules import PLAIN_RULES  # noqa: E402

CASES = ROOT / "tests" / "cases"


def case_runs(ruleset: RuleSet) -> list[tuple[str, dict[str, Any], str, dt.date]]:
    """The public cases' runs: (case name, typed answers, jurisdiction, as_of), one per run of each
    ``tests/cases/<name>.expected.yaml``, in file order."""
    runs = []
    for exp_path in sorted(CASES.glob("*.expected.yaml")):
        name = exp_path.name.removesuffix(".expected.yaml")
        answers, _ = read_answers_file(CASES / f"{name}.yaml", ruleset.questionnaire)
        for run in to_plain(load_yaml(exp_path))["runs"]:
            runs.append((name, answers, run["jurisdiction"], dt.date.fromisoformat(run["as_of"])))
    return runs


def effective_runs(ruleset: RuleSet, runs: list[tuple[str, dict[str, Any], str, dt.date]]
                   ) -> list[tuple[dict[str, Any], str, dt.date]]:
    """``runs`` (as :func:`case_runs` gives them) as the engine's rules read them: (effective typed
    answers with the jurisdiction among them, jurisdiction, as_of). Raises ``AnswersInvalid`` for
    answers that do not fit the questionnaire."""
    qn = ruleset.questionnaire
    prepared = []
    for _name, answers, jurisdiction, as_of in runs:
        typed = qn.validate_answers(answers)
        typed["jurisdiction"] = jurisdiction
        prepared.append((qn.effective_answers(typed), jurisdiction, as_of))
    return prepared


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200, help="evaluations per case run")
    parser.add_argument("--audits", type=int, default=10_000,
                        help="audits timed per garbage-collector mode in the frozen/unfrozen comparison")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of that comparison")
    args = parser.parse_args()

    t0 = time.perf_counter()
    ruleset = load_ruleset()
    load_s = time.perf_counter() - t0
    runs = case_runs(ruleset)

    times: list[float] = []
    for _name, answers, jurisdiction, as_of in runs:
        evaluate(ruleset, answers, jurisdiction, as_of)  # warm-up
        for _ in range(args.repeat):
            t = time.perf_counter()
            evaluate(ruleset, answers, jurisdiction, as_of)
            times.append(time.perf_counter() - t)

    print(f"python {platform.python_version()} on {platform.machine()}, rule set {ruleset.version} "
          f"({len(ruleset.rules)} rules, {len(ruleset.questionnaire.questions)} questions)")
    print(f"rule set load + validation: {load_s * 1000:.0f} ms (once per process)")
    print(f"{len(runs)} case runs x {args.repeat} evaluations = {len(times)} audits")
    print(f"per audit: median {statistics.median(times) * 1e3:.3f} ms, p99 {percentile(times, 99) * 1e3:.3f} ms, "
          f"max {max(times) * 1e3:.3f} ms")

    # Worst case: the rule set frozen out of the collector's way (what get_ruleset does after loading)
    # against the same process with everything back under the collector, interleaved in rounds, each
    # mode timing args.audits audits in all (the case runs in turn).
    tails: dict[str, list[float]] = {"unfrozen": [], "frozen": []}
    per_round = -(-args.audits // args.rounds)
    cycle = itertools.cycle(runs)
    for _ in range(args.rounds):
        for mode in ("unfrozen", "frozen"):
            gc.unfreeze()
            gc.collect()
            if mode == "frozen":
                gc.freeze()
            for _ in range(per_round):
                _name, answers, jurisdiction, as_of = next(cycle)
                t = time.perf_counter()
                evaluate(ruleset, answers, jurisdiction, as_of)
                tails[mode].append(time.perf_counter() - t)
    for mode, values in tails.items():
        print(f"{mode:>8}, {len(values)} audits in {args.rounds} interleaved rounds: median "
              f"{statistics.median(values) * 1e3:.3f} ms, p99 {percentile(values, 99) * 1e3:.3f} ms, max "
              f"{max(values) * 1e3:.3f} ms (targets: p99 <= 1 ms, max <= 5 ms)")
    print(f"frozen/unfrozen: p99 {percentile(tails['frozen'], 99) / percentile(tails['unfrozen'], 99):.2f}, "
          f"max {max(tails['frozen']) / max(tails['unfrozen']):.2f}")

    # Engine overhead: every rule of the rule set through the engine's compiled conditions and as the
    # hand-written Python of bench/plain_rules.py, on the same effective answers (answer checking is
    # outside both loops). The two must agree on every run before they are timed.
    prepared = effective_runs(ruleset, runs)
    rules = [(rule, PLAIN_RULES[rule.id]) for rule in ruleset.rules]
    for eff, jurisdiction, as_of in prepared:
        for rule, fn in rules:
            assert fire(rule, eff, jurisdiction, as_of) == fn(eff, jurisdiction, as_of), (rule.id, jurisdiction)

    def engine_pass():
        for eff, jurisdiction, as_of in prepared:
            for rule, _fn in rules:
                fire(rule, eff, jurisdiction, as_of)

    def plain_pass():
        for eff, jurisdiction, as_of in prepared:
            for _rule, fn in rules:
                fn(eff, jurisdiction, as_of)

    inner_default = max(20, args.repeat // 4)

    def best_of(fn, rounds=7, inner=inner_default):
        best = float("inf")
        for _ in range(rounds):
            t = time.perf_counter()
            for _ in range(inner):
                fn()
            best = min(best, (time.perf_counter() - t) / inner)
        return best

    e, p = best_of(engine_pass), best_of(plain_pass)
    print(f"{len(rules)} rules x {len(prepared)} case runs: engine {e * 1e6:.1f} us, plain Python {p * 1e6:.1f} us, "
          f"ratio {e / p:.2f} (target <= 3)")

if __name__ == "__main__":
    main()
