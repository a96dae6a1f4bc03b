"""A realistic demo organisation: ``units.csv`` and ``roster.csv`` for a med-spa chain.

Pure and deterministic: standard library only, every random draw comes from one
``random.Random(seed)``, and the files are byte-identical for the same arguments.

"Lumen Aesthetics" is a Greater-Toronto med-spa chain: a root unit, three regions, twelve
locations (opened over the last six years) and two to four teams per location (front
desk, injectors & nurses, estheticians, massage therapists). About 350 people work there
today; about 30% a year leave (front desk most, injectors least), and the leavers of the
last two years are in the roster with ``left_on`` set. Survey languages are en, ru and
zh, with Russian-speaking staff concentrated in Thornhill and North York and
Chinese-speaking staff in Markham and Richmond Hill. Each location has one manager (in
the location unit), each region a regional manager (in the region unit), and the root
holds two HR people and one admin. About 70% of people have a corporate email
(``firstname.lastname@lumen-demo.example``); front-line staff without one have none.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "DEMO_EMAIL_DOMAIN",
    "DEMO_ORG_NAME",
    "DemoLogin",
    "demo_logins",
    "demo_roster_csv",
    "demo_units_csv",
]

DEMO_ORG_NAME: str = "Lumen Aesthetics"
DEMO_EMAIL_DOMAIN: str = "lumen-demo.example"

UNITS_HEADER = ("unit_id", "name", "parent_id")
ROSTER_HEADER = (
    "employee_id",
    "email",
    "name",
    "unit_id",
    "role",
    "language",
    "hired_on",
    "left_on",
)

ROOT_ID = "ORG"
_YEAR = 365.25
_HISTORY_YEARS = 6.0  # the oldest hire
_LEAVER_WINDOW_DAYS = 730  # leavers of the last two years are on the roster


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A roster person the demo can sign in as, one per role."""

    role: str  # "admin" | "hr" | "manager" | "employee"
    email: str
    description: str  # e.g. "Manager, Lumen Yorkville"


# --------------------------------------------------------------------------- structure


@dataclass(frozen=True, slots=True)
class _TeamKind:
    code: str  # suffix of the unit id
    name: str
    presence: float  # chance a location has this team
    size: tuple[int, int]  # current headcount range
    turnover: float  # share leaving per year
    email_share: float  # share with a corporate email
    male_share: float
    title: str  # one member's job title, for descriptions


_TEAM_KINDS = (
    _TeamKind("FD", "Front desk", 1.0, (3, 7), 0.42, 0.45, 0.12, "Client coordinator"),
    _TeamKind("INJ", "Injectors & nurses", 1.0, (4, 12), 0.20, 0.97, 0.18, "Nurse injector"),
    _TeamKind("EST", "Estheticians", 0.85, (5, 14), 0.30, 0.65, 0.05, "Esthetician"),
    _TeamKind("MSG", "Massage therapists", 0.6, (3, 9), 0.30, 0.55, 0.40, "Massage therapist"),
)


@dataclass(frozen=True, slots=True)
class _Region:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class _Site:
    slug: str  # for unit ids
    place: str  # neighbourhood or town
    region: str  # region code
    opened_years: float  # years before today
    size: float  # headcount factor (flagship > 1)
    languages: tuple[float, float, float]  # weights of en, ru, zh


_REGIONS = (
    _Region("R-NORTH", "North region"),
    _Region("R-CENTRAL", "Central region"),
    _Region("R-WEST", "West region"),
)

