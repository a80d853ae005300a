"""Schedule: the manifest's timing model (frequency, days, time, time zone).

Report schedules say with it when a report is sent, DomoStats jobs when a job runs.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domogov.spec.types import (
    Frequency,
    FrequencyName,
    PositiveInt,
    Time,
    Timezone,
    Weekday,
    describe,
    fail,
    show,
)


class Schedule(BaseModel):
    """When a report is sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    frequency: FrequencyName = Field(description="DAILY, WEEKLY or MONTHLY.")
    days: tuple[Weekday | PositiveInt, ...] = Field(
        (),
        description="WEEKLY: weekday names (MON..SUN). MONTHLY: day numbers 1-31. DAILY: none.",
    )
    at: Time = Field(description='Time of day, "HH:MM" on a 24-hour clock (quote it).')
    timezone: Timezone = Field(description="IANA time zone, like America/New_York.")

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: Any, info: Any) -> Any:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            fail(f"expected a list of days, got {describe(value)}")
        frequency = info.data.get("frequency")
        if frequency is None:
            return ()  # the frequency is wrong already; days are checked once it is fixed
        for i, day in enumerate(value):
            if frequency is Frequency.WEEKLY and day not in list(Weekday):
                valid = ", ".join(Weekday)
                fail(f"unknown weekday {show(day)}; valid: {valid}", index=i)
            is_int = isinstance(day, int) and not isinstance(day, bool)
            if frequency is Frequency.MONTHLY and not (is_int and 1 <= day <= 31):
                fail(f"{show(day)} is not a day of the month (1-31)", index=i)
        if frequency is Frequency.DAILY and value:
            fail("DAILY schedules take no days; remove 'days'")
        # Sorted and without repeats, so that equal schedules compare equal.
        order = {d: i for i, d in enumerate(Weekday)}
        return sorted(set(value), key=lambda d: (order.get(d, 99), d if isinstance(d, int) else 0))

    @model_validator(mode="after")
    def _days_needed(self) -> Schedule:
        if self.frequency is not Frequency.DAILY and not self.days:
            fail(f"{self.frequency.value} schedules need at least one day in 'days'")
        return self
