"""Client metrics for the demo organisation: an ``outcomes.csv`` and a ``visits.csv``.

Pure and deterministic (standard library only, one ``random.Random(seed + 2000)``). The
numbers follow each location's engagement as measured in ``demo_responses_csv`` — the
mean respondent score of the location's staff in each wave — with a realistic, moderate
link and plenty of noise of their own, so the linkage report finds something real and
shows how uncertain it is:

- csat (1–5, from client surveys) and nps (−100…100) each month, partly carried over
  from the month before and nudged by the previous month's engagement (so the lagged
  model has something to find), plus a lasting location effect, part of which goes with
  the location's usual engagement (a stable confounder: the better locations are better at
  both, so the between-units link is larger than the month-to-month one);
- revenue each month, driven mostly by the location's size;
- visits: first-time clients arrive each month and come back within 90 days with a
  probability that rises with the location's engagement (about +4 points per SD), a
  few come back only later, and regulars keep visiting.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import random
from collections import defaultdict

from surveys.items import ENGAGEMENT_CODES

OUTCOMES_HEADER = ("unit_id", "month", "metric", "value", "n")
VISITS_HEADER = ("client_id", "unit_id", "visited_on", "service", "amount")
SERVICES = (
    ("consultation", 60),
    ("facial", 120),
    ("laser hair removal", 240),
    ("manicure", 45),
    ("injectables", 420),
    ("hair colour", 150),
)


#: The lasting location effect on csat and nps per SD of the location's usual engagement:
#: not caused by month-to-month engagement (a neighbourhood, a clientele), so only the
#: between-units estimate should see it.
CONFOUNDING_CSAT = 0.10
CONFOUNDING_NPS = 5.0


def _read(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _month(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def location_engagement(units_csv: bytes, responses_csv: bytes) -> dict[str, dict[str, float]]:
    """Mean respondent score per location (its teams included) and wave month."""
    parent = {u["unit_id"]: u["parent_id"] for u in _read(units_csv)}
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in _read(responses_csv):
        values = [int(row[c]) for c in ENGAGEMENT_CODES if row[c]]
        if len(values) * 3 < len(ENGAGEMENT_CODES) * 2:
            continue
        unit = row["unit_id"]
        location = unit if unit.startswith("L-") else parent.get(unit, "")
        if not location.startswith("L-"):
            continue
        cell = sums[(location, row["wave"][:7])]
        cell[0] += sum(values) / len(values)
        cell[1] += 1
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for (location, month), (total, n) in sums.items():
        out[location][month] = total / n
    return out


def _standardised(engagement: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    values = [v for months in engagement.values() for v in months.values()]
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1)) or 1.0
    return {
        loc: {m: (v - mean) / sd for m, v in months.items()} for loc, months in engagement.items()
    }


def _csv(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def demo_outcomes_csv(
    units_csv: bytes, roster_csv: bytes, responses_csv: bytes, seed: int = 7
) -> bytes:
    """The demo ``outcomes.csv``: csat, nps and revenue per location and wave month."""
    rng = random.Random(seed + 2000)
    z = _standardised(location_engagement(units_csv, responses_csv))
    staff: dict[str, int] = defaultdict(int)
    parent = {u["unit_id"]: u["parent_id"] for u in _read(units_csv)}
    for person in _read(roster_csv):
        unit = person["unit_id"]
        location = unit if unit.startswith("L-") else parent.get(unit, "")
        if location.startswith("L-") and not person["left_on"]:
            staff[location] += 1
    rows: list[tuple[object, ...]] = []
    for location in sorted(z):
        months = sorted(z[location])
        usual = sum(z[location].values()) / len(z[location])  # the location's usual level
        own_csat = CONFOUNDING_CSAT * usual + rng.gauss(0.0, 0.12)
        own_nps = CONFOUNDING_NPS * usual + rng.gauss(0.0, 7.0)
        size = max(staff[location], 3)
        csat = 4.3 + own_csat
        nps = 42.0 + own_nps
        previous = 0.0
        for month in months:
            engagement = z[location][month]
            csat = 0.55 * csat + 0.45 * (4.3 + own_csat) + 0.035 * previous + rng.gauss(0.0, 0.08)
            nps = 0.55 * nps + 0.45 * (42.0 + own_nps) + 3.5 * previous + rng.gauss(0.0, 5.0)
            surveyed = rng.randint(25, 40) + 4 * size
            revenue = size * 9500.0 * (1 + 0.02 * engagement + rng.gauss(0.0, 0.06))
            rows.append((location, month, "csat", f"{min(max(csat, 1.0), 5.0):.3f}", surveyed))
            rows.append((location, month, "nps", f"{min(max(nps, -100.0), 100.0):.1f}", surveyed))
            rows.append((location, month, "revenue", f"{max(revenue, 0.0):.2f}", ""))
            previous = engagement
    return _csv(OUTCOMES_HEADER, rows)


def demo_visits_csv(
    units_csv: bytes, responses_csv: bytes, today: datetime.date, seed: int = 7
) -> bytes:
    """The demo ``visits.csv``: every client visit to each location, up to ``today``."""
    rng = random.Random(seed + 3000)
    z = _standardised(location_engagement(units_csv, responses_csv))
    rows: list[tuple[object, ...]] = []
    client = 0
    for location in sorted(z):
        months = sorted(z[location])
        own = rng.gauss(0.0, 0.25)
        base_new = rng.randint(18, 40)
        for month in months:
            year, mon = int(month[:4]), int(month[5:])
            first_day = datetime.date(year, mon, 1)
            days_in_month = (datetime.date(year + mon // 12, mon % 12 + 1, 1) - first_day).days
            logit = 0.15 + own + 0.18 * z[location][month]
            p_return = 1 / (1 + math.exp(-logit))
            for _ in range(base_new + rng.randint(-5, 5)):
                client += 1
                client_id = f"C{client:06d}"
                day = first_day + datetime.timedelta(days=rng.randrange(days_in_month))
                visits = [day]
                if rng.random() < p_return:
                    visits.append(day + datetime.timedelta(days=rng.randint(10, 88)))
                    while rng.random() < 0.45:  # regulars keep coming
                        visits.append(visits[-1] + datetime.timedelta(days=rng.randint(20, 70)))
                elif rng.random() < 0.25:  # back, but only after the window
                    visits.append(day + datetime.timedelta(days=rng.randint(100, 240)))
                for visit in visits:
                    if visit >= today:
                        break
                    service, price = SERVICES[rng.randrange(len(SERVICES))]
                    rows.append((client_id, location, visit.isoformat(), service, price))
    rows.sort(key=lambda r: (str(r[2]), str(r[0])))
    return _csv(VISITS_HEADER, rows)
