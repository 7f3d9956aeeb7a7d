"""The pages of `bench_web.py` timed in process (Flask test client, no server, no network), so a busy
machine's scheduling delays between processes do not swamp the figures; with `--baseline REV` the same
measurement runs from that git revision in a fresh process, alternating with this tree's, `--rounds`
times. Prints the median milliseconds per page of each tree and their ratio. Asserts nothing.

Run: `.venv/bin/python bench/bench_pages.py [--requests N] [--rounds R] [--baseline REV] [--clock cpu]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLOCK = time.perf_counter
"""Wall-clock by default; ``--clock cpu`` times this thread's CPU alone (``time.thread_time``), which a
busy machine's other processes do not add to: what to read when the machine is shared."""


def measure(requests: int, database: Path, facts: dict) -> dict[str, float]:
    """Median ms per page in this process (the tree on sys.path first is the one measured), on a
    database made by that tree's code (bench/web_prepare.py)."""
    sys.path.insert(0, str(Path(os.environ["PYTHONPATH"]) / "tests"))
    from web_prepare import EMAIL, PASSWORD  # from this file's folder (the script's), whatever the tree
    from webhelpers import csrf_token

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "bench"})
    anon, client = app.test_client(), app.test_client()
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD})
    rid, section = facts["report_id"], facts["section"]
    step = f"/audits/{rid}/steps/{section}"
    token = csrf_token(client.get(step).text)
    compare = "/compare?" + "&".join(f"p={i}" for i in facts["products"])
    pages = {"sign-in": (anon, "GET", "/login"), "school overview": (client, "GET", "/"),
             "results": (client, "GET", f"/audits/{rid}/results"), "step page": (client, "GET", step),
             "step save": (client, "POST", step), "/products": (anon, "GET", "/products"),
             "/compare, 2 products": (anon, "GET", compare)}
    form = {"csrf_token": token, "action": "continue", **facts["step_fields"]}
    out = {}
    for name, (c, method, path) in pages.items():
        times = []
        for i in range(requests + 2):
            t = CLOCK()
            r = c.post(path, data=form) if method == "POST" else c.get(path)
            if i >= 2:
                times.append(CLOCK() - t)
            if r.status_code not in (200, 302):
                raise RuntimeError(f"{name}: {r.status_code}")
        out[name] = statistics.median(times) * 1e3
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", metavar="REV")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall-clock time, or this thread's CPU time (for a busy machine)")
    parser.add_argument("--measure", nargs=2, metavar=("DATABASE", "FACTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.clock == "cpu":
        global CLOCK
        CLOCK = time.thread_time
    if args.measure:
        print(json.dumps(measure(args.requests, Path(args.measure[0]), json.loads(args.measure[1]))))
        return
    sys.path.insert(0, str(ROOT))
    from bench.web_prepare import export, prepare_with

    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        trees = {"app": ROOT}
        if args.baseline:
            trees = {"before": export(args.baseline, Path(tmp) / "baseline"), "app": ROOT}
        # Each tree's database made by its own code and migrations (a revision's schema may differ).
        templates = {name: Path(tmp) / f"{name}-template.sqlite3" for name in trees}
        facts = {name: json.dumps(prepare_with(tree, templates[name])) for name, tree in trees.items()}
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for n in range(args.rounds):
            for name, tree in trees.items():
                database = Path(tmp) / f"{name}-{n}" / "bench.sqlite3"
                database.parent.mkdir()
                shutil.copy(templates[name], database)
                # this file runs in the other tree's process too, with that tree's app first on the path
                out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", str(database),
                                      facts[name], "--requests", str(args.requests), "--clock", args.clock],
                                     cwd=tree,
                                     env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True,
                                     check=True).stdout
                runs[name].append(json.loads(out.strip().splitlines()[-1]))
    pages = list(runs["app"][0])
    print(f"in-process ms per request ({args.clock} clock), median of {args.requests} requests, "
          f"median of {args.rounds} rounds")
    print("| page | " + " | ".join(f"{n} ms" for n in trees) + (" | app / before |" if args.baseline else " |"))
    print("|---" * (len(trees) + 1 + bool(args.baseline)) + "|")
    for page in pages:
        med = {n: statistics.median(r[page] for r in runs[n]) for n in trees}
        cells = [f"{med[n]:.1f}" for n in trees] + ([f"{med['app'] / med['before']:.2f}"] if args.baseline else [])
        print(f"| {page} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
