"""The domains an email talks about: in its subject, the sender's own words, the messages it forwards, and its sender.

Candidates are email addresses, URLs and bare domains; each is normalised by
`rules.domains.normalise_domain` (the same function as the CSV import, the CLI and the chat).
Never a lead: HubSpot's own and free-mail domains (data/patterns/entities.yml
`ignored_domains`, the NLU's own list) and the links signatures carry
(data/triage/settings.yml `never_leads`), with their subdomains. A text like
"proposta.pdf" is no domain: an ending must be a two-letter country code that is not a
file extension, or a listed generic ending (settings `generic_tlds`).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Optional

from bot.nlu.patterns import vocabulary
from bot.triage.texts import settings
from rules.domains import InvalidDomain, normalise_domain

# An address starts where its run of local-part characters starts (the lookbehind): without it a long
# run with no "@" (a 100 KB word) is scanned again from each of its characters, in quadratic time.
_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@((?:[\w-]+\.)+[A-Za-z]{2,24})(?![\w-])")
_HOST = re.compile(r"(?<![\w@.-])(?:https?://)?((?:[\w-]+\.)+([A-Za-z]{2,24}))(?![\w-])")


@lru_cache(maxsize=1)
def _rules() -> tuple:
    config = settings()
    ignored = set(vocabulary()["ignored_domains"]) | set(config.get("never_leads", []))
    return ignored, set(config["generic_tlds"]), set(config["file_extensions"])


def is_ignored(domain: str, also: Iterable[str] = ()) -> bool:
    """HubSpot's, free-mail, social links — or one of `also` — or a subdomain of one."""
    ignored = _rules()[0] | set(also)
    return any(domain == name or domain.endswith("." + name) for name in ignored)


def _plausible_ending(written: str) -> bool:
    _, generic, extensions = _rules()
    ending = written.lower()
    if written not in (ending, written.upper()):  # "hoje.Se": a sentence without its space
        return False
    if len(ending) == 2:
        return ending not in extensions
    return ending in generic


def as_domain(text: str) -> Optional[str]:
    try:
        return normalise_domain(text)
    except InvalidDomain:
        return None


def domains_in(text: str) -> list:
    """Normalised domains named in `text`, in order of first mention, ignored ones left out."""
    found: list = []
    if not text:
        return found

    def add(candidate: str, ending: str) -> None:
        if not _plausible_ending(ending):
            return
        domain = as_domain(candidate)
        if domain and domain not in found and not is_ignored(domain):
            found.append(domain)

    spans = []
    for match in _EMAIL.finditer(text):
        spans.append((match.start(), match.group(1), match.group(1).rsplit(".", 1)[1]))
    masked = _EMAIL.sub(lambda m: " " * len(m.group(0)), text)
    for match in _HOST.finditer(masked):
        spans.append((match.start(), match.group(1), match.group(2)))
    for _, candidate, ending in sorted(spans):
        add(candidate, ending)
    return found


def message_domains(texts: Iterable[str], sender_domain: Optional[str], exclude: Iterable[str] = (),
                    limit: Optional[int] = None) -> list:
    """The domains of `texts` (in order), then the sender's, without `exclude` (e.g. the partner's own)."""
    exclude = set(exclude)
    limit = limit or int(settings()["max_domains"])
    out: list = []
    candidates = [d for text in texts for d in domains_in(text)]
    if sender_domain:
        sender = as_domain(sender_domain)
        if sender and not is_ignored(sender):
            candidates.append(sender)
    for domain in candidates:
        if domain not in out and not is_ignored(domain, exclude):
            out.append(domain)
        if len(out) >= limit:
            break
    return out
