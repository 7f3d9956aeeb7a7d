"""Start-up: loading the rule set with and without the disk cache, and `eduaudit evaluate` of one
case, each in a fresh process, interleaved in rounds so a busy machine slows every variant alike.

Run: `make bench-startup` (= `.venv/bin/python bench/bench_startup.py [--rounds N] [--baseline REV]`).
Variants per round: (a) load with the cache (warmed before the rounds), (b) the full strict load
(``use_cache=False``: every file parsed and validated, what `rules check` does), (c) `evaluate` of
one case with the cache, wall-clock of the whole process, (d) the same with the cache off and, with
``--baseline REV``, (e) `evaluate` from that git revision (exported with `git archive`). The cache
folder is a fresh temporary one. Prints medians and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "tests" / "cases" / "hangzhou-no11-classroom.yaml"
PYCACHE = tempfile.mkdtemp(prefix="bench-startup-pycache-")
"""Where the timed processes keep their compiled bytecode (warmed before the rounds)."""
LOAD = ("import time; t = time.perf_counter(); from app.rules.loader import load_ruleset; "
        "load_ruleset(use_cache={cache}); print(time.perf_counter() - t)")


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    # Every process runs from compiled bytecode, as a deployed one does (pip compiles the packages; the
    # app's own modules are compiled on their first import), kept in a folder of the run's own: a shell
    # with PYTHONDONTWRITEBYTECODE set would otherwise compile the app's sources in every process.
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run(cmd, cwd=cwd, env={**base, "PYTHONPYCACHEPREFIX": PYCACHE, **env}, capture_output=True,
                         text=True, check=True).stdout
    return time.perf_counter() - started, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", metavar="REV", help="also time `evaluate` from this git revision")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        cache = {"EDUAUDIT_RULES_CACHE_DIR": str(Path(tmp) / "cache")}
        off = {"EDUAUDIT_RULES_CACHE_DIR": "off"}
        variants = {
            "(a) load, cache": lambda: float(timed([py, "-c", LOAD.format(cache=True)], ROOT, cache)[1]),
            "(b) load, full (no cache)": lambda: float(timed([py, "-c", LOAD.format(cache=False)], ROOT, off)[1]),
            "(c) evaluate, cache": lambda: timed([py, "-m", "app.cli", "evaluate", str(CASE)], ROOT, cache)[0],
            "(d) evaluate, cache off": lambda: timed([py, "-m", "app.cli", "evaluate", str(CASE)], ROOT, off)[0],
        }
        if args.baseline:
            tree = Path(tmp) / "baseline"
            tree.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline], capture_output=True,
                                     check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
            # the revision's own CLI, run from its tree (python -m app.cli imports that tree's app)
            variants[f"(e) evaluate, {args.baseline}"] = lambda: timed(
                [py, "-m", "app.cli", "evaluate", str(CASE)], tree, {**off, "PYTHONPATH": str(tree)})[0]
        timed([py, "-c", LOAD.format(cache=True)], ROOT, cache)  # writes the cache and the bytecode
        for fn in variants.values():
            fn()  # each variant once, untimed: every tree's bytecode is compiled before the rounds
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, fn in variants.items():
                times[name].append(fn())
    med = {name: statistics.median(v) for name, v in times.items()}
    shutil.rmtree(PYCACHE, ignore_errors=True)
    print(f"{args.rounds} interleaved rounds, each variant a fresh process run from compiled bytecode; seconds, "
          f"median (min)")
    for name, values in times.items():
        print(f"  {name:<32} {med[name]:.3f} ({min(values):.3f})")
    print(f"load: cache / full = {med['(a) load, cache'] / med['(b) load, full (no cache)']:.3f} "
          f"(target: (a) <= 0.2 s)")
    print(f"evaluate: cache / cache off = {med['(c) evaluate, cache'] / med['(d) evaluate, cache off']:.3f} "
          f"(target: (c) <= 0.6 s)")
    if args.baseline:
        print(f"evaluate: cache / {args.baseline} = "
              f"{med['(c) evaluate, cache'] / med[f'(e) evaluate, {args.baseline}']:.3f}")


if __name__ == "__main__":
    main()
