"""`eduaudit evaluate` over several files or a folder: NDJSON or CSV, every core, a bad file named
on its own line without stopping the others."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from app.cli import main

CASES = Path(__file__).parent / "cases"
GOOD = ("hangzhou-no11-classroom.yaml", "skelleftea-attendance.yaml", "classdojo-behaviour-points.yaml")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def folder(tmp_path: Path) -> Path:
    root = tmp_path / "answers"
    (root / "more").mkdir(parents=True)
    for name in GOOD[:2]:
        shutil.copy(CASES / name, root / name)
    shutil.copy(CASES / GOOD[2], root / "more" / GOOD[2])
    (root / "broken.yaml").write_text("product_name: [\n", encoding="utf-8")
    (root / "notes.txt").write_text("not an answers file", encoding="utf-8")
    return root


def test_a_folder_gives_one_json_result_per_line_in_order_and_names_the_bad_file(tmp_path):
    root = folder(tmp_path)
    result = run("evaluate", root, "--jobs", "2")
    assert result.exit_code == 2
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(line["file"]).name for line in lines] == ["broken.yaml", GOOD[0], GOOD[2], GOOD[1]]
    broken = lines[0]
    assert set(broken) == {"file", "error"} and "line 2" in broken["error"]
    for line, name in zip(lines[1:], (GOOD[0], GOOD[2], GOOD[1]), strict=True):
        single = json.loads(run("evaluate", CASES / name, "--format", "json").stdout)
        assert line == {"file": str(root / ("more/" if name == GOOD[2] else "") / name), **single}
    assert "1 of 4 file(s) could not be evaluated" in result.stderr


def test_the_csv_summary_and_one_process_agree_with_several(tmp_path):
    root = folder(tmp_path)
    parallel = run("evaluate", root, "--format", "csv", "--jobs", "2")
    serial = run("evaluate", root, "--format", "csv", "--jobs", "1")
    assert parallel.stdout == serial.stdout
    rows = list(csv.DictReader(io.StringIO(parallel.stdout)))
    assert [Path(r["file"]).name for r in rows] == ["broken.yaml", GOOD[0], GOOD[2], GOOD[1]]
    assert rows[0]["verdict"] == "" and rows[0]["error"]
    hangzhou = rows[1]
    contract = json.loads(run("evaluate", CASES / GOOD[0], "--format", "json").stdout)
    assert hangzhou["verdict"] == contract["verdict"] and int(hangzhou["findings"]) == len(contract["findings"])
    assert sum(int(hangzhou[level]) for level in ("critical", "high", "medium", "low")) == len(contract["findings"])
    assert hangzhou["error"] == ""


def test_several_files_all_fine_exit_0_and_pdf_or_text_are_refused(tmp_path):
    files = [CASES / name for name in GOOD[:2]]
    ok = run("evaluate", *files, "--format", "ndjson")
    assert ok.exit_code == 0 and len(ok.stdout.splitlines()) == 2
    assert run("evaluate", *files, "--pdf", tmp_path / "x.pdf").exit_code == 2
    refused = run("evaluate", *files, "--format", "text")
    assert refused.exit_code == 2 and "ndjson or csv" in refused.stderr
    missing = run("evaluate", CASES / GOOD[0], tmp_path / "gone.yaml")
    assert missing.exit_code == 2 and "gone.yaml" in missing.stdout.splitlines()[1]
