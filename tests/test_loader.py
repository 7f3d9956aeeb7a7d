"""A bad rule file stops loading with a message naming the file, the rule, the line and the problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.rules.loader import RuleLoadError, load_ruleset
from tests.rulesdir import make_rules_dir, rule_text

ROOT = Path(__file__).resolve().parents[1]


def _problems(tmp_path, files):
    return _problems_of(make_rules_dir(tmp_path, files))


def _problems_of(root):
    with pytest.raises(RuleLoadError) as info:
        load_ruleset(root)
    return info.value.problems


def test_minimal_rule_set_loads_and_is_hashed(tmp_path):
    rs = load_ruleset(make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()}))
    assert {r.id for r in rs.rules} == {"test-rule", "classroom-emotion-attention-recognition",
                                        "eu-emotion-recognition-education-ban"}
    assert len(rs.sha256) == 64


def test_hash_changes_with_content(tmp_path):
    a = load_ruleset(make_rules_dir(tmp_path / "a", {"core/test-rule.yaml": rule_text()}))
    b = load_ruleset(make_rules_dir(tmp_path / "b", {"core/test-rule.yaml": rule_text(source="gdpr")}))
    assert a.sha256 != b.sha256


def test_duplicate_yaml_key_is_rejected_with_line(tmp_path):
    text = rule_text().replace("version: 1\n", "version: 1\nversion: 2\n")
    [p] = _problems(tmp_path, {"core/test-rule.yaml": text})
    assert p.file.endswith("core/test-rule.yaml") and "duplicate key" in p.message and p.line == 3


def test_id_must_equal_file_name(tmp_path):
    [p] = _problems(tmp_path, {"core/other-name.yaml": rule_text()})
    assert p.rule == "test-rule" and "must equal the file name 'other-name'" in p.message and p.line == 1


def test_unknown_question_names_rule_and_line(tmp_path):
    [p] = _problems(tmp_path, {"core/test-rule.yaml": rule_text(when="{q: shoe_size, eq: 3}")})
    assert p.rule == "test-rule" and "unknown question 'shoe_size'" in p.message and p.line == 11


def test_unknown_option(tmp_path):
    [p] = _problems(tmp_path, {"core/test-rule.yaml": rule_text(when="{q: data_categories, includes: dna}")})
    assert "has no option 'dna'" in p.message


def test_unknown_operator_is_a_load_error(tmp_path):
    [p] = _problems(tmp_path, {"core/test-rule.yaml": rule_text(when="{q: pupil_min_age, about: 12}")})
    assert p.rule == "test-rule" and p.line == 11


def test_operator_must_fit_question_type(tmp_path):
    [p] = _problems(tmp_path, {"core/test-rule.yaml": rule_text(when="{q: data_categories, lt: 3}")})
    assert "operator 'lt' does not apply" in p.message


def test_unknown_source(tmp_path):
    [p] = _problems(tmp_path, {"core/test-rule.yaml": rule_text(source="hearsay")})
    assert "unknown source 'hearsay'" in p.message and p.line == 13


def test_closed_category_vocabulary(tmp_path):
    [p] = _problems(tmp_path, {"core/test-rule.yaml": rule_text(category="vibes")})
    assert p.message.startswith("category:") and p.line == 6


def test_duplicate_rule_ids_across_packs(tmp_path):
    problems = _problems(tmp_path, {"core/test-rule.yaml": rule_text(), "cn/test-rule.yaml": rule_text()})
    assert any("duplicate rule id" in p.message for p in problems)


def test_pack_limits_jurisdictions(tmp_path):
    [p] = _problems(tmp_path, {"cn/test-rule.yaml": rule_text()})
    assert "pack 'cn' cannot apply in EU, UK, US" in p.message


def test_rule_resting_only_on_unverified_sources_is_refused(tmp_path):
    [p] = _problems(tmp_path, {"core/test-rule.yaml": rule_text(source="eu-ai-omnibus")})
    assert "UNVERIFIED" in p.message


def test_yaml_1_2_keeps_no_as_a_string(tmp_path):
    # YAML 1.1 would read the unquoted `no` as false and the rule would silently compare wrongly.
    rs = load_ruleset(make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text(
        when="{q: leaves_country, eq: no}", fire="{leaves_country: no}")}))
    assert rs.rule("test-rule").when({"leaves_country": "no"})


def test_example_answers_are_type_checked(tmp_path):
    [p] = _problems(tmp_path, {"core/test-rule.yaml": rule_text(fire="{data_categories: [dna]}")})
    assert "example answer data_categories" in p.message


def test_missing_translation_is_rejected(tmp_path):
    text = rule_text().replace("title: {en: A test rule, zh: 测试规则}", "title: {en: A test rule}")
    [p] = _problems(tmp_path, {"core/test-rule.yaml": text})
    assert "'zh' is a required property" in p.message


def test_every_problem_is_reported_at_once(tmp_path):
    problems = _problems(tmp_path, {"core/test-rule.yaml": rule_text(source="hearsay"),
                                    "core/second.yaml": rule_text(id="second", when="{q: nope, eq: 1}")})
    assert {p.rule for p in problems} == {"test-rule", "second"}


def test_framework_mapping_names_only_existing_rules_and_questions(tmp_path):
    framework = """\
