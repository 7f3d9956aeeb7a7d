"""Web pages against the framework's floor: the app and a bare Flask page of the same size, both
under gunicorn with the same sync workers and the same settings (the production gunicorn.conf.py),
loaded by wrk over loopback in interleaved rounds.

Run: `make bench-web` (= `.venv/bin/python bench/bench_web.py`). Needs `wrk` (Debian package `wrk`,
installed by scripts/install-system-deps.sh) and gunicorn (the dev extra). Prints, per page, the
app's requests per second, its share of the bare page's, p50/p99 latency and p99 against the bare
page's, and the bare page's own requests per second and p50/p99. With `--baseline REV` the same pages
are also served from that git revision (exported with `git archive` into a temporary folder), with a
database of its own made by its own code and migrations (bench/web_prepare.py run with that tree's app
package), interleaved with the others in every round, so before and after come from one run. Every
server, the bare one included, is started with this tree's gunicorn.conf.py. Asserts nothing; a run
that got error statuses or the sign-in page says so and stops. Record figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

BIN = Path(sys.executable).parent
CONF = ROOT / "gunicorn.conf.py"
PORTS = range(int(os.environ.get("BENCH_PORT", "5760")), int(os.environ.get("BENCH_PORT", "5760")) + 10)


def free_port(used: set[int]) -> int:
    for port in PORTS:
        if port in used:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        used.add(port)
        return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1} (BENCH_PORT sets the first)")


def serve(tree: Path, module: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    """gunicorn serving ``module`` of ``tree`` with this tree's gunicorn.conf.py (the production settings,
    the same for every server; a revision without the file would otherwise get gunicorn's defaults)."""
    cmd = [str(BIN / "gunicorn"), "--config", str(CONF), "--workers", str(workers), "--worker-class", "sync",
           "--bind", f"127.0.0.1:{port}", "--chdir", str(tree), "--log-level", "warning", module]
    return subprocess.Popen(cmd, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def wait_up(base: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {base} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/login" if "page" not in base else base, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{base} did not answer within {timeout:.0f} s")


USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) EduAudit-bench/1"
"""Sent with every request, the sign-in's and wrk's alike, as one browser does: the session remembers the
client that signed in (Flask-Login's session protection), and a request from another one (wrk sends no
User-Agent of its own) changes the session, so each response would sign and send the cookie again."""


def sign_in(base: str, form_path: str) -> tuple[str, str, int]:
    """Signs in, then opens ``form_path`` (a page with a form); returns (Cookie header, the CSRF token
    of that form, bytes of the sign-in page)."""
    from webhelpers import csrf_token

    from bench.web_prepare import EMAIL, PASSWORD

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    with opener.open(base + "/login") as response:
        page = response.read()
    token = csrf_token(page.decode())
    form = urllib.parse.urlencode({"csrf_token": token, "email": EMAIL, "password": PASSWORD}).encode()
    with opener.open(base + "/login", data=form) as response:
        response.read()
        if urllib.parse.urlsplit(response.geturl()).path == "/login":
            raise RuntimeError("signing in failed")
    with opener.open(base + form_path) as response:
        token = csrf_token(response.read().decode())
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, token, len(page)


def fetch(base: str, path: str, cookie: str, data: bytes | None = None) -> tuple[int, int, str, bool]:
    """(status, body bytes, Location, whether the response sets the session cookie) of one request,
    redirects not followed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(base + path, data=data, headers={"User-Agent": USER_AGENT,
                                                                      **({"Cookie": cookie} if cookie else {})})
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request) as response:
            return (response.status, len(response.read()), response.headers.get("Location", ""),
                    _sets_session(response.headers))
    except urllib.error.HTTPError as exc:
        return exc.code, len(exc.read()), exc.headers.get("Location", ""), _sets_session(exc.headers)


def _sets_session(headers) -> bool:
    return any(value.startswith("session=") for value in headers.get_all("Set-Cookie") or ())


def wrk(url: str, *, cookie: str, body: str | None, seconds: int, connections: int, folder: Path) -> dict:
    """One wrk run: requests/s, p50 and p99 in ms, and the count of error statuses and socket errors."""
    cmd = ["wrk", "--threads", "2", "--connections", str(connections), "--duration", f"{seconds}s", "--latency",
           "--timeout", "10s", "--header", f"User-Agent: {USER_AGENT}"]
    if cookie:
        cmd += ["--header", f"Cookie: {cookie}"]
    if body is not None:
        script = folder / f"post-{abs(hash(body))}.lua"
        script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
                          f"wrk.body = {lua_string(body)}\n", encoding="utf-8")
        cmd += ["--script", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": ms("50"), "p99": ms("99"),
            "errors": int(errors.group(1)) if errors else 0, "socket": socket_errors.group(1) if socket_errors else ""}


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (at least 3 are reported)")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per page, side and round")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers of every server")
    parser.add_argument("--baseline", metavar="REV", help="also serve the app from this git revision")
    parser.add_argument("--pages", help="comma-separated page names or their starts, e.g. 'sign-in,results,/compare' "
                        "(default: all)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: install the Debian package wrk (scripts/install-system-deps.sh)")
    from bench.web_prepare import export, prepare_with

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        folder = Path(tmp)
        trees = {"app": ROOT}
        if args.baseline:
            trees = {"before": export(args.baseline, folder / "baseline"), "app": ROOT}
        # Each side's database is made by its own code and migrations; its pages come from it.
        databases = {name: folder / f"{name}.sqlite3" for name in trees}
        facts = {name: prepare_with(tree, databases[name]) for name, tree in trees.items()}
        used: set[int] = set()
        procs, bases = {}, {}
        try:
            for name, tree in trees.items():
                config = f"{{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{databases[name]}', 'SECRET_KEY': 'bench-web'}}"
                port = free_port(used)
                procs[name] = serve(tree, f"app:create_app({config})", port, args.workers, folder / f"{name}.log")
                bases[name] = f"http://127.0.0.1:{port}"
            port = free_port(used)
            procs["bare"] = serve(ROOT, "bench.bare_app:app", port, args.workers, folder / "bare.log")
            bases["bare"] = f"http://127.0.0.1:{port}"
            for name, proc in procs.items():
                wait_up(bases[name] + ("/page/10" if name == "bare" else ""), proc)
            run(args, facts, bases, folder, list(trees))
        finally:
            for proc in procs.values():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs.values():
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:  # a worker still exiting: none outlives the run
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)


def pages_of(facts: dict) -> list[tuple[str, str, bool, str | None, int]]:
    """(name, path, signed in, POST action or None, status expected) of every page, for one side's data."""
    rid, section = facts["report_id"], facts["section"]
    step_path = f"/audits/{rid}/steps/{section}"
    return [
        ("sign-in", "/login", False, None, 200),
        ("school overview", "/", True, None, 200),
        ("results", f"/audits/{rid}/results", True, None, 200),
        ("step page", step_path, True, None, 200),
        ("step save", step_path, True, "continue", 302),
        ("/products", "/products", False, None, 200),
        ("/compare, 2 products", "/compare?" + "&".join(f"p={i}" for i in facts["products"]), False, None, 200),
    ]


