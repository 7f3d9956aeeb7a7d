"""The database of one side of `bench/bench_web.py` (and `bench/bench_pages.py`), made by that side's
own code: run in a process of its own with the side's tree first on the path (PYTHONPATH=TREE, working
directory TREE), so the migrations, models and services are the tree's, and a revision whose schema
differs from this one's gets a database it can read.

    python bench/web_prepare.py DATABASE FACTS_JSON      (with PYTHONPATH=TREE, cwd TREE)

Creates a migrated SQLite database with a school, its administrator (EMAIL, PASSWORD), the realistic EU
classroom audit of the tests (finished), 40 products with 400 published audits, and writes to FACTS_JSON
what the pages need: the report id, the first step and its form fields, two product ids. Only public
services of the app that older revisions have too are used (create_app, the migrations, create_org,
create_user, create_audit, save_step); the answers and the registry rows come from this tree's test
helpers (tests/webhelpers.py, tests/registry_helpers.py), which work with the given tree's app package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EMAIL, PASSWORD = "bench-admin@school.example", "bench-password-long-enough"
ROOT = Path(__file__).resolve().parents[1]
HELPERS = ROOT / "tests"


def export(rev: str, folder: Path) -> Path:
    """The tree of git revision ``rev`` of this repository, exported into ``folder`` (made)."""
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def prepare_with(tree: Path, database: Path) -> dict:
    """Runs this file in a fresh process with ``tree``'s app package; returns the facts of its database."""
    facts = database.with_suffix(".json")
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), str(database), str(facts)], cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"preparing the database of {tree} failed:\n{done.stdout}{done.stderr}")
    return json.loads(facts.read_text(encoding="utf-8"))


def finished_audit(app) -> str:
    """A report id whose answers are complete: the realistic EU classroom case of the tests, in a school
    whose administrator signs in with EMAIL and PASSWORD (tests/webhelpers.py on the path)."""
    from webhelpers import REALISTIC, complete

    from app.accounts.services import create_org, create_user
    from app.audits import services
    from app.extensions import db
    from app.models import Audit

    qn = app.extensions["eduaudit.ruleset"].questionnaire
    typed = qn.validate_answers(complete(qn, REALISTIC))
    with app.app_context():
        school = create_org("Bench Primary School", "school")
        create_user(email=EMAIL, name="Bench Admin", password=PASSWORD, role="school_admin", organisation=school)
        audit = services.create_audit(qn, product_name=typed["product_name"], vendor_name=typed["vendor_name"],
                                      organisation=school)
        services.save_step(qn, audit, typed)
        db.session.commit()
        return db.session.get(Audit, audit.id).report_id


def prepare(database: Path) -> dict:
    import flask_migrate

    from app import create_app
    from app.extensions import db

    sys.path.append(str(HELPERS))  # after the tree: its `app` package stays the one imported
    from registry_helpers import school_id, seed_products, seed_publications
    from webhelpers import REALISTIC, complete, form_fields

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "bench"})
    with app.app_context():
        flask_migrate.upgrade()
    report_id = finished_audit(app)
    with app.app_context():
        ids = seed_products(40, per_vendor=4)
        seed_publications(ids, 400, organisation_id=school_id())
        db.session.commit()
        db.engine.dispose()
    qn = app.extensions["eduaudit.ruleset"].questionnaire
    section = qn.sections[0].id
    return {"report_id": report_id, "section": section, "products": ids[:2],
            "step_fields": form_fields(qn, section, complete(qn, REALISTIC))}


def main() -> None:
    database, facts = Path(sys.argv[1]), Path(sys.argv[2])
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        del sys.path[0]  # this folder: nothing of it is wanted in the other tree's process
    import app

    tree = Path.cwd().resolve()
    if not Path(app.__file__).resolve().is_relative_to(tree):
        sys.exit(f"web_prepare: imported {app.__file__}, not the app of {tree} (set PYTHONPATH={tree})")
    facts.write_text(json.dumps(prepare(database)), encoding="utf-8")


if __name__ == "__main__":
    main()
