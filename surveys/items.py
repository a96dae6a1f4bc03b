"""The item bank: twelve engagement elements, eNPS and a comment, in every language we ship.

Texts live in ``surveys/locales/<language>.toml`` (one file per language). The wording is
engage's own; an organisation with licensed wording loads it over these texts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

LOCALES = Path(__file__).parent / "locales"
ENGAGEMENT_CODES: tuple[str, ...] = tuple(f"E{i:02d}" for i in range(1, 13))
ENPS = "ENPS"
SCALE: tuple[int, ...] = (1, 2, 3, 4, 5)
ENPS_SCALE: tuple[int, ...] = tuple(range(11))
FALLBACK_LANGUAGE = "en"
#: Strings every translation must have for the answering pages.
UI_KEYS: tuple[str, ...] = (
    "title",
    "intro",
    "anonymous",
    "open_until",
    "language",
    "scale_legend",
    "submit",
    "errors_heading",
    "choose_scale",
    "choose_enps",
    "comment_too_long",
    "comment_bad_character",
    "answer_something",
    "thanks_title",
    "thanks_body",
    "stored_never",
    "problem_title",
    "problem_unknown",
    "problem_closed",
    "problem_not_open",
    "kiosk_title",
    "kiosk_intro",
    "kiosk_label",
    "kiosk_submit",
    "kiosk_bad_code",
    "kiosk_too_many",
    "kiosk_next",
)

#: Short English names of the twelve elements, for reports and the training catalogue.
ELEMENTS: Mapping[str, str] = MappingProxyType(
    {
        "E01": "Clear expectations",
        "E02": "Tools and materials",
        "E03": "Using strengths daily",
        "E04": "Recent recognition",
        "E05": "Someone who cares",
        "E06": "Encouraged to develop",
        "E07": "Opinions count",
        "E08": "Meaningful mission",
        "E09": "Colleagues committed to quality",
        "E10": "A friend at work",
        "E11": "Talk about progress",
        "E12": "Chances to learn and grow",
    }
)


class ItemBankError(ValueError):
    """A translation file is incomplete or malformed."""


@dataclass(frozen=True, slots=True)
class Language:
    """Everything the answering page needs in one language."""

    code: str
    name: str
    items: Mapping[str, str]
    scale: Mapping[int, str]
    skip: str
    enps_low: str
    enps_high: str
    comment_label: str
    comment_hint: str
    ui: Mapping[str, str] = field(default_factory=dict)

    def t(self, key: str, **values: object) -> str:
        """A page string in this language (placeholders such as ``{k}`` filled in)."""
        text = self.ui.get(key) or key
        return text.format(**values) if values else text


@dataclass(frozen=True, slots=True)
class ItemBank:
    """The shipped texts of every item in every shipped language."""

    languages: Mapping[str, Language] = field(default_factory=dict)

    def language(self, code: str) -> Language:
        """The texts for ``code`` (``ru``, ``zh_Hans_CN`` …), falling back to English."""
        base = code.split("_")[0].split("-")[0].lower()
        return (
            self.languages.get(code)
            or self.languages.get(base)
            or self.languages[FALLBACK_LANGUAGE]
        )

    def text(self, item: str, language: str) -> str:
        """One item's text in ``language`` (English if that language lacks it)."""
        texts = self.language(language).items
        return texts.get(item) or self.languages[FALLBACK_LANGUAGE].items[item]


def parse_language(code: str, text: str) -> Language:
    """Parse one translation file; raise ``ItemBankError`` naming anything missing."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ItemBankError(f"{code}: not valid TOML: {exc}") from None
    missing: list[str] = []
    items = data.get("items", {})
    missing += [f"items.{c}" for c in (*ENGAGEMENT_CODES, ENPS) if not items.get(c)]
    scale = data.get("scale", {})
    missing += [f"scale.{n}" for n in SCALE if not scale.get(str(n))]
    for section, key in [
        ("scale", "skip"),
        ("enps", "low"),
        ("enps", "high"),
        ("comment", "label"),
        ("comment", "hint"),
    ]:
        if not data.get(section, {}).get(key):
            missing.append(f"{section}.{key}")
    if not data.get("language_name"):
        missing.append("language_name")
    ui = data.get("ui", {})
    missing += [f"ui.{key}" for key in UI_KEYS if not ui.get(key)]
    if missing:
        raise ItemBankError(f"{code}: missing {', '.join(missing)}")
    return Language(
        code=code,
        name=str(data["language_name"]),
        items=MappingProxyType({str(k): str(v) for k, v in items.items()}),
        scale=MappingProxyType({n: str(scale[str(n)]) for n in SCALE}),
        skip=str(scale["skip"]),
        enps_low=str(data["enps"]["low"]),
        enps_high=str(data["enps"]["high"]),
        comment_label=str(data["comment"]["label"]),
        comment_hint=str(data["comment"]["hint"]),
        ui=MappingProxyType({str(k): str(v) for k, v in ui.items()}),
    )


@lru_cache(maxsize=1)
def default_bank() -> ItemBank:
    """The bank shipped in ``surveys/locales`` (read once per process)."""
    languages = {
        path.stem: parse_language(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(LOCALES.glob("*.toml"))
    }
    if FALLBACK_LANGUAGE not in languages:
        raise ItemBankError(f"the {FALLBACK_LANGUAGE} translation file is missing")
    return ItemBank(languages=MappingProxyType(languages))
