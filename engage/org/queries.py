"""Read the org tree and the roster within a viewer's scope; counts come from SQL GROUP BY."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from piccolo.columns.combination import Or, Where
from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count

from engage import clock
from engage.db.tables import Person, Unit
from surveys.tree import path_ids


@dataclass(slots=True)
class UnitNode:
    """A unit with its head counts: ``direct`` people in it, ``total`` in its subtree."""

    id: int
    code: str
    name: str
    parent_id: int | None
    path: str
    depth: int
    direct: int = 0
    total: int = 0
    children: list[UnitNode] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PersonRow:
    """A roster line as the people page shows it."""

    employee_id: str
    name: str
    email: str | None
    role: str
    language: str
    unit_code: str
    unit_name: str
    hired_on: date
    left_on: date | None


@dataclass(frozen=True, slots=True)
class PeoplePage:
    """One page of a people search."""

    rows: list[PersonRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the search has."""
        return max(1, -(-self.total // self.per_page))


def _current_staff() -> Or | Where:
    return (Person.left_on.is_null()) | (Person.left_on > clock.today())


async def managed_units() -> set[int]:
    """Units a current member of staff manages (roster role ``manager``): the figures the
    reporting gate prefers to keep when it must choose what to hide."""
    rows = (
        await Person.select(Person.unit)
        .where((Person.role == "manager") & _current_staff())
        .distinct()
        .run()
    )
    return {int(r["unit"]) for r in rows}


async def unit_tree(scope_path: str | None) -> list[UnitNode]:
    """The units a viewer may see, as a forest (one root for HR), with current head counts."""
    query = Unit.select(Unit.id, Unit.code, Unit.name, Unit.parent, Unit.path, Unit.depth)
    if scope_path is not None:
        query = query.where(Unit.path.like(f"{scope_path}%"))
    units = await query.order_by(Unit.depth).order_by(Unit.name).run()
    counts_query = Person.select(Person.unit, Count(Person.id, alias="n")).where(_current_staff())
    if scope_path is not None:
        counts_query = counts_query.where(Person.unit._.path.like(f"{scope_path}%"))
    counts = {r["unit"]: r["n"] for r in await counts_query.group_by(Person.unit).run()}
    nodes = {
        u["id"]: UnitNode(
            id=u["id"],
            code=u["code"],
            name=u["name"],
            parent_id=u["parent"],
            path=u["path"],
            depth=u["depth"],
            direct=counts.get(u["id"], 0),
        )
        for u in units
    }
    roots: list[UnitNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id is not None else None
        if parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
    for node in sorted(nodes.values(), key=lambda n: -n.depth):
        node.total = node.direct + sum(c.total for c in node.children)
    return roots


def flatten(roots: list[UnitNode]) -> list[UnitNode]:
    """Depth-first list of a forest (for tables and selects)."""
    out: list[UnitNode] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


async def find_unit(code: str, scope_path: str | None) -> UnitNode | None:
    """A unit by code with its subtree, or None if it does not exist or is out of scope."""
    row = await Unit.select(Unit.path).where(Unit.code == code).first().run()
    if row is None or (scope_path is not None and not row["path"].startswith(scope_path)):
        return None
    for node in flatten(await unit_tree(row["path"])):
        if node.code == code:
            return node
    return None


async def ancestors(path: str, scope_path: str | None) -> list[dict[str, str]]:
    """Code and name of the units above ``path`` that the viewer may see, root first."""
    ids = path_ids(path)[:-1]
    if not ids:
        return []
    rows = (
        await Unit.select(Unit.id, Unit.code, Unit.name, Unit.path).where(Unit.id.is_in(ids)).run()
    )
    by_id = {r["id"]: r for r in rows}
    return [
        {"code": by_id[i]["code"], "name": by_id[i]["name"]}
        for i in ids
        if i in by_id and (scope_path is None or by_id[i]["path"].startswith(scope_path))
    ]


async def search_people(
    scope_path: str | None,
    text: str = "",
    unit_path: str | None = None,
    include_left: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> PeoplePage:
    """People in scope matching ``text`` (name, email or employee id), optionally in a subtree."""
    conditions: list[Combinable] = []
    if scope_path is not None:
        conditions.append(Person.unit._.path.like(f"{scope_path}%"))
    if unit_path is not None:
        conditions.append(Person.unit._.path.like(f"{unit_path}%"))
    if not include_left:
        conditions.append(_current_staff())
    text = text.replace("\x00", "").strip().casefold()
    if text:
        # search_text is stored case-folded, so one LIKE works for every script on both engines
        pattern = "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"
        conditions.append(Person.search_text.like(pattern))
    count_query = Person.count()
    select = Person.select(
        Person.employee_id,
        Person.name,
        Person.email,
        Person.role,
        Person.language,
        Person.unit._.code.as_alias("unit_code"),
        Person.unit._.name.as_alias("unit_name"),
        Person.hired_on,
        Person.left_on,
    )
    for condition in conditions:
        count_query = count_query.where(condition)
        select = select.where(condition)
    total = await count_query.run()
    page = max(1, page)
    rows = await select.order_by(Person.name).limit(per_page).offset((page - 1) * per_page).run()
    return PeoplePage(
        rows=[PersonRow(**r) for r in rows], total=total, page=page, per_page=per_page
    )