id: test-framework
title: {en: T, zh: T}
source: pipl
jurisdictions: [CN]
requirements:
  - id: req
    pinpoint: Art. 1
    text: {en: T, zh: T}
    questions: [purposes, shoe_size]
    rules: [classroom-emotion-attention-recognition, no-such-rule]
"""
    problems = _problems(tmp_path, {"frameworks/test-framework.yaml": framework})
    assert sorted(p.message for p in problems) == ["requirement 'req': unknown question 'shoe_size'",
                                                   "requirement 'req': unknown rule 'no-such-rule'"]
    assert {p.line for p in problems} == {9, 10}


def test_repository_frameworks_load(ruleset):
    assert {f.id for f in ruleset.frameworks} >= {"pipl-art-56", "gdpr-art-35-7"}


def test_load_yaml_takes_a_path_or_a_string(tmp_path):
    from app.rules.yamlio import load_yaml

    path = tmp_path / "x.yaml"
    path.write_text("a: no\n", encoding="utf-8")
    assert load_yaml(path) == load_yaml(str(path)) == {"a": "no"}


def _with_reference(reference: str) -> str:
    return rule_text().replace('  - {source: pipl, pinpoint: "Art. 28"}', f"  - {reference}")


def test_pinpoint_and_note_take_a_plain_string_or_english_and_chinese(tmp_path):
    text = _with_reference('{source: pipl, pinpoint: {en: "Art. 28", zh: "第二十八条"}, '
                           'note: {en: "article number unverified", zh: "条文序号未核实"}}\n'
                           '  - {source: coppa, pinpoint: "16 CFR §312.5"}')
    effective = "effective: {from: 2021-11-01, note: {en: PIPL in force., zh: 个人信息保护法施行。}}"
    text = text.replace("when:", f"{effective}\nwhen:")
    rs = load_ruleset(make_rules_dir(tmp_path, {"core/test-rule.yaml": text}))
    rule = rs.rule("test-rule")
    translated, plain = rule.references
    # the English text stays the plain string everything else stores and compares
    assert (translated.pinpoint, translated.pinpoint_zh, translated.note) == ("Art. 28", "第二十八条",
                                                                              "article number unverified")
    assert (translated.pinpoint_in("en"), translated.pinpoint_in("zh")) == ("Art. 28", "第二十八条")
    assert (translated.note_in("en"), translated.note_in("zh")) == ("article number unverified", "条文序号未核实")
    # a plain string reads the same in both languages
    assert (plain.pinpoint, plain.pinpoint_zh, plain.pinpoint_in("zh")) == ("16 CFR §312.5", None, "16 CFR §312.5")
    assert plain.note_in("zh") is None
    assert (rule.effective_note_in("en"), rule.effective_note_in("zh")) == ("PIPL in force.", "个人信息保护法施行。")


@pytest.mark.parametrize(("reference", "where", "problem"), [
    ('{source: pipl, pinpoint: {en: "Art. 28"}}', "references/0/pinpoint:", "'zh' is a required property"),
    ('{source: pipl, pinpoint: {en: "Art. 28", zh: ""}}', "references/0/pinpoint/zh:", "''"),
    ('{source: pipl, pinpoint: {en: "", zh: "第二十八条"}}', "references/0/pinpoint/en:", "''"),
    ('{source: pipl, pinpoint: ""}', "references/0/pinpoint:", "''"),
    ('{source: pipl, pinpoint: "Art. 28", note: {en: unverified}}', "references/0/note:",
     "'zh' is a required property"),
])
def test_pinpoint_or_note_without_both_languages_is_rejected(tmp_path, reference, where, problem):
    [p] = _problems(tmp_path, {"core/test-rule.yaml": _with_reference(reference)})
    assert p.file.endswith("core/test-rule.yaml") and p.rule == "test-rule" and p.line == 13
    assert p.message.startswith(where) and problem in p.message


def test_source_note_without_chinese_is_rejected_naming_sources_yaml(tmp_path):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()})
    sources = root / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    old = 'note: {en: "Read in the LawRefBook/Laws transcription, not an official gazette.", zh: '
    assert old in text
    start = text.index(old)
    end = text.index("\n", start)
    sources.write_text(text[:start] + 'note: {en: "Read in a transcription."}' + text[end:], encoding="utf-8")
    with pytest.raises(RuleLoadError) as info:
        load_ruleset(root)
    [p] = info.value.problems
    assert p.file.endswith("sources.yaml") and p.line is not None
    assert p.message == "sources/pipl/note: 'zh' is a required property"


def _with_measure(source: str) -> str:
    measure = ("mitigations:\n  - id: on-device\n"
               "    label: {en: Templates stay on the device, zh: 模板仅保存在设备中}\n"
               "    when: {q: face_storage, eq: on_device}\n    lowers: {severity: 1}\n"
               f"    references:\n      - {{source: {source}, pinpoint: {{en: Art. 32, zh: 第32条}}}}\n")
    return rule_text(mitigations=measure)


def test_a_measure_cites_where_the_law_names_it_and_the_trace_carries_it(tmp_path):
    rs = load_ruleset(make_rules_dir(tmp_path, {"core/test-rule.yaml": _with_measure("gdpr")}))
    [measure] = rs.rule("test-rule").mitigations
    assert [r.source for r in measure.references] == ["gdpr"]


def test_a_measure_citing_an_unknown_source_is_refused_naming_it(tmp_path):
    [p] = _problems(tmp_path, {"core/test-rule.yaml": _with_measure("hearsay")})
    assert p.rule == "test-rule" and "unknown source 'hearsay'" in p.message


# -- a file already read as valid is not parsed and validated again ----------------------------------

@pytest.fixture
def parses(monkeypatch):
    """The files the loader parses (by name), counted through ``loads_yaml``."""
    from app.rules import loader

    seen: list[str] = []
    real = loader.loads_yaml

    def counting(text, path="<string>"):
        seen.append(path.name)
        return real(text, path)

    monkeypatch.setattr(loader, "loads_yaml", counting)
    return seen


def test_the_same_bytes_are_parsed_once_and_give_the_same_rule_set(tmp_path, parses):
    first = load_ruleset(make_rules_dir(tmp_path / "a", {"core/cache-once.yaml": rule_text(id="cache-once")}))
    assert "cache-once.yaml" in parses
    parses.clear()
    second = load_ruleset(make_rules_dir(tmp_path / "b", {"core/cache-once.yaml": rule_text(id="cache-once")}))
    assert parses == []  # another folder, the same bytes: nothing parsed again
    assert second is not first and second.root != first.root
    assert (second.sha256, [r.id for r in second.rules], second.sources) == (
        first.sha256, [r.id for r in first.rules], first.sources)
    assert second.rule("cache-once").title == first.rule("cache-once").title


def test_a_changed_file_is_read_again(tmp_path, parses):
    root = make_rules_dir(tmp_path, {"core/cache-change.yaml": rule_text(id="cache-change")})
    assert load_ruleset(root).rule("cache-change").title["en"] == "A test rule"
    parses.clear()
    path = root / "core" / "cache-change.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("A test rule", "A changed rule"), encoding="utf-8")
    assert load_ruleset(root).rule("cache-change").title["en"] == "A changed rule"
    assert parses == ["cache-change.yaml"]


def test_a_file_with_problems_is_checked_and_reported_on_every_load(tmp_path, parses):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text(category="vibes")})
    for _ in range(2):
        parses.clear()
        with pytest.raises(RuleLoadError) as info:
            load_ruleset(root)
        [p] = info.value.problems
        assert p.message.startswith("category:") and p.line == 6 and p.file.endswith("core/test-rule.yaml")
        assert parses == ["test-rule.yaml"]


def test_a_valid_file_seen_before_still_has_its_cross_file_checks(tmp_path):
    # The rule file itself is valid (and remembered); the source it cites is then removed from sources.yaml.
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text(source="coppa")})
    load_ruleset(root)
    sources = root / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    sources.write_text(text.replace("\n  coppa:", "\n  coppa-renamed:", 1), encoding="utf-8")
    problems = _problems_of(root)
    assert any(p.rule == "test-rule" and "unknown source 'coppa'" in p.message and p.line == 13 for p in problems)


def test_each_load_gets_its_own_copy_of_the_data(tmp_path):
    root = make_rules_dir(tmp_path, {"core/cache-copy.yaml": rule_text(id="cache-copy")})
    first = load_ruleset(root)
    first.rule("cache-copy").title["en"] = "changed in memory"
    assert load_ruleset(root).rule("cache-copy").title["en"] == "A test rule"


def test_an_unreadable_file_names_the_problem(tmp_path):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()})
    (root / "core" / "test-rule.yaml").write_bytes(b"id: test-rule\ntitle: \xff\n")
    [p] = _problems_of(root)
    assert p.file.endswith("core/test-rule.yaml") and p.line is None
    assert p.message.startswith("cannot read file: 'utf-8' codec can't decode byte 0xff in position 21")



# -- the disk cache: validated data reused across processes, never trusted blindly ------------------

@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache folder of this test's own (EDUAUDIT_RULES_CACHE_DIR); the in-process cache emptied, so a
    load reads either the disk cache or the YAML files, as a new process would."""
    from app.rules import loader

    folder = tmp_path / "cache"
    monkeypatch.setenv("EDUAUDIT_RULES_CACHE_DIR", str(folder))
    monkeypatch.setattr(loader, "_VALID_FILES", type(loader._VALID_FILES)())
    return folder


