"""Calendar expressions: when a schedule's periods start.

Grammar (all UTC)::

    [Weekday[,Weekday…]] Year-Month-Day Hour:Minute[:Second]

Each numeric field is ``*`` or a comma list. Years are ``>= 2026`` (an exact
match, no upper bound other than Python's year 9999); months ``1–12``; days
``1–31`` (a day missing from a month simply never matches in it); hours
``0–23``; minutes only ``0``, ``15``, ``30``, ``45``; seconds, if present,
only ``00`` or ``0``. Weekdays are ``Mon`` … ``Sun`` or the full names, in any
case. Weekday and date must both hold (``Mon *-*-1 00:00`` is "the 1st of the
month, when it is a Monday").

Not accepted, each with a :class:`CalendarError` naming the field and the bad
text: ranges (``..``), repeats (``/``), ``~`` (days from the month's end),
``;`` (several expressions), time zones, and any out-of-range number.

:meth:`Calendar.next` and :meth:`Calendar.previous` skip field by field
(year → month → day → hour → minute), so a rare calendar (``*-2-29 00:00``)
answers in microseconds rather than by stepping through the minutes between.
"""

from __future__ import annotations

import calendar as _stdcal
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

__all__ = ["Calendar", "CalendarError", "FIELDS", "WEEKDAY_NAMES"]

#: the names a :class:`CalendarError` may carry in :attr:`CalendarError.field`
FIELDS = ("expression", "weekday", "year", "month", "day", "hour", "minute", "second", "time zone")

#: accepted weekday spellings (lower-cased) → ``date.weekday()`` number (Monday = 0)
WEEKDAY_NAMES: dict[str, int] = {}
for _i, _full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")):
    WEEKDAY_NAMES[_full] = _i
    WEEKDAY_NAMES[_full[:3]] = _i
_WEEKDAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_FORMAT = "expected '[Weekday[,Weekday...]] Year-Month-Day Hour:Minute[:Second]', e.g. 'Mon *-*-* 00:00'"
_MIN_YEAR = 2026
_MAX_YEAR = 9999  # datetime's limit
#: the Gregorian calendar repeats every 400 years (146097 days, a whole number of weeks)
_CYCLE_YEARS = 400
_MINUTE = timedelta(minutes=1)
_TINY = timedelta(microseconds=1)

_ZONE_TOKEN = re.compile(r"^(?:[A-Za-z][A-Za-z0-9_/+-]*(?::\d{2})?|[+-]\d{1,2}(?::?\d{2})?)$")
_ZONE_SUFFIX = re.compile(r"(?:\d(?P<letters>[A-Za-z]+)|\d(?P<offset>[+-]\d{1,2}(?::?\d{2})?))$")


class CalendarError(ValueError):
    """A calendar expression that does not parse; names the field and the bad text.

    ``str(err)`` reads ``calendar 'EXPR': FIELD 'TEXT': why``; the parts are
    kept on :attr:`expression`, :attr:`field` (one of :data:`FIELDS`),
    :attr:`text` and :attr:`reason`.
    """

    def __init__(self, expression: object, field: str, text: str, reason: str) -> None:
        self.expression = expression
        self.field = field
        self.text = text
        self.reason = reason
        super().__init__(f"calendar {expression!r}: {field} {text!r}: {reason}")


