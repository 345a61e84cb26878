"""Reading the audit log from tests, and tampering with it on purpose (the triggers
dropped for the statement, then put back) to show that `audit verify` notices."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.audit.tables import AuditEntry
from app.audit.triggers import create_statements, drop_statements
from app.db import engine, write_transaction

ROOT = Path(__file__).resolve().parents[2]


async def entries(clinic_id: int, action: str | None = None) -> list[dict]:
    query = AuditEntry.select().where(AuditEntry.clinic == clinic_id)
    if action:
        query = query.where(AuditEntry.action == action)
    rows = await query.order_by(AuditEntry.seq)
    for row in rows:
        row["before"] = json.loads(row["before"]) if row["before"] else None
        row["after"] = json.loads(row["after"]) if row["after"] else None
    return rows


async def tamper(statement: str, *args) -> None:
    """Run `statement` on the audit log as an attacker with the triggers dropped would."""
    kind = engine().engine_type
    async with write_transaction():
        for drop in drop_statements(kind):
            await AuditEntry.raw(drop)
        await AuditEntry.raw(statement, *args)
        for create in create_statements(kind):
            await AuditEntry.raw(create)


def audit_verify() -> tuple[int, str]:
    """`python -m app audit verify` against the suite's database, as an operator runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "app", "audit", "verify"],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr
