"""Survey history for the demo organisation: a ``responses.csv`` of monthly pulse waves.

Pure and deterministic: standard library only, every random draw comes from one
``random.Random(seed + 1000)``, and the bytes are identical for the same arguments. The
history matches ``demo_units_csv(seed)`` and ``demo_roster_csv(today, seed)``: each wave
is answered by the employees and managers employed on its date, in the unit they sit in.

The numbers have the structure real engagement data has, so that the reports have
something honest to find:

- one latent engagement per response = location effect + team effect + the location's
  trend + a small org-wide seasonal swing + a lasting person effect + month-to-month
  noise; teams that lose more people are a little less engaged, and people who leave
  dip in the three months before they go;
- two locations (``IMPROVING_LOCATIONS``) improve steadily over the period and one
  (``DECLINING_LOCATIONS``) declines, by half a point on the latent scale;
- the twelve items load on that latent factor with their own intercepts (recognition and
  "a friend at work" lower, clear expectations and colleagues' quality higher) and their
  own noise, then are rounded and clipped to 1–5, so Cronbach's alpha lands around 0.9;
  eNPS (0–10) follows the same latent score;
- about 72% of the eligible people answer each wave (small teams fall below the
  anonymity threshold in some months), each item is left empty ~3% of the time, and ~12%
  of responses carry a short comment in the respondent's roster language.

``respondent`` is an opaque row id (``r000001`` …) assigned after the rows are sorted by
wave and unit and shuffled within each unit: it reveals neither who answered nor the
order of the roster.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from engage.demo_data import demo_roster_csv, demo_units_csv
from engage.demo_training import lift
from surveys.items import ENGAGEMENT_CODES, ENPS

__all__ = [
    "DECLINING_LOCATIONS",
    "IMPROVING_LOCATIONS",
    "RESPONSES_HEADER",
    "demo_responses_csv",
]

RESPONSES_HEADER: tuple[str, ...] = (
    "wave",
    "unit_id",
    "respondent",
    *ENGAGEMENT_CODES,
    ENPS,
    "comment",
)

#: Locations whose engagement rises over the history (the demo's good-news story).
IMPROVING_LOCATIONS: tuple[str, ...] = ("L-MARKHAM", "L-LESLIEVILLE")
#: Locations whose engagement falls over the history (the one to look into).
DECLINING_LOCATIONS: tuple[str, ...] = ("L-NORTH-YORK",)

_WAVE_DAY = 15
_TREND = 0.5  # latent change over the whole period for improving / declining locations
_RESPONSE_RATE = 0.72
_SKIP = 0.03  # chance an item (or eNPS) is left empty
_COMMENT = 0.12  # chance a response carries a comment
_ROLES = frozenset({"employee", "manager"})

# Latent scale: centred on 0; items are intercept + loading * latent + noise.
_LOCATION_SD = 0.2
_TEAM_SD = 0.15
_TEAM_TURNOVER_WEIGHT = 0.12  # per SD of the team's leaver share
_PERSON_SD = 0.45
_WAVE_NOISE_SD = 0.3
_MANAGER_BONUS = 0.25
_LEAVER_DIP = -0.4  # in the last three months before leaving
_LEAVER_DIP_DAYS = 92
_SEASON = 0.05  # org-wide: a little higher in summer, lower in winter
_ITEM_NOISE_SD = 0.62

_ITEMS: dict[str, tuple[float, float]] = {  # code: (intercept, loading)
    "E01": (4.25, 0.85),  # clear expectations
    "E02": (3.85, 0.90),  # tools and materials
    "E03": (4.00, 0.95),
    "E04": (3.45, 1.05),  # recognition
    "E05": (4.05, 1.05),
    "E06": (3.80, 1.05),
    "E07": (3.65, 1.10),
    "E08": (4.10, 0.95),
    "E09": (4.30, 0.85),  # colleagues committed to quality
    "E10": (3.55, 0.90),  # a friend at work
    "E11": (3.70, 1.00),
    "E12": (3.80, 1.00),
}
_ENPS_INTERCEPT = 7.7
_ENPS_LOADING = 2.4
_ENPS_NOISE_SD = 1.3

# Short comments by language and tone: (positive, critical). No names, plain text.
_COMMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        (
            "Great team, we cover for each other on busy Saturdays.",
            "The new injector training was excellent. More of this please!",
            "My manager listens and actually follows up.",
            "Scheduling is much better since the new booking system.",
            "Thanks for the shout-outs at the team meeting, it means a lot.",
            "Clients keep coming back, and it feels good to be part of that.",
        ),
        (
            "We are short-staffed at the front desk, breaks get skipped.",
            "Schedules come out too late to plan childcare.",
            "The laser keeps breaking down and clients get rebooked.",
            "Nobody says thank you when we stay late.",
            "Too many double bookings, clients take it out on us.",
            "We need hands-on training for new treatments, not just videos.",
            "Decisions come from head office without any explanation.",
            "We run out of gloves and numbing cream mid-week.",
        ),
    ),
    "ru": (
        (
            "Отличная команда, всегда подменяем друг друга.",
            "Обучение по новым процедурам было очень полезным.",
            "Руководитель прислушивается и действительно что-то меняет.",
            "С новым графиком стало намного удобнее.",
            "Клиенты возвращаются, и это радует.",
        ),
        (
            "Не хватает администраторов, перерывы часто пропадают.",
            "График выходит слишком поздно, невозможно ничего планировать.",
            "Аппарат постоянно ломается, клиентов приходится переносить.",
            "Хотелось бы, чтобы хорошую работу замечали.",
            "Слишком много записей подряд, нет времени на консультацию.",
            "Решения принимаются сверху, без объяснений.",
            "Нужно больше практики, а не только теории.",
        ),
    ),
    "zh": (
        (
            "团队氛围很好，大家互相帮忙。",
            "新项目的培训很实用，希望多一些。",
            "店长愿意听我们的意见。",
            "新的排班系统方便多了。",
            "老客户越来越多，很有成就感。",
        ),
        (
            "前台人手不够，经常没时间休息。",
            "排班通知太晚，很难安排家里的事。",
            "仪器经常出故障，只能给客人改约。",
            "加班很多，但很少得到认可。",
            "预约排得太满，没时间好好做咨询。",
            "希望管理层多解释决定的原因。",
            "耗材经常不够用，影响服务。",
        ),
    ),
}
_FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class _Member:
    unit_id: str
    role: str
    language: str
    hired_on: datetime.date
    left_on: datetime.date | None


def _wave_dates(today: datetime.date, months: int) -> list[datetime.date]:
    """The 15th of each of the last ``months`` full months before ``today``, oldest first."""
    current = today.year * 12 + today.month - 1
    return [
        datetime.date(index // 12, index % 12 + 1, _WAVE_DAY)
        for index in range(current - months, current)
    ]


def _read(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _location_of(unit_id: str, parent: dict[str, str]) -> str | None:
    if unit_id.startswith("L-"):
        return unit_id
    if unit_id.startswith("T-"):
        return parent[unit_id]
    return None


def _team_effects(
    members: Sequence[_Member], teams: Sequence[str], rng: random.Random
) -> dict[str, float]:
    """Random team effects, a little lower where a larger share of the team has left."""
    staying = dict.fromkeys(teams, 0)
    left = dict.fromkeys(teams, 0)
    for m in members:
        if m.unit_id in staying:
            if m.left_on is None:
                staying[m.unit_id] += 1
            else:
                left[m.unit_id] += 1
    share = {t: left[t] / max(left[t] + staying[t], 1) for t in teams}
    mean = sum(share.values()) / max(len(share), 1)
    sd = math.sqrt(sum((v - mean) ** 2 for v in share.values()) / max(len(share), 1)) or 1.0
    return {
        t: rng.gauss(0.0, _TEAM_SD) - _TEAM_TURNOVER_WEIGHT * (share[t] - mean) / sd for t in teams
    }


def _to_scale(value: float, low: int, high: int) -> int:
    return min(max(math.floor(value + 0.5), low), high)


def demo_responses_csv(today: datetime.date, seed: int = 7, months: int = 14) -> bytes:
    """The demo ``responses.csv`` (UTF-8, header ``wave,unit_id,respondent,E01…E12,ENPS,
    comment``): one wave on the 15th of each of the last ``months`` full months before
    ``today``, oldest first, rows sorted by wave and unit.

    Answered by the employees and managers of ``demo_roster_csv(today, seed)`` employed on
    each wave date, in their own unit (``demo_units_csv(seed)``). Empty cells are items
    not answered. Deterministic for (``today``, ``seed``, ``months``).
    """
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    units = _read(demo_units_csv(seed))
    roster = _read(demo_roster_csv(today, seed))
    parent = {u["unit_id"]: u["parent_id"] for u in units}
    members = [
        _Member(
            r["unit_id"],
            r["role"],
            r["language"] if r["language"] in _COMMENTS else _FALLBACK_LANGUAGE,
            datetime.date.fromisoformat(r["hired_on"]),
            datetime.date.fromisoformat(r["left_on"]) if r["left_on"] else None,
        )
        for r in roster
        if r["role"] in _ROLES
        and (r["role"] == "manager" or r["unit_id"].startswith("T-"))
        and r["unit_id"] in parent
    ]

    rng = random.Random(seed + 1000)
    locations = [u["unit_id"] for u in units if u["unit_id"].startswith("L-")]
    teams = [u["unit_id"] for u in units if u["unit_id"].startswith("T-")]
    location_effect = {loc: rng.gauss(0.0, _LOCATION_SD) for loc in locations}
    team_effect = _team_effects(members, teams, rng)
    unit_rate = {u["unit_id"]: min(max(rng.gauss(_RESPONSE_RATE, 0.06), 0.55), 0.9) for u in units}
    person_effect = [
        rng.gauss(0.0, _PERSON_SD) + (_MANAGER_BONUS if m.role == "manager" else 0.0)
        for m in members
    ]
    slope = {loc: _TREND for loc in IMPROVING_LOCATIONS}
    slope.update({loc: -_TREND for loc in DECLINING_LOCATIONS})

    waves = _wave_dates(today, months)
    rows: list[list[str]] = []
    for index, wave in enumerate(waves):
        progress = index / (len(waves) - 1) if len(waves) > 1 else 0.0
        season = _SEASON * math.cos(2 * math.pi * (wave.month - 7) / 12) + rng.gauss(0.0, 0.03)
        by_unit: dict[str, list[list[str]]] = {}
        for m, effect in zip(members, person_effect, strict=True):
            if m.hired_on > wave or (m.left_on is not None and m.left_on <= wave):
                continue
            location = _location_of(m.unit_id, parent)
            latent = (
                effect
                + season
                + team_effect.get(m.unit_id, 0.0)
                + (
                    location_effect[location] + slope.get(location, 0.0) * progress
                    if location is not None
                    else 0.0
                )
                + rng.gauss(0.0, _WAVE_NOISE_SD)
                + lift(location, wave, today)
            )
            if m.left_on is not None and (m.left_on - wave).days <= _LEAVER_DIP_DAYS:
                latent += _LEAVER_DIP
            # More engaged people answer a little more often.
            if rng.random() >= unit_rate[m.unit_id] + 0.05 * latent:
                continue
            cells = []
            for code in ENGAGEMENT_CODES:
                intercept, loading = _ITEMS[code]
                value = intercept + loading * latent + rng.gauss(0.0, _ITEM_NOISE_SD)
                cells.append("" if rng.random() < _SKIP else str(_to_scale(value, 1, 5)))
            score = _ENPS_INTERCEPT + _ENPS_LOADING * latent + rng.gauss(0.0, _ENPS_NOISE_SD)
            cells.append("" if rng.random() < _SKIP else str(_to_scale(score, 0, 10)))
            comment = ""
            if rng.random() < _COMMENT:
                positive, critical = _COMMENTS[m.language]
                pool = positive if latent + rng.gauss(0.0, 0.3) > 0.0 else critical
                comment = rng.choice(pool)
            by_unit.setdefault(m.unit_id, []).append([*cells, comment])
        for unit_id in sorted(by_unit):
            answers = by_unit[unit_id]
            rng.shuffle(answers)
            rows.extend([wave.isoformat(), unit_id, "", *a] for a in answers)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESPONSES_HEADER)
    for number, row in enumerate(rows, start=1):
        row[2] = f"r{number:06d}"
        writer.writerow(row)
    return out.getvalue().encode("utf-8")