@dataclass(frozen=True)
class Calendar:
    """A parsed calendar expression. Build it with :meth:`parse`."""

    expression: str
    #: ``date.weekday()`` numbers (Monday = 0), or ``None`` for any day
    weekdays: frozenset[int] | None
    #: sorted years, or ``None`` for any year
    years: tuple[int, ...] | None
    months: tuple[int, ...]
    days: tuple[int, ...]
    hours: tuple[int, ...]
    minutes: tuple[int, ...]

    # -- parsing ------------------------------------------------------------------------------

    @classmethod
    def parse(cls, expr: str) -> Calendar:
        """Parse ``expr`` or raise :class:`CalendarError` naming the offending field."""
        try:
            return cls._parse(expr)
        except CalendarError as e:
            # a rejected form that shifts the parts ("*-*-* 00:00;*-*-* 12:00", "Mon .. Fri *-*-* 00:00")
            # can make the first error met a misread one ("unknown weekday '*-*-*'"): name the form
            # instead, in the field it follows
            if isinstance(expr, str) and e.field != "time zone" and not any(q in e.reason for q in _SPECIAL_QUOTED):
                found = [(expr.index(sp), sp) for sp in _SPECIALS if sp in expr]
                if found:
                    raise _special_error(expr, min(found)[1]) from None
            raise

    @classmethod
    def _parse(cls, expr: str) -> Calendar:
        if not isinstance(expr, str):
            raise CalendarError(expr, "expression", repr(expr), f"must be a string; {_FORMAT}")
        tokens = expr.split()
        if not tokens:
            raise CalendarError(expr, "expression", expr, f"is empty; {_FORMAT}")

        # a weekday written after the time ("00:00 Mon"), not a time zone
        if len(tokens) >= 2 and ":" in tokens[-2] and all(w.lower() in WEEKDAY_NAMES for w in tokens[-1].split(",")):
            raise CalendarError(
                expr, "weekday", tokens[-1], f"the weekday comes first, e.g. '{tokens[-1]} {' '.join(tokens[:-1])}'"
            )
        # a time zone, written as its own word after the time ("00:00 UTC") or glued to it
        if len(tokens) >= 2 and ":" in tokens[-2] and _ZONE_TOKEN.match(tokens[-1]):
            raise CalendarError(
                expr, "time zone", tokens[-1], "time zones are not accepted; calendar expressions are always UTC"
            )
        if ";" in expr and len(tokens) > 3:
            bad = next(t for t in tokens if ";" in t)
            raise CalendarError(expr, _field_of_token(bad), bad, "';' is not accepted: give one expression")

        if len(tokens) == 3:
            wd_text, date_text, time_text = tokens
        elif len(tokens) == 2:
            wd_text = None
            date_text, time_text = tokens
            if ":" not in time_text:
                raise CalendarError(expr, "hour", time_text, f"the time must be Hour:Minute[:Second]; {_FORMAT}")
            if "-" not in date_text and re.fullmatch(r"[A-Za-z,.;]+", date_text):
                raise CalendarError(expr, "year", date_text, f"the Year-Month-Day part is missing; {_FORMAT}")
        else:
            raise CalendarError(expr, "expression", expr, f"has {len(tokens)} part(s); {_FORMAT}")

        zone = _ZONE_SUFFIX.search(time_text)
        if zone and ":" in time_text:
            glued = zone.group("letters") or zone.group("offset")
            raise CalendarError(
                expr, "time zone", glued, "time zones are not accepted; calendar expressions are always UTC"
            )

        weekdays = _parse_weekdays(expr, wd_text) if wd_text is not None else None

        if "~" in date_text:
            raise CalendarError(expr, "day", date_text, "'~' (days counted from the month's end) is not accepted")
        date_parts = date_text.split("-")
        if len(date_parts) < 3:
            raise CalendarError(
                expr, "year", date_text, "the date must be Year-Month-Day (write '*' for any year, e.g. '*-2-29')"
            )
        if len(date_parts) > 3:
            raise CalendarError(expr, "day", date_text, "the date must be Year-Month-Day, with no further '-'")
        y_text, mo_text, d_text = date_parts

        time_parts = time_text.split(":")
        if len(time_parts) < 2:
            raise CalendarError(expr, "minute", time_text, "the time must be Hour:Minute[:Second]")
        if len(time_parts) > 3:
            raise CalendarError(expr, "second", time_text, "the time must be Hour:Minute[:Second]")
        h_text, mi_text = time_parts[0], time_parts[1]
        s_text = time_parts[2] if len(time_parts) == 3 else None

        years = _parse_numbers(expr, "year", y_text, 4)
        months = _parse_numbers(expr, "month", mo_text, 2)
        days = _parse_numbers(expr, "day", d_text, 2)
        hours = _parse_numbers(expr, "hour", h_text, 2)
        minutes = _parse_numbers(expr, "minute", mi_text, 2)

        for y in years or ():
            if y < _MIN_YEAR:
                raise CalendarError(expr, "year", str(y), f"years before {_MIN_YEAR} are not accepted")
            if y > _MAX_YEAR:
                raise CalendarError(expr, "year", str(y), f"years after {_MAX_YEAR} cannot be represented")
        _check_range(expr, "month", months, 1, 12)
        _check_range(expr, "day", days, 1, 31)
        _check_range(expr, "hour", hours, 0, 23)
        for m in minutes or ():
            if m not in (0, 15, 30, 45):
                raise CalendarError(expr, "minute", mi_text, f"{m} is not accepted: minutes are only 0, 15, 30 or 45")
        if s_text is not None and s_text not in ("00", "0"):
            raise CalendarError(expr, "second", s_text, "seconds, if given, must be 00")

        return cls(
            expression=expr.strip(),
            weekdays=weekdays,
            years=years,
            months=months if months is not None else tuple(range(1, 13)),
            days=days if days is not None else tuple(range(1, 32)),
            hours=hours if hours is not None else tuple(range(24)),
            minutes=minutes if minutes is not None else (0, 15, 30, 45),
        )

    def __str__(self) -> str:
        return self.expression

    @property
    def canonical(self) -> str:
        """The expression in canonical form (short weekday names, sorted lists, ``:00`` seconds)."""

        def nums(values: Iterable[int] | None, full: tuple[int, ...], width: int) -> str:
            vals = tuple(values) if values is not None else None
            if vals is None or vals == full:
                return "*"
            return ",".join(f"{v:0{width}d}" for v in vals)

        wd = ",".join(_WEEKDAY_SHORT[i] for i in sorted(self.weekdays)) + " " if self.weekdays is not None else ""
        return (
            f"{wd}{nums(self.years, (), 4)}-{nums(self.months, tuple(range(1, 13)), 2)}-"
            f"{nums(self.days, tuple(range(1, 32)), 2)} {nums(self.hours, tuple(range(24)), 2)}:"
            f"{nums(self.minutes, (0, 15, 30, 45), 2)}:00"
        )

    # -- queries ------------------------------------------------------------------------------

    def matches(self, instant: datetime) -> bool:
        """Whether ``instant`` (aware) is one of the calendar's instants (to the microsecond)."""
        t = _as_naive_utc(instant, "instant")
        if t.second or t.microsecond:
            return False
        return (
            (self.years is None or t.year in self.years)
            and t.month in self.months
            and t.day in self.days
            and t.hour in self.hours
            and t.minute in self.minutes
            and (self.weekdays is None or t.weekday() in self.weekdays)
        )

    def next(self, after: datetime) -> datetime | None:
        """The first matching instant strictly after ``after`` (aware UTC), or ``None`` when none exists."""
        t = _as_naive_utc(after, "after")
        try:
            start = t.replace(second=0, microsecond=0) + _MINUTE
        except OverflowError:
            return None
        return self._first_at_or_after(start)

    def previous(self, before: datetime) -> datetime | None:
        """The last matching instant strictly before ``before`` (aware UTC), or ``None`` when none exists."""
        t = _as_naive_utc(before, "before")
        try:
            end = t - _TINY
        except OverflowError:
            return None
        return self._last_at_or_before(end.replace(second=0, microsecond=0))

    def iter_from(self, after: datetime, limit: int) -> list[datetime]:
        """Up to ``limit`` consecutive matching instants strictly after ``after``."""
        out: list[datetime] = []
        cur: datetime | None = after
        while len(out) < limit and cur is not None:
            cur = self.next(cur)
            if cur is not None:
                out.append(cur)
        return out

    # -- search -------------------------------------------------------------------------------

    def _possible(self) -> bool:
        """Some listed (month, day) exists in some year (Feb 29 counts: leap years exist)."""
        return any(d <= _MONTH_MAX[m] for m in self.months for d in self.days)

    def _year_candidates(self, year: int, forward: bool) -> Iterable[int]:
        if self.years is not None:
            if forward:
                return [y for y in self.years if y >= year]
            return [y for y in reversed(self.years) if y <= year]
        if not self._possible():
            return ()
        # every valid date falls on every weekday within one 400-year cycle
        if forward:
            return range(year, min(year + _CYCLE_YEARS + 1, _MAX_YEAR + 1))
        return range(year, max(year - _CYCLE_YEARS - 1, 0), -1)

    def _first_at_or_after(self, start: datetime) -> datetime | None:
        """``start`` is naive UTC on a whole minute."""
        for y in self._year_candidates(start.year, True):
            on_y = y == start.year
            for m in self.months:
                if on_y and m < start.month:
                    continue
                on_m = on_y and m == start.month
                last_day = _stdcal.monthrange(y, m)[1]
                for d in self.days:
                    if d > last_day:
                        break
                    if on_m and d < start.day:
                        continue
                    if self.weekdays is not None and date(y, m, d).weekday() not in self.weekdays:
                        continue
                    on_d = on_m and d == start.day
                    for h in self.hours:
                        if on_d and h < start.hour:
                            continue
                        on_h = on_d and h == start.hour
                        for mi in self.minutes:
                            if on_h and mi < start.minute:
                                continue
                            return datetime(y, m, d, h, mi, tzinfo=timezone.utc)
        return None

    def _last_at_or_before(self, end: datetime) -> datetime | None:
        """``end`` is naive UTC on a whole minute."""
        for y in self._year_candidates(end.year, False):
            on_y = y == end.year
            for m in reversed(self.months):
                if on_y and m > end.month:
                    continue
                on_m = on_y and m == end.month
                last_day = _stdcal.monthrange(y, m)[1]
                for d in reversed(self.days):
                    if d > last_day or (on_m and d > end.day):
                        continue
                    if self.weekdays is not None and date(y, m, d).weekday() not in self.weekdays:
                        continue
                    on_d = on_m and d == end.day
                    for h in reversed(self.hours):
                        if on_d and h > end.hour:
                            continue
                        on_h = on_d and h == end.hour
                        for mi in reversed(self.minutes):
                            if on_h and mi > end.minute:
                                continue
                            return datetime(y, m, d, h, mi, tzinfo=timezone.utc)
        return None


