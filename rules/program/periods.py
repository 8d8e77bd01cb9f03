"""Calendar periods the program rules count in: quarters, "the last N months", a monthly day."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter, e.g. 2019-Q1 = 2019-01-01 … 2019-03-31."""

    year: int
    number: int  # 1..4

    @classmethod
    def of(cls, day: dt.date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        month = 3 * self.number
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def previous(self) -> "Quarter":
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier (clamped to the month's end: 2024-02-29 − 12 → 2023-02-28)."""
    return day - relativedelta(months=months)


def monthly_day_on_or_after(day: dt.date, day_of_month: int) -> dt.date:
    """The first date on or after `day` that falls on `day_of_month` (clamped to short months' last day)."""
    this_month = _clamped(day.year, day.month, day_of_month)
    if this_month >= day:
        return this_month
    following = day.replace(day=1) + relativedelta(months=1)
    return _clamped(following.year, following.month, day_of_month)


def _clamped(year: int, month: int, day_of_month: int) -> dt.date:
    return dt.date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))
