"""Errors of services and the engine carry a code and parameters; pages say them in the interface
language (every message on a Chinese page is Chinese), the command line in English; each status and
rating has one wording."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
import scenario
import sqlalchemy as sa
from click.testing import CliRunner
from test_security import change_password
from webhelpers import ACCOUNTS, PASSWORD, csrf_token, login

from app.cli import main
from app.extensions import db
from app.i18n import describe
from app.messages import MESSAGES
from app.models import (
    AUDIT_STATUSES,
    DECISIONS,
    ORG_KINDS,
    PRODUCT_CATEGORIES,
    RATINGS,
    REVIEW_TARGETS,
    ROLES,
    Audit,
)
from app.problems import Problem
from app.reports.texts import STATUS_LABELS
from app.review.report import DECISION_LABELS, RATING_LABELS
from app.rules.questionnaire import AnswerError

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = ROOT / "app"
PO = APP_DIR / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH_RUN = re.compile(r"[A-Za-z]+(?:[ ,'’]+[A-Za-z]+){2,}")
"""Three or more Latin words in a row: an English sentence (a report id or one product name is not)."""
CODE = re.compile(r"[a-z]+\.[a-z0-9_]+")
NAMESPACES = {code.split(".")[0] for code in MESSAGES}
TODAY = dt.date.today()


def _catalogue() -> dict[str, tuple[str, bool]]:
    from babel.messages.pofile import read_po

    with PO.open("rb") as f:
        return {m.id: (m.string, m.fuzzy) for m in read_po(f, locale="zh") if m.id}


def _problem_classes() -> dict[str, type[Problem]]:
    import app.accounts.passwords  # noqa: F401  (every module that defines a Problem is imported)
    import app.audits.services  # noqa: F401
    import app.evidence.services  # noqa: F401
    import app.registry.services  # noqa: F401
    import app.review.services  # noqa: F401
    import app.verify.services  # noqa: F401

    found, todo = {}, [Problem]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo += cls.__subclasses__()
    return found


def _callee(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _sources() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in APP_DIR.rglob("*.py")
            if path.name != "messages.py"}


def english_in(texts: list[str]) -> list[str]:
    """Runs of three or more Latin words in ``texts`` (HTML tags and entities removed)."""
    out = []
    for text in texts:
        text = re.sub(r"<[^>]+>|&[#\w]+;", " ", text)
        out += ENGLISH_RUN.findall(text)
    return out


def error_area(html: str) -> list[str]:
    """Texts of the flashes, field errors, the comparison's error and the notices and to-do lists."""
    patterns = (r'<p class="flash[^"]*"[^>]*>(.*?)</p>', r'<p class="field-error"[^>]*>(.*?)</p>',
                r'<p class="lead">(.*?)</p>', r'<div class="notice notice--warning">(.*?)</div>',
                r'<ul class="todo">(.*?)</ul>')
    return [m for p in patterns for m in re.findall(p, html, re.S)]


# -- (a) the catalogue -----------------------------------------------------------------------------

def test_every_code_has_a_chinese_translation_that_is_not_the_english():
    catalogue = _catalogue()
    for code, msgid in MESSAGES.items():
        assert msgid in catalogue, f"{code}: run make messages (docs/web-and-report.md)"
        string, fuzzy = catalogue[msgid]
        assert string.strip() and not fuzzy, code
        assert string != msgid and english_in([re.sub(r"%\(\w+\)s", "", string)]) == [], code
        assert re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", string), code  # Chinese, or its punctuation


