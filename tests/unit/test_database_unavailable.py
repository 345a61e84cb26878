"""Which database errors are "the database is not answering" (a 503, the next request
finds it again) and which are bugs (a 500, logged with their traceback)."""

import asyncpg
import pytest

from app.db import unavailable


def caused(error: BaseException) -> BaseException:
    """The error as Piccolo re-raises some of them: wrapped, the driver's as the cause."""
    wrapper = RuntimeError("query failed")
    wrapper.__cause__ = error
    return wrapper


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(),
        ConnectionResetError(),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.InterfaceError("connection is closed"),
        # A pooled connection that got the server's farewell while idle (a restart).
        asyncpg.InternalClientError(
            "cannot switch to state 12; another operation (2) is in progress"
        ),
    ],
)
def test_a_database_that_went_away_is_unavailable(error):
    assert unavailable(error)
    assert unavailable(caused(error))


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad value"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        asyncpg.exceptions.UndefinedColumnError("column does not exist"),
        # One connection used by two queries at once is a bug of ours, not a restart.
        asyncpg.InternalClientError(
            "cannot switch to state 12; another operation (12) is in progress"
        ),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    ],
)
def test_a_fault_of_the_request_or_a_bug_is_not(error):
    assert not unavailable(error)
    assert not unavailable(caused(error))
