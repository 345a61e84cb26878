"""Appending to a clinic's chain, and checking it.

Each row's hash is sha256 over a canonical serialisation of the row (every column but the
id and the hash itself) including the previous row's hash, so changing, removing or
reordering any row breaks every link after it. Appends of one clinic are serialised:
on PostgreSQL by an advisory lock held until the transaction ends (two bookings that
commit at once would otherwise both read the same head and fork the chain); SQLite's
write transactions already run one at a time. A unique (clinic, seq) index backs this up:
a writer that somehow raced would fail, never fork.

Known limit: removing the newest rows leaves a shorter chain that is still valid; the head
hash printed by `audit verify` can be noted elsewhere to catch that."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from app import clock
from app.audit.serialise import as_json, canonical
from app.audit.tables import AuditEntry, EntityKind
from app.db import is_postgres, write_transaction
from app.events import Actor

# The first key of the two-key advisory lock: the audit log's own space (the booking
# engine's holds use the one-key form, which never collides with it).
LOCK_SPACE = "audit"
BATCH = 1000


@dataclass(frozen=True)
class AuditRecord:
    """One change to record, as a listener describes it."""

    clinic_id: int
    actor: Actor
    action: str
    entity_kind: EntityKind
    entity_id: str
    before: object | None
    after: object | None
    patient_id: int | None = None
    appointment_id: int | None = None


_HASHED = (
    "clinic",
    "seq",
    "at",
    "actor_kind",
    "actor_account",
    "actor_label",
    "action",
    "entity_kind",
    "entity_id",
    "patient_id",
    "appointment_id",
    "before",
    "after",
    "client",
    "prev_hash",
)


def _instant(value: datetime | str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def row_hash(row: dict) -> str:
    values = [_instant(row[name]) if name == "at" else row[name] for name in _HASHED]
    return hashlib.sha256(canonical(values).encode()).hexdigest()


async def append(record: AuditRecord) -> None:
    """Add the record at the end of its clinic's chain, in the current write transaction
    (or its own, outside one)."""
    async with write_transaction():
        if is_postgres():
            await AuditEntry.raw(
                "SELECT pg_advisory_xact_lock(hashtext({}), {})", LOCK_SPACE, record.clinic_id
            )
        head = (
            await AuditEntry.select(AuditEntry.seq, AuditEntry.hash)
            .where(AuditEntry.clinic == record.clinic_id)
            .order_by(AuditEntry.seq, ascending=False)
            .first()
        )
        actor = record.actor
        row = {
            "clinic": record.clinic_id,
            "seq": (head["seq"] if head else 0) + 1,
            "at": clock.now().astimezone(UTC),
            "actor_kind": actor.kind.value,
            "actor_account": actor.account_id,
            "actor_label": actor.label[:200],
            "action": record.action,
            "entity_kind": record.entity_kind.value,
            "entity_id": record.entity_id[:100],
            "patient_id": record.patient_id,
            "appointment_id": record.appointment_id,
            "before": as_json(record.before),
            "after": as_json(record.after),
            "client": actor.client[:64],
            "prev_hash": head["hash"] if head else "",
        }
        await AuditEntry.insert(AuditEntry(**row, hash=row_hash(row)))


@dataclass(frozen=True)
class Break:
    entry_id: int
    seq: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    clinic_id: int
    count: int  # rows checked up to the break, or all
    head: str  # the last good row's hash
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


async def verify(clinic_id: int) -> ChainReport:
    """Walk the clinic's rows in chain order and stop at the first that does not hold."""
    columns = [AuditEntry.id, AuditEntry.hash, *(getattr(AuditEntry, c) for c in _HASHED)]
    expected_seq, prev_hash, count, after_seq = 1, "", 0, 0
    while True:
        rows = (
            await AuditEntry.select(*columns)
            .where((AuditEntry.clinic == clinic_id) & (AuditEntry.seq > after_seq))
            .order_by(AuditEntry.seq)
            .limit(BATCH)
        )
        for row in rows:
            problem = _problem(row, expected_seq, prev_hash)
            if problem:
                return ChainReport(
                    clinic_id, count, prev_hash, Break(row["id"], row["seq"], problem)
                )
            expected_seq, prev_hash, count = row["seq"] + 1, row["hash"], count + 1
        if len(rows) < BATCH:
            return ChainReport(clinic_id, count, prev_hash, None)
        after_seq = rows[-1]["seq"]


def _problem(row: dict, expected_seq: int, prev_hash: str) -> str:
    if row["seq"] != expected_seq:
        return f"position {row['seq']} where {expected_seq} was expected: a row is missing"
    if row["prev_hash"] != prev_hash:
        return "it does not follow the previous row: rows were removed or reordered"
    if row_hash(row) != row["hash"]:
        return "its content does not match its hash: the row was edited"
    return ""