def test_every_code_raised_in_app_is_in_the_catalogue_and_every_message_is_raised(app):
    classes = _problem_classes()
    endpoints = set(app.view_functions)  # "review.queue" is a page, not a problem code
    literals: set[str] = set()
    prose: list[str] = []
    for path, tree in _sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.fullmatch(node.value) \
                    and node.value.split(".")[0] in NAMESPACES and node.value not in endpoints:
                literals.add(node.value)
            if isinstance(node, ast.Call) and _callee(node) in classes and _callee(node) != "Problem":
                for arg in node.args:
                    texts = [n for n in ast.walk(arg) if isinstance(n, ast.JoinedStr)
                             or isinstance(n, ast.Constant) and isinstance(n.value, str) and " " in n.value]
                    if texts:
                        prose.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert prose == [], "raise a code from app/messages.py, not a sentence"
    assert literals - set(MESSAGES) == set(), "codes raised but missing from app/messages.py"
    assert set(MESSAGES) - literals == set(), "messages no code raises any more"


def test_every_problem_class_is_a_problem_and_keeps_its_old_base():
    classes = _problem_classes()
    for name in ("ReviewError", "RegistryError", "CompareError", "AccountError", "WrongPasswordError",
                 "SamePasswordError", "PasswordPolicyError", "AnswerError", "VerifyError"):
        assert issubclass(classes[name], ValueError), name  # callers that catch ValueError still do
    assert "NotReady" in classes


# -- every message, rendered in both languages -------------------------------------------------------

SAMPLES = {
    "length": 5001, "limit": 5000, "min": 2, "max": 10, "count": 1, "number": 1, "missing": 3, "conflicts": 1,
    "oldest": 8, "youngest": 12, "first": "2000-01-01", "last": "2100-12-31", "due_date": "2026-01-01",
    "report_id": "EA-ABCDEFGHIJ", "name": "Test School", "email": "head@school.test", "environment": "production",
    "value": "castle", "values": ["castle"], "type": "text", "target_id": "context", "request": "signed DPA",
    "status": "submitted", "decision": "changes_requested", "decisions": list(DECISIONS),
    "rating": "must_be_corrected", "ratings": list(RATINGS), "target_kind": "section",
    "target_kinds": list(REVIEW_TARGETS), "role": "reviewer", "roles": list(ROLES), "org_kind": "regulator",
    "org_kinds": list(ORG_KINDS), "found_org_kind": "school", "category": "face_gate",
    "categories": list(PRODUCT_CATEGORIES), "option": "none", "choices": ["classroom_cameras", "none"],
    "problem": Problem("review.comment_missing"), "verdict": "critical", "action_id": 7,
    "expired": "2026-12-05 22:00 UTC", "file_name": "contract.pdf", "size": "12,582,912", "limit_mib": "10",
    "detected": ".exe", "extension": ".pdf", "question": "legal_basis",
    # the JSON API, tokens and portable audits
    "scope": "admin", "scopes": ["read", "write"], "days": 7, "detail": "42", "revision": 3,
    "questions": ["pupil_min_age"], "regulator_id": 5, "kind": "time", "method": "DELETE",
    "format": "x-y", "version": 3, "expected": "eduaudit-portable-audit", "expected_versions": [1, 2],
    "sha256": "ab" * 32, "recorded": "image/png", "found": "application/pdf",
    "path": "content/audit/status", "error": "line 1 column 2", "actual": "0123abcd", "actor": "head@school.test",
    "at": "2026-12-02T10:00:00+00:00", "field": "json.answers.product_description", "bytes": "%ED%A0%80",
}
"""A value for each parameter name the catalogue uses (ids where the parameter is a word)."""


def _problems() -> list[Problem]:
    out = []
    for code, msgid in MESSAGES.items():
        params = {name: SAMPLES[name] for name in re.findall(r"%\((\w+)\)s", msgid)}
        out.append(AnswerError("sensors", code, **params) if code.startswith("answer.") else Problem(code, **params))
    return out


@pytest.mark.parametrize("problem", _problems(), ids=lambda p: p.code)
def test_each_message_is_a_chinese_sentence_on_a_chinese_page(app, problem):
    with app.test_request_context("/", headers=ZH):
        text = describe(problem)
    assert text.endswith("。") and re.search(r"[\u4e00-\u9fff]", text), text
    assert english_in([text]) == [], text
    assert "%(" not in text, text


