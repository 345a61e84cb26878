"""`python -m app audit verify`: every clinic's chain checked, one line per clinic, exit
status 1 when any is broken (for a cron or a monitoring probe)."""

from __future__ import annotations

from app import db
from app.audit.chain import ChainReport, verify
from tenants.tables import Clinic


def describe(slug: str, report: ChainReport) -> str:
    if report.ok:
        head = f", head {report.head[:16]}" if report.head else ""
        return f"{slug}: OK, {report.count} rows{head}"
    broken = report.broken
    return (
        f"{slug}: BROKEN at row {broken.entry_id} (position {broken.seq},"
        f" after {report.count} good rows): {broken.reason}"
    )


async def verify_all(out=print) -> int:
    await db.start()
    try:
        failed = False
        for clinic in await Clinic.select(Clinic.id, Clinic.slug).order_by(Clinic.id):
            report = await verify(clinic["id"])
            out(describe(clinic["slug"], report))
            failed |= not report.ok
        return 1 if failed else 0
    finally:
        await db.stop()


def main(argv: list[str]) -> int:
    import asyncio
    import sys

    if argv != ["verify"]:
        print("usage: python -m app audit verify", file=sys.stderr)
        return 2
    return asyncio.run(verify_all())
