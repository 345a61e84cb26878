import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.numbers import MAX_ID, whole_number


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0", 0),
        ("42", 42),
        ("007", 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),  # past a database id: no query could use it
        ("", None),
        ("²", None),  # isdigit() says yes, int() raises
        ("٣", None),  # an Arabic-Indic digit: int() reads it, but nobody types it in a form
        ("4²", None),
        (" 4", None),
        ("+4", None),
        ("-4", None),
        ("4.0", None),
        ("1_000", None),  # int() accepts underscores
        ("9" * 5000, None),  # int() refuses more than 4,300 digits
    ],
)
def test_only_ascii_digits_within_the_maximum(text, expected):
    assert whole_number(text, maximum=MAX_ID) == expected


@given(st.text())
def test_never_raises(text):
    value = whole_number(text, maximum=1000)
    assert value is None or (0 <= value <= 1000 and text.isascii())
