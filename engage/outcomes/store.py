"""Writing client metrics: upsert per unit, month and metric, counting what changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from engage.csvio import chunked
from engage.db.bulk import executemany
from engage.db.tables import ClientMetric

COLUMNS = ("unit", "month", "metric", "value", "n", "source")
UPSERT = (
    f"INSERT INTO client_metric ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join(['{}'] * len(COLUMNS))}) "
    "ON CONFLICT (unit, month, metric) DO UPDATE SET "
    "value = excluded.value, n = excluded.n, source = excluded.source"
)


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One client metric as it should be stored."""

    unit: int  # org_unit.id
    month: date  # first day of the month
    metric: str
    value: float
    n: int | None
    source: str  # outcomes | visits


@dataclass(frozen=True, slots=True)
class Written:
    """How many rows an upsert created, updated and left unchanged."""

    created: int
    updated: int
    unchanged: int


async def upsert_metrics(
    rows: list[MetricRow], tick: Callable[[int, int], None] | None = None
) -> Written:
    """Store ``rows`` in one transaction; rows equal to the stored ones are not written.

    Only the given unit, month and metric combinations are touched. ``tick(done, total)``
    follows the writing.
    """
    metrics = sorted({r.metric for r in rows})
    engine = ClientMetric._meta.db
    async with engine.transaction():
        stored = (
            await ClientMetric.select(
                ClientMetric.unit,
                ClientMetric.month,
                ClientMetric.metric,
                ClientMetric.value,
                ClientMetric.n,
                ClientMetric.source,
            )
            .where(ClientMetric.metric.is_in(metrics))
            .run()
            if metrics
            else []
        )
        before = {
            (s["unit"], s["month"], s["metric"]): (s["value"], s["n"], s["source"]) for s in stored
        }
        created = [r for r in rows if (r.unit, r.month, r.metric) not in before]
        updated = [
            r
            for r in rows
            if (key := (r.unit, r.month, r.metric)) in before
            and before[key] != (r.value, r.n, r.source)
        ]
        changed = created + updated
        done = 0
        for batch in chunked(changed, 2000):
            await executemany(
                engine,
                UPSERT,
                [(r.unit, r.month, r.metric, r.value, r.n, r.source) for r in batch],
            )
            done += len(batch)
            if tick:
                tick(done, len(changed))
        if tick and not changed:
            tick(0, 0)
    return Written(len(created), len(updated), len(rows) - len(changed))
