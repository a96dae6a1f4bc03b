"""The demo organisation (engage.demo_data): deterministic, well-formed, realistic CSVs."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, timedelta

import pytest

from engage.demo_data import (
    DEMO_ORG_NAME,
    DemoLogin,
    demo_logins,
    demo_roster_csv,
    demo_units_csv,
)

TODAY = date(2025, 6, 1)
UNITS_HEADER = ["unit_id", "name", "parent_id"]
ROSTER_HEADER = [
    "employee_id",
    "email",
    "name",
    "unit_id",
    "role",
    "language",
    "hired_on",
    "left_on",
]
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*@lumen-demo\.example$")
CASES = [(TODAY, 7), (TODAY, 1), (date(2026, 2, 28), 2024)]


def parse(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV file, read the way the importers read it."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    assert all(len(r) == len(header) for r in body)
    return header, [dict(zip(header, r, strict=True)) for r in body]


class Org:
    """Both files of one demo organisation, parsed."""

    def __init__(self, today: date, seed: int) -> None:
        self.today = today
        self.seed = seed
        self.units_header, self.units = parse(demo_units_csv(seed))
        self.roster_header, self.roster = parse(demo_roster_csv(today, seed))
        self.parent = {u["unit_id"]: u["parent_id"] for u in self.units}

    def depth(self, unit_id: str) -> int:
        """0 for the root, 1 for a region, 2 for a location, 3 for a team."""
        d = 0
        while self.parent[unit_id]:
            unit_id = self.parent[unit_id]
            d += 1
        return d

    def at_depth(self, depth: int) -> list[str]:
        return [u["unit_id"] for u in self.units if self.depth(u["unit_id"]) == depth]

    @property
    def current(self) -> list[dict[str, str]]:
        return [p for p in self.roster if not p["left_on"]]

    @property
    def leavers(self) -> list[dict[str, str]]:
        return [p for p in self.roster if p["left_on"]]


@pytest.fixture(params=CASES, ids=lambda c: f"{c[0]}-seed{c[1]}")
def org(request: pytest.FixtureRequest) -> Org:
    today, seed = request.param
    return Org(today, seed)


# --------------------------------------------------------------------------- determinism


def test_same_arguments_give_the_same_bytes() -> None:
    assert demo_units_csv(7) == demo_units_csv(7)
    assert demo_units_csv() == demo_units_csv(7)
    assert demo_roster_csv(TODAY, 7) == demo_roster_csv(TODAY, 7)
    assert demo_roster_csv(TODAY) == demo_roster_csv(TODAY, 7)
    assert demo_logins(TODAY, 7) == demo_logins(TODAY, 7)


def test_a_different_seed_gives_a_different_roster() -> None:
    assert demo_roster_csv(TODAY, 7) != demo_roster_csv(TODAY, 8)
    names_7 = {p["name"] for p in parse(demo_roster_csv(TODAY, 7))[1]}
    names_8 = {p["name"] for p in parse(demo_roster_csv(TODAY, 8))[1]}
    assert names_7 != names_8


def test_a_later_day_moves_the_dates_not_the_people() -> None:
    _, before = parse(demo_roster_csv(TODAY, 7))
    _, after = parse(demo_roster_csv(TODAY + timedelta(days=30), 7))
    assert [p["name"] for p in before] == [p["name"] for p in after]
    assert before[0]["hired_on"] != after[0]["hired_on"]


# --------------------------------------------------------------------------- units


def test_units_header_and_encoding() -> None:
    data = demo_units_csv()
    assert data.decode("utf-8").splitlines()[0] == "unit_id,name,parent_id"
    assert not data.startswith(b"\xef\xbb\xbf")


def test_unit_tree_has_one_root_and_parents_come_first(org: Org) -> None:
    assert org.units_header == UNITS_HEADER
    roots = [u for u in org.units if not u["parent_id"]]
    assert len(roots) == 1
    assert roots[0]["name"] == DEMO_ORG_NAME
    seen: set[str] = set()
    for u in org.units:
        assert u["unit_id"] not in seen, f"duplicate unit {u['unit_id']}"
        assert not u["parent_id"] or u["parent_id"] in seen, f"{u['unit_id']} before its parent"
        seen.add(u["unit_id"])
        assert re.fullmatch(r"[A-Z0-9-]{1,64}", u["unit_id"]), u["unit_id"]
        assert u["name"].strip()


def test_unit_tree_shape(org: Org) -> None:
    regions, locations, teams = org.at_depth(1), org.at_depth(2), org.at_depth(3)
    assert len(regions) == 3
    assert 10 <= len(locations) <= 14
    assert max(org.depth(u["unit_id"]) for u in org.units) == 3
    teams_per_location = Counter(org.parent[t] for t in teams)
    for location in locations:
        assert 2 <= teams_per_location[location] <= 4, location
    assert all(u.startswith("R-") for u in regions)
    assert all(u.startswith("L-") for u in locations)
    assert all(u.startswith("T-") for u in teams)
    # Every region runs locations.
    assert {org.parent[loc] for loc in locations} == set(regions)


def test_some_locations_have_no_massage_team() -> None:
    _, units = parse(demo_units_csv())
    names = [u["name"] for u in units]
    massage = [n for n in names if "Massage" in n]
    assert 0 < len(massage) < 12


# --------------------------------------------------------------------------- roster


def test_roster_header(org: Org) -> None:
    assert org.roster_header == ROSTER_HEADER


def test_headcount_and_leavers(org: Org) -> None:
    assert 300 <= len(org.current) <= 400
    assert len(org.leavers) >= 60
    # Realistic yearly turnover over the two-year window: roughly 20-45%.
    yearly = len(org.leavers) / 2 / len(org.current)
    assert 0.2 <= yearly <= 0.45, yearly


def test_team_sizes_are_realistic(org: Org) -> None:
    teams = org.at_depth(3)
    sizes = Counter(p["unit_id"] for p in org.current if p["role"] == "employee")
    assert set(sizes) == set(teams), "every team has current staff"
    assert all(3 <= sizes[t] <= 14 for t in teams), sizes
    front_desk = [sizes[t] for t in teams if t.endswith("-FD")]
    estheticians = [sizes[t] for t in teams if t.endswith("-EST")]
    assert sum(front_desk) / len(front_desk) < sum(estheticians) / len(estheticians)


def test_employee_ids_are_unique(org: Org) -> None:
    ids = [p["employee_id"] for p in org.roster]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"E\d{5}", i) for i in ids)


def test_dates_are_iso_and_ordered(org: Org) -> None:
    earliest_leaving = org.today - timedelta(days=731)
    earliest_hire = org.today - timedelta(days=round(6.5 * 365))
    for p in org.roster:
        assert ISO.match(p["hired_on"]), p
        hired = date.fromisoformat(p["hired_on"])
        assert earliest_hire <= hired <= org.today, p
        if p["left_on"]:
            assert ISO.match(p["left_on"]), p
            left = date.fromisoformat(p["left_on"])
            assert hired <= left <= org.today, p
            assert left >= earliest_leaving, p


def test_hires_lean_recent(org: Org) -> None:
    hired = [date.fromisoformat(p["hired_on"]) for p in org.current]
    recent = sum(1 for d in hired if d >= org.today - timedelta(days=2 * 365))
    old = sum(1 for d in hired if d < org.today - timedelta(days=4 * 365))
    assert recent > old > 0
    assert min(hired) < org.today - timedelta(days=5 * 365)


def test_people_sit_in_units_matching_their_role(org: Org) -> None:
    for p in org.roster:
        assert p["unit_id"] in org.parent, p
        depth = org.depth(p["unit_id"])
        assert p["role"] in {"employee", "manager", "hr", "admin"}, p
        if p["role"] == "employee":
            assert depth == 3, p
        elif p["role"] == "manager":
            assert depth in (1, 2), p
        else:
            assert depth == 0, p


def test_each_location_and_region_has_one_current_manager(org: Org) -> None:
    managers = Counter(p["unit_id"] for p in org.current if p["role"] == "manager")
    for unit in org.at_depth(1) + org.at_depth(2):
        assert managers[unit] == 1, unit
    assert sum(managers.values()) == len(org.at_depth(1)) + len(org.at_depth(2))
    roles = Counter(p["role"] for p in org.current)
    assert roles["hr"] == 2
    assert roles["admin"] == 1


def test_languages(org: Org) -> None:
    languages = Counter(p["language"] for p in org.current)
    assert set(languages) == {"en", "ru", "zh"}
    total = sum(languages.values())
    assert languages["en"] / total > 0.6
    assert 0.08 <= languages["ru"] / total <= 0.22
    assert 0.07 <= languages["zh"] / total <= 0.2


def test_some_locations_speak_more_russian_or_chinese(org: Org) -> None:
    by_location: dict[str, Counter[str]] = {}
    for p in org.current:
        if p["role"] == "employee":
            by_location.setdefault(org.parent[p["unit_id"]], Counter())[p["language"]] += 1
    share = {
        loc: {lang: c[lang] / sum(c.values()) for lang in ("ru", "zh")}
        for loc, c in by_location.items()
    }
    assert max(s["ru"] for s in share.values()) > 0.25
    assert max(s["zh"] for s in share.values()) > 0.25


def test_names_are_plausible_for_the_language(org: Org) -> None:
    cyrillic = re.compile(r"[\u0400-\u04ff]")
    han = re.compile(r"[\u4e00-\u9fff]")
    for p in org.roster:
        assert p["name"].strip() and len(p["name"]) <= 200, p
        if p["language"] == "ru":
            assert cyrillic.search(p["name"]), p
        elif p["language"] == "en":
            assert p["name"].isascii(), p
    assert any(han.search(p["name"]) for p in org.roster if p["language"] == "zh")


def test_emails(org: Org) -> None:
    emails = [p["email"] for p in org.roster if p["email"]]
    assert len(emails) == len(set(emails)), "emails are unique"
    for email in emails:
        assert email.isascii() and email == email.lower(), email
        assert EMAIL.match(email), email
    for p in org.roster:
        if p["role"] != "employee":
            assert p["email"], p
    share = sum(1 for p in org.current if p["email"]) / len(org.current)
    assert 0.6 <= share <= 0.8, share
    # Front-line staff without a corporate email exist, and have an empty email.
    assert any(not p["email"] for p in org.current if p["unit_id"].endswith("-FD"))


def test_emails_follow_the_names() -> None:
    _, roster = parse(demo_roster_csv(TODAY))
    for p in roster:
        if p["email"] and p["language"] == "en":
            first = p["name"].split()[0].lower()
            assert p["email"].startswith(f"{first}."), p
    russian = [p for p in roster if p["email"] and p["language"] == "ru"]
    assert russian
    assert all(EMAIL.match(p["email"]) for p in russian)


# --------------------------------------------------------------------------- logins


def test_one_login_per_role_from_the_roster(org: Org) -> None:
    logins = demo_logins(org.today, org.seed)
    assert all(isinstance(login, DemoLogin) for login in logins)
    assert [login.role for login in logins] == ["admin", "hr", "manager", "employee"]
    by_email = {p["email"]: p for p in org.roster if p["email"]}
    for login in logins:
        person = by_email[login.email]
        assert person["role"] == login.role, login
        assert not person["left_on"], login
        assert login.description
    first = {
        role: min(p["employee_id"] for p in org.current if p["role"] == role)
        for role in ("admin", "hr")
    }
    assert by_email[logins[0].email]["employee_id"] == first["admin"]
    assert by_email[logins[1].email]["employee_id"] == first["hr"]
    manager = by_email[logins[2].email]
    assert org.depth(manager["unit_id"]) == 2, "a location manager"
    location_name = next(u["name"] for u in org.units if u["unit_id"] == manager["unit_id"])
    assert location_name in logins[2].description


def test_logins_do_not_depend_on_hidden_state() -> None:
    first = demo_logins(TODAY, 7)
    demo_roster_csv(TODAY, 99)
    assert demo_logins(TODAY, 7) == first


# --------------------------------------------------------------------------- importers


def test_the_importers_accept_the_files(org: Org) -> None:
    from engage.org.roster_import import validate_roster
    from engage.org.units_import import validate_units

    units = validate_units(demo_units_csv(org.seed), {})
    assert len(units) == len(org.units)
    rows, present = validate_roster(
        demo_roster_csv(org.today, org.seed), {u.code for u in units}, {}, "en"
    )
    assert len(rows) == len(org.roster)
    assert present == {"email", "role", "language", "left_on"}
