"""Every engage table. One line of docstring each; columns say the rest."""

from __future__ import annotations

from typing import Any

from piccolo.columns import (
    UUID,
    Boolean,
    Bytea,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Serial,
    SmallInt,
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
    search_text = Text(default="")  # casefolded name, email and id: case-insensitive search


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
    session_version = Integer(default=0)  # bumped to end every session (password reset …)


class OrgSettings(Table, tablename="org_settings"):
    """The organisation's name and anonymity thresholds (one row)."""

    id = Serial(primary_key=True)
    name = Varchar(length=200, default="Our organisation")
    min_group_size = Integer(default=5)
    min_comment_group_size = Integer(default=10)
    default_language = Varchar(length=16, default="en")
    report_inputs = Integer(default=0)  # bumped whenever a report's input changes


class ReportRun(Table, tablename="report_run"):
    """One computation of an organisation-wide report, for one version of its inputs and
    one day (``key``): claimed by one worker, then stored done (``payload``) or failed."""

    id = Serial(primary_key=True)
    key = Varchar(length=128, unique=True)  # kind:inputs_version:as_of
    kind = Varchar(length=32)
    inputs_version = Integer()
    as_of = Date()
    status = Varchar(length=16, default="pending")  # pending, running, done, failed
    requested_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    error = Text(null=True, default=None)
    payload = Bytea(null=True, default=None)
    pdf = Bytea(null=True, default=None)  # the report's PDF, kept once someone downloads it


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


class SurveyItem(Table, tablename="survey_item"):
    """An item the organisation asks: the twelve elements, eNPS, or one of its own."""

    id = Serial(primary_key=True)
    code = Varchar(length=16, unique=True)
    kind = Varchar(length=8, default="likert")  # likert (1–5) or enps (0–10)
    element = Varchar(length=8, null=True, default=None)  # E01…E12; None for custom items
    position = Integer(default=0)
    active = Boolean(default=True)


class SurveyItemText(Table, tablename="survey_item_text"):
    """The organisation's wording of an item in one language (over the shipped text)."""

    id = Serial(primary_key=True)
    item = ForeignKey[SurveyItem](SurveyItem, on_delete=OnDelete.cascade)
    language = Varchar(length=16)
    text = Text()


class Wave(Table, tablename="wave"):
    """One round of a survey: items, audience, dates; thresholds frozen when it opens."""

    id = Serial(primary_key=True)
    name = Varchar(length=200)
    opens_on = Date()
    closes_on = Date()
    status = Varchar(length=12, default="draft", index=True)  # draft, open, closed
    item_codes = Text(default="")  # comma-separated, in order
    min_group_size = Integer(null=True, default=None)
    min_comment_group_size = Integer(null=True, default=None)
    imported = Boolean(default=False)  # history from a previous tool (no invitations)
    created_at = Timestamptz()


class WaveAudience(Table, tablename="wave_audience"):
    """A unit whose whole subtree a wave asks."""

    id = Serial(primary_key=True)
    wave = ForeignKey[Wave](Wave, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey[Unit](Unit, on_delete=OnDelete.restrict)


class Invitation(Table, tablename="invitation"):
    """A person's one-time invitation to a wave, in the unit they belonged to when it opened.

    Only hashes of tokens and kiosk codes are kept; spending one records no time. When the
    wave closes its invitations are reduced to per-unit counts and deleted.
    """

    id = Serial(primary_key=True)
    wave = ForeignKey[Wave](Wave, on_delete=OnDelete.cascade, index=True)
    person = ForeignKey[Person](Person, on_delete=OnDelete.cascade)
    unit = ForeignKey[Unit](Unit, on_delete=OnDelete.restrict)
    language = Varchar(length=16, default="en")
    token_hash = Varchar(length=64, null=True, default=None, unique=True)  # emailed link
    slip_token_hash = Varchar(length=64, null=True, default=None)  # printed QR link (unique index)
    kiosk_hash = Varchar(length=64, null=True, default=None, unique=True)  # printed short code
    spent = Boolean(default=False)
    emailed_at = Timestamptz(null=True, default=None)
    reminded_at = Timestamptz(null=True, default=None)


class WaveUnitCount(Table, tablename="wave_unit_count"):
    """Invited and answered counts per unit of a closed wave (what remains of invitations)."""

    id = Serial(primary_key=True)
    wave = ForeignKey[Wave](Wave, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey[Unit](Unit, on_delete=OnDelete.restrict)
    invited = Integer(default=0)
    answered = Integer(default=0)


class ParticipationCount(Table, tablename="participation_count"):
    """Invited and answered per unit of an open wave, as last counted (in batches, rule 7)."""

    id = Serial(primary_key=True)
    wave = ForeignKey[Wave](Wave, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey[Unit](Unit, on_delete=OnDelete.restrict)
    invited = Integer(default=0)
    answered = Integer(default=0)
    counted_at = Timestamptz()


class WaveTreeUnit(Table, tablename="wave_tree_unit"):
    """A unit of the org tree as it stood when its wave opened (DESIGN.md rule 5)."""

    id = Serial(primary_key=True)
    wave = ForeignKey[Wave](Wave, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey[Unit](Unit, on_delete=OnDelete.restrict)
    path = Varchar(length=2000)  # the unit's path in the frozen tree


class WaveFigure(Table, tablename="wave_figure"):
    """A unit's published figures of a closed wave (its frozen subtree), or why withheld."""

    id = Serial(primary_key=True)
    wave = ForeignKey[Wave](Wave, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey[Unit](Unit, on_delete=OnDelete.restrict)
    shown = Boolean(default=False)
    reason = Varchar(length=200, null=True, default=None)
    comments_shown = Boolean(default=False)
    sums = Text(null=True, default=None)  # JSON of reports.publication.SUM_KEYS; None: withheld


class WaveComment(Table, tablename="wave_comment"):
    """A published comment of a closed wave: the leaf unit it came from, in random order."""

    id = Serial(primary_key=True)
    wave = ForeignKey[Wave](Wave, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey[Unit](Unit, on_delete=OnDelete.restrict)
    text = Text()


class Response(Table, tablename="response"):
    """One anonymous response: random key, unit, wave, language, eNPS, comment; nothing else."""

    id = UUID(primary_key=True)
    wave = ForeignKey[Wave](Wave, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey[Unit](Unit, on_delete=OnDelete.restrict, index=True)
    language = Varchar(length=16, default="en")
    enps = SmallInt(null=True, default=None)
    comment = Text(null=True, default=None)


class Answer(Table, tablename="answer"):
    """One item's value in a response; wave and unit repeated so aggregates need no join."""

    id = UUID(primary_key=True)
    response = ForeignKey[Response](Response, on_delete=OnDelete.cascade, index=True)
    wave = ForeignKey[Wave](Wave, on_delete=OnDelete.cascade)
    unit = ForeignKey[Unit](Unit, on_delete=OnDelete.restrict)
    item = Varchar(length=16)
    value = SmallInt()


class Pulse(Table, tablename="pulse"):
    """A recurring survey: every month it creates the next wave by itself."""

    id = Serial(primary_key=True)
    name = Varchar(length=200)
    unit_codes = Text()  # comma-separated audience
    item_codes = Text(default="")
    open_days = Integer(default=14)
    next_opens_on = Date(index=True)
    active = Boolean(default=True)
    created_at = Timestamptz()


class ClientMetric(Table, tablename="client_metric"):
    """A client metric of one unit and month (from outcomes.csv or derived from visits.csv)."""

    id = Serial(primary_key=True)
    unit = ForeignKey[Unit](Unit, on_delete=OnDelete.restrict, index=True)
    month = Date()  # first day of the month
    metric = Varchar(length=40)
    value = DoublePrecision()
    n = Integer(null=True, default=None)  # clients at risk / respondents behind the value
    source = Varchar(length=16, default="outcomes")  # outcomes | visits


class TrainingModule(Table, tablename="training_module"):
    """A training module of the catalogue; its titles and summaries live per language."""

    id = Serial(primary_key=True)
    code = Varchar(length=64, unique=True)
    elements = Varchar(length=100, default="")  # ";"-separated E01…E12 it targets
    outcomes = Varchar(length=200, default="")  # ";"-separated client metrics it targets
    duration_minutes = Integer(default=30)
    format = Varchar(length=16, default="document")  # link | document | in_person
    retired = Boolean(default=False)
    created_at = Timestamptz()


class TrainingModuleText(Table, tablename="training_module_text"):
    """One language version of a module: title, summary and (for links/documents) address."""

    id = Serial(primary_key=True)
    module = ForeignKey[TrainingModule](TrainingModule, on_delete=OnDelete.cascade, index=True)
    language = Varchar(length=16)
    title = Varchar(length=200)
    summary = Text(default="")
    url = Text(default="")


class TrainingAssignment(Table, tablename="training_assignment"):
    """A module assigned to one person (person-level: never joined with survey answers).

    ``unit`` is where the person worked when it was assigned, so per-unit lists and the
    effect analysis keep their history when people move.
    """

    id = Serial(primary_key=True)
    module = ForeignKey[TrainingModule](TrainingModule, on_delete=OnDelete.restrict, index=True)
    person = ForeignKey[Person](Person, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey[Unit](Unit, on_delete=OnDelete.restrict, index=True)
    assigned_by = Varchar(length=254)
    assigned_on = Date()
    due_on = Date(index=True)
    note = Text(default="")
    status = Varchar(length=12, default="assigned", index=True)  # assigned|completed|cancelled
    completed_on = Date(null=True, default=None)
    completion_source = Varchar(length=16, null=True, default=None)  # self | import
    reflection = Text(null=True, default=None)
    due_reminded_at = Timestamptz(null=True, default=None)
    overdue_reminded_at = Timestamptz(null=True, default=None)


ALL_TABLES: tuple[type[Table], ...] = (
    Unit,
    Person,
    User,
    OrgSettings,
    ReportRun,
    AuditEvent,
    KeyValue,
    SurveyItem,
    SurveyItemText,
    Wave,
    WaveAudience,
    Invitation,
    WaveUnitCount,
    ParticipationCount,
    WaveTreeUnit,
    WaveFigure,
    WaveComment,
    Response,
    Answer,
    Pulse,
    ClientMetric,
    TrainingModule,
    TrainingModuleText,
    TrainingAssignment,
)