_SITES = (
    _Site("RICHMOND-HILL", "Richmond Hill", "R-NORTH", 3.5, 1.0, (0.50, 0.12, 0.38)),
    _Site("MARKHAM", "Markham", "R-NORTH", 3.0, 1.1, (0.45, 0.05, 0.50)),
    _Site("THORNHILL", "Thornhill", "R-NORTH", 4.5, 0.9, (0.47, 0.45, 0.08)),
    _Site("NORTH-YORK", "North York", "R-NORTH", 4.0, 1.0, (0.50, 0.40, 0.10)),
    _Site("YORKVILLE", "Yorkville", "R-CENTRAL", 5.6, 1.3, (0.82, 0.08, 0.10)),
    _Site("LIBERTY-VILLAGE", "Liberty Village", "R-CENTRAL", 5.0, 1.0, (0.88, 0.06, 0.06)),
    _Site("LESLIEVILLE", "Leslieville", "R-CENTRAL", 4.5, 0.85, (0.90, 0.05, 0.05)),
    _Site("THE-ANNEX", "The Annex", "R-CENTRAL", 5.2, 0.9, (0.85, 0.07, 0.08)),
    _Site("ETOBICOKE", "Etobicoke", "R-WEST", 3.0, 1.0, (0.76, 0.18, 0.06)),
    _Site("PORT-CREDIT", "Port Credit", "R-WEST", 2.5, 0.9, (0.80, 0.10, 0.10)),
    _Site("OAKVILLE", "Oakville", "R-WEST", 2.0, 0.95, (0.88, 0.07, 0.05)),
    _Site("BURLINGTON", "Burlington", "R-WEST", 1.5, 0.8, (0.92, 0.05, 0.03)),
)

_LANGUAGES = ("en", "ru", "zh")
_LOGIN_SITE = "YORKVILLE"  # the flagship: the demo manager and employee work here


@dataclass(frozen=True, slots=True)
class _Unit:
    unit_id: str
    name: str
    parent_id: str  # "" for the root


@dataclass(frozen=True, slots=True)
class _Team:
    unit_id: str
    kind: _TeamKind
    site: _Site
    headcount: int  # current staff, the location manager not included
    turnover: float  # this team's yearly leaving rate


@dataclass(frozen=True, slots=True)
class _Org:
    units: tuple[_Unit, ...]
    teams: tuple[_Team, ...]


def _location_id(site: _Site) -> str:
    return f"L-{site.slug}"


def _location_name(site: _Site) -> str:
    return f"Lumen {site.place}"


def _build_org(rng: random.Random) -> _Org:
    """Units and team sizes; the first draws of ``rng``, shared by both files."""
    units = [_Unit(ROOT_ID, DEMO_ORG_NAME, "")]
    units += [_Unit(r.code, r.name, ROOT_ID) for r in _REGIONS]
    plans: list[tuple[str, _TeamKind, _Site, int]] = []
    for site in _SITES:
        units.append(_Unit(_location_id(site), _location_name(site), site.region))
        for kind in _TEAM_KINDS:
            if rng.random() >= kind.presence:
                continue
            team_id = f"T-{site.slug}-{kind.code}"
            units.append(_Unit(team_id, f"{site.place} · {kind.name}", _location_id(site)))
            low, high = kind.size
            size = round(rng.randint(low, high) * site.size)
            plans.append((team_id, kind, site, min(max(size, low), high)))
    # Nudge team sizes (within each kind's range) until the chain has its target headcount.
    sizes = [p[3] for p in plans]
    target = rng.randint(335, 365) - len(_SITES) - len(_REGIONS) - 3
    while sum(sizes) != target:
        grow = sum(sizes) < target
        movable = [
            i
            for i, p in enumerate(plans)
            if (sizes[i] < p[1].size[1] if grow else sizes[i] > p[1].size[0])
        ]
        if not movable:
            break
        sizes[rng.choice(movable)] += 1 if grow else -1
    teams = tuple(
        _Team(team_id, kind, site, sizes[i], kind.turnover * rng.uniform(0.6, 1.5))
        for i, (team_id, kind, site, _) in enumerate(plans)
    )
    return _Org(tuple(units), teams)


