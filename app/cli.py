"""The ``eduaudit`` command line: evaluate an answers file, check the rule set.

Exit codes: 0 success; 1 the rule check found failing examples or lint problems; 2 bad input
(answers file, option values) or a PDF stopped by a render limit (time, answer text, size; see
:mod:`app.reports.limits`); 3 the rule set itself does not load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import click

from .answers import AnswersFileError, read_answers_file
from .fileio import write_atomically
from .reports.render import PDF_VARIANTS
from .rules.conditions import canonical
from .rules.engine import Assessment, categories_covered, evaluate, run_examples
from .rules.loader import RuleLoadError, load_ruleset
from .rules.schema import JURISDICTIONS, VERDICTS
from .rules.yamlio import line_of, load_yaml

TITLE_MAX = 120
RECOMMENDATION_MAX = 700


def _load(rules_dir: str | None, *, use_cache: bool = True):
    try:
        return load_ruleset(rules_dir, use_cache=use_cache)
    except RuleLoadError as exc:
        click.echo(str(exc), err=True)
        sys.exit(3)


def cli_report_id(assessment: Assessment) -> str:
    """A deterministic report id for a command-line report: same inputs and rules, same id."""
    blob = json.dumps({"a": assessment.to_dict(), "answers": {k: str(v) for k, v in assessment.answers.items()}},
                      sort_keys=True, ensure_ascii=False)
    return "EA-CLI-" + hashlib.sha256(blob.encode()).hexdigest()[:10].upper()


def _text_report(assessment: Assessment, ruleset) -> str:
    lines = [f"Verdict: {assessment.verdict.upper()}  ({assessment.jurisdiction}, as of {assessment.as_of})",
             f"Rule set {assessment.rule_set_version} sha256 {assessment.rule_set_sha256[:16]}…",
             f"{len(assessment.findings)} finding(s)", ""]
    qn = ruleset.questionnaire
    for f in assessment.findings:
        rule = ruleset.rule(f.rule_id)
        flag = "  [UNVERIFIED source]" if f.unverified else ""
        lines.append(f"- [{f.residual_risk_level}{' / PROHIBITED' if f.effect == 'prohibited' else ''}] "
                     f"{rule.title['en']} ({f.rule_id}){flag}")
        if f.risk_level != f.residual_risk_level:
            lines.append(f"    inherent {f.risk_level}, residual {f.residual_risk_level} after "
                         f"{', '.join(f.mitigations_applied)}")
        for e in f.evidence:
            q = qn.questions[e.question]
            shown = e.matched if e.matched is not None else e.answer
            lines.append(f"    because: {q.label['en']} → {qn.display(q, shown)}")
        refs = "; ".join(f"{ruleset.sources[r.source].title['en']}, {r.pinpoint}"
                         + (" (UNVERIFIED)" if r.unverified else "") for r in f.references)
        lines.append(f"    sources: {refs}")
    return "\n".join(lines)


@click.group()
@click.version_option(package_name="eduaudit")
def main() -> None:
    """EduAudit: privacy-risk audits of smart-education deployments."""


@main.command("evaluate")
@click.argument("answers_files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jurisdiction", type=click.Choice(JURISDICTIONS), help="Overrides the answers' jurisdiction.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Date the law is applied on (default: the file's as_of, else its planned_date).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "ndjson", "csv"]),
              help="One file: text (default) or json. Several files or a folder: ndjson (default; one JSON "
                   "result per line, json is the same) or csv (one summary row per file).")
@click.option("--jobs", "processes", type=click.IntRange(1, 256), default=os.cpu_count() or 1, show_default=True,
              help="Processes evaluating several files at once.")
@click.option("--pdf", "pdf_out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Also write the PDF report here.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the PDF report.")
@click.option("--school", metavar="NAME",
              help="School shown on the PDF's cover (default: the file's school, else \"not stated\").")
@click.option("--pdf-variant", type=click.Choice(PDF_VARIANTS, case_sensitive=False), envvar="REPORT_PDF_VARIANT",
              help="Write the PDF as an archival (PDF/A) or tagged (PDF/UA) variant [env REPORT_PDF_VARIANT].")
@click.option("--sign-key", type=click.Path(dir_okay=False, path_type=Path), envvar="REPORT_SIGNING_KEY",
              help="PEM key to sign the PDF with (with --sign-cert; the key's password from "
                   "REPORT_SIGNING_KEY_PASSWORD) [env REPORT_SIGNING_KEY].")
@click.option("--sign-cert", type=click.Path(dir_okay=False, path_type=Path), envvar="REPORT_SIGNING_CERT",
              help="PEM certificate of the signing key [env REPORT_SIGNING_CERT].")
@click.option("--rules-dir", type=click.Path(file_okay=False, exists=True), envvar="EDUAUDIT_RULES_DIR")
def evaluate_cmd(answers_files: tuple[Path, ...], jurisdiction: str | None, as_of: dt.datetime | None,
                 fmt: str | None, processes: int, pdf_out: Path | None, lang: str, school: str | None,
                 pdf_variant: str | None, sign_key: Path | None, sign_cert: Path | None, rules_dir: str | None) -> None:
    """Evaluate ANSWERS_FILES (YAML or JSON answers files, or folders of them) and print the findings.

    One file: the text summary or the JSON contract, optionally the PDF. Several files or a folder:
    one result per line (NDJSON) or a CSV summary, in the order of the files, evaluated by all cores,
    with a progress bar on a terminal; a bad file is reported on its line, by name, and the others
    go on (exit code 2 when any file was bad).
    """
    if len(answers_files) > 1 or answers_files[0].is_dir():
        if pdf_out is not None:
            click.echo("error: --pdf writes the report of one answers file; give one file", err=True)
            sys.exit(2)
        if fmt == "text":
            click.echo("error: several files are printed as ndjson or csv (--format), not text", err=True)
            sys.exit(2)
        from .batch import evaluate_batch

        ruleset = _load(rules_dir)
        sys.exit(evaluate_batch(ruleset, answers_files, jurisdiction=jurisdiction,
                                as_of=as_of.date() if as_of else None, fmt=fmt or "ndjson", processes=processes))
    answers_file = answers_files[0]
    fmt = fmt or "text"
    if pdf_out is not None and not pdf_out.resolve().parent.is_dir():
        click.echo(f"error: cannot write {pdf_out}: folder {pdf_out.resolve().parent} does not exist", err=True)
        sys.exit(2)
    if (sign_key is None) != (sign_cert is None):
        click.echo("error: --sign-key and --sign-cert (REPORT_SIGNING_KEY, REPORT_SIGNING_CERT) go together",
                   err=True)
        sys.exit(2)
    password = os.environ.get("REPORT_SIGNING_KEY_PASSWORD") or None
    if sign_key is not None and pdf_out is not None:
        from .reports.signing import SigningError, load_signer

        try:
            load_signer(sign_key, sign_cert, password)
        except SigningError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    ruleset = _load(rules_dir)
    try:
        answers, meta = read_answers_file(answers_file, ruleset.questionnaire)
    except AnswersFileError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    jur = jurisdiction or answers.get("jurisdiction")
    day = as_of.date() if as_of else meta.get("as_of") or answers.get("planned_date")
    assessment = evaluate(ruleset, answers, jur, day)
    if pdf_out is not None:
        from .reports.context import build_report_context
        from .reports.limits import RenderFailed, RenderLimitExceeded, render_pdf_limited
        from .reports.render import AssetRefused

        context = build_report_context(ruleset, assessment, report_id=cli_report_id(assessment),
                                       generated_at=dt.datetime.now(dt.UTC), lang=lang,
                                       school=(school or "").strip() or meta.get("school"))
        try:
            pdf = render_pdf_limited(context, pdf_variant=pdf_variant.lower() if pdf_variant else None)
        except (RenderLimitExceeded, RenderFailed, AssetRefused) as exc:
            click.echo(f"error: no PDF written: {exc}", err=True)
            sys.exit(2)
        if sign_key is not None:
            from .reports.signing import sign_pdf

            pdf = sign_pdf(pdf, sign_key, sign_cert, password)
        write_atomically(pdf_out, pdf)
    if fmt == "json":
        click.echo(json.dumps(assessment.to_dict(), ensure_ascii=False, indent=2))
    elif fmt in ("ndjson", "csv"):
        from .batch import write_rows

        write_rows([{"file": str(answers_file), **assessment.to_dict()}], fmt, sys.stdout)
    else:
        click.echo(_text_report(assessment, ruleset))


@main.group("rules")
def rules_group() -> None:
    """Work with the rule set under audit_rules/."""


REDIRECT_HOSTS = ("cdurl.cn",)
"""Hosts that only mirror or redirect to an issuer's pages: a source must link the issuer's own site."""


def source_link_problems(ruleset) -> list[str]:
    """Every source link must be ``https://`` and must not go through a mirror or redirect host
    (:data:`REDIRECT_HOSTS`): a regulator follows these links from the PDF, and a plain-http or
    third-party link can be altered on the way."""
    from urllib.parse import urlsplit

    where = f"{Path(ruleset.root).name}/sources.yaml"
    problems = []
    for source in ruleset.sources.values():
        if not source.url:
            continue
        parts = urlsplit(source.url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" or not host:
            problems.append(f"{where} [source {source.id}]: the link must be https:// on the issuer's own site, "
                            f"not {source.url}")
        elif any(host == bad or host.endswith("." + bad) for bad in REDIRECT_HOSTS):
            problems.append(f"{where} [source {source.id}]: the link goes through {host}, a mirror or redirect "
                            "host; link the issuer's own site")
    return problems


def lint(ruleset) -> list[str]:
    """Style checks beyond the schema: text lengths, source links (https, the issuer's own site), and
    no two rules with identical conditions."""
    problems = source_link_problems(ruleset)
    by_condition: dict[str, str] = {}
    for rule in ruleset.rules:
        for lang, text in rule.title.items():
            if len(text) > TITLE_MAX:
                problems.append(f"{rule.path} [rule {rule.id}]: title ({lang}) is {len(text)} characters, "
                                f"at most {TITLE_MAX}")
        for lang, text in rule.recommendation.items():
            if len(text) > RECOMMENDATION_MAX:
                problems.append(f"{rule.path} [rule {rule.id}]: recommendation ({lang}) is {len(text)} characters, "
                                f"at most {RECOMMENDATION_MAX}")
        key = canonical({"when": rule.when_raw, "j": sorted(rule.jurisdictions),
                         "from": str(rule.effective_from), "until": str(rule.effective_until)})
        if key in by_condition:
            problems.append(f"{rule.path} [rule {rule.id}]: same condition, jurisdictions and dates as "
                            f"{by_condition[key]}")
        else:
            by_condition[key] = rule.id
    return problems


@rules_group.command("diff")
@click.option("--from", "old_ref", required=True, help="Old rule set: a directory or a git revision.")
@click.option("--to", "new_ref", default="audit_rules", show_default=True,
              help="New rule set: a directory or a git revision.")
@click.option("--answers", "answer_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Answers files or folders to re-evaluate (default: tests/cases).")
@click.option("--stored/--no-stored", default=True, show_default=True,
              help="Also re-evaluate the audits stored in the app's database (DATABASE_URL).")
@click.option("--all", "show_all", is_flag=True, help="List unchanged audits too.")
def rules_diff(old_ref: str, new_ref: str, answer_paths: tuple[Path, ...], stored: bool, show_all: bool) -> None:
    """Re-evaluate audits under two rule sets and list those whose verdict or findings change."""
    from .rules.diff import checkout_rules, diff_rulesets

    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as work:
        try:
            old_dir = checkout_rules(old_ref, Path(work), repo)
            new_dir = checkout_rules(new_ref, Path(work), repo)
        except ValueError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        old, new = _load(str(old_dir)), _load(str(new_dir))
        audits = list(_answer_inputs(answer_paths or (repo / "tests" / "cases",), new))
        if stored:
            audits.extend(_stored_inputs())
        changes = diff_rulesets(old, new, audits, workers=os.cpu_count() or 1)
    click.echo(f"rule set {old.version} ({old.sha256[:12]}) -> {new.version} ({new.sha256[:12]}): "
               f"{len(old.rules)} -> {len(new.rules)} rules")
    changed = [c for c in changes if c.changed]
    for c in changes if show_all else changed:
        head = f"{c.label} [{c.jurisdiction} {c.as_of}]: {c.old_verdict} -> {c.new_verdict}"
        click.echo(head + ("" if c.changed else " (unchanged)"))
        if c.error:
            click.echo(f"    ! {c.error}")
        for rule_id in c.added:
            click.echo(f"    + {rule_id}")
        for rule_id in c.removed:
            click.echo(f"    - {rule_id}")
        for rule_id, before, after in c.relevelled:
            click.echo(f"    ~ {rule_id}: {before} -> {after}")
    click.echo(f"{len(changed)} of {len(changes)} audit(s) change")


def _answer_inputs(paths, ruleset):
    """Answers files (or folders of them) as diff inputs; a case file's runs come from its sidecar."""
    from .rules.diff import AuditInput
    from .rules.yamlio import YamlError, load_yaml, to_plain

    files = []
    for p in paths:
        files.extend(sorted(x for x in p.glob("*.y*ml") if ".expected." not in x.name) if p.is_dir() else [p])
    for f in files:
        try:
            answers, meta = read_answers_file(f, ruleset.questionnaire, require_complete=False)
        except AnswersFileError as exc:
            click.echo(f"warning: skipped {exc}", err=True)
            continue
        sidecar = f.with_name(f.stem + ".expected.yaml")
        default_run = {"jurisdiction": answers.get("jurisdiction"),
                       "as_of": str(meta.get("as_of") or answers.get("planned_date"))}
        try:
            runs = to_plain(load_yaml(sidecar))["runs"] if sidecar.exists() else [default_run]
            inputs = [AuditInput(f.stem, answers, run["jurisdiction"], dt.date.fromisoformat(str(run["as_of"])))
                      for run in runs]
        except (YamlError, KeyError, TypeError, ValueError) as exc:
            click.echo(f"warning: skipped {f}: no jurisdiction and date to run it with ({exc})", err=True)
            continue
        if any(i.jurisdiction not in JURISDICTIONS for i in inputs):
            click.echo(f"warning: skipped {f}: it names no jurisdiction (CN, EU, UK or US)", err=True)
            continue
        yield from inputs


def _stored_inputs():
    """Audits stored by the web app (DATABASE_URL, else the instance SQLite file) that were evaluated."""
    from sqlalchemy.exc import SQLAlchemyError

    from . import create_app
    from .audits.services import stored_audit_inputs

    app = create_app()
    with app.app_context():
        try:
            return stored_audit_inputs()
        except SQLAlchemyError as exc:
            click.echo(f"warning: stored audits not read ({exc.__class__.__name__}: database not migrated?)",
                       err=True)
            return []


@rules_group.command("check")
@click.option("--rules-dir", type=click.Path(file_okay=False, exists=True), envvar="EDUAUDIT_RULES_DIR")
def rules_check(rules_dir: str | None) -> None:
    """Validate every rule file and run every rule's examples; print what failed with file and line."""
    ruleset = _load(rules_dir, use_cache=False)  # the full check: every file parsed and validated
    failures = []
    root = Path(ruleset.root).parent
    for fail in run_examples(ruleset):
        line = line_of(load_yaml(root / fail.path), [*fail.where, "examples", fail.kind, fail.index])
        owner = "aggravation" if fail.where else "rule"
        failures.append(f"{fail.path}:{line} [{owner} {fail.rule_id}] examples.{fail.kind}[{fail.index}] "
                        f"{fail.message}")
    failures.extend(lint(ruleset))
    n_examples = sum(len(r.fire_examples) + len(r.silent_examples) + len(r.lowered_examples)
                     for r in ruleset.rules) + \
        sum(len(a.apply_examples) + len(a.not_apply_examples) for a in ruleset.aggravations)
    if failures:
        for line in failures:
            click.echo(line, err=True)
        click.echo(f"{len(failures)} problem(s) in {len(ruleset.rules)} rules", err=True)
        sys.exit(1)
    packs = sorted({r.pack for r in ruleset.rules})
    click.echo(f"rule set {ruleset.version} ({ruleset.sha256[:12]}): {len(ruleset.rules)} rules in "
               f"{', '.join(packs)}; {len(ruleset.aggravations)} aggravations; {n_examples} examples passed; "
               f"{len(ruleset.questionnaire.questions)} questions; {len(ruleset.sources)} sources")


# -- cases: the real deployments against the verdicts regulators and courts reached ------------------

CASE_SUFFIX = ".expected.yaml"


def _case_runs(folder: Path, ruleset) -> list[dict]:
    """One row per expected run of every case in ``folder`` (``<case>.yaml`` + ``<case>.expected.yaml``).

    A row holds case, folder, jurisdiction, region, as_of, expected, got (``None`` when the case could
    not be run), missing (expected key categories no finding has) and error (a message, or ``None``).
    """
    from .rules.yamlio import YamlError, to_plain

    rows = []
    for sidecar in sorted(folder.glob("*" + CASE_SUFFIX)):
        name = sidecar.name[: -len(CASE_SUFFIX)]
        try:
            runs = to_plain(load_yaml(sidecar))["runs"]
            answers, _meta = read_answers_file(folder / f"{name}.yaml", ruleset.questionnaire, require_complete=False)
        except (YamlError, AnswersFileError, KeyError, TypeError) as exc:
            rows.append({"case": name, "folder": str(folder), "error": str(exc), "got": None, "missing": []})
            continue
        for run in runs:
            if not isinstance(run, dict):
                rows.append({"case": name, "folder": str(folder), "error": f"a run is not a mapping: {run!r}",
                             "got": None, "missing": []})
                continue
            row = {"case": name, "folder": str(folder), "jurisdiction": run.get("jurisdiction"),
                   "region": run.get("region"), "as_of": str(run.get("as_of")), "expected": run.get("verdict"),
                   "got": None, "missing": [], "error": None}
            try:
                result = evaluate(ruleset, answers, row["jurisdiction"], dt.date.fromisoformat(row["as_of"]))
            except ValueError as exc:
                rows.append({**row, "error": str(exc)})
                continue
            found = categories_covered(ruleset, result.findings)
            expected = run.get("categories") or []
            rows.append({**row, "got": result.verdict, "categories": expected,
                         "missing": [c for c in expected if c not in found]})
    return rows


def case_summary(rows: list[dict]) -> dict:
    """Counts over case runs: verdicts matched, expected key categories found, false alarms.

    A false alarm is a run whose verdict ranks above its expected verdict on the scale low < medium <
    high < critical < prohibited (so every control case judged above medium is one). A run that could
    not be evaluated counts as a miss, never as a false alarm.
    """
    rank = {v: i for i, v in enumerate(VERDICTS)}
    ran = [r for r in rows if r["got"] is not None]
    expected = sum(len(r.get("categories", [])) for r in ran)
    found = expected - sum(len(r["missing"]) for r in ran)
    return {"runs": len(rows), "verdicts_ok": sum(r["got"] == r["expected"] for r in ran),
            "categories_expected": expected, "categories_found": found,
            "categories_pct": round(100 * found / expected) if expected else None,
            "false_alarms": sum(rank.get(r["got"], -1) > rank.get(r["expected"], len(VERDICTS)) for r in ran),
            "errors": len(rows) - len(ran)}


@main.command("cases")
@click.argument("folders", nargs=-1, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--rules-dir", type=click.Path(file_okay=False, exists=True), envvar="EDUAUDIT_RULES_DIR")
def cases_cmd(folders: tuple[Path, ...], fmt: str, rules_dir: str | None) -> None:
    """Run the real cases in FOLDERS (default: tests/cases and tests/cases/more) with each expected
    run's jurisdiction and date, and report expected and got verdicts and missing key categories.

    A report, not a gate: it exits 0 whatever the verdicts (3 if the rule set does not load).
    """
    ruleset = _load(rules_dir)
    cases = Path(__file__).resolve().parents[1] / "tests" / "cases"
    rows = [row for folder in (folders or (cases, cases / "more")) for row in _case_runs(folder, ruleset)]
    summary = case_summary(rows)
    if fmt == "json":
        click.echo(json.dumps({"rule_set": {"version": ruleset.version, "sha256": ruleset.sha256},
                               "runs": rows, "summary": summary}, ensure_ascii=False, indent=2))
        return
    for r in rows:
        if r["error"]:
            click.echo(f"{r['case']:<40} ERROR {r['error']}")
            continue
        where = r["jurisdiction"] + (f"/{r['region']}" if r["region"] else "")
        result = "OK" if r["got"] == r["expected"] else "MISS"
        missing = f"{' ' * (6 - len(result))}missing: {', '.join(r['missing'])}" if r["missing"] else ""
        click.echo(f"{r['case']:<40} {where:<12} {r['as_of']}  expected {r['expected']!s:<10} got {r['got']:<10} "
                   f"{result}{missing}")
    pct = "n/a" if summary["categories_pct"] is None else f"{summary['categories_pct']}%"
    click.echo(f"verdicts {summary['verdicts_ok']}/{summary['runs']}, key categories {pct} "
               f"({summary['categories_found']}/{summary['categories_expected']}), "
               f"false alarms {summary['false_alarms']}/{summary['runs']}"
               + (f", {summary['errors']} run(s) not evaluated" if summary["errors"] else ""))


# -- accounts: first set-up from the server's shell ------------------------------------------------

def _web_app():
    """The web app (its database: DATABASE_URL, else the instance SQLite file)."""
    from . import create_app

    return create_app()


@main.group("orgs")
def orgs_group() -> None:
    """Organisations: schools, regulators, NGOs."""


@orgs_group.command("create")
@click.option("--name", required=True, help="Unique name, e.g. \"Hangzhou No. 11 High School\".")
@click.option("--kind", required=True, type=click.Choice(["school", "regulator", "ngo"]))
def orgs_create(name: str, kind: str) -> None:
    """Create an organisation (recorded in the account log, by "system")."""
    from .accounts.services import AccountError, add_org
    from .extensions import db

    with _web_app().app_context():
        try:
            org = add_org(name, kind, None)
        except AccountError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        db.session.commit()
        click.echo(f"created {org.kind} {org.name!r} (id {org.id})")


@main.group("users")
def users_group() -> None:
    """User accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True, help="The person's name as shown in the app.")
@click.option("--role", required=True, type=click.Choice(["school_admin", "reviewer", "ngo_analyst", "instance_admin"]))
@click.option("--org", "org_name", help="Organisation name (required except for instance_admin).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
def users_create(email: str, name: str, role: str, org_name: str | None, password_stdin: bool) -> None:
    """Create a user; the password is asked twice (or read from standard input). Recorded in the
    account log, by "system"."""
    from .accounts.passwords import PasswordPolicyError
    from .accounts.services import AccountError, create_user, get_org, record_event, user_facts
    from .extensions import db

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _web_app().app_context():
        org = None
        if org_name:
            org = get_org(org_name)
            if org is None:
                click.echo(f"error: no organisation named {org_name!r} (create it with `eduaudit orgs create`)",
                           err=True)
                sys.exit(2)
        try:
            user = create_user(email=email, name=name, password=password, role=role, organisation=org)
            record_event("user_created", None, user=user, organisation=org, details=user_facts(user))
        except (AccountError, PasswordPolicyError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        db.session.commit()
        click.echo(f"created {user.role} {user.email}" + (f" of {org.name!r}" if org else ""))


@main.command("demo")
def demo_cmd() -> None:
    """Create the demo instance (one user of each role), in development only; idempotent."""
    from .accounts.services import AccountError, create_demo_instance
    from .extensions import db

    app = _web_app()
    with app.app_context():
        try:
            created = create_demo_instance(environment=app.config["EDUAUDIT_ENV"])
        except AccountError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        db.session.commit()
    for account in created:
        click.echo(f"demo user {account.email} / {account.password} ({account.role})")
    click.echo("demo instance ready: the sign-in page lists its accounts" if created else
               "demo instance already present")


@main.group("audits")
def audits_group() -> None:
    """Audits stored by the web app."""


@audits_group.command("adopt")
@click.option("--org", "org_name", required=True, help="The school that owns the audits without an owner.")
def audits_adopt(org_name: str) -> None:
    """Give every audit created before accounts existed (no owning school) to one school."""
    import sqlalchemy as sa

    from . import trail
    from .accounts.services import get_org
    from .extensions import db
    from .models import Audit

    with _web_app().app_context():
        org = get_org(org_name)
        if org is None or org.kind != "school":
            click.echo(f"error: {org_name!r} is not a school on this instance", err=True)
            sys.exit(2)
        audits = list(db.session.scalars(sa.select(Audit).where(Audit.organisation_id.is_(None))))
        for audit in audits:
            audit.organisation_id = org.id
            db.session.flush()
            trail.record(audit, "adopted", None, {"school": org.name})
        db.session.commit()
        click.echo(f"{len(audits)} audit(s) now belong to {org.name!r}")


@audits_group.command("export")
@click.argument("report_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the portable JSON document (written atomically).")
def audits_export(report_id: str, output: Path) -> None:
    """Write one audit as a portable JSON document (every version, assessment, submission, review and
    action, the attached documents with their bytes, the PDFs' fingerprints, the trail), to be imported
    into another instance."""
    import sqlalchemy as sa
    from flask import current_app

    from .audits.portable import PortableError, export_audit
    from .evidence.storage import store_from_config
    from .extensions import db
    from .models import Audit

    with _web_app().app_context():
        audit = db.session.scalar(sa.select(Audit).where(Audit.report_id == report_id))
        if audit is None:
            click.echo(f"error: there is no audit {report_id!r} on this instance", err=True)
            sys.exit(2)
        try:
            document = export_audit(audit, store=store_from_config(current_app.config))
        except PortableError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    write_atomically(output, (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    click.echo(f"wrote {output} (content SHA-256 {document['content_sha256']})")


@audits_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_name", required=True, help="The school of this instance the audit will belong to.")
def audits_import(file: Path, org_name: str) -> None:
    """Import a portable audit (from `eduaudit audits export` or the API; format version 1 or 2) into a
    school, its documents into this instance's attachment store. A file larger than
    PORTABLE_IMPORT_MAX_BYTES, changed after export, of a format version this instance does not read,
    or with a document that does not match its SHA-256 is refused (exit 2), and nothing is written."""
    from flask import current_app

    from .accounts.services import get_org
    from .audits.portable import PortableError, check_size, import_audit, parse_file
    from .evidence.storage import store_from_config
    from .extensions import db

    with _web_app().app_context():
        config = current_app.config
        try:
            limit = config["PORTABLE_IMPORT_MAX_BYTES"]
            check_size(file.stat().st_size, limit)  # before reading it into memory
            result = import_audit(parse_file(file.read_bytes(), max_bytes=limit), get_org(org_name),
                                  store=store_from_config(config), max_document_bytes=config["ATTACHMENT_MAX_BYTES"])
        except PortableError as exc:
            db.session.rollback()
            if exc.code == "portable.not_a_school" and get_org(org_name) is None:
                exc = PortableError("portable.unknown_org", name=org_name)
            click.echo(f"error: {file}: {exc}", err=True)
            sys.exit(2)
        db.session.commit()
        for name in result.created_regulators:
            click.echo(f"created regulator {name!r} (named by the file's submissions)")
        renamed = "" if result.audit.report_id == result.original_report_id else \
            f" (report id {result.original_report_id} is taken here)"
        click.echo(f"imported {result.original_report_id} as {result.audit.report_id} into {org_name!r}{renamed}")


@main.group("api")
def api_group() -> None:
    """The JSON API (/api/v1)."""


@api_group.command("spec")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the OpenAPI document here (atomically) instead of printing it.")
def api_spec(output: Path | None) -> None:
    """Print or write the API's OpenAPI 3.1 document, as generated from the code (docs/openapi.json)."""
    from .api import spec_json

    text = spec_json(_web_app())
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(output, text.encode("utf-8"))
        click.echo(f"wrote {output}")


@audits_group.command("reevaluate")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Follow the jobs to their end with a progress bar (with REDIS_URL; without it they run here).")
def audits_reevaluate(wait: bool) -> None:
    """Evaluate every stored audit again with this rule set (after a rule-set change), in background jobs.

    With REDIS_URL the work is queued in jobs of 500 audits for the workers (`python -m app.worker`);
    without it, it runs in this process. An audit whose result did not change stores nothing new.
    Exit code 2 when Redis is configured but cannot be reached, or a job failed.
    """
    import time

    from . import jobs
    from .audits import jobs as audit_jobs

    with _web_app().app_context():
        try:
            refs = audit_jobs.request_reevaluation()
        except jobs.JobsUnavailable as exc:
            click.echo(f"error: {exc} ({exc.reason}); start Redis, or unset REDIS_URL to run it here", err=True)
            sys.exit(2)
        click.echo(f"{len(refs)} job(s) queued" if refs and not refs[0].inline else f"{len(refs)} job(s) done",
                   err=True)
        if not wait:
            return
        pending = {ref.id: ref for ref in refs}
        done: dict[str, jobs.JobRef] = {}
        with click.progressbar(length=len(refs), label="Re-evaluating", file=sys.stderr) as bar:
            while pending:
                for job_id in list(pending):
                    ref = jobs.status(job_id) or pending[job_id]
                    if ref.done:
                        del pending[job_id]
                        done[job_id] = ref
                        bar.update(1)
                if pending:
                    time.sleep(0.5)
        totals: dict[str, int] = {}
        for ref in done.values():
            for key, value in (ref.result or {}).items():
                totals[key] = totals.get(key, 0) + value
        failed = sum(ref.state == "failed" for ref in done.values())
        click.echo(f"evaluated {totals.get('evaluated', 0)}, changed {totals.get('changed', 0)}, not ready "
                   f"{totals.get('not_ready', 0)}, failed jobs {failed}")
        if failed:
            sys.exit(2)


if __name__ == "__main__":  # `python -m app.cli ...` runs the command from a source tree
    main()