def _fresh_process(monkeypatch):
    from app.rules import loader

    monkeypatch.setattr(loader, "_VALID_FILES", type(loader._VALID_FILES)())


def _cache_file(folder):
    [path] = folder.glob("ruleset-*.json")
    return path


def _same(a, b):
    """Two loads give the same rule set: everything but the compiled conditions' identity, which are
    compared through what every rule's examples evaluate to."""
    from app.rules.engine import run_examples

    def plain(rs):
        return (rs.version, rs.sha256, rs.sources, rs.parameters, rs.matrix, rs.screening == rs.screening,
                [(r.id, r.when_raw, r.title, r.references, r.fire_examples, r.silent_examples,
                  [(m.id, m.references) for m in r.mitigations]) for r in rs.rules],
                [(a.id, a.windows, a.references) for a in rs.aggravations], rs.frameworks,
                sorted(rs.questionnaire.questions))

    return plain(a) == plain(b) and list(run_examples(a)) == list(run_examples(b)) == []


def test_a_second_process_reads_the_validated_data_from_the_disk_cache(tmp_path, cache, parses, monkeypatch):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()})
    first = load_ruleset(root)
    assert "test-rule.yaml" in parses and _cache_file(cache).stat().st_size > 0
    _fresh_process(monkeypatch)
    parses.clear()
    second = load_ruleset(root)
    assert parses == []  # no YAML parsed, no schema run
    assert _same(first, second)


