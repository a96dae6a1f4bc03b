"""Validating what a respondent submitted: every value on its scale, or the form comes back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from surveys.items import ENPS_SCALE, SCALE

MAX_COMMENT = 2000
SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Submission:
    """A valid submission: item → 1–5 for answered items, eNPS 0–10 or None, comment or None."""

    answers: Mapping[str, int]
    enps: int | None
    comment: str | None


@dataclass(frozen=True, slots=True)
class Invalid:
    """What was wrong, by field, as keys of the page strings (``Language.t``)."""

    errors: Mapping[str, str] = field(default_factory=dict)


def parse_submission(
    form: Mapping[str, str], likert_items: Sequence[str], ask_enps: bool = True
) -> Submission | Invalid:
    """Check a submitted form. Unanswered and "prefer not to say" items are left out."""
    errors: dict[str, str] = {}
    answers: dict[str, int] = {}
    allowed = {str(v) for v in SCALE}
    for code in likert_items:
        raw = (form.get(code) or "").strip()
        if raw in ("", SKIP):
            continue
        if raw not in allowed:
            errors[code] = "choose_scale"
            continue
        answers[code] = int(raw)
    enps: int | None = None
    if ask_enps:
        raw = (form.get("ENPS") or "").strip()
        if raw not in ("", SKIP):
            if raw not in {str(v) for v in ENPS_SCALE}:
                errors["ENPS"] = "choose_enps"
            else:
                enps = int(raw)
    # Browsers count a line break once against the textarea's maxlength but send it as
    # CRLF; counted as sent, a full comment would come back as "too long" with every answer
    # in the form again (on a shared kiosk, for the next person to resubmit and see).
    comment = (form.get("comment") or "").replace("\r\n", "\n").strip() or None
    if comment is not None and "\x00" in comment:
        errors["comment"] = "comment_bad_character"  # text cannot hold it (PostgreSQL)
    elif comment is not None and len(comment) > MAX_COMMENT:
        errors["comment"] = "comment_too_long"
    if not errors and not answers and enps is None and comment is None:
        errors["form"] = "answer_something"
    if errors:
        return Invalid(errors)
    return Submission(answers=answers, enps=enps, comment=comment)
