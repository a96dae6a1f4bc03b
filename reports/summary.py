"""Plain-language sentences for the linkage report: what each outcome's results say.

Numbers only from the report itself; a link is called clear only when its Benjamini–
Hochberg adjusted p-value is under 0.05, and every sentence carries its interval and n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reports.stats.linkage import DESCRIPTIVE, Link, LinkageReport

ALPHA = 0.05
#: How each outcome is named and its differences written (scale, unit word, decimals).
OUTCOMES: dict[str, tuple[str, float, str, int]] = {
    "csat": ("client satisfaction (csat, 1–5)", 1.0, " points", 2),
    "nps": ("NPS", 1.0, " points", 1),
    "client_retention": ("first-time clients who came back", 100.0, " percentage points", 1),
    "revenue": ("monthly revenue", 1.0, "", 0),
    "staff_turnover": ("monthly staff turnover", 100.0, " percentage points", 2),
}


@dataclass(frozen=True, slots=True)
class OutcomeStory:
    """The sentences told about one outcome, and whether any link is clear."""

    outcome: str
    title: str
    sentences: tuple[str, ...]
    clear: bool
    #: What the badge beside the heading says when ``clear``: a month-to-month link
    #: (within units) or an association across units.
    badge: str = ""


def _num(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace("-", "−")


def _tested(link: Link) -> bool:
    """Whether the link is one of the report's tests (adjusted together)."""
    return link.method != "pearson_corrected" and link.method not in DESCRIPTIVE


def _clear(link: Link) -> bool:
    return math.isfinite(link.p_adjusted) and link.p_adjusted < ALPHA


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _verdict(link: Link) -> str:
    if link.method in DESCRIPTIVE:
        return (
            f"shown to describe the link, not tested on its own ({_p(link.p_value)} before "
            "adjustment): the report tests a link across units once, with the correlation"
        )
    # Only the month-to-month estimate compares each unit with itself; every other method
    # compares units with each other, which is an association.
    word = "link" if link.method == "within_unit" else "association"
    if _clear(link):
        return (
            f"a clear {word} after allowing for the {{tests}} tests in this report "
            f"(adjusted {_p(link.p_adjusted)})"
        )
    return f"not a clear {word}: chance alone could produce it (adjusted {_p(link.p_adjusted)})"


def heading(outcome: str) -> str:
    """An outcome's name as a heading (first letter capital, acronyms kept)."""
    title = outcome_title(outcome)
    return title[:1].upper() + title[1:]


def outcome_title(outcome: str) -> str:
    """How an outcome is called in the report."""
    if outcome == "staff_retention":
        return "staff staying"
    return OUTCOMES.get(outcome, (outcome.replace("_", " "), 1.0, "", 2))[0]


def tell(report: LinkageReport, unit_word: str = "units") -> tuple[OutcomeStory, ...]:
    """One short paragraph per outcome, in the order of the report."""
    tests = sum(1 for lk in report.links if _tested(lk) and math.isfinite(lk.p_value)) + sum(
        1 for e in report.training if math.isfinite(e.result.effect.p_value)
    )
    by_outcome: dict[str, dict[str, Link]] = {}
    for link in report.links:
        by_outcome.setdefault(link.outcome, {})[link.method] = link
    stories = []
    for outcome, links in by_outcome.items():
        sentences = [
            s.replace("{tests}", str(tests)) for s in _sentences(outcome, links, unit_word)
        ]
        clear = any(_clear(lk) for lk in links.values() if _tested(lk))
        within = links.get("within_unit")
        badge = ""
        if clear:
            month_to_month = within is not None and _clear(within)
            badge = "clear month-to-month link" if month_to_month else "clear association"
        stories.append(
            OutcomeStory(
                outcome=outcome,
                title=outcome_title(outcome),
                sentences=tuple(sentences),
                clear=clear,
                badge=badge,
            )
        )
    return tuple(stories)


def _sentences(outcome: str, links: dict[str, Link], units: str) -> list[str]:
    title, scale, word, dec = OUTCOMES.get(outcome, (outcome.replace("_", " "), 1.0, "", 2))

    def amount(value: float) -> str:
        return f"{_num(value * scale, dec)}{word}"

    def interval(link: Link, on_scale: bool = True) -> str:
        if on_scale:
            low, high = _num(link.ci_low * scale, dec), _num(link.ci_high * scale, dec)
            return f"95% CI {low} to {high}{word}"
        return f"95% CI {_num(link.ci_low, 2)} to {_num(link.ci_high, 2)}"

    out: list[str] = []
    gap = links.get("quartile_gap")
    if gap and math.isfinite(gap.estimate):
        direction = "more" if gap.estimate >= 0 else "less"
        out.append(
            f"The quarter of {units} with the highest engagement had {amount(abs(gap.estimate))} "
            f"{direction} {title} than the quarter with the lowest ({interval(gap)}; "
            f"{gap.n_units} {units}): {_verdict(gap)}."
        )
    r = links.get("pearson")
    if r and math.isfinite(r.estimate):
        out.append(
            f"Across {r.n_units} {units}, engagement and {title} correlate at "
            f"r = {_num(r.estimate, 2)} ({interval(r, False)}): {_verdict(r)}."
        )
    elif r and r.warnings:
        out.append(f"No correlation could be computed: {r.warnings[0]}.")
    between = links.get("between_units")
    if between and math.isfinite(between.estimate):
        direction = "more" if between.estimate >= 0 else "less"
        out.append(
            f"{units[:1].upper()}{units[1:]} with one point higher average engagement had "
            f"{amount(abs(between.estimate))} {direction} {title} the following month "
            f"({interval(between)}; {between.n_units} {units}): {_verdict(between)}."
        )
    glm = links.get("binomial_glm")
    if glm and math.isfinite(glm.estimate):
        out.append(
            "Per standard deviation of engagement, the odds of a first-time client coming back "
            f"were {_num(glm.estimate, 2)} times as high ({interval(glm, False)}): "
            f"{_verdict(glm)}."
        )
    cox = links.get("cox")
    if cox and math.isfinite(cox.estimate):
        change = (1 - cox.estimate) * 100
        direction = "less" if change >= 0 else "more"
        out.append(
            f"Staff in {units} one standard deviation more engaged were {_num(abs(change), 0)}% "
            f"{direction} likely to leave at any given time (hazard ratio "
            f"{_num(cox.estimate, 2)}, {interval(cox, False)}; {cox.n_units} {units}): "
            f"{_verdict(cox)}."
        )
    elif cox and cox.warnings:
        out.append(f"Staff retention could not be modelled: {cox.warnings[0]}.")
    finite = ("quartile_gap", "pearson", "between_units", "binomial_glm", "cox")
    if any(m in links and math.isfinite(links[m].estimate) for m in finite):
        out.append(
            f"These compare {units} with each other: they show an association, not that "
            f"engagement caused it, since {units} that differ in lasting ways (neighbourhood, "
            "clientele, size, management) can differ in engagement and in outcomes alike."
        )
    lag = links.get("within_unit")
    if lag and math.isfinite(lag.estimate):
        direction = "more" if lag.estimate >= 0 else "less"
        out.append(
            f"Month to month, when a unit's engagement was one point above its own usual "
            f"level, it had {amount(abs(lag.estimate))} {direction} {title} the following "
            f"month than its usual, given this month's ({interval(lag)}; {lag.n_units} "
            f"{units}): {_verdict(lag)}. This compares each unit with itself, so lasting "
            "differences between units cannot explain it, though changes that moved "
            "engagement and the outcome together within a unit could."
        )
    return out