_MONTH_MAX = {m: _stdcal.monthrange(2028, m)[1] for m in range(1, 13)}  # 2028 is a leap year


def _as_naive_utc(t: datetime, name: str) -> datetime:
    if not isinstance(t, datetime):
        raise TypeError(f"{name}: must be a datetime, not {type(t).__name__}")
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{name}: must be an aware datetime (UTC), got naive {t.isoformat()}")
    return t.astimezone(timezone.utc).replace(tzinfo=None)


def _field_of_token(token: str) -> str:
    if ":" in token:
        return "minute"
    if "-" in token:
        return "day"
    return "weekday"


#: the rejected forms (besides time zones) and why, as :func:`_reject_specials` words them
_SPECIALS = {
    "..": "ranges ('..') are not accepted; use a comma list",
    "/": "repeats ('/') are not accepted; use a comma list",
    "~": "'~' is not accepted",
    ";": "';' is not accepted: give one expression",
}
_SPECIAL_QUOTED = tuple(f"'{sp}'" for sp in _SPECIALS)


def _special_error(expr: str, special: str) -> CalendarError:
    """The error for the first ``special`` in ``expr``: the field it follows and the word holding it."""
    idx = expr.index(special)
    before = expr[:idx].split()
    word = next(t for t in expr.split() if special in t)
    last = before[-1] if before else ""
    if ":" in last:
        field = ("hour", "minute", "second")[min(last.count(":"), 2)]
    elif "-" in last:
        field = ("year", "month", "day")[min(last.count("-"), 2)]
    elif any(c.isalpha() for c in last):
        field = "weekday"
    elif len(before) == 1:
        field = "year"  # a number or '*' opening the expression starts the date
    else:
        field = "expression"
    return CalendarError(expr, field, word, _SPECIALS[special])


