"""The audit log: one row per change to an appointment, a patient file, a schedule, a
setting or an account, and per sign-in, written by listeners inside the change's own
transaction (app/audit/listeners.py). Rows are only ever inserted; each carries the hash
of the previous row of its clinic, so an edit, a deletion or a reordering is detectable
(app/audit/chain.py, `python -m app audit verify`)."""
