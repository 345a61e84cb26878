"""How many SMS a text is billed as: GSM-7 fits 160 characters (153 per part once
split), UCS-2 70 (67 per part); the GSM-7 extension characters take two."""

import pytest

from app.messaging.sms import segments


@pytest.mark.parametrize(
    ("text", "encoding", "count"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        # French accents of the GSM alphabet stay GSM-7.
        ("Café à Montréal, où? Très bien. " + "é" * 100, "GSM-7", 1),
        # Unicode's GSM table has the capital Ç only: a lowercase ç means UCS-2.
        ("Ça va", "GSM-7", 1),
        ("ça va", "UCS-2", 1),
        ("€" * 80, "GSM-7", 1),  # 160 septets
        ("€" * 80 + "a", "GSM-7", 2),
        ("a" * 159 + "^", "GSM-7", 2),
        ("{}[]~|\\^" * 10, "GSM-7", 1),
        ("{}[]~|\\^" * 10 + "x", "GSM-7", 2),
        # One character outside GSM-7 (ê, ô, the en dash) and the whole text is UCS-2.
        ("ê" + "a" * 69, "UCS-2", 1),
        ("ô" + "a" * 70, "UCS-2", 2),
        ("–" + "a" * 133, "UCS-2", 2),
        ("–" + "a" * 134, "UCS-2", 3),
        # An emoji is two UTF-16 units.
        ("😀" * 35, "UCS-2", 1),
        ("😀" * 35 + "a", "UCS-2", 2),
    ],
)
def test_segments(text, encoding, count):
    counted = segments(text)
    assert (counted.encoding, counted.count) == (encoding, count)


def test_a_typical_confirmation_is_two_gsm_parts_and_its_accented_twin_four_ucs_parts():
    gsm = (
        "Clinique Démo : Nous confirmons votre rendez-vous sur place. 26 nov. 2026 08:30, "
        "Centre-ville, Dre Julie Roy. http://demo.localhost:8000/a/1.1795744800.yLNCOS1dnrlY88Mc3PW0f4yEIIjF"
    )
    assert (segments(gsm).encoding, segments(gsm).count) == ("GSM-7", 2)
    ucs = gsm.replace("Démo", "Démo – Côte-des-Neiges")
    assert (segments(ucs).encoding, segments(ucs).count) == ("UCS-2", 3)
