"""A person's mobile number for the SMS fallback: UK mobiles only, stored in E.164.

The number is personal data: it is never logged, never put in an audit event, a URL or a
metric, and every answer shows it masked ("07••• •••123"). Only the SMS channel reads it whole.
"""

from __future__ import annotations

import re

from api.errors import ValidationFailed

_SEPARATORS = re.compile(r"[\s\-().]")
_UK_MOBILE = re.compile(r"^(?:\+44|0044|44|0)(7\d{9})$")


def normalise_uk_mobile(value: str, field: str = "mobile_number") -> str:
    """`07700 900123`, `+44 7700 900123`, `0044…` → `+447700900123`; anything else is 422
    (the message never repeats what was sent)."""
    compact = _SEPARATORS.sub("", value or "")
    match = _UK_MOBILE.match(compact)
    if match is None:
        raise ValidationFailed.field(field, "must be a UK mobile number: 07 and 9 more digits, or +44 7…")
    return f"+44{match.group(1)}"


def mask(e164: str | None) -> str | None:
    """`+447700900123` → `07••• •••123`: enough to recognise one's own number, no more."""
    if not e164:
        return None
    national = "0" + e164[3:] if e164.startswith("+44") else e164
    return f"{national[:2]}••• •••{national[-3:]}"