def run(args, facts: dict, bases: dict, folder: Path, sides: list[str]) -> None:
    sessions = {side: sign_in(bases[side], pages_of(facts[side])[3][1]) for side in sides}
    names = [page[0] for page in pages_of(facts["app"])]
    if args.pages:  # a comma and a space stay in a name ("/compare, 2 products"); a name's start selects it
        wanted = [p.strip() for p in re.split(r",(?! )", args.pages) if p.strip()]
        unknown = [w for w in wanted if not any(n.startswith(w) for n in names)]
        if unknown:
            sys.exit(f"unknown pages {unknown}; known: {'; '.join(names)}")
        names = [n for n in names if any(n.startswith(w) for w in wanted)]
    # What each side serves: checked once, and the sizes the bare page copies.
    plan = []
    for name in names:
        per_side = {}
        for side in sides:
            _name, path, signed, post, expected = next(p for p in pages_of(facts[side]) if p[0] == name)
            cookie, token, _ = sessions[side]
            body = None
            if post:
                body = urllib.parse.urlencode({"csrf_token": token, "action": post, **facts[side]["step_fields"]},
                                              doseq=True)
            status, size, location, resent = fetch(bases[side], path, cookie if signed else "",
                                                   body.encode() if body else None)
            if status != expected or "/login" in location:
                raise RuntimeError(f"{side} {name}: {path} gave {status} {location!r}, expected {expected}")
            if side == "app" and signed and not post and resent:
                # A browser sends back what it got; wrk sends the same cookie again and again.
                raise RuntimeError(f"app {name}: {path} changed the session on a repeated request, so every "
                                   "request of the run would sign and send the session cookie again")
            per_side[side] = {"url": bases[side] + path, "cookie": cookie if signed else "", "body": body,
                              "size": size}
        per_side["bare"] = {"url": f"{bases['bare']}/page/{per_side['app']['size']}", "cookie": "",
                            "body": per_side["app"]["body"], "size": per_side["app"]["size"]}
        plan.append((name, per_side))
    results: dict[tuple[str, str], list[dict]] = {}
    for _round in range(args.rounds):
        for name, per_side in plan:
            for side in [*sides, "bare"]:
                page = per_side[side]
                r = wrk(page["url"], cookie=page["cookie"], body=page["body"], seconds=args.seconds,
                        connections=args.connections, folder=folder)
                if r["errors"] or r["socket"]:
                    print(f"warning: {side} {name}: {r['errors']} error statuses, socket errors {r['socket']!r}")
                results.setdefault((name, side), []).append(r)
    report(plan, results, sides, args)


def report(plan, results, sides, args) -> None:
    med = statistics.median
    print(f"gunicorn {args.workers} sync workers per server (gunicorn.conf.py), wrk 2 threads {args.connections} "
          f"connections {args.seconds} s, {args.rounds} interleaved rounds (median of rounds); bare = "
          f"bench/bare_app.py, same size as the app's page")
    head = "| page | bytes | " + " | ".join(
        f"{s} req/s | {s} share of bare | {s} p50 / p99 ms | {s} p99 vs bare" for s in sides) + \
        " | bare req/s | bare p50 / p99 ms |"
    print(head)
    print("|" + "---|" * (4 + 4 * len(sides)))
    for name, per_side in plan:
        bare = results[(name, "bare")]
        bare_rps, bare_p50, bare_p99 = (med(r[k] for r in bare) for k in ("rps", "p50", "p99"))
        cells = [name, " / ".join(f"{per_side[s]['size']:,}" for s in sides)]
        for side in sides:
            rs = results[(name, side)]
            rps, p50, p99 = med(r["rps"] for r in rs), med(r["p50"] for r in rs), med(r["p99"] for r in rs)
            cells += [f"{rps:.0f}", f"{rps / bare_rps:.3f}", f"{p50:.1f} / {p99:.1f}", f"{p99 / bare_p99:.1f}×"]
        cells += [f"{bare_rps:.0f}", f"{bare_p50:.1f} / {bare_p99:.1f}"]
        print("| " + " | ".join(cells) + " |")
    if len(sides) > 1:
        print(f"bytes: {' / '.join(sides)}; the bare page has the app's size")


if __name__ == "__main__":
    main()
