"""Helpers for the web, report and browser tests: a realistic audit and form posting."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from app.reports.render import asset_fetcher as _real_asset_fetcher
from app.rules.questionnaire import Questionnaire

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

REALISTIC: dict[str, Any] = {
    # A classroom "attention and emotion" camera system in an EU upper-secondary school: the kind of
    # deployment the seed report describes (Hangzhou No. 11 school), placed where the AI Act bans it.
    "product_name": "Smart Classroom Behaviour Management System 1.0",
    "vendor_name": "Example Vision Technology Co.",
    "vendor_country": "cn",
    "product_kind": "classroom_analytics",
    "product_description": "Cameras above the blackboard read pupils' expressions every 30 seconds.\n"
                           "Teachers see a dashboard of attention scores.",
    "jurisdiction": "EU",
    "school_type": "upper_secondary",
    "school_sector": "public",
    "pupil_min_age": 15,
    "pupil_max_age": 18,
    "pupils_affected": 1200,
    "planned_date": "2026-09-01",
    "purposes": ["attention_monitoring", "discipline", "teacher_evaluation"],
    "adoption_route": "school_procured",
    "use_mandatory": True,
    "data_categories": ["names_contact", "face_images", "facial_expressions", "attention_signals",
                        "behaviour_logs"],
    "sensors": ["classroom_cameras"],
    "monitoring_scope": ["lessons"],
    "necessity_documented": False,
    "signage": "unknown",
    "face_uses": ["attendance", "behaviour_analysis"],
    "face_storage": "vendor_cloud",
    "raw_images_kept": True,
    "biometrics_deleted_on_leaving": "unknown",
    "inferred_states": ["emotions", "attention", "behaviours"],
    "inference_inputs": ["face", "posture"],
    "inference_purpose": "teaching_feedback",
    "scores_shown_to": ["teacher", "class", "rankings"],
    "scientific_validation": False,
    "automated_outputs": ["behaviour_scores", "ranking"],
    "human_review": "never",
    "explanation_available": False,
    "appeal_route": False,
    "bias_tested": False,
    "hosting": "vendor_cloud_abroad",
    "leaves_country": "yes",
    "transfer_safeguards": False,
    "retention_period": "indefinite",
    "legal_basis": "consent",
    "consent_form": "bundled",
    "alternative_offered": "none",
    "impact_assessment": "not_done",
}


def complete(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """``answers`` plus a plain default for every required question still open (questions other
    contributors add keep these tests meaningful without editing them)."""
    out = {k: v for k, v in answers.items() if k in questionnaire.questions}
    for _ in range(len(questionnaire.questions) + 1):
        missing = questionnaire.missing_required(questionnaire.validate_answers(out))
        if not missing:
            return out
        q = missing[0]
        out[q.id] = {"boolean": False, "single": q.options[0].id if q.options else None,
                     "multi": [q.options[0].id] if q.options else None,
                     "integer": q.min if q.min is not None else 1, "date": "2026-09-01"}.get(q.type, "Example")
    raise AssertionError("could not complete the answers")


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def form_fields(questionnaire: Questionnaire, section_id: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Form data for one step, as a browser would post it, from question id -> answer."""
    data: dict[str, Any] = {}
    for q in questionnaire.section(section_id).questions:
        if q.id not in answers:
            continue
        value = answers[q.id]
        if isinstance(value, bool):
            value = "yes" if value else "no"
        data[q.id] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


def step_of(location: str) -> str:
    """The section id at the end of a step URL."""
    return location.rstrip("/").rsplit("/", 1)[-1]


def spying_fetcher(asked: list[str]):
    """The report's allow-list fetcher, recording every URL WeasyPrint asks it for in ``asked``.
    (Bound at import, so a test may monkeypatch ``render.asset_fetcher`` with this.)"""
    fetcher = _real_asset_fetcher()
    original = fetcher.fetch

    def fetch(url, headers=None):
        asked.append(url)
        return original(url, headers)

    fetcher.fetch = fetch
    return fetcher


PASSWORD = "correct horse battery staple"
"""Password of every test user (see ``accounts`` in conftest)."""

ACCOUNTS = {
    # key: (email, role, organisation name or None)
    "school": ("head@school.test", "school_admin", "Test School"),
    "school2": ("colleague@school.test", "school_admin", "Test School"),
    "other_school": ("head@other-school.test", "school_admin", "Other School"),
    "reviewer": ("officer@regulator.test", "reviewer", "Test Regulator"),
    "other_reviewer": ("officer@other-regulator.test", "reviewer", "Other Regulator"),
    "ngo": ("analyst@ngo.test", "ngo_analyst", "Test NGO"),
    "admin": ("admin@instance.test", "instance_admin", None),
}
ORGS = {"Test School": "school", "Other School": "school", "Test Regulator": "regulator",
        "Other Regulator": "regulator", "Test NGO": "ngo"}


def create_accounts(keys=None) -> dict[str, str]:
    """Create the organisations and the users of ``ACCOUNTS`` (``keys``: a subset), committed; inside an
    app context. Returns key -> e-mail."""
    from app.accounts.services import create_org, create_user, get_org
    from app.extensions import db

    out = {}
    for key in keys or ACCOUNTS:
        email, role, org_name = ACCOUNTS[key]
        org = None
        if org_name:
            org = get_org(org_name) or create_org(org_name, ORGS[org_name])
        create_user(email=email, name=key.replace("_", " ").title(), password=PASSWORD, role=role, organisation=org)
        out[key] = email
    for name, kind in ORGS.items():  # every organisation exists, so forms list the same choices
        if get_org(name) is None:
            create_org(name, kind)
    db.session.commit()
    return out


def login(client, email: str, password: str = PASSWORD):
    """Sign ``client`` in as ``email``; returns the response of the sign-in POST (a redirect on success)."""
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_token(page.text), "email": email, "password": password})


def logout(client):
    page = client.get("/account/password")
    return client.post("/logout", data={"csrf_token": csrf_token(page.text)})


ACCOUNT_WORDS = {word for email, _role, org in ACCOUNTS.values() for word in re.findall(r"[A-Za-z]+", f"{email} {org}")}
"""Latin words of the test users' e-mails and organisation names (shown in the page header)."""


@contextlib.contextmanager
def served(wsgi_app, name: str = "live-server"):
    """``wsgi_app`` served on a free loopback port in a thread while the block runs: its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def stop_process(process) -> None:
    """End a server or worker a test started (``subprocess.Popen``): SIGTERM, then SIGKILL after 30 s."""
    import signal
    import subprocess

    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class StepForm(HTMLParser):
    """The step form's fields as a browser would send them (text, textareas, checked boxes, hidden)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "step-form":
            self._in_form = True
        if not self._in_form or "name" not in a:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in a:
                return
            if kind in ("submit", "button"):
                return
            self.data.setdefault(a["name"], []).append(a.get("value") or "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.data.setdefault(a["name"], []).append("")

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            name = self._textarea
            if name:  # browsers drop the newline right after <textarea>
                value = self.data[name][-1]
                self.data[name][-1] = value[2:] if value.startswith("\r\n") else value.removeprefix("\n")
            self._textarea = None
        if tag == "form":
            self._in_form = False


def form_of(html: str) -> dict[str, list[str]]:
    parser = StepForm()
    parser.feed(html)
    assert "csrf_token" in parser.data and "revision" in parser.data, "no step form on the page"
    return parser.data
