"""SMS usage in the administration: this month's and the previous 12 months' messages,
segments and cost, as a server-drawn SVG bar chart with a title and a table of the same
figures; only sent SMS of the clinic count; administrators only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from app.messaging.tables import Message
from tests.integration import demo_lookup
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import signed_in
from tests.moments import freeze

USAGE = "/staff/administration/sms-usage"


async def sent(clinic: int, at: datetime, segments: int, channel: str = "sms", status="sent"):
    await Message.insert(
        Message(
            clinic=clinic,
            kind="reminder",
            channel=channel,
            due_at=at,
            next_attempt_at=at,
            status=status,
            idempotency_key=f"test:{clinic}:{at.isoformat()}:{segments}:{channel}:{status}",
            segments=segments,
            created_at=at,
            sent_at=at,
        )
    )


def rows(page) -> dict[str, list[str]]:
    """The table's rows: month → [messages, segments, cost]."""
    body = text(page).split("<tbody>")[1].split("</tbody>")[0]
    found = {}
    for month, cells in re.findall(r'<th scope="row">([^<]+)</th>((?:<td[^>]*>[^<]*</td>)+)', body):
        found[month] = re.findall(r"<td[^>]*>([^<]*)</td>", cells)
    return found


async def test_thirteen_months_of_sent_sms_with_a_chart_and_its_table(demo):
    freeze()  # 23 November 2026
    demo_clinic = await demo_lookup.clinic_id("demo")
    autre_clinic = await demo_lookup.clinic_id("autre")
    await sent(demo_clinic, datetime(2026, 11, 2, 15, tzinfo=UTC), 1)
    await sent(demo_clinic, datetime(2026, 11, 20, 15, tzinfo=UTC), 2)
    await sent(demo_clinic, datetime(2026, 11, 21, 15, tzinfo=UTC), 9, channel="email")
    await sent(demo_clinic, datetime(2026, 11, 22, 15, tzinfo=UTC), 4, status="failed")
    await sent(demo_clinic, datetime(2026, 10, 5, 15, tzinfo=UTC), 1)
    await sent(demo_clinic, datetime(2025, 11, 5, 15, tzinfo=UTC), 6)  # 12 months before
    await sent(demo_clinic, datetime(2025, 10, 5, 15, tzinfo=UTC), 7)  # 13: not shown
    await sent(autre_clinic, datetime(2026, 11, 5, 15, tzinfo=UTC), 5)
    await signed_in(demo, "admin@demo.localhost")
    page = await demo.get(USAGE)
    assert page.status_code == 200
    table = rows(page)
    assert len(table) == 13
    assert table["nov. 2026"] == ["2", "3", "0,15 $"]
    assert table["oct. 2026"] == ["1", "1", "0,05 $"]
    assert table["nov. 2025"] == ["1", "6", "0,30 $"]
    assert table["sept. 2026"] == ["0", "0", "0,00 $"]
    assert "oct. 2025" not in table
    assert "2 messages · 3 segments · <strong>0,15 $</strong>" in text(page)
    svg = page.text.split('<svg class="sms-chart"')[1].split("</svg>")[0]
    assert 'role="img"' in svg and "<title" in svg and svg.count("<rect") == 13
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    # Oldest first: Nov 2025 (6) the tallest, Dec 2025 (0) flat, Nov 2026 (3) half as tall.
    assert heights[0] == max(heights) > 0 and heights[1] == 0
    assert abs(heights[-1] - heights[0] / 2) < 0.2 and heights[-2] < heights[-1]


async def test_english_figures_and_access(demo, autre):
    freeze()
    await sent(await demo_lookup.clinic_id("demo"), datetime(2026, 11, 2, 15, tzinfo=UTC), 4)
    await signed_in(demo, "admin@demo.localhost")
    page = await demo.get(USAGE + "?lang=en")
    assert "SMS usage" in text(page) and "$0.20" in text(page)
    await signed_in(autre, "admin@autre.localhost")
    other = await autre.get(USAGE)
    assert other.status_code == 200 and "$0.20" not in text(other)
    demo.cookies.clear()
    await signed_in(demo, "secretariat@demo.localhost")
    denied = await demo.get(USAGE)
    assert denied.status_code == 403 and "sms-chart" not in denied.text