# --------------------------------------------------------------------------- names


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_EN_FEMALE = _words(
    "Olivia Emma Sophia Ava Isabella Mia Charlotte Amelia Emily Madison Chloe Abigail "
    "Hannah Grace Natalie Sarah Jessica Ashley Samantha Lauren Megan Rachel Nicole Brittany "
    "Kayla Alyssa Victoria Jasmine Priya Aisha Maria Sofia Gabrielle Julia Camille Leah "
    "Stephanie Danielle Melissa Amanda Holly Brooke Paige Zoe Maya Nadia"
)
_EN_MALE = _words(
    "Liam Noah Ethan Lucas Benjamin James Daniel Matthew Ryan Michael David Andrew Jordan "
    "Tyler Nathan Adam Marcus Kevin Jason Omar Raj Carlos Luca Owen Connor"
)
_EN_SURNAMES = _words(
    "Smith Brown Tremblay Martin Roy Wilson MacDonald Taylor Campbell Anderson Johnson "
    "Williams Jones Miller Davis Thompson White Clark Lewis Walker Young King Wright Scott "
    "Green Baker Adams Hill Mitchell Stewart Morrison Murphy O'Brien Kelly Fraser Grant "
    "Gagnon Bouchard Gauthier Leblanc Patel Singh Sharma Gill Nguyen Tran Kim Park Ali Khan "
    "Santos Silva Rossi Romano Ferreira Costa Reyes Garcia Lopez Hughes Bennett Reid Hamilton "
    "Ross Graham Sinclair Doyle Fitzgerald Sullivan Brooks Price Ward Hayes"
)

_RU_FEMALE = _words(
    "Анна Мария Елена Ольга Наталья Екатерина Татьяна Ирина Светлана Юлия Анастасия Дарья "
    "Ксения Виктория Алина Полина Марина Валерия Евгения Людмила Вероника Кристина Алёна "
    "Софья Александра Яна"
)
_RU_MALE = _words(
    "Алексей Дмитрий Сергей Андрей Иван Михаил Николай Артём Максим Павел Владимир Роман "
    "Денис Евгений Игорь"
)
_RU_SURNAMES = _words(
    "Иванов Смирнов Кузнецов Попов Соколов Лебедев Козлов Новиков Морозов Петров Волков "
    "Соловьёв Васильев Зайцев Павлов Семёнов Голубев Виноградов Богданов Воробьёв Фёдоров "
    "Михайлов Беляев Тарасов Белов Комаров Орлов Киселёв Макаров Андреев Никитин Захаров "
    "Ковальский Вишневский Шевченко Бондаренко Мельник Гусев Титов Кудрявцев"
)

# (characters, pinyin)
_ZH_SURNAMES = (
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("林", "Lin"),
    ("罗", "Luo"),
    ("高", "Gao"),
    ("梁", "Liang"),
    ("郑", "Zheng"),
    ("谢", "Xie"),
    ("宋", "Song"),
    ("唐", "Tang"),
    ("邓", "Deng"),
    ("冯", "Feng"),
    ("韩", "Han"),
    ("曹", "Cao"),
    ("叶", "Ye"),
)
_ZH_FEMALE = (
    ("芳", "Fang"),
    ("静", "Jing"),
    ("丽", "Li"),
    ("敏", "Min"),
    ("婷", "Ting"),
    ("雪", "Xue"),
    ("慧", "Hui"),
    ("玲", "Ling"),
    ("欣怡", "Xinyi"),
    ("梓涵", "Zihan"),
    ("雨桐", "Yutong"),
    ("佳怡", "Jiayi"),
    ("晓燕", "Xiaoyan"),
    ("美玲", "Meiling"),
    ("秀英", "Xiuying"),
    ("思琪", "Siqi"),
    ("诗涵", "Shihan"),
    ("嘉欣", "Jiaxin"),
    ("颖", "Ying"),
    ("琳", "Lin"),
    ("悦", "Yue"),
    ("晨曦", "Chenxi"),
)
_ZH_MALE = (
    ("伟", "Wei"),
    ("磊", "Lei"),
    ("强", "Qiang"),
    ("军", "Jun"),
    ("杰", "Jie"),
    ("浩然", "Haoran"),
    ("子轩", "Zixuan"),
    ("俊杰", "Junjie"),
    ("明", "Ming"),
    ("涛", "Tao"),
    ("鹏", "Peng"),
    ("建华", "Jianhua"),
)
# English given names that many Chinese-Canadians use.
_ZH_EN_FEMALE = _words("Vivian Grace Cindy Helen Jenny Angela Irene Tiffany Yvonne Crystal")
_ZH_EN_MALE = _words("Kevin Eric Jason Tony Vincent Alan")
_ZH_ENGLISH_GIVEN_SHARE = 0.3

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        _words("a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya"),
        strict=True,
    )
)
_CYRILLIC["ъ"] = _CYRILLIC["ь"] = ""  # hard and soft signs are dropped