@pytest.mark.parametrize("problem", _problems(), ids=lambda p: p.code)
def test_each_message_is_an_english_sentence_on_an_english_page(app, problem):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        text = describe(problem)
    assert text[:1] == text[:1].upper() and text.endswith(".") and not text.endswith(".."), text
    assert "%(" not in text and not re.search(r"[\u4e00-\u9fff]", text), text
    assert str(problem) and "%(" not in str(problem)


def test_words_in_messages_come_from_their_one_home(app):
    with app.test_request_context("/", headers=ZH):
        assert describe(Problem("registry.not_approved", report_id="EA-X", status="submitted")) == \
            "评估 EA-X 的状态为“已提交，等待审核”：只有已批准的评估才能公开。"
        assert "第 1 次提交已作出决定（要求修改）。" == describe(
            Problem("review.already_decided", number=1, decision="changes_requested"))
        assert describe(Problem("review.unknown_rating", rating="great", ratings=RATINGS)) == \
            "未知的评级“great”；应为以下之一：可接受；需要改进；必须纠正。"  # the wrong id itself stays as typed
        nested = Problem("review.item", target_kind="section", target_id="context",
                         problem=Problem("review.owner_missing"))
        assert describe(nested) == "部分 context：请写明行动的负责人（此评级必填）。"
        assert "学校管理员" in describe(Problem("account.role_needs_org", role="school_admin", org_kind="school"))
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert describe(Problem("review.already_decided", number=1, decision="changes_requested")) == \
            "Submission 1 was already decided (Changes requested)."
        # the English for logs and the command line keeps the ids a command-line user types
        assert str(Problem("review.already_decided", number=1, decision="changes_requested")) == \
            "submission 1 was already decided (changes_requested)"


def test_answer_options_are_named_by_their_labels_on_pages_and_by_their_ids_on_the_command_line(app, ruleset):
    qn = ruleset.questionnaire
    question = next(q for q in qn.questions.values() if q.type == "single")
    with pytest.raises(AnswerError) as caught:
        qn.coerce(question, "castle")
    assert str(caught.value) == (f"{question.id}: 'castle' is not one of the choices "
                                 f"({', '.join(o.id for o in question.options)})")
    with app.test_request_context("/", headers=ZH):
        text = describe(caught.value)
    assert all(o.label["zh"] in text for o in question.options) and "castle" not in text


# -- one wording per status, decision and rating -----------------------------------------------------

def test_each_status_decision_and_rating_has_one_wording(app):
    assert tuple(STATUS_LABELS) == AUDIT_STATUSES
    assert tuple(RATING_LABELS) == RATINGS
    for decision in DECISIONS:  # a decision is worded as the status it gives the audit
        assert DECISION_LABELS[decision] is STATUS_LABELS[decision]
    from app.labels import STATUS_NAMES
    from app.review.forms import rating_choices

    for lang, headers in (("en", {"Accept-Language": "en"}), ("zh", ZH)):
        with app.test_request_context("/", headers=headers):
            assert {s: STATUS_NAMES[s]() for s in AUDIT_STATUSES} == {s: w[lang] for s, w in STATUS_LABELS.items()}
            assert [c.label for c in rating_choices(lang)][1:] == [RATING_LABELS[r][lang] for r in RATINGS]


def test_the_check_constraints_are_built_from_the_id_tuples(app):
    from app.models import Audit as AuditModel
    from app.models import Rating

    checks = {str(c.sqltext) for table in (AuditModel.__table__, Rating.__table__)
              for c in table.constraints if isinstance(c, sa.CheckConstraint)}
    # the same SQL as the migrations wrote (no migration needed)
    assert "status IN ('draft', 'submitted', 'changes_requested', 'approved', 'rejected')" in checks
    assert "rating IN ('acceptable', 'needs_improvement', 'must_be_corrected')" in checks


