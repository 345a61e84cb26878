"""Schedule templates: a name and weekly blocks (weekday, start, end, activity), saved and
deleted in one transaction that also emits ScheduleChanged with the template before and
after, for the audit log. Every query names the clinic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Sequence

from app.db import write_transaction
from app.events import Actor, EventBus
from app.scheduling.events import ScheduleChange, ScheduleChanged, ScheduleSnapshot
from app.scheduling.services import ScheduleError, ScheduleRefusal
from app.scheduling.tables import Activity, ScheduleOpening, ScheduleTemplate, ScheduleTemplateBlock


@dataclass(frozen=True)
class TemplateBlock:
    weekday: int  # 0 = Monday … 6 = Sunday
    start: time  # clinic local time
    end: time
    activity_id: int

    def describe(self) -> str:
        """The block as the audit log keeps it: "weekday HH:MM-HH:MM activity"."""
        return f"{self.weekday} {self.start:%H:%M}-{self.end:%H:%M} {self.activity_id}"


@dataclass(frozen=True)
class Template:
    template_id: int
    name: str
    blocks: tuple[TemplateBlock, ...]

    def snapshot(self) -> ScheduleSnapshot:
        return ScheduleSnapshot(
            practitioner_id=None,
            site_id=None,
            first_day=None,
            last_day=None,
            origin="template",
            template_id=self.template_id,
            name=self.name,
            blocks=tuple(block.describe() for block in self.blocks),
        )


def check_blocks(blocks: Sequence[TemplateBlock]) -> None:
    """End after start, and no two blocks of one weekday overlapping (they would open
    overlapping slots, which the opening refuses anyway, but later and less clearly)."""
    for index, block in enumerate(blocks):
        if block.end <= block.start:
            raise ScheduleError(ScheduleRefusal.END_BEFORE_START, block=index)
    for index, block in enumerate(blocks):
        for other in blocks[:index]:
            if (
                other.weekday == block.weekday
                and block.start < other.end
                and other.start < block.end
            ):
                raise ScheduleError(ScheduleRefusal.BLOCKS_OVERLAP, block=index)


class TemplateService:
    def __init__(self, *, clinic_id: int, bus: EventBus) -> None:
        self.clinic_id = clinic_id
        self.bus = bus

    async def list(self) -> list[dict]:
        """Every template of the clinic with its number of blocks, by name."""
        templates = await ScheduleTemplate.select(ScheduleTemplate.id, ScheduleTemplate.name).where(
            ScheduleTemplate.clinic == self.clinic_id
        )
        blocks = await ScheduleTemplateBlock.select(ScheduleTemplateBlock.template).where(
            ScheduleTemplateBlock.clinic == self.clinic_id
        )
        counts: dict[int, int] = {}
        for row in blocks:
            counts[row["template"]] = counts.get(row["template"], 0) + 1
        return sorted(
            ({**t, "block_count": counts.get(t["id"], 0)} for t in templates),
            key=lambda t: t["name"].casefold(),
        )

    async def get(self, template_id: int) -> Template | None:
        row = (
            await ScheduleTemplate.select(ScheduleTemplate.id, ScheduleTemplate.name)
            .where(
                (ScheduleTemplate.id == template_id) & (ScheduleTemplate.clinic == self.clinic_id)
            )
            .first()
        )
        if row is None:
            return None
        blocks = await ScheduleTemplateBlock.select(
            ScheduleTemplateBlock.weekday,
            ScheduleTemplateBlock.start_time,
            ScheduleTemplateBlock.end_time,
            ScheduleTemplateBlock.activity,
        ).where(
            (ScheduleTemplateBlock.template == template_id)
            & (ScheduleTemplateBlock.clinic == self.clinic_id)
        )
        ordered = sorted(
            (
                TemplateBlock(b["weekday"], b["start_time"], b["end_time"], b["activity"])
                for b in blocks
            ),
            key=lambda b: (b.weekday, b.start),
        )
        return Template(row["id"], row["name"], tuple(ordered))

    async def save(
        self,
        *,
        template_id: int | None,
        name: str,
        blocks: Sequence[TemplateBlock],
        actor: Actor,
    ) -> int:
        """Create (template_id None) or replace a template's name and blocks."""
        check_blocks(blocks)
        activities = {
            row["id"]
            for row in await Activity.select(Activity.id).where(
                (Activity.clinic == self.clinic_id) & Activity.active.eq(True)
            )
        }
        for index, block in enumerate(blocks):
            if block.activity_id not in activities:
                raise ScheduleError(ScheduleRefusal.NO_ACTIVITY, block=index)
        async with write_transaction():
            before = await self.get(template_id) if template_id is not None else None
            if template_id is not None and before is None:
                raise ScheduleError(ScheduleRefusal.NO_TEMPLATE)
            if before is None:
                rows = await ScheduleTemplate.insert(
                    ScheduleTemplate(clinic=self.clinic_id, name=name)
                ).returning(ScheduleTemplate.id)
                template_id = rows[0]["id"]
            else:
                await ScheduleTemplate.update({ScheduleTemplate.name: name}).where(
                    (ScheduleTemplate.id == template_id)
                    & (ScheduleTemplate.clinic == self.clinic_id)
                )
                await ScheduleTemplateBlock.delete().where(
                    (ScheduleTemplateBlock.template == template_id)
                    & (ScheduleTemplateBlock.clinic == self.clinic_id)
                )
            if blocks:
                await ScheduleTemplateBlock.insert(
                    *[
                        ScheduleTemplateBlock(
                            clinic=self.clinic_id,
                            template=template_id,
                            weekday=b.weekday,
                            start_time=b.start,
                            end_time=b.end,
                            activity=b.activity_id,
                        )
                        for b in blocks
                    ]
                )
            after = await self.get(template_id)
            await self.bus.emit(
                ScheduleChanged(
                    clinic_id=self.clinic_id,
                    actor=actor,
                    kind=ScheduleChange.TEMPLATE_SAVED,
                    entity_id=template_id,
                    before=before.snapshot() if before else None,
                    after=after.snapshot(),
                )
            )
        return template_id

    async def delete(self, *, template_id: int, actor: Actor) -> None:
        async with write_transaction():
            before = await self.get(template_id)
            if before is None:
                raise ScheduleError(ScheduleRefusal.NO_TEMPLATE)
            # The slots a template opened stay, with their opening (origin "template");
            # the opening only forgets which template it was (the foreign key cascades).
            await ScheduleOpening.update({ScheduleOpening.template: None}).where(
                (ScheduleOpening.template == template_id)
                & (ScheduleOpening.clinic == self.clinic_id)
            )
            await ScheduleTemplateBlock.delete().where(
                (ScheduleTemplateBlock.template == template_id)
                & (ScheduleTemplateBlock.clinic == self.clinic_id)
            )
            await ScheduleTemplate.delete().where(
                (ScheduleTemplate.id == template_id) & (ScheduleTemplate.clinic == self.clinic_id)
            )
            await self.bus.emit(
                ScheduleChanged(
                    clinic_id=self.clinic_id,
                    actor=actor,
                    kind=ScheduleChange.TEMPLATE_DELETED,
                    entity_id=template_id,
                    before=before.snapshot(),
                    after=None,
                )
            )