def _transliterate(text: str) -> str:
    """Russian Cyrillic to plain Latin letters (a simplified BGN/PCGN), lowercase."""
    return "".join(_CYRILLIC.get(ch, ch) for ch in text.lower())


def _russian_surname(surname: str, female: bool) -> str:
    if not female:
        return surname
    if surname.endswith("ский"):
        return surname[:-4] + "ская"
    if surname.endswith(("ов", "ев", "ёв", "ин")):
        return surname + "а"
    return surname  # Шевченко, Мельник: the same for both


@dataclass(frozen=True, slots=True)
class _Name:
    display: str
    first_latin: str  # for the email address
    last_latin: str


def _make_name(rng: random.Random, language: str, male: bool) -> _Name:
    if language == "ru":
        first = rng.choice(_RU_MALE if male else _RU_FEMALE)
        last = _russian_surname(rng.choice(_RU_SURNAMES), not male)
        return _Name(f"{first} {last}", _transliterate(first), _transliterate(last))
    if language == "zh":
        family, family_latin = rng.choice(_ZH_SURNAMES)
        if rng.random() < _ZH_ENGLISH_GIVEN_SHARE:
            given = rng.choice(_ZH_EN_MALE if male else _ZH_EN_FEMALE)
            return _Name(f"{given} {family_latin}", given, family_latin)
        given_zh, given_latin = rng.choice(_ZH_MALE if male else _ZH_FEMALE)
        return _Name(f"{family}{given_zh}", given_latin, family_latin)
    first = rng.choice(_EN_MALE if male else _EN_FEMALE)
    last = rng.choice(_EN_SURNAMES)
    return _Name(f"{first} {last}", first, last)


def _email_part(text: str) -> str:
    return "".join(ch for ch in text.lower() if "a" <= ch <= "z")


# --------------------------------------------------------------------------- people


@dataclass(slots=True)
class _Person:
    name: _Name
    unit_id: str
    role: str
    language: str
    hired_on: datetime.date
    left_on: datetime.date | None
    has_email: bool
    title: str  # for login descriptions
    employee_id: str = ""
    email: str = ""


def _days(years: float) -> int:
    return round(years * _YEAR)


def _pick_language(rng: random.Random, weights: tuple[float, float, float]) -> str:
    return rng.choices(_LANGUAGES, weights=weights)[0]


