"""Which push endpoints Lantern will POST to.

A push endpoint is a URL that a client hands us, and the workers later POST to it. Unchecked,
that makes the server a way into its own network (SSRF). So an endpoint must be `https` on a
host of a known push service; plain `http` is allowed only for a loopback host that the
allow-list names explicitly (the fake push service in tests, a local demo).

Allow-list entries: an exact host (`fcm.googleapis.com`), a wildcard for the subdomains of a
suffix (`*.notify.windows.com`, which does not match `notify.windows.com` itself), or a loopback
host with or without a port (`127.0.0.1`, `127.0.0.1:8765`, `localhost`, `[::1]:8765`).
An entry without a port admits any port.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_PUSH_ENDPOINT_LENGTH = 1024

# The push services of the major browsers: Chrome/Edge-on-Android/Opera (FCM), Firefox
# (Mozilla autopush), legacy Edge/Windows (WNS), Safari (Apple).
DEFAULT_PUSH_ALLOWED_HOSTS: tuple[str, ...] = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "*.notify.windows.com",
    "web.push.apple.com",
    "*.push.apple.com",
)

_DEFAULT_PORTS = {"https": 443, "http": 80}
# Hosts that resolvers would read as an IPv4 address although `ipaddress` does not
# ("127.1", "2130706433", "0x7f.0.0.1"): refused rather than guessed at.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


@dataclass(frozen=True, slots=True)
class _AllowedHost:
    host: str
    port: int | None
    wildcard: bool


def validate_push_endpoint(url: str, allowed_hosts: Iterable[str]) -> None:
    """Raise `ValueError(reason)` unless `url` is a push endpoint Lantern may POST to.

    The reason is safe to show to the client (it never echoes the URL).
    """
    if not isinstance(url, str) or not url:
        raise ValueError("endpoint must be a non-empty URL")
    if len(url) > MAX_PUSH_ENDPOINT_LENGTH:
        raise ValueError(f"endpoint is longer than {MAX_PUSH_ENDPOINT_LENGTH} characters")
    # Parsers disagree about backslashes, spaces, control and non-ASCII characters; a push
    # service never needs them.
    if not url.isascii() or any(ch <= " " or ch in "\x7f\\" for ch in url):
        raise ValueError("endpoint contains characters not allowed in a push endpoint")

    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise ValueError("endpoint is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError("endpoint must be an https URL")
    if "@" in parts.netloc:
        raise ValueError("endpoint must not contain credentials")
    if parts.fragment:
        raise ValueError("endpoint must not contain a fragment")
    host = parts.hostname or ""
    if not host:
        raise ValueError("endpoint has no host")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValueError("endpoint has an invalid port") from None

    address = _ip_address(host)
    if address is None and all(_NUMERIC_LABEL.match(label) for label in host.split(".")):
        raise ValueError("endpoint host must be a name, not a numeric address")
    is_loopback = host == "localhost" or (address is not None and address.is_loopback)
    if address is not None and not is_loopback:
        raise ValueError("endpoint must not be an IP address")

    entries = [entry for entry in map(_parse_entry, allowed_hosts) if entry is not None]
    if is_loopback:
        canonical = str(address) if address is not None else host
        if not any(
            not entry.wildcard and _canonical_host(entry.host) == canonical and entry.port in (None, port)
            for entry in entries
        ):
            raise ValueError("loopback endpoints are allowed only when the allow-list names them")
        return
    if scheme != "https":
        raise ValueError("plain http is allowed only for loopback hosts named on the allow-list")
    if not any(_matches(entry, host, port) for entry in entries):
        raise ValueError("endpoint host is not an allowed push service")


def _matches(entry: _AllowedHost, host: str, port: int) -> bool:
    if entry.port is not None and entry.port != port:
        return False
    if entry.wildcard:
        return host.endswith("." + entry.host)
    return host == entry.host


def _parse_entry(raw: str) -> _AllowedHost | None:
    """Read one allow-list entry; an unreadable one matches nothing (it is never a wildcard
    for everything)."""
    text = raw.strip().lower() if isinstance(raw, str) else ""
    wildcard = text.startswith("*.")
    if wildcard:
        text = text[2:]
    port_text: str | None = None
    if text.startswith("["):  # [::1] or [::1]:8765
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else None
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host = text  # a name, an IPv4 address or a bare IPv6 address
    if not host or "*" in host or "/" in host or "@" in host:
        return None
    port: int | None = None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return None
        port = int(port_text)
    if wildcard and _ip_address(host) is not None:
        return None
    return _AllowedHost(host=host, port=port, wildcard=wildcard)


def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _canonical_host(host: str) -> str:
    address = _ip_address(host)
    return str(address) if address is not None else host
