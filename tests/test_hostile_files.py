"""Answers files and rule files an attacker wrote: every one ends in a clear error, quickly.

Each test guards itself with a deadline, so a regression (a "billion laughs" file expanding, a
FIFO waited on, ``/dev/zero`` read) fails the test instead of hanging the suite.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.rules.loader import load_ruleset
from tests.rulesdir import make_rules_dir, rule_text

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
"""378 bytes of anchors and aliases that stand for 9^9 (387 million) strings."""


@pytest.fixture(autouse=True, scope="module")
def _rule_set_read_once():
    """The commands load the rule set; its files are remembered after the first load, so the
    deadlines below time the hostile file, not the first reading of the rules."""
    load_ruleset()


class TooSlow(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds: float):
    def stop(_signum, _frame):
        raise TooSlow(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def memory_cap(extra_bytes: int = 1 << 30):
    """At most ``extra_bytes`` more address space for this process meanwhile, so a regression that
    reads ``/dev/zero`` ends in a MemoryError instead of taking the machine's memory."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + extra_bytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def evaluate(path: Path, seconds: float = 30):
    with deadline(seconds):
        return CliRunner().invoke(main, ["evaluate", str(path)])


def rules_check(root: Path, seconds: float = 60):
    with deadline(seconds):
        return CliRunner().invoke(main, ["rules", "check", "--rules-dir", str(root)])


