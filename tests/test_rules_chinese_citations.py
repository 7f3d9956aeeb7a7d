"""Every citation the report prints has its Chinese text in the shipped rule set: each reference's
pinpoint (rules, screening schemes), each screening criterion's and framework requirement's pinpoint,
and each printed note (a source's note, a rule's effective-date note, a reference's note)."""

from __future__ import annotations

import re

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_ARTICLE = re.compile(r"\bArts?\b\.?")
UNVERIFIED_EN = re.compile(r"unverified|not (yet )?(verified|checked|confirmed)", re.IGNORECASE)


def _language_neutral(text: str) -> bool:
    """A plain string may stand for both languages only if it has no English words (e.g. "16 CFR §312.5")."""
    return re.search(r"[a-z]", text) is None


def _printed_texts(ruleset):
    """(where, English, Chinese or None) for every pinpoint and printed note of the rule set."""
    def refs(where, references):
        for i, r in enumerate(references):
            yield f"{where} reference {i} pinpoint", r.pinpoint, r.pinpoint_zh
            if r.note is not None:
                yield f"{where} reference {i} note", r.note, r.note_zh

    for rule in ruleset.rules:
        yield from refs(rule.path, rule.references)
        if rule.effective_note is not None:
            yield f"{rule.path} effective note", rule.effective_note, rule.effective_note_zh
    for scheme in ruleset.screening:
        yield from refs(f"screening {scheme.id}", scheme.references)
        for c in scheme.criteria:
            yield f"screening {scheme.id} criterion {c.id}", c.pinpoint, c.pinpoint_zh
    for fw in ruleset.frameworks:
        for req in fw.requirements:
            yield f"framework {fw.id} requirement {req.id}", req.pinpoint, req.pinpoint_zh
    for source in ruleset.sources.values():
        if source.note is not None:
            yield f"source {source.id} note", source.note, source.note_zh


def test_every_pinpoint_and_printed_note_has_chinese(ruleset):
    texts = list(_printed_texts(ruleset))
    assert len(texts) > 300  # 256 pinpoints and 64 notes when this test was written
    missing = [where for where, en, zh in texts if zh is None and not _language_neutral(en)]
    assert missing == []


def test_chinese_citations_read_as_chinese(ruleset):
    for where, en, zh in _printed_texts(ruleset):
        if zh is None:
            continue
        assert zh.strip() and CJK.search(zh), where
        assert not ENGLISH_ARTICLE.search(zh), f"{where}: {zh}"
        if UNVERIFIED_EN.search(en):  # what is unverified in English stays unverified in Chinese
            assert "未核实" in zh or "尚未" in zh, f"{where}: {zh}"


def test_english_pinpoints_stay_plain_strings(ruleset):
    # the engine's JSON, rules diff and published findings store the English pinpoint as a string
    for _where, en, _zh in _printed_texts(ruleset):
        assert isinstance(en, str) and en.strip()