# -- (b) every error path through the web, in Chinese -------------------------------------------------

def _zh(test_client):
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH["Accept-Language"]
    return test_client


def _assert_chinese(html: str, *expected: str) -> None:
    for message in expected:
        assert message in html, message
    area = error_area(html)
    assert area, "no flash or error on the page"
    assert english_in(area) == [], english_in(area)


@pytest.fixture
def submitted(app, accounts):
    with app.app_context():
        return scenario.make_audit("submitted")


@pytest.mark.parametrize(("fields", "message"), [
    ({"comment": ""}, "请在意见中说明问题所在（此评级必填）。"),
    ({"action": ""}, "请写明学校须采取的行动（此评级必填）。"),
    ({"owner": ""}, "请写明行动的负责人（此评级必填）。"),
    ({"due": ""}, "请填写行动的截止日期（此评级必填）。"),
    ({"due": (TODAY - dt.timedelta(days=1)).isoformat()},
     f"截止日期 {(TODAY - dt.timedelta(days=1)).isoformat()} 已经过去。"),
])
def test_review_errors_are_chinese(app, submitted, fields, message):
    reviewer = _zh(scenario.signed_in(app, "reviewer"))
    rating = {"rating": "must_be_corrected", "comment": "摄像头拍摄学生", "action": "拆除摄像头", "owner": "校长",
              "due": (TODAY + dt.timedelta(days=30)).isoformat(), **fields}
    response = scenario.web_review(reviewer, submitted, {("section", "context"): rating})
    assert response.status_code == 200
    _assert_chinese(response.text, message, "评级为“需要改进”或“必须纠正”时必填")



@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_due_date_the_form_cannot_read_is_named_and_the_rating_is_not_saved(app, submitted, lang):
    # A browser without a date picker sends the date as typed: the page must say why the rating was
    # not saved, beside the due date, instead of showing the form again without a word.
    reviewer = scenario.signed_in(app, "reviewer")
    if lang == "zh":
        _zh(reviewer)
    else:
        reviewer.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = scenario.web_review(reviewer, submitted, {("section", "context"): {
        "rating": "must_be_corrected", "comment": "c", "action": "a", "owner": "o", "due": "31/12/2026"}})
    assert response.status_code == 200
    if lang == "zh":
        _assert_chinese(response.text, "已保存 0 项评级；1 项需要补充信息，未保存", "不是有效的日期值。")
    else:
        area = " ".join(error_area(response.text))
        assert "0 rating(s) saved; 1 need more detail and were not saved" in area
        assert "Not a valid date value." in area
    with app.app_context():
        assert scenario.latest_submission(submitted).ratings == []


def test_queue_filter_errors_are_chinese(app, accounts):
    reviewer = _zh(scenario.signed_in(app, "reviewer"))
    reviewer.get("/review")  # shows (and so clears) the English "Signed in" flash from the sign-in
    response = reviewer.get("/review?verdict=zzz&submitted_from=2020-13-01")
    assert response.status_code == 200
    _assert_chinese(response.text, "不是有效的选择。", "不是有效的日期值。")

def test_decision_errors_are_chinese(app, submitted):
    reviewer = _zh(scenario.signed_in(app, "reviewer"))
    response = scenario.web_decide(reviewer, submitted, "changes_requested")
    _assert_chinese(response.text,
                    "请说明需要修改什么：填写意见，或至少对一项发现或一个部分作出评级。")
    scenario.web_review(reviewer, submitted, {("section", "context"): {
        "rating": "must_be_corrected", "comment": "缺少评估", "action": "补充评估", "owner": "校长",
        "due": (TODAY + dt.timedelta(days=30)).isoformat()}})
    response = scenario.web_decide(reviewer, submitted, "approved")
    _assert_chinese(response.text, "有 1 项被评为“必须纠正”：请要求修改，或先更改这些评级再批准。")
    scenario.web_review(reviewer, submitted, {("section", "context"): {"rating": "acceptable"}})
    response = scenario.web_decide(reviewer, submitted, "approved")
    _assert_chinese(response.text, "结论为禁止：如要批准，请在说明中写明理由。")