def _reject_specials(expr: str, field: str, text: str) -> None:
    for special, why in _SPECIALS.items():
        if special in text:
            raise CalendarError(expr, field, text, why)


def _parse_weekdays(expr: str, text: str) -> frozenset[int]:
    _reject_specials(expr, "weekday", text)
    out: set[int] = set()
    for item in text.split(","):
        if not item:
            raise CalendarError(expr, "weekday", text, "empty item in the weekday list")
        num = WEEKDAY_NAMES.get(item.lower())
        if num is None:
            raise CalendarError(
                expr, "weekday", item, "unknown weekday; use Mon, Tue, Wed, Thu, Fri, Sat, Sun or the full names"
            )
        out.add(num)
    return frozenset(out)


def _parse_numbers(expr: str, field: str, text: str, width: int) -> tuple[int, ...] | None:
    """``*`` → ``None``; a comma list of unsigned decimal numbers → sorted, de-duplicated tuple."""
    if text == "*":
        return None
    _reject_specials(expr, field, text)
    if not text:
        raise CalendarError(expr, field, text, "is empty; write '*' or a comma list of numbers")
    out: set[int] = set()
    for item in text.split(","):
        if item == "*":
            raise CalendarError(expr, field, text, "'*' cannot be part of a list")
        if not item:
            raise CalendarError(expr, field, text, "empty item in the list")
        if not (item.isascii() and item.isdigit()):
            raise CalendarError(expr, field, item, "not a number")
        if len(item) > width:
            raise CalendarError(expr, field, item, f"at most {width} digits")
        out.add(int(item))
    return tuple(sorted(out))


def _check_range(expr: str, field: str, values: tuple[int, ...] | None, lo: int, hi: int) -> None:
    for v in values or ():
        if not lo <= v <= hi:
            raise CalendarError(expr, field, str(v), f"out of range {lo}-{hi}")