def _build_people(org: _Org, rng: random.Random, today: datetime.date) -> list[_Person]:
    """Everybody, current staff and leavers, with ids (by hiring order) and emails."""
    earliest = today - datetime.timedelta(days=_days(_HISTORY_YEARS))
    people: list[_Person] = []

    def add(
        *,
        unit_id: str,
        role: str,
        language: str,
        male: bool,
        hired_on: datetime.date,
        left_on: datetime.date | None,
        has_email: bool,
        title: str,
    ) -> _Person:
        hired_on = min(max(hired_on, earliest), left_on or today, today)
        person = _Person(
            _make_name(rng, language, male),
            unit_id,
            role,
            language,
            hired_on,
            left_on,
            has_email,
            title,
        )
        people.append(person)
        return person

    opened = {
        site.slug: today - datetime.timedelta(days=_days(site.opened_years) + rng.randint(0, 60))
        for site in _SITES
    }

    # Head office: the admin and two HR people in the root unit.
    add(
        unit_id=ROOT_ID,
        role="admin",
        language="en",
        male=rng.random() < 0.5,
        hired_on=today - datetime.timedelta(days=_days(5.5) + rng.randint(0, 120)),
        left_on=None,
        has_email=True,
        title="Operations administrator",
    )
    for years in (4.5, 1.5):
        add(
            unit_id=ROOT_ID,
            role="hr",
            language="en",
            male=rng.random() < 0.15,
            hired_on=today - datetime.timedelta(days=_days(years) + rng.randint(0, 200)),
            left_on=None,
            has_email=True,
            title="HR lead",
        )

    # Regional managers, hired around the opening of the region's first location.
    for region in _REGIONS:
        first_open = min(opened[s.slug] for s in _SITES if s.region == region.code)
        add(
            unit_id=region.code,
            role="manager",
            language="en",
            male=rng.random() < 0.3,
            hired_on=first_open - datetime.timedelta(days=rng.randint(-90, 120)),
            left_on=None,
            has_email=True,
            title=f"Regional manager, {region.name}",
        )

    leaver_window_start = today - datetime.timedelta(days=_LEAVER_WINDOW_DAYS)

    def leaving_day(site: _Site) -> datetime.date:
        start = max(leaver_window_start, opened[site.slug] + datetime.timedelta(days=30))
        span = max((today - start).days, 1)
        return start + datetime.timedelta(days=rng.randint(1, span))

    def hiring_day(site: _Site, tenure_mean_years: float) -> datetime.date:
        days = int(rng.expovariate(1 / (tenure_mean_years * _YEAR)))
        day = today - datetime.timedelta(days=days)
        if day < opened[site.slug]:  # part of the opening team
            day = opened[site.slug] - datetime.timedelta(days=rng.randint(0, 45))
        return day

    for site in _SITES:
        location = _location_id(site)
        # The location manager; some locations had a manager who has since left.
        manager_hired = opened[site.slug] - datetime.timedelta(days=rng.randint(20, 90))
        if rng.random() < 0.3:
            left = leaving_day(site)
            add(
                unit_id=location,
                role="manager",
                language=_pick_language(rng, site.languages),
                male=rng.random() < 0.25,
                hired_on=manager_hired,
                left_on=left,
                has_email=True,
                title=f"Manager, {_location_name(site)}",
            )
            manager_hired = left - datetime.timedelta(days=rng.randint(0, 30))
        add(
            unit_id=location,
            role="manager",
            language=_pick_language(rng, site.languages),
            male=rng.random() < 0.25,
            hired_on=manager_hired,
            left_on=None,
            has_email=True,
            title=f"Manager, {_location_name(site)}",
        )

        for team in (t for t in org.teams if t.site is site):
            kind = team.kind
            title = f"{kind.title}, {_location_name(site)}"
            for _ in range(team.headcount):
                add(
                    unit_id=team.unit_id,
                    role="employee",
                    language=_pick_language(rng, site.languages),
                    male=rng.random() < kind.male_share,
                    hired_on=hiring_day(site, 2.2),
                    left_on=None,
                    has_email=rng.random() < kind.email_share,
                    title=title,
                )
            # Leavers of the last two years (or since the location opened).
            years = min((today - opened[site.slug]).days, _LEAVER_WINDOW_DAYS) / _YEAR
            expected = team.turnover * team.headcount * years
            for _ in range(int(expected + rng.random())):
                left = leaving_day(site)
                tenure = 14 + int(rng.expovariate(1 / 400))  # most leave in the first year
                hired = max(
                    left - datetime.timedelta(days=tenure),
                    opened[site.slug] - datetime.timedelta(days=rng.randint(0, 45)),
                )
                add(
                    unit_id=team.unit_id,
                    role="employee",
                    language=_pick_language(rng, site.languages),
                    male=rng.random() < kind.male_share,
                    hired_on=hired,
                    left_on=left,
                    has_email=rng.random() < kind.email_share,
                    title=title,
                )

    # Employee ids follow hiring order, as an HR system would hand them out; on the same
    # day, generation order decides (the sort is stable).
    people.sort(key=lambda p: p.hired_on)
    taken: set[str] = set()
    for number, person in enumerate(people, start=1):
        person.employee_id = f"E{number:05d}"
        if not person.has_email:
            continue
        first, last = _email_part(person.name.first_latin), _email_part(person.name.last_latin)
        base = f"{first}.{last}" if first and last else person.employee_id.lower()
        local, suffix = base, 1
        while local in taken:
            suffix += 1
            local = f"{base}{suffix}"
        taken.add(local)
        person.email = f"{local}@{DEMO_EMAIL_DOMAIN}"
    return people


