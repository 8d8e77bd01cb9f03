"""Normalising what a person types as a lead (bare domain, URL or email address) into one domain.

The same function serves the CSV import, the CLI, the chat and the email triage, so
`Acme.com`, `https://www.acme.com:443/about`, `sales@ACME.com` and `acme.com.` are all
`acme.com`; internationalised names are kept in their IDNA (punycode) form.
"""
from __future__ import annotations

import re
from functools import lru_cache

import idna

MAX_INPUT = 2048
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# Labels that IDNA leaves as they are (letters, digits, inner hyphens, no "ab--" prefix):
# they skip the IDNA codec; anything else goes through it and gets its precise error.
_PLAIN = re.compile(r"^(?:(?![A-Za-z0-9]{2}--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*(?![A-Za-z0-9]{2}--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


class InvalidDomain(ValueError):
    """The text is not a domain, URL or email address we can register a lead for."""


def normalise_domain(target: str) -> str:
    """`target` (domain, URL or email) as a lower-case, IDNA-encoded registrable domain name."""
    if not isinstance(target, str):
        raise InvalidDomain("not text")
    return _normalise(target)


@lru_cache(maxsize=65536)
def _normalise(target: str) -> str:
    raw = target.strip()
    if not raw:
        raise InvalidDomain("empty")
    if len(raw) > MAX_INPUT:
        raise InvalidDomain("too long")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        raise InvalidDomain("control characters")
    host = raw
    if host.lower().startswith("mailto:"):
        host = host[7:]
    host = _SCHEME.sub("", host)
    if "@" in host:
        # An email address, or credentials in a URL: the host is after the last @.
        host = host.rsplit("@", 1)[1]
    host = re.split(r"[/?#]", host, maxsplit=1)[0]
    host = re.sub(r":\d*$", "", host)  # port
    host = host.strip().rstrip(".")
    if not host or any(ch.isspace() for ch in host):
        raise InvalidDomain("not a domain")
    if _PLAIN.match(host):
        ascii_host = host.lower()  # plain ASCII: IDNA would change nothing but the case
    else:
        try:
            ascii_host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            raise InvalidDomain(f"not a valid domain name ({exc})") from None
    ascii_host = ascii_host.lower()
    if ascii_host.startswith("www."):
        ascii_host = ascii_host[4:]
    if len(ascii_host) > 253:
        raise InvalidDomain("longer than 253 characters")
    labels = ascii_host.split(".")
    if len(labels) < 2:
        raise InvalidDomain("needs a name and a top-level domain, like acme.com")
    if not all(_LABEL.match(label) for label in labels):
        raise InvalidDomain("has an invalid label")
    if not _TLD.match(labels[-1]):
        raise InvalidDomain("has an invalid top-level domain")
    return ascii_host


def is_domain(target: str) -> bool:
    try:
        normalise_domain(target)
    except InvalidDomain:
        return False
    return True


@lru_cache(maxsize=65536)
def display_domain(domain: str) -> str:
    """The Unicode form of an IDNA domain, for people (`xn--caf-dma.com` → `café.com`)."""
    try:
        return idna.decode(domain)
    except (idna.IDNAError, UnicodeError, ValueError):
        return domain
