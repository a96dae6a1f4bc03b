"""The training catalogue: modules with their language versions; HR adds, edits, retires."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engage import audit, clock
from engage.db.sqlite_writer import atomic
from engage.db.tables import TrainingModule, TrainingModuleText
from engage.org.roster_import import normalise_language
from engage.outcomes.outcomes_import import KNOWN_METRICS
from surveys.items import ELEMENTS, FALLBACK_LANGUAGE

#: How a module is delivered.
FORMATS: dict[str, str] = {
    "link": "online (link)",
    "document": "document to read",
    "in_person": "in-person session",
}
#: Client outcomes a module can target: the known client metrics and staff retention.
OUTCOMES: tuple[str, ...] = (*KNOWN_METRICS, "staff_retention")
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_TITLE = 200
MAX_SUMMARY = 2000
MIN_MINUTES, MAX_MINUTES = 5, 2400
STARTER_FILE = Path(__file__).with_name("starter_modules.csv")


class CatalogueError(ValueError):
    """A module form or request is wrong; the message names the field and reason."""


@dataclass(frozen=True, slots=True)
class ModuleText:
    """One language version of a module."""

    language: str
    title: str
    summary: str
    url: str


@dataclass(frozen=True, slots=True)
class Module:
    """A module as pages show it, in the reader's language (English when there is none)."""

    id: int
    code: str
    elements: tuple[str, ...]
    outcomes: tuple[str, ...]
    duration_minutes: int
    format: str
    retired: bool
    text: ModuleText
    languages: tuple[str, ...]

    @property
    def targets(self) -> str:
        """What it targets, in words: element names, then outcomes."""
        parts = [f"{e} {ELEMENTS[e]}" for e in self.elements if e in ELEMENTS]
        parts += [o.replace("_", " ") for o in self.outcomes]
        return "; ".join(parts)

    @property
    def format_label(self) -> str:
        """The format in words."""
        return FORMATS.get(self.format, self.format)


def split_codes(value: str) -> tuple[str, ...]:
    """``"E01;E09"`` (or commas, spaces) to ``("E01", "E09")`` in order, without repeats."""
    parts = [p.strip() for p in re.split(r"[;,\s]+", value or "") if p.strip()]
    return tuple(dict.fromkeys(parts))


