"""Every engage table. One line of docstring each; columns say the rest."""

from __future__ import annotations

from typing import Any

from piccolo.columns import (
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

ROLES: tuple[str, ...] = ("employee", "manager", "hr", "admin")


class Unit(Table, tablename="org_unit"):
    """An org unit (region, location, team …); ``path`` is ``/id/…/id/`` from the root."""

    id = Serial(primary_key=True)
    code = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    parent: ForeignKey[Any] = ForeignKey("self", null=True, on_delete=OnDelete.restrict)
    path = Varchar(length=2000, index=True, default="")
    depth = Integer(default=0)


class Person(Table, tablename="person"):
    """A member of staff from the roster; ``left_on`` is empty while employed."""

    id = Serial(primary_key=True)
    employee_id = Varchar(length=64, unique=True)
    email = Varchar(length=254, null=True, unique=True, default=None)
    name = Varchar(length=200)
    unit = ForeignKey[Unit](Unit, on_delete=OnDelete.restrict, index=True)
    role = Varchar(length=16, default="employee")
    language = Varchar(length=16, default="en")
    hired_on = Date()
    left_on = Date(null=True, default=None)


class User(Table, tablename="app_user"):
    """A login; roster people get one (without a password) when they have an email."""

    id = Serial(primary_key=True)
    email = Varchar(length=254, unique=True)
    name = Varchar(length=200, default="")
    role = Varchar(length=16, default="employee")
    password_hash = Text(null=True, default=None)
    person = ForeignKey[Person](Person, null=True, unique=True, on_delete=OnDelete.set_null)
    active = Boolean(default=True)
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)


class OrgSettings(Table, tablename="org_settings"):
    """The organisation's name and anonymity thresholds (one row)."""

    id = Serial(primary_key=True)
    name = Varchar(length=200, default="Our organisation")
    min_group_size = Integer(default=5)
    min_comment_group_size = Integer(default=10)
    default_language = Varchar(length=16, default="en")


class AuditEvent(Table, tablename="audit_event"):
    """Who changed what (imports, users, settings); never survey answers."""

    id = Serial(primary_key=True)
    at = Timestamptz(index=True)
    actor = Varchar(length=254)
    action = Varchar(length=64)
    detail = Text(default="")


class KeyValue(Table, tablename="kv_store"):
    """Shared key-value rows with expiry: sessions, rate limits, the instance secret."""

    id = Serial(primary_key=True)
    key = Varchar(length=512, unique=True)
    value = Bytea()
    expires_at = Timestamptz(null=True, default=None, index=True)


ALL_TABLES: tuple[type[Table], ...] = (Unit, Person, User, OrgSettings, AuditEvent, KeyValue)