def _generate(today: datetime.date, seed: int) -> tuple[_Org, list[_Person]]:
    rng = random.Random(seed)
    org = _build_org(rng)
    return org, _build_people(org, rng, today)


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- public API


def demo_units_csv(seed: int = 7) -> bytes:
    """The demo ``units.csv`` (UTF-8, header ``unit_id,name,parent_id``), parents first.

    Unit ids are stable ASCII codes: ``ORG``, ``R-NORTH``, ``L-YORKVILLE``,
    ``T-YORKVILLE-FD``; ``seed`` decides which teams each location has.
    """
    org = _build_org(random.Random(seed))
    return _csv_bytes(UNITS_HEADER, [(u.unit_id, u.name, u.parent_id) for u in org.units])


def demo_roster_csv(today: datetime.date, seed: int = 7) -> bytes:
    """The demo ``roster.csv`` (UTF-8, ``employee_id,email,name,unit_id,role,language,
    hired_on,left_on``) as of ``today``: current staff plus the last two years' leavers.

    Employees sit in team units, location managers in location units, regional managers
    in region units, HR and the admin in the root. Deterministic for (``today``, ``seed``)
    and consistent with ``demo_units_csv(seed)``.
    """
    _, people = _generate(today, seed)
    rows = [
        (
            p.employee_id,
            p.email,
            p.name.display,
            p.unit_id,
            p.role,
            p.language,
            p.hired_on.isoformat(),
            p.left_on.isoformat() if p.left_on else "",
        )
        for p in people
    ]
    return _csv_bytes(ROSTER_HEADER, rows)


def demo_logins(today: datetime.date, seed: int = 7) -> list[DemoLogin]:
    """One demo sign-in per role, from ``demo_roster_csv(today, seed)``'s people.

    The first admin and the first HR person (by employee id), the current manager of the
    flagship location, and the first current employee with an email there.
    """
    _, people = _generate(today, seed)
    current = [p for p in people if p.left_on is None]
    admin = next(p for p in current if p.role == "admin")
    hr = next(p for p in current if p.role == "hr")
    site = next(s for s in _SITES if s.slug == _LOGIN_SITE)
    location = _location_id(site)
    manager = next(p for p in current if p.role == "manager" and p.unit_id == location)
    team_prefix = f"T-{site.slug}-"
    employee = next(
        p for p in current if p.role == "employee" and p.email and p.unit_id.startswith(team_prefix)
    )
    return [
        DemoLogin("admin", admin.email, f"Administrator, {DEMO_ORG_NAME}"),
        DemoLogin("hr", hr.email, f"HR lead, {DEMO_ORG_NAME}"),
        DemoLogin("manager", manager.email, manager.title),
        DemoLogin("employee", employee.email, employee.title),
    ]
