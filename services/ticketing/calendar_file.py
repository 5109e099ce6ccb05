"""A booking as an iCalendar file (RFC 5545): one VEVENT the citizen adds to their calendar.

Pure: the booking, the branch and the booking page's address in, the file's
text out. Times are UTC (`...Z`), so no VTIMEZONE is needed and every
calendar program shows the slot at the right local time. Nothing about the
citizen is in it: the slot, the branch, the code and the booking's page.
A cancelled booking's file says `STATUS:CANCELLED`, so importing it again
updates the entry (same UID, higher SEQUENCE).
"""

from __future__ import annotations

import datetime as dt

from shared.config.schema import BranchConfig
from shared.projection import Booking, checkin_window, local_time, show_code

CRLF = "\r\n"
# RFC 5545 3.1: lines SHOULD NOT be longer than 75 octets, excluding the line break.
LINE_OCTETS = 75
PRODUCT = "-//qms//Tidsbestilling//DA"


def booking_calendar(config: BranchConfig, booking: Booking, manage_url: str) -> str:
    """The whole file, CRLF line ends, long lines folded."""
    service = config.service(booking.service)
    service_name = service.name.da if service is not None else booking.service
    branch = config.branch.name
    code = show_code(booking.code)
    cancelled = booking.cancelled_at is not None
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{escape(booking.id)}@{escape(config.id)}.qms",
        # The booking's last change: made, or cancelled (no clock is read here).
        f"DTSTAMP:{utc_stamp(booking.cancelled_at or booking.booked_at)}",
        f"DTSTART:{utc_stamp(booking.start)}",
        f"DTEND:{utc_stamp(booking.end)}",
        f"SUMMARY:{escape(f'{service_name} – {branch}')}",
        f"LOCATION:{escape(branch)}",
        f"DESCRIPTION:{escape(_description(config, booking, code, manage_url))}",
        f"URL:{manage_url}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"SEQUENCE:{1 if cancelled else 0}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + CRLF for line in lines)


def _description(config: BranchConfig, booking: Booking, code: str, manage_url: str) -> str:
    """Danish first, then English: the code, when to check in, where to see or cancel it."""
    window = checkin_window(config, booking)
    opens, closes = (local_time(config, at).strftime("%H:%M") for at in window)
    return (
        f"Din kode: {code}. Tjek ind med koden ved standeren fra kl. {opens} til {closes}.\n"
        f"Se eller aflys tiden: {manage_url}\n\n"
        f"Your code: {code}. Check in with the code at the kiosk from {opens} to {closes}.\n"
        f"View or cancel: {manage_url}"
    )


def utc_stamp(at: dt.datetime) -> str:
    """A DATE-TIME in UTC form: 20261203T093000Z."""
    return at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newline escaped."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 3.1), never inside a UTF-8 character.

    Each continuation starts with one space, which counts towards its 75.
    """
    parts: list[str] = []
    current, size, limit = "", 0, LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, LINE_OCTETS - 1
        current += char
        size += width
    parts.append(current)
    return (CRLF + " ").join(parts)
