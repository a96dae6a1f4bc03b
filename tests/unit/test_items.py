"""The shipped item bank: complete in every language, and our own wording."""

from __future__ import annotations

import pytest

from surveys.items import ENGAGEMENT_CODES, ENPS, ItemBankError, default_bank, parse_language

# The proprietary statements must not be reproduced; a few distinctive phrases of them.
PROPRIETARY_PHRASES = [
    "i know what is expected of me at work",
    "materials and equipment i need to do my work right",
    "opportunity to do what i do best every day",
    "received recognition or praise for doing good work",
    "seems to care about me as a person",
    "encourages my development",
    "my opinions seem to count",
    "mission or purpose of my company",
    "committed to doing quality work",
    "best friend at work",
    "talked to me about my progress",
    "opportunities at work to learn and grow",
]


def test_three_languages_with_every_item() -> None:
    bank = default_bank()
    assert set(bank.languages) == {"en", "ru", "zh"}
    for language in bank.languages.values():
        for code in (*ENGAGEMENT_CODES, ENPS):
            assert language.items[code].strip(), (language.code, code)
        assert len(language.scale) == 5


def test_texts_differ_between_languages() -> None:
    bank = default_bank()
    for code in ENGAGEMENT_CODES:
        texts = {bank.text(code, lang) for lang in ("en", "ru", "zh")}
        assert len(texts) == 3, code


def test_wording_is_not_the_proprietary_text() -> None:
    english = " ".join(default_bank().languages["en"].items.values()).lower()
    for phrase in PROPRIETARY_PHRASES:
        assert phrase not in english, phrase


@pytest.mark.parametrize(("asked", "got"), [("ru", "ru"), ("zh_Hans_CN", "zh"), ("pt_BR", "en")])
def test_language_fallback(asked: str, got: str) -> None:
    assert default_bank().language(asked).code == got


def test_incomplete_translation_names_what_is_missing() -> None:
    with pytest.raises(ItemBankError, match=r"items\.E01.*scale\.1"):
        parse_language("xx", 'language_name = "X"\n[items]\nE02 = "y"\n')
    with pytest.raises(ItemBankError, match="not valid TOML"):
        parse_language("xx", "[items\n")
