"""Import ``units.csv`` (``unit_id,name,parent_id``): validate everything, then apply in one go."""

from __future__ import annotations

from dataclasses import dataclass

from engage.csvio import ErrorCollector, ImportSummary, Progress, chunked, read_csv
from engage.db.tables import Unit
from engage.org.tree import ancestors_path, find_cycles, materialised_path

WHAT = "units.csv"
MAX_CODE = 64
MAX_NAME = 200
#: Levels a unit tree may have: deeper paths would not fit ``org_unit.path`` (2,000 chars).
MAX_LEVELS = 100


@dataclass(frozen=True, slots=True)
class UnitRow:
    """One unit as it should be after the import."""

    code: str
    name: str
    parent_code: str | None


def validate_units(data: bytes, existing: dict[str, UnitRow]) -> list[UnitRow]:
    """Check a units file against the units already stored; return the file's units.

    Raises ``ImportRejected`` naming every bad row: missing or long values, duplicate
    ids, unknown parents, cycles, and more than one root in the resulting tree.
    """
    table = read_csv(data, WHAT, required=("unit_id", "name", "parent_id"))
    errors = ErrorCollector()
    in_file: dict[str, tuple[int, UnitRow]] = {}
    for row_no, values in table.rows:
        code, name, parent = values["unit_id"], values["name"], values["parent_id"]
        ok = True
        if not code:
            errors.add(row_no, "unit_id", "is empty")
            ok = False
        elif len(code) > MAX_CODE:
            errors.add(row_no, "unit_id", f"is longer than {MAX_CODE} characters")
            ok = False
        elif code in in_file:
            errors.add(row_no, "unit_id", f"duplicate id {code!r} (also on row {in_file[code][0]})")
            ok = False
        if not name:
            errors.add(row_no, "name", "is empty")
            ok = False
        elif len(name) > MAX_NAME:
            errors.add(row_no, "name", f"is longer than {MAX_NAME} characters")
            ok = False
        if parent and parent == code:
            errors.add(row_no, "parent_id", f"unit {code!r} cannot be its own parent")
            ok = False
        if ok:
            in_file[code] = (row_no, UnitRow(code, name, parent or None))
    errors.need_rows(table.rows, "units")
    errors.raise_if_any(WHAT)

    merged: dict[str, UnitRow] = dict(existing)
    merged.update({code: unit for code, (_, unit) in in_file.items()})
    for row_no, unit in in_file.values():
        if unit.parent_code is not None and unit.parent_code not in merged:
            errors.add(row_no, "parent_id", f"unknown parent unit {unit.parent_code!r}")
    errors.raise_if_any(WHAT)

    parent_of = {code: unit.parent_code for code, unit in merged.items()}
    for cycle in find_cycles(parent_of):
        loop = " → ".join([*cycle, cycle[0]])
        rows = [in_file[c][0] for c in cycle if c in in_file]
        errors.add(min(rows) if rows else None, "parent_id", f"cycle in the unit tree: {loop}")
    roots = sorted(code for code, parent in parent_of.items() if parent is None)
    if len(roots) > 1:
        rows = [in_file[c][0] for c in roots if c in in_file]
        errors.add(
            min(rows) if rows else None,
            "parent_id",
            "more than one root unit (parent_id empty): "
            + ", ".join(roots[:10])
            + ("…" if len(roots) > 10 else "")
            + "; an organisation has exactly one root",
        )
    elif not roots and not find_cycles(parent_of):
        errors.add(None, "parent_id", "no root unit (one unit must have an empty parent_id)")
    errors.raise_if_any(WHAT)

    # The tree is sound; now bound its depth (the stored path must fit its column).
    reported: set[int | None] = set()
    for code in merged:
        chain = ancestors_path(code, parent_of)
        if len(chain) != MAX_LEVELS + 1:
            continue  # only the first level too deep: the levels below it follow from it
        culprit = next((c for c in reversed(chain) if c in in_file), None)
        row = in_file[culprit][0] if culprit is not None else None
        if row in reported:
            continue
        reported.add(row)
        errors.add(
            row,
            "parent_id",
            f"unit {code!r} would be {MAX_LEVELS + 1} levels deep "
            f"({' → '.join([*chain[:3], '…', *chain[-2:]])}); the unit tree can have at most "
            f"{MAX_LEVELS} levels — check that parent_id was not filled in by mistake",
        )
    errors.raise_if_any(WHAT)
    return [unit for _, unit in in_file.values()]


async def load_existing_units() -> dict[str, UnitRow]:
    """Stored units as ``UnitRow`` by code."""
    rows = await Unit.select(Unit.code, Unit.name, Unit.parent.code).run()
    return {r["code"]: UnitRow(r["code"], r["name"], r["parent.code"]) for r in rows}


async def import_units(data: bytes, progress: Progress | None = None) -> ImportSummary:
    """Validate and apply a units file in one transaction (all or nothing)."""
    existing = await load_existing_units()
    file_units = validate_units(data, existing)
    merged = dict(existing)
    merged.update({u.code: u for u in file_units})
    created = [u for u in file_units if u.code not in existing]
    updated = [u for u in file_units if u.code in existing and existing[u.code] != u]
    total = len(created) + len(merged)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("saving units", done, total)

    async with Unit._meta.db.transaction():
        for chunk in chunked(created, 500):
            await (
                Unit.insert(*[Unit(code=u.code, name=u.name, path="", depth=0) for u in chunk])
                .on_conflict(target=Unit.code, action="DO NOTHING")
                .run()
            )
            tick(len(chunk))
        id_rows = await Unit.select(Unit.id, Unit.code, Unit.parent, Unit.path, Unit.name).run()
        ids = {r["code"]: r["id"] for r in id_rows}
        stored = {r["code"]: r for r in id_rows}
        parent_of = {code: u.parent_code for code, u in merged.items()}
        changed: list[Unit] = []
        for code, unit in merged.items():
            chain = ancestors_path(code, parent_of)
            path = materialised_path([ids[c] for c in chain])
            parent_id = ids[unit.parent_code] if unit.parent_code else None
            old = stored[code]
            if (old["parent"], old["path"], old["name"]) != (parent_id, path, unit.name):
                changed.append(
                    Unit(
                        id=ids[code],
                        code=code,
                        name=unit.name,
                        parent=parent_id,
                        path=path,
                        depth=len(chain) - 1,
                    )
                )
        tick(len(merged) - len(changed))
        for batch in chunked(changed, 500):
            await (
                Unit.insert(*batch)
                .on_conflict(
                    target=Unit.code,
                    action="DO UPDATE",
                    values=[Unit.name, Unit.parent, Unit.path, Unit.depth],
                )
                .run()
            )
            tick(len(batch))
    return ImportSummary(
        kind="units",
        rows=len(file_units),
        created=len(created),
        updated=len(updated),
        unchanged=len(file_units) - len(created) - len(updated),
    )