def test_publishing_twice_is_refused_in_chinese(app, accounts, client):
    with app.app_context():
        report_id = scenario.make_audit("approved")
    _zh(client)
    for _attempt in range(2):
        token = csrf_token(client.get("/account/password").text)
        response = client.post(f"/audits/{report_id}/publish", data={"csrf_token": token})
    _assert_chinese(client.get(response.location).text, f"评估 {report_id} 已经公开。")


@pytest.mark.parametrize(("query", "message"), [
    ("p=1", "请选择 2 到 10 个产品进行比较；此链接包含 1 个。"),
    ("p=1&p=abc", "“abc”不是产品编号。"),
])
def test_comparison_errors_are_chinese(anon_client, query, message):
    response = _zh(anon_client).get(f"/compare?{query}")
    assert response.status_code == 400
    _assert_chinese(response.text, message)


def test_answer_errors_are_chinese_on_steps_and_results(app, client, ruleset):
    from test_web import post_step, start

    report_id, location = start(_zh(client))
    context_url = post_step(client, location, {}).location
    response = post_step(client, context_url, {"pupil_min_age": "12", "pupil_max_age": "8"})
    _assert_chinese(response.text, "最大学生年龄（8）小于最小学生年龄（12）。")
    with app.app_context():
        audit = db.session.scalar(sa.select(Audit).where(Audit.report_id == report_id))
        # contradicting ages, an option the questionnaire no longer offers, a question it no longer asks
        audit.answers = {**audit.answers, "pupil_min_age": 12, "pupil_max_age": 8, "school_type": "castle",
                         "shoe_size": 42}
        db.session.commit()
    school_type = ruleset.questionnaire.questions["school_type"]
    step = client.get(location).text
    _assert_chinese(step, "现行问卷已不再包含此问题。", "所保存的选项已不在现有选项之中（现有选项：",
                    school_type.options[0].label["zh"])
    _assert_chinese(client.get(f"/audits/{report_id}/results").text, "最大学生年龄（8）小于最小学生年龄（12）。")


def test_password_errors_are_chinese(app, accounts):
    here = _zh(app.test_client())
    login(here, ACCOUNTS["school"][0])
    _assert_chinese(change_password(here, "not my password at all", "a much longer new passphrase").text,
                    "当前密码不正确。")
    _assert_chinese(change_password(here, PASSWORD, PASSWORD).text, "新密码必须与当前密码不同。")


# -- (c) the command line stays English ---------------------------------------------------------------

def test_the_command_line_prints_english_whatever_the_locale(app, tmp_path, monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.setenv("LANGUAGE", "zh_CN")
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    answers = tmp_path / "answers.yaml"
    answers.write_text("jurisdiction: CN\nsensors: [none, webcams]\npupil_min_age: 12\npupil_max_age: 8\n",
                       encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", str(answers)])
    assert result.exit_code == 2
    assert "sensors: 'none' cannot be combined with other choices" in result.output
    assert "pupil_max_age: the oldest pupils' age (8) is below the youngest (12)" in result.output
    assert "vendor_name: is required but not answered" not in result.output  # checked once the values are right
    result = CliRunner().invoke(main, ["orgs", "create", "--name", "x" * 201, "--kind", "school"])
    assert result.exit_code == 2
    assert result.output == "error: the organisation name has 201 characters; at most 200 are allowed\n"


def test_the_engine_and_the_problems_import_no_flask():
    modules = [APP_DIR / "problems.py", APP_DIR / "messages.py", *sorted((APP_DIR / "rules").glob("*.py"))]
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not [m for m in imported if m.split(".")[0] in ("flask", "flask_babel")], path.name