def test_the_repository_rule_set_from_the_cache_is_the_rule_set_from_the_files(cache, monkeypatch):
    from_files = load_ruleset(use_cache=False)
    assert not cache.exists()
    load_ruleset()
    _fresh_process(monkeypatch)
    assert _same(load_ruleset(), from_files)


@pytest.mark.parametrize("content", [b"", b"{not json", b"\x80\x81", b"[]", b'{"format": 1}', b"null"])
def test_a_corrupt_cache_file_is_ignored_and_rebuilt(tmp_path, cache, parses, monkeypatch, content):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()})
    first = load_ruleset(root)
    path = _cache_file(cache)
    path.write_bytes(content)
    _fresh_process(monkeypatch)
    parses.clear()
    assert _same(load_ruleset(root), first)
    assert "test-rule.yaml" in parses  # read from the files again
    assert json.loads(path.read_bytes())["files"]  # and the cache rebuilt
    _fresh_process(monkeypatch)
    parses.clear()
    load_ruleset(root)
    assert parses == []


def test_a_foreign_cache_file_is_ignored(tmp_path, cache, parses, monkeypatch):
    # Another key (another rule set or another loader version) under this file's name is not read.
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()})
    load_ruleset(root)
    path = _cache_file(cache)
    data = json.loads(path.read_bytes())
    data["key"] = "0" * 64
    data["files"]["core/test-rule.yaml"]["data"]["title"]["en"] = "Planted title"
    path.write_text(json.dumps(data), encoding="utf-8")
    _fresh_process(monkeypatch)
    assert load_ruleset(root).rule("test-rule").title["en"] == "A test rule"
    assert "test-rule.yaml" in parses


