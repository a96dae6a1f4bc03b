"""One counter of the organisation-wide reports' inputs (``org_settings.report_inputs``).

Whatever changes what the linkage report is computed from calls ``inputs_changed``: a
published wave, any import, a training completion, the organisation's settings. A stored
report computed from an older count is out of date (``engage.reporting.report_store``).
"""

from __future__ import annotations

from datetime import date

from engage import clock
from engage.db.tables import OrgSettings


async def inputs_changed() -> None:
    """Say that an input of the organisation-wide reports changed (runs in the caller's
    transaction, if any, so a rolled-back change bumps nothing)."""
    await OrgSettings.raw("UPDATE org_settings SET report_inputs = report_inputs + 1").run()


async def current_inputs() -> tuple[int, date]:
    """The inputs' count and today: what a stored report must have been computed from."""
    row = await OrgSettings.select(OrgSettings.report_inputs).first().run()
    return (int(row["report_inputs"]) if row else 0), clock.today()
