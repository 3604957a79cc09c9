"""iCalendar (RFC 5545) exports of on-call time, for people's own calendars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event

from api.db import utcnow


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime


def to_ics(name: str, entries: list[CalendarEntry]) -> bytes:
    """A VCALENDAR of `entries`, times in UTC. UIDs are stable, so a re-import updates."""
    calendar = Calendar()
    calendar.add("prodid", "-//Lantern//On-call rota//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = utcnow()
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.starts_at)
        event.add("dtend", entry.ends_at)
        event.add("summary", entry.summary)
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()