def test_a_cache_entry_is_used_only_for_the_bytes_it_was_made_from(tmp_path, cache, parses, monkeypatch):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()})
    load_ruleset(root)
    path = _cache_file(cache)
    data = json.loads(path.read_bytes())
    entry = data["files"]["core/test-rule.yaml"]
    entry["data"]["title"]["en"] = "Planted title"
    entry["sha256"] = "0" * 64
    path.write_text(json.dumps(data), encoding="utf-8")
    _fresh_process(monkeypatch)
    parses.clear()
    assert load_ruleset(root).rule("test-rule").title["en"] == "A test rule"
    assert parses == ["test-rule.yaml"]


def test_cached_data_that_fails_a_cross_check_sends_the_load_back_to_the_files(tmp_path, cache, monkeypatch):
    # The entry claims the rule reads a question that does not exist: the build from the cache finds it,
    # and the load starts over from the files, which are valid.
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()})
    load_ruleset(root)
    path = _cache_file(cache)
    data = json.loads(path.read_bytes())
    data["files"]["core/test-rule.yaml"]["data"]["when"] = {"q": "no_such_question", "eq": True}
    del data["files"]["sources.yaml"]["data"]["sources"]
    path.write_text(json.dumps(data), encoding="utf-8")
    _fresh_process(monkeypatch)
    rs = load_ruleset(root)
    assert rs.rule("test-rule").when_raw != {"q": "no_such_question", "eq": True} and rs.sources


def test_an_edited_file_is_checked_with_full_strictness_despite_the_cache(tmp_path, cache, monkeypatch):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()})
    load_ruleset(root)
    path = root / "core" / "test-rule.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "id: test-rule\n", encoding="utf-8")
    _fresh_process(monkeypatch)
    [p] = _problems_of(root)
    assert "duplicate key" in p.message and p.line is not None


_IN_A_NEW_PROCESS = """
import json, sys
from app.rules.loader import RuleLoadError, load_ruleset

def parsers():
    return sorted(m for m in ("jsonschema", "ruamel.yaml") if m in sys.modules)

rules = [r.id for r in load_ruleset(sys.argv[1]).rules]
after_cached_load = parsers()
try:
    load_ruleset(sys.argv[2])
    problems = []
except RuleLoadError as exc:
    problems = [str(p) for p in exc.problems]
print(json.dumps({"rules": rules, "after_cached_load": after_cached_load, "problems": problems,
                  "after_miss": parsers()}))
"""


