"""PostgreSQL goes away while a school saves a step (issue 14's fault test).

The fault is real, not a mock: another connection ends the request's own PostgreSQL backend with
``pg_terminate_backend`` after the step's answers were flushed and before the commit, as a database
restart does. The school gets a 503 page in plain words with what it typed still in the form, nothing
of the page is in the database (answers, revision, trail), and the next request works on a new
connection. A restart between two requests (every connection of the pool ended) costs nothing
either: ``pool_pre_ping`` replaces the dead connections.

PostgreSQL only (``TEST_DATABASE_URL``; ``make test-pg`` and ``.ci/run`` set it): SQLite has no
server to lose.
"""

from __future__ import annotations

import time
from html.parser import HTMLParser

import pytest
import scenario
import sqlalchemy as sa
from sqlalchemy.orm import Session
from webhelpers import form_of

from app.extensions import db

URL = "/audits/{}/steps/product"
TYPED = "Typed just before the database restarted: cameras in the entrance hall only."


@pytest.fixture
def postgres(app):
    """A connection of its own to the test database, outside the app's pool, to end the app's."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("postgresql"):
        pytest.skip("needs a PostgreSQL TEST_DATABASE_URL (SQLite has no server to restart)")
    engine = sa.create_engine(uri, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _terminate(admin: sa.Engine, pids: list[int]) -> None:
    """End the PostgreSQL backends ``pids`` and wait until they are gone (the signal is asynchronous)."""
    with admin.connect() as connection:
        for pid in pids:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 10
        while connection.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                                {"pids": pids}):
            assert time.monotonic() < deadline, "the backends did not end"
            time.sleep(0.05)


@pytest.fixture
def restart_before_commit(postgres):
    """A one-shot fault, armed by calling the fixture's value: the next commit of any session after that
    finds its PostgreSQL backend ended. The list of ended backends' ids is the call's value."""
    armed: list[bool] = []
    fired: list[int] = []

    def end_own_backend(session):
        if not armed or fired:
            return
        session.flush()  # what the view wrote is in the transaction, not yet committed
        pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        fired.append(pid)
        _terminate(postgres, [pid])

    def arm() -> list[int]:
        armed.append(True)
        return fired

    sa.event.listen(Session, "before_commit", end_own_backend)
    yield arm
    sa.event.remove(Session, "before_commit", end_own_backend)


def _stored(app, report_id):
    with app.app_context():
        audit = scenario.audit(report_id)
        return dict(audit.answers), audit.revision, scenario.counts(), scenario.kinds(report_id)


def _send(client, url, form, **changes):
    data = {k: list(v) for k, v in form.items()}
    data.update({k: [v] for k, v in changes.items()})
    data["action"] = ["continue"]
    return client.post(url, data=data)


def test_a_step_saved_while_postgresql_restarts_gets_a_503_keeps_the_input_and_writes_nothing(
        app, client, restart_before_commit):
    with app.app_context():
        report_id = scenario.make_audit("complete")
    url = URL.format(report_id)
    form = form_of(client.get(url).text)
    before = _stored(app, report_id)
    ended = restart_before_commit()

    response = _send(client, url, form, product_description=TYPED, vendor_name="Renamed Vendor Ltd")

    assert ended, "the fault did not fire: the save never reached a commit"
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Traceback" not in response.text and "OperationalError" not in response.text
    assert "The database could not be reached" in response.text
    assert "Nothing on this page was saved" in response.text
    assert "your earlier answers were kept" in response.text
    shown = form_of(response.text)  # the step again, with what the school typed
    assert shown["product_description"] == [TYPED]
    assert shown["vendor_name"] == ["Renamed Vendor Ltd"]
    assert shown["revision"] == form["revision"]  # saving again is not mistaken for a conflict
    assert _stored(app, report_id) == before  # nothing half-written: answers, revision, trail

    again = _send(client, url, shown)  # the next request works, on a new connection
    assert again.status_code == 302, again.text
    answers, revision, _counts, kinds = _stored(app, report_id)
    assert answers["product_description"] == TYPED and answers["vendor_name"] == "Renamed Vendor Ltd"
    assert revision > before[1] and kinds[-1] == "answers_saved"


def test_the_first_request_after_a_restart_between_requests_works(app, client, postgres):
    with app.app_context():
        report_id = scenario.make_audit("complete")
    url = URL.format(report_id)
    form = form_of(client.get(url).text)
    with postgres.connect() as connection:
        pids = connection.scalars(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).all()
    assert pids, "the app holds no pooled connection to end"
    _terminate(postgres, list(pids))  # every pooled connection is now dead, as after a restart

    response = _send(client, url, form, product_description=TYPED)

    assert response.status_code == 302, response.text
    with app.app_context():
        assert scenario.audit(report_id).answers["product_description"] == TYPED
        db.session.remove()


@pytest.fixture
def database_refusing(app, postgres):
    """Calling the value makes the test database refuse every connection and ends the open ones, as
    while PostgreSQL restarts; it takes connections again after the test (or when called with False)."""
    name = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    server = sa.create_engine(sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(database="postgres"),
                              poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")

    def refuse(down: bool = True) -> None:
        with server.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if down else "true"}'))
            if down:
                pids = connection.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                                          {"name": name}).all()
        if down and pids:
            _terminate(server, list(pids))

    try:
        yield refuse
    finally:
        refuse(False)
        server.dispose()


def test_while_the_database_is_down_a_step_post_gets_a_503_page_that_can_send_it_again(
        app, client, database_refusing):
    with app.app_context():
        report_id = scenario.make_audit("complete")
        db.session.remove()
    url = URL.format(report_id)
    form = form_of(client.get(url).text)
    before = _stored(app, report_id)
    with app.app_context():
        db.engine.dispose()
    database_refusing()

    response = _send(client, url, form, product_description=TYPED)
    page = client.get(f"/audits/{report_id}")

    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "The database could not be reached" in response.text and "Traceback" not in response.text
    assert "Nothing from this page was saved, and everything saved before was kept" in response.text
    assert page.status_code == 503 and "The database could not be reached" in page.text
    kept = _ResendForm()
    kept.feed(response.text)
    assert kept.action.endswith(url) and ("product_description", TYPED) in kept.fields
    database_refusing(False)
    assert _stored(app, report_id) == before  # nothing half-written

    again = client.post(url, data=_multi(kept.fields))  # the "Send again" button, once the database is back
    assert again.status_code == 302, again.text
    with app.app_context():
        assert scenario.audit(report_id).answers["product_description"] == TYPED
        db.session.remove()


def test_the_api_answers_a_database_outage_with_a_503_problem(app, client, database_refusing):
    with app.app_context():
        db.engine.dispose()
    database_refusing()
    response = client.get("/api/v1/audits")
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert response.json["code"] == "api.database_unavailable" and response.headers["Retry-After"]


class _ResendForm(HTMLParser):
    """The error page's "Send again" form: its action and hidden fields in order."""

    def __init__(self):
        super().__init__()
        self.action, self.fields, self._inside = "", [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post" and "/steps/" in (a.get("action") or ""):
            self.action, self._inside = a["action"], True
        elif tag == "input" and self._inside and a.get("type") == "hidden":
            self.fields.append((a["name"], a.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def _multi(pairs):
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data