def answers_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_refused(result, *needles: str) -> None:
    """Exit code 2, no traceback, and each needle in the message."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output


def test_aliases_are_refused_in_answers_files(tmp_path):
    result = evaluate(answers_file(tmp_path, "answers.yaml", LAUGHS))
    assert_refused(result, "line 2: b: aliases (*name) are not accepted")


def test_even_one_alias_is_refused_in_answers_files(tmp_path):
    text = "jurisdiction: &j CN\nproduct_name: *j\n"
    assert_refused(evaluate(answers_file(tmp_path, "answers.yaml", text)), "line 2: product_name: aliases")


def test_alias_expansion_is_bounded_in_rule_files(tmp_path):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text() + "x-laughs:\n" + "".join(
        "  " + line + "\n" for line in LAUGHS.splitlines())})
    result = rules_check(root)
    assert result.exit_code == 3, result.output
    assert "more than 100,000 values once aliases are expanded" in result.output


def test_a_few_aliases_still_load_in_rule_files():
    from app.rules.yamlio import loads_yaml, to_plain

    assert to_plain(loads_yaml("a: &a [1, 2]\nb: *a\n")) == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize("name,text", [
    ("answers.yaml", "jurisdiction: " + "{a: " * 20_000 + "1" + "}" * 20_000 + "\n"),
    ("answers.yaml", "jurisdiction: " + "[" * 50_000 + "]" * 50_000 + "\n"),
    ("answers.json", "[" * 100_000 + "]" * 100_000),
    ("answers.json", '{"jurisdiction": ' + '{"a": ' * 5_000 + "1" + "}" * 5_000 + "}"),
], ids=["yaml-flow-mapping-20000", "yaml-flow-50000", "json-array-100000", "json-object-5000"])
def test_deep_nesting_is_refused_without_a_traceback(tmp_path, name, text):
    result = evaluate(answers_file(tmp_path, name, text))
    assert_refused(result, "nested more than 32 levels deep")


def test_deep_nesting_in_a_rule_file_is_a_load_error(tmp_path):
    deep = "x-deep: " + "[" * 20_000 + "]" * 20_000 + "\n"
    result = rules_check(make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text() + deep}))
    assert result.exit_code == 3, result.output
    assert "nested more than 64 levels deep" in result.output and "RecursionError" not in result.output


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_only_regular_files_are_read(tmp_path, target):
    path = tmp_path / "answers.yaml"
    if target == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer forever
    else:
        path.symlink_to(target)
    with memory_cap():
        result = evaluate(path, seconds=20)
    assert_refused(result, "not a regular file")


def test_a_rule_file_that_is_a_device_is_a_load_error(tmp_path):
    root = make_rules_dir(tmp_path)
    (root / "core" / "zero.yaml").symlink_to("/dev/zero")
    with memory_cap():
        result = rules_check(root, seconds=40)
    assert result.exit_code == 3 and "core/zero.yaml [rule zero]: not a regular file" in result.output, result.output


def test_the_size_limit_does_not_trust_stat(tmp_path, monkeypatch):
    # /proc files are regular files whose stat size is 0 whatever they hold.
    monkeypatch.setattr("app.answers.MAX_FILE_BYTES", 16)
    source = Path("/proc/self/maps")
    assert source.stat().st_size == 0 and len(source.read_bytes()) > 16
    path = tmp_path / "answers.yaml"
    path.symlink_to(source)
    assert_refused(evaluate(path), "larger than 16 bytes")


def test_the_reader_never_reads_more_than_the_limit_plus_one(tmp_path):
    from app.rules.yamlio import UnreadableFile, read_bounded

    path = tmp_path / "big.yaml"
    path.write_bytes(b"x" * 100)
    assert read_bounded(path, 100) == b"x" * 100
    with pytest.raises(UnreadableFile, match="larger than 99 bytes"):
        read_bounded(path, 99)


@pytest.mark.parametrize("name,text", [
    ("answers.yaml", "jurisdiction: CN\npupil_min_age: " + "9" * 5_000 + "\n"),
    ("answers.json", '{"jurisdiction": "CN",\n "pupil_min_age": ' + "9" * 5_000 + "}"),
])
def test_a_huge_integer_names_the_question_and_line(tmp_path, name, text):
    result = evaluate(answers_file(tmp_path, name, text))
    assert_refused(result, "line 2: pupil_min_age: a number of 5,000 digits; at most 30 are accepted")


@pytest.mark.parametrize("name,text,message", [
    ("answers.yaml", "jurisdiction: CN\nplanned_date: 2026-02-30\n",
     "line 2: planned_date: '2026-02-30' is not a date that exists"),
    ("answers.json", '{"jurisdiction": "CN",\n  "planned_date": "2026-02-30"}',
     "line 2: planned_date: '2026-02-30' is not a date that exists"),
])
def test_an_impossible_date_names_the_question_and_line(tmp_path, name, text, message):
    assert_refused(evaluate(answers_file(tmp_path, name, text)), message)


def test_every_answer_problem_names_its_line(tmp_path):
    text = '{"jurisdiction": "CN",\n "shoe_size": 42,\n\n "data_categories": ["dna"]}'
    result = evaluate(answers_file(tmp_path, "answers.json", text))
    assert_refused(result, "line 2: shoe_size: is not a question", "line 4: data_categories: unknown choice(s) dna")


def test_rules_check_names_the_rules_dir_it_was_given(tmp_path):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text(source="no-such-source")})
    mine = root.rename(tmp_path / "my-rules")
    result = rules_check(mine)
    assert result.exit_code == 3, result.output
    assert f"the rule set under {mine} is invalid" in result.output
    assert "audit_rules" not in result.output


ESCAPED = [  # (text, line, message): each escaped the YAML reader as another exception, or as a warning
    ("{? {a: {b: 1}}: 1, c: 2}", 1, "a mapping used as a key; a key is a single value"),  # TypeError
    ("&a [&a 1]", 1, "the anchor &a is defined twice (first on line 1)"),  # ReusedAnchorWarning
    ("a: &x 1\nb: &x 2\n", 2, "the anchor &x is defined twice (first on line 1)"),  # ReusedAnchorWarning
    ("a: &a [1, *a]\n", 1, "the alias *a stands inside the value it names (a loop)"),  # RecursionError, later
    ("x: &a {<<: *a}\n", 1, "the alias *a stands inside the value it names (a loop)"),  # AttributeError
    ("!!omap [a: 1, a: 2]\n", 1, "the tag !!omap is not accepted on a list"),  # AssertionError
    ("%YAML 1.3\n---\na: 1\n", 1, "'%YAML 1.3': only YAML 1.2 is read here"),  # AssertionError
    ("a: 1\nb: !!bool maybe\n", 2, "'maybe' is not a valid !!bool"),  # KeyError
    ("a: !!int +\n", 1, "'+' is not a valid !!int"),  # IndexError
    ("a: !!float ''\n", 1, "'' is not a valid !!float"),  # IndexError
]
ACCEPTED_BEFORE = [  # (text, line, message): loaded before, as something else than what was written
    ("? [1, 2]\n: x\n", 1, "a list used as a key"),  # the key "(1, 2)"
    ("a: !!python/object:os.system x\n", 1, "the tag !!python/object:os.system is not accepted on a value"),
    ("a: !!binary aGVsbG8=\n", 1, "the tag !!binary is not accepted on a value"),  # bytes
    ("a: !!set {x}\n", 1, "the tag !!set is not accepted on a mapping"),  # a set
    ("a: !!str {b: 1}\n", 1, "the tag !!str is not accepted on a mapping"),  # a mapping
    ("jurisdiction: !local CN\n", 1, "the tag !local is not accepted on a value"),  # a tagged scalar
    ("%YAML 1.1\n---\na: 1:30\n", 1, "'%YAML 1.1': only YAML 1.2 is read here"),  # 90, and warnings
    ('a: "x\\ud800"\n', 1, "an escape (\\uD800 to \\uDFFF) that is half of a UTF-16 pair"),  # unprintable
    ("a: 0x" + "f" * 26 + "\n", 1, "a number of more than 30 digits"),  # 31 decimal digits
]
NO_LINE_BEFORE = [  # (text, line, message): refused before, without a line
    ("a: 1\nb: x\x01y\n", 2, "the character U+0001 is not allowed in YAML"),
    ('a: 1\nb: "\\U00110000"\n', 2, "an escape (\\U...) beyond U+10FFFF"),
    ("a: 1\nb: !!int x\n", 2, "'x' is not a valid !!int"),
]


@pytest.mark.parametrize("text,line,message", ESCAPED + ACCEPTED_BEFORE + NO_LINE_BEFORE)
def test_the_yaml_reader_refuses_with_its_own_error_naming_the_line(text, line, message):
    from app.rules.yamlio import YamlError, loads_yaml

    with pytest.raises(YamlError) as caught:  # a warning would be an error here (filterwarnings)
        loads_yaml(text, "f.yaml")
    assert (caught.value.line, caught.value.message[:len(message)]) == (line, message)


def test_what_yaml_1_2_allows_still_loads():
    from app.rules.yamlio import loads_yaml, to_plain

    text = ('%YAML 1.2\n---\nbase: &b {x: 1}\nmine:\n  <<: *b\n  y: !!str 2026\n  z: !!int "7"\n'
            'w: "\\ud83d\\ude00"\nv: [=, <<]\n')
    assert to_plain(loads_yaml(text)) == {"base": {"x": 1}, "mine": {"x": 1, "y": "2026", "z": 7}, "w": "\U0001f600",
                                          "v": ["=", "<<"]}  # not ruamel's TaggedScalar, "y" and "v" included


@pytest.mark.parametrize("text,message", [
    ("{? {a: {b: 1}}: 1, c: 2}", "line 1: a mapping used as a key"),
    ("&a [&a 1]", "line 1: the anchor &a is defined twice"),
    ("jurisdiction: CN\n[a, b]: 1\n", "line 2: a list used as a key"),
    ("jurisdiction: CN\nschool: &s x\nproduct_name: &s y\n", "line 3: product_name: the anchor &s is defined twice"),
    ("jurisdiction: CN\nschool: !!binary aGVsbG8=\n", "line 2: school: the tag !!binary is not accepted"),
    ("%YAML 1.1\n---\njurisdiction: CN\n", "line 1: '%YAML 1.1': only YAML 1.2 is read here"),
    ('jurisdiction: CN\nschool: "\\ud800"\n', "line 2: school: an escape (\\uD800 to \\uDFFF) that is half"),
])
def test_evaluate_refuses_a_hostile_answers_file_naming_the_line(tmp_path, text, message):
    assert_refused(evaluate(answers_file(tmp_path, "answers.yaml", text)), message)


def test_a_lone_surrogate_in_a_json_answers_file_is_refused(tmp_path):
    # json reads it as a character that no output can hold: the PDF's cover failed with UnicodeEncodeError.
    text = '{"jurisdiction": "CN",\n "school": "\\ud800"}'
    assert_refused(evaluate(answers_file(tmp_path, "answers.json", text)),
                   "line 2: school: an escape (\\uD800 to \\uDFFF) that is half of a UTF-16 pair")


def test_several_files_name_the_hostile_one_and_evaluate_the_others(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_bytes((Path(__file__).parent / "cases" / "hangzhou-no11-classroom.yaml").read_bytes())
    bad = answers_file(tmp_path, "bad.yaml", "{? {a: {b: 1}}: 1, c: 2}")
    with deadline(60):
        result = CliRunner().invoke(main, ["evaluate", str(bad), str(good), "--jobs", "1"])
    assert result.exit_code == 2, result.output
    first, second = result.stdout.splitlines()
    assert "line 1: a mapping used as a key" in first and '"verdict"' in second


@pytest.mark.parametrize("text,line,message", [
    ("x-key:\n  ? {a: {b: 1}}\n  : 1\n", 2, "a mapping used as a key"),
    ("x-anchors: &a [&a 1]\n", 1, "the anchor &a is defined twice"),
    ("x-loop: &a [1, *a]\n", 1, "the alias *a stands inside the value it names"),
    ("x-tag: !!python/object:os.system x\n", 1, "the tag !!python/object:os.system is not accepted"),
])
def test_rules_check_refuses_a_hostile_rule_file_naming_the_line(tmp_path, text, line, message):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text() + text})
    result = rules_check(root)
    assert result.exit_code == 3 and "Traceback" not in result.output, result.output
    at = len(rule_text().splitlines()) + line
    assert f"core/test-rule.yaml:{at} [rule test-rule]: {message}" in result.output, result.output