def test_a_load_from_the_disk_cache_imports_neither_the_yaml_parser_nor_the_schema_validator(tmp_path, cache):
    # A new process whose every file is in the disk cache parses no YAML and validates no schema, so it
    # imports neither library (they are most of the loader's import time); the first file not in the
    # cache, here one that breaks its schema, is parsed and validated in full, with its line.
    good = make_rules_dir(tmp_path / "good", {"core/test-rule.yaml": rule_text()})
    bad = make_rules_dir(tmp_path / "bad", {"core/test-rule.yaml": rule_text(category="vibes")})
    load_ruleset(good)  # writes the cache
    assert _cache_file(cache)
    out = subprocess.run([sys.executable, "-c", _IN_A_NEW_PROCESS, str(good), str(bad)], cwd=ROOT,
                         env={**os.environ, "EDUAUDIT_RULES_CACHE_DIR": str(cache)}, capture_output=True,
                         text=True, check=True).stdout
    result = json.loads(out)
    assert "test-rule" in result["rules"]
    assert result["after_cached_load"] == []
    [problem] = result["problems"]
    assert problem.startswith("audit_rules/core/test-rule.yaml:6 [rule test-rule]: category: 'vibes' is not one of")
    assert result["after_miss"] == ["jsonschema", "ruamel.yaml"]


def test_without_the_cache_every_file_is_parsed(tmp_path, cache, parses, monkeypatch):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()})
    load_ruleset(root)
    _fresh_process(monkeypatch)
    parses.clear()
    load_ruleset(root, use_cache=False)
    assert "test-rule.yaml" in parses and "sources.yaml" in parses


def test_the_cache_can_be_switched_off_and_an_unwritable_folder_does_not_stop_a_load(tmp_path, monkeypatch):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()})
    monkeypatch.setenv("EDUAUDIT_RULES_CACHE_DIR", "off")
    load_ruleset(root)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("EDUAUDIT_RULES_CACHE_DIR", str(blocker / "cache"))
    assert load_ruleset(root).rule("test-rule")
    assert list(tmp_path.rglob("ruleset-*.json")) == []


def test_rules_check_parses_and_validates_every_file_even_with_a_cache(tmp_path, cache, parses, monkeypatch):
    from click.testing import CliRunner

    from app.cli import main

    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()})
    load_ruleset(root)
    _fresh_process(monkeypatch)
    parses.clear()
    result = CliRunner().invoke(main, ["rules", "check", "--rules-dir", str(root)])
    assert "rule set" in result.output
    assert {"test-rule.yaml", "sources.yaml", "questionnaire.yaml"} <= set(parses)


def test_the_engine_starts_without_flask_and_freezes_the_rule_set_out_of_the_collector():
    # `eduaudit evaluate` imports the package `app`; Flask, the database layer and the features are
    # imported by the web app's factory only. get_ruleset() moves what it loaded out of the collector.
    import subprocess
    import sys
    from pathlib import Path

    code = ("import gc, sys; from app.rules.loader import get_ruleset; import app.cli; "
            "print(sorted(m for m in ('flask', 'sqlalchemy', 'alembic') if m in sys.modules)); "
            "before = gc.get_freeze_count(); rs = get_ruleset(); print(before, gc.get_freeze_count() > 1000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout.split("\n")
    assert out[:2] == ["[]", "0 True"]


def test_unless_is_checked_like_a_condition(tmp_path):
    text = rule_text().replace("references:", "unless: {q: data_categories, includes: dna}\nreferences:", 1)
    [p] = _problems(tmp_path, {"core/test-rule.yaml": text})
    assert p.rule == "test-rule" and "has no option 'dna'" in p.message


def test_a_screening_scheme_unless_is_checked_like_a_condition(tmp_path):
    root = make_rules_dir(tmp_path)
    screening = root / "screening.yaml"
    text = screening.read_text(encoding="utf-8")
    start = text.index("    unless:\n")
    end = text.index("    criteria:\n", start)
    screening.write_text(text[:start] + "    unless: {q: shoe_size, eq: 3}\n" + text[end:], encoding="utf-8")
    assert any("unknown question 'shoe_size'" in p.message and p.file.endswith("screening.yaml")
               for p in _problems_of(root))
