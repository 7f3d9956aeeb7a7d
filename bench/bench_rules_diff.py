"""`eduaudit rules diff` over stored audits: wall-clock of the whole command (a fresh process, as an
operator runs it) against 10,000 audits evaluated under the current rule set.

Run: `make bench-rules-diff` (= `.venv/bin/python bench/bench_rules_diff.py [--audits N] [--from REV]`).
Seeds a SQLite database in a temporary folder with N audits (the public cases' answers in turn, each
with one snapshot, as the web app stores them), then runs `rules diff --from REV --no-stored`
(answers files only) and `rules diff --from REV` (also the stored audits) in turn, --rounds times,
and prints the medians and the time per stored audit; with ``--baseline REV2`` the same two runs of
that git revision's command (exported with `git archive`) are interleaved with them. The old rule set
is exported to a folder once, so every variant reads the same files. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def seed(database: Path, count: int) -> None:
    import flask_migrate
    import sqlalchemy as sa

    from app import create_app
    from app.answers import read_answers_file
    from app.extensions import db
    from app.models import AssessmentSnapshot, Audit
    from app.rules.engine import evaluate

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "bench"})
    ruleset = app.extensions["eduaudit.ruleset"]
    qn = ruleset.questionnaire
    cases = []
    for path in sorted((ROOT / "tests" / "cases").glob("*.yaml")):
        if path.name.endswith(".expected.yaml"):
            continue
        answers, meta = read_answers_file(path, qn)
        jur, day = answers.get("jurisdiction"), meta.get("as_of") or answers.get("planned_date")
        result = evaluate(ruleset, answers, jur, day)
        cases.append((qn.to_json(qn.validate_answers(answers)), jur, day, result.verdict, result.to_dict()))
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        flask_migrate.upgrade()
        audits, snapshots = [], []
        for i in range(count):
            answers, jur, day, verdict, result = cases[i % len(cases)]
            audits.append({"id": i + 1, "report_id": f"EA-BENCH{i:06d}", "product_name": answers["product_name"],
                           "vendor_name": answers["vendor_name"], "jurisdiction": jur, "answers": answers,
                           "status": "draft", "version": 1, "revision": 1, "created_at": now, "updated_at": now})
            snapshots.append({"audit_id": i + 1, "rule_set_version": ruleset.version,
                              "rule_set_sha256": ruleset.sha256, "jurisdiction": jur, "as_of": day,
                              "verdict": verdict, "answers": answers, "result": result, "created_at": now})
        for start in range(0, count, 2000):
            db.session.execute(sa.insert(Audit.__table__), audits[start:start + 2000])
            db.session.execute(sa.insert(AssessmentSnapshot.__table__), snapshots[start:start + 2000])
        db.session.commit()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audits", type=int, default=10_000)
    parser.add_argument("--from", dest="old", default="HEAD~3", help="old rule set (a git revision or folder)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", metavar="REV2", help="also run the command of this git revision")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp:
        database = Path(tmp) / "bench.sqlite3"
        t = time.perf_counter()
        seed(database, args.audits)
        print(f"seeded {args.audits} audits in {time.perf_counter() - t:.1f} s")
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "bench-rules-diff"}
        old_rules = export(args.old, Path(tmp) / "old", "audit_rules") / "audit_rules"
        trees = {"": ROOT}
        if args.baseline:
            trees[f"{args.baseline}: "] = export(args.baseline, Path(tmp) / "baseline")
        runs = {f"{label}{what}": (tree, extra) for label, tree in trees.items()
                for what, extra in (("answers files only", ["--no-stored"]),
                                    (f"with {args.audits} stored audits", []))}
        times: dict[str, list[float]] = {name: [] for name in runs}
        last = ""
        for _ in range(args.rounds):
            for name, (tree, extra) in runs.items():
                t = time.perf_counter()
                out = subprocess.run([sys.executable, "-m", "app.cli", "rules", "diff", "--from", str(old_rules),
                                      "--to", str(ROOT / "audit_rules"), "--answers", str(ROOT / "tests" / "cases"),
                                      *extra], cwd=tree, env={**env, "PYTHONPATH": str(tree)}, capture_output=True,
                                     text=True, check=True).stdout
                times[name].append(time.perf_counter() - t)
                last = out.strip().splitlines()[-1]
    for name, values in times.items():
        print(f"rules diff --from {args.old}, {name}: median {statistics.median(values):.2f} s "
              f"(min {min(values):.2f}) over {args.rounds} rounds")
    for label in trees:
        total = statistics.median(times[f"{label}with {args.audits} stored audits"])
        stored = total - statistics.median(times[f"{label}answers files only"])
        print(f"{label or 'this tree: '}stored audits {stored:.2f} s for {args.audits} "
              f"({stored / args.audits * 1e3:.2f} ms each); {total:.2f} s in all (target: <= 15 s)")
    if args.baseline:
        mine = statistics.median(times[f"with {args.audits} stored audits"])
        theirs = statistics.median(times[f"{args.baseline}: with {args.audits} stored audits"])
        print(f"this tree / {args.baseline}, with stored audits: {mine / theirs:.3f}")
    print(f"last line: {last}")


def export(rev: str, target: Path, *paths: str) -> Path:
    """``paths`` (default: everything) of git revision ``rev`` extracted into ``target``."""
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, *paths], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target

if __name__ == "__main__":
    main()