def check_targets(elements: str, outcomes: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """Parsed element and outcome codes, or the reason they are not acceptable ('' if fine)."""
    els = tuple(e.upper() for e in split_codes(elements))
    outs = tuple(o.lower() for o in split_codes(outcomes))
    bad_e = [e for e in els if e not in ELEMENTS]
    if bad_e:
        return els, outs, f"elements: {', '.join(bad_e)} not one of E01…E12"
    bad_o = [o for o in outs if o not in OUTCOMES]
    if bad_o:
        return els, outs, f"outcomes: {', '.join(bad_o)} not one of {', '.join(OUTCOMES)}"
    if not els and not outs:
        return els, outs, "a module targets at least one element (E01…E12) or outcome"
    return els, outs, ""


def check_minutes(value: str) -> tuple[int | None, str]:
    """A duration in whole minutes within bounds, or None and the reason."""
    if not re.fullmatch(r"\d{1,5}", value or ""):
        return None, f"{value!r} is not a whole number of minutes"
    minutes = int(value)
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        return None, f"{minutes} is outside {MIN_MINUTES}–{MAX_MINUTES} minutes"
    return minutes, ""


def check_url(value: str, fmt: str) -> str:
    """The reason a module address is not acceptable ('' if fine)."""
    if value and not re.match(r"^https?://[^\s]+$", value):
        return f"{value!r} is not an http(s) address"
    if fmt == "link" and not value:
        return "a module in the link format needs its address"
    return ""


def _pick(texts: list[ModuleText], language: str) -> ModuleText:
    by_lang = {t.language: t for t in texts}
    base = language.split("-")[0]
    return (
        by_lang.get(language)
        or by_lang.get(base)
        or by_lang.get(FALLBACK_LANGUAGE)
        or sorted(texts, key=lambda t: t.language)[0]
    )


async def list_modules(language: str = "en", include_retired: bool = False) -> list[Module]:
    """Every module (active ones unless asked), titled in ``language``, by title."""
    query = TrainingModule.select()
    if not include_retired:
        query = query.where(TrainingModule.retired == False)
    modules = await query.run()
    if not modules:
        return []
    texts = await TrainingModuleText.select().run()
    by_module: dict[int, list[ModuleText]] = {}
    for t in texts:
        by_module.setdefault(int(t["module"]), []).append(
            ModuleText(t["language"], t["title"], t["summary"], t["url"])
        )
    out = []
    for m in modules:
        versions = by_module.get(int(m["id"]))
        if not versions:
            continue
        out.append(
            Module(
                id=int(m["id"]),
                code=m["code"],
                elements=split_codes(m["elements"]),
                outcomes=split_codes(m["outcomes"]),
                duration_minutes=int(m["duration_minutes"]),
                format=m["format"],
                retired=bool(m["retired"]),
                text=_pick(versions, language),
                languages=tuple(sorted(v.language for v in versions)),
            )
        )
    return sorted(out, key=lambda m: (m.retired, m.text.title.casefold()))


async def module_texts(code: str) -> tuple[dict[str, object], list[ModuleText]] | None:
    """A module's stored row and all its language versions, or None if there is no such code."""
    row = await TrainingModule.select().where(TrainingModule.code == code).first().run()
    if row is None:
        return None
    texts = (
        await TrainingModuleText.select()
        .where(TrainingModuleText.module == row["id"])
        .order_by(TrainingModuleText.language)
        .run()
    )
    return row, [ModuleText(t["language"], t["title"], t["summary"], t["url"]) for t in texts]


@dataclass(frozen=True, slots=True)
class ModuleForm:
    """What HR typed into the module form (one language version at a time)."""

    code: str
    language: str
    title: str
    summary: str
    elements: str
    outcomes: str
    duration_minutes: str
    format: str
    url: str = ""


def _check_text(text: ModuleText, fmt: str, problems: list[str]) -> str | None:
    """A language version's language code (normalised), noting what is wrong in ``problems``."""
    language = normalise_language(text.language.strip())
    if language is None:
        problems.append(f"language: {text.language!r} is not a language code such as en, ru, zh")
    title = text.title.strip()
    if not title:
        problems.append("title: is empty")
    elif len(title) > MAX_TITLE:
        problems.append(f"title: longer than {MAX_TITLE} characters")
    if len(text.summary.strip()) > MAX_SUMMARY:
        problems.append(f"summary: longer than {MAX_SUMMARY} characters")
    reason = check_url(text.url.strip(), fmt)
    if reason:
        problems.append(f"address: {reason}")
    return language


def _check_form(form: ModuleForm) -> tuple[str, tuple[str, ...], tuple[str, ...], int]:
    problems: list[str] = []
    language = _check_text(
        ModuleText(form.language, form.title, form.summary, form.url), form.format, problems
    )
    els, outs, reason = check_targets(form.elements, form.outcomes)
    if reason:
        problems.append(reason)
    minutes, reason = check_minutes(form.duration_minutes.strip())
    if minutes is None:
        problems.append(f"duration: {reason}")
    if form.format not in FORMATS:
        problems.append(f"format: choose one of {', '.join(FORMATS)}")
    if problems:
        raise CatalogueError("; ".join(problems))
    assert language is not None and minutes is not None
    return language, els, outs, minutes


async def save_module(form: ModuleForm, actor: str, *, new: bool) -> str:
    """Create a module (``new``) or update one and its version in ``form.language``.

    Returns the module code. Raises ``CatalogueError`` naming every problem; changes nothing
    then.
    """
    code = form.code.strip().lower()
    if not CODE.match(code):
        raise CatalogueError(
            f"code: {form.code!r} is not a short code of lowercase letters, digits and hyphens"
        )
    language, els, outs, minutes = _check_form(form)
    engine = TrainingModule._meta.db
    async with atomic(engine):
        row = (
            await TrainingModule.select(TrainingModule.id)
            .where(TrainingModule.code == code)
            .first()
            .run()
        )
        values: dict[Any, Any] = {
            TrainingModule.elements: ";".join(els),
            TrainingModule.outcomes: ";".join(outs),
            TrainingModule.duration_minutes: minutes,
            TrainingModule.format: form.format,
        }
        if new:
            if row is not None:
                raise CatalogueError(f"code: a module {code!r} exists already")
            module_id = (
                await TrainingModule.insert(
                    TrainingModule(
                        code=code,
                        elements=";".join(els),
                        outcomes=";".join(outs),
                        duration_minutes=minutes,
                        format=form.format,
                        created_at=clock.now(),
                    )
                ).run()
            )[0]["id"]
        else:
            if row is None:
                raise CatalogueError(f"no module {code!r}")
            module_id = row["id"]
            await TrainingModule.update(values).where(TrainingModule.id == module_id).run()
        await _upsert_text(
            int(module_id),
            ModuleText(language, form.title.strip(), form.summary.strip(), form.url.strip()),
        )
    await audit.record(
        actor,
        "training.module_created" if new else "training.module_edited",
        f"{code} ({language})",
    )
    return code


async def save_settings(
    code: str, elements: str, outcomes: str, duration_minutes: str, fmt: str, actor: str
) -> None:
    """Change what a module targets, its duration and format (all its language versions).

    Raises ``CatalogueError`` naming every problem; changes nothing then.
    """
    row = (
        await TrainingModule.select(TrainingModule.id)
        .where(TrainingModule.code == code)
        .first()
        .run()
    )
    if row is None:
        raise CatalogueError(f"no module {code!r}")
    problems = []
    els, outs, reason = check_targets(elements, outcomes)
    if reason:
        problems.append(reason)
    minutes, reason = check_minutes(duration_minutes.strip())
    if minutes is None:
        problems.append(f"duration: {reason}")
    if fmt not in FORMATS:
        problems.append(f"format: choose one of {', '.join(FORMATS)}")
    if fmt == "link":
        texts = (
            await TrainingModuleText.select(TrainingModuleText.language, TrainingModuleText.url)
            .where(TrainingModuleText.module == row["id"])
            .run()
        )
        missing = [t["language"] for t in texts if not t["url"]]
        if missing:
            problems.append(
                f"format: a link needs an address in every language ({', '.join(missing)} has none)"
            )
    if problems:
        raise CatalogueError("; ".join(problems))
    await (
        TrainingModule.update(
            {
                TrainingModule.elements: ";".join(els),
                TrainingModule.outcomes: ";".join(outs),
                TrainingModule.duration_minutes: minutes,
                TrainingModule.format: fmt,
            }
        )
        .where(TrainingModule.id == row["id"])
        .run()
    )
    await audit.record(actor, "training.module_edited", f"{code}: targets, duration, format")


async def save_text(code: str, text: ModuleText, actor: str) -> str:
    """Add or replace one language version of a module; returns the language code."""
    row = (
        await TrainingModule.select(TrainingModule.id, TrainingModule.format)
        .where(TrainingModule.code == code)
        .first()
        .run()
    )
    if row is None:
        raise CatalogueError(f"no module {code!r}")
    problems: list[str] = []
    language = _check_text(text, str(row["format"]), problems)
    if problems:
        raise CatalogueError("; ".join(problems))
    assert language is not None
    state = await _upsert_text(
        int(row["id"]),
        ModuleText(language, text.title.strip(), text.summary.strip(), text.url.strip()),
    )
    await audit.record(actor, "training.module_edited", f"{code}: {state} {language} text")
    return language


async def _upsert_text(module_id: int, text: ModuleText) -> str:
    """Store one language version: "added", "changed" or "unchanged"."""
    existing = (
        await TrainingModuleText.select(
            TrainingModuleText.id,
            TrainingModuleText.title,
            TrainingModuleText.summary,
            TrainingModuleText.url,
        )
        .where(
            (TrainingModuleText.module == module_id)
            & (TrainingModuleText.language == text.language)
        )
        .first()
        .run()
    )
    if existing is None:
        await TrainingModuleText.insert(
            TrainingModuleText(
                module=module_id,
                language=text.language,
                title=text.title,
                summary=text.summary,
                url=text.url,
            )
        ).run()
        return "added"
    if (existing["title"], existing["summary"], existing["url"]) == (
        text.title,
        text.summary,
        text.url,
    ):
        return "unchanged"
    await (
        TrainingModuleText.update(
            {
                TrainingModuleText.title: text.title,
                TrainingModuleText.summary: text.summary,
                TrainingModuleText.url: text.url,
            }
        )
        .where(TrainingModuleText.id == existing["id"])
        .run()
    )
    return "changed"


async def set_retired(code: str, retired: bool, actor: str) -> None:
    """Retire a module (no new assignments; history stays) or bring it back."""
    row = (
        await TrainingModule.select(TrainingModule.id)
        .where(TrainingModule.code == code)
        .first()
        .run()
    )
    if row is None:
        raise CatalogueError(f"no module {code!r}")
    await (
        TrainingModule.update({TrainingModule.retired: retired})
        .where(TrainingModule.id == row["id"])
        .run()
    )
    await audit.record(
        actor, "training.module_retired" if retired else "training.module_restored", code
    )
