"""The hostile-input corpus (corpus.yml) as Python: entries expanded, tokens minted, replies judged.

A module of its own (not conftest.py) so that every test file of tests/hostile imports it by
name; test folders here share the module name `conftest`.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS_FILE = HERE / "corpus.yml"
DEMO = ROOT / "data" / "demo"
CHANNELS = ("rest", "portal", "slack", "triage")
JWT_SECRET = "hostile-tests-secret-7d1e0c5b9a8f7e6d5c4b3a2918f7e6d5"
WRONG_SECRET = "not-the-secret-of-this-server-0123456789abcdef"

# What must never be in a reply: a Python traceback or an exception's name and message.
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\b[A-Z]\w*(?:Error|Exception): |"
                       r"sqlalchemy\.|psycopg|sqlite3\.|jwt\.exceptions|\bKeyError\b|\bNoneType\b")
VERDICT_MARKS = ("⛔ ", "✅ ", "📌 ")


# ------------------------------------------------------------------------------------ entries


@dataclass
class Entry:
    id: str
    category: str
    message: Optional[str]
    token: object = "none"
    lang: str = "any"
    lead: bool = False
    setup: list = field(default_factory=list)
    forbid: list = field(default_factory=list)
    expect_text: list = field(default_factory=list)
    channels: tuple = CHANNELS
    http: Optional[dict] = None
    slack: Optional[dict] = None
    email: Optional[dict] = None

    def __repr__(self) -> str:  # pytest ids and failure messages: never 100 KB of text
        return f"Entry({self.id})"

    @property
    def on(self) -> set:
        return set(self.channels)

    @property
    def is_chat(self) -> bool:
        """A message for the chat channels (not a malformed HTTP request, Slack attack or email-only case)."""
        return self.http is None and self.slack is None and self.email is None


def _generate(spec: dict) -> str:
    if "repeat" in spec:
        unit, length = spec["repeat"], int(spec["length"])
        value = (unit * (length // len(unit) + 1))[:length]
    elif "labels" in spec:
        value = ".".join([spec.get("label", "a")] * int(spec["labels"])) + "." + spec.get("tld", "com")
    elif "codepoints" in spec:
        value = "".join(chr(c) for c in spec["codepoints"])
    else:
        raise ValueError(f"unknown generator {spec}")
    if "template" in spec:
        value = spec["template"].replace("{value}", value)
    prefix, suffix = spec.get("prefix", ""), spec.get("suffix", "")
    if prefix or suffix:  # the prefix and suffix keep the total length asked for when there is one
        length = len(value)
        value = (prefix + value + suffix)
        if "repeat" in spec and "template" not in spec:
            value = value[:length]
    return value


@lru_cache(maxsize=1)
def entries() -> tuple:
    with CORPUS_FILE.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)["entries"]
    out = []
    for item in raw:
        item = dict(item)
        message = _generate(item.pop("generate")) if "generate" in item else item.pop("message", None)
        channels = tuple(item.pop("channels", CHANNELS))
        out.append(Entry(message=message, channels=channels, **item))
    return tuple(out)


def chat_entries(channel: str) -> list:
    return [e for e in entries() if e.is_chat and channel in e.on]


def entry_id(entry: Entry) -> str:
    return entry.id


# ------------------------------------------------------------------------------------- tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(header: dict, claims: dict, key: Optional[str], alg: str = "HS256") -> str:
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    if key is None:
        return signing_input + "."
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[alg]
    return signing_input + "." + _b64(hmac.new(key.encode(), signing_input.encode(), digest).digest())


def _claims(sub: str, role: Optional[str], ttl: int = 1800, **extra) -> dict:
    now = int(time.time())
    claims = {"sub": sub, "iat": now, "exp": now + ttl, **extra}
    if role is not None:
        claims["role"] = role
    return claims


def make_token(spec, secret: str = JWT_SECRET):
    """The token (or non-token value) an entry's `token` names; None for none."""
    if spec in (None, "none"):
        return None
    if spec == "huge":
        return _jwt({"alg": "HS256", "typ": "JWT"}, _claims("P-1001", "partner", pad="x" * 6000), secret)
    if spec == "number":
        return 12345
    if spec == "list":
        return ["P-1001", "staff"]
    if spec == "object":
        return {"sub": "P-1001", "role": "staff"}
    if spec == "empty":
        return ""
    kind, _, rest = str(spec).partition(":")
    hs256 = {"alg": "HS256", "typ": "JWT"}
    if kind in ("partner", "staff"):
        return _jwt(hs256, _claims(rest, kind), secret)
    if kind == "garbage":
        return rest
    if kind == "tampered":  # a real token for one partner, its payload edited to another, signature kept
        real, other = rest.split(">")
        header, _, signature = _jwt(hs256, _claims(real, "partner"), secret).split(".")
        return ".".join([header, _b64(json.dumps(_claims(other, "partner")).encode()), signature])
    if kind == "escalated":  # a real partner token whose payload says staff
        header, _, signature = _jwt(hs256, _claims(rest, "partner"), secret).split(".")
        return ".".join([header, _b64(json.dumps(_claims(rest, "staff")).encode()), signature])
    if kind == "no_role":
        return _jwt(hs256, _claims(rest, None), secret)
    role, _, sub = rest.partition(":")
    if kind == "forged":
        return _jwt(hs256, _claims(sub, role), WRONG_SECRET)
    if kind == "expired":
        return _jwt(hs256, _claims(sub, role, ttl=-3600), secret)
    if kind == "alg_none":
        return _jwt({"alg": "none", "typ": "JWT"}, _claims(sub, role), None)
    if kind == "hs512":
        return _jwt({"alg": "HS512", "typ": "JWT"}, _claims(sub, role), secret, "HS512")
    if kind == "no_exp":
        claims = _claims(sub, role)
        claims.pop("exp")
        return _jwt(hs256, claims, secret)
    if kind == "bad_role":
        return _jwt(hs256, _claims(sub, role), secret)
    if kind == "empty_key":
        return _jwt(hs256, _claims(sub, role), "")
    if kind == "future_nbf":
        return _jwt(hs256, _claims(sub, role, nbf=int(time.time()) + 3600), secret)
    raise ValueError(f"unknown token spec {spec!r}")


def effective_identity(spec) -> Optional[tuple]:
    """(role, subject) the server must see for a token spec: only well-signed partner/staff tokens count."""
    if isinstance(spec, str):
        kind, _, rest = spec.partition(":")
        if kind in ("partner", "staff") and rest:
            return (kind, rest)
    return None


# ------------------------------------------------------------------------------ the demo data


def _rows(name: str) -> list:
    with (DEMO / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def partner_ids() -> tuple:
    return tuple(r["partner_id"] for r in _rows("partners.csv"))


@lru_cache(maxsize=1)
def private_strings() -> dict:
    """{partner_id: the strings only that partner (and staff) may see}: its id, contacts, portal users."""
    out = {p: {p} for p in partner_ids()}
    for row in _rows("registrations.csv"):
        out[row["partner_id"]].add(row["contact_email"].lower())
    for row in _rows("portal_activity.csv"):
        out[row["partner_id"]].add(row["user_email"].lower())
    return out


def forbidden_for(identity: Optional[tuple], said: str = "", extra=()) -> set:
    """What a reply to `identity` must not contain: every other partner's private strings (all of
    them for someone not signed in), except what the person typed themselves; plus `extra` always."""
    if identity and identity[0] == "staff":
        banned: set = set()
    else:
        own = identity[1] if identity else None
        said = (said or "").lower()
        banned = {s for p, strings in private_strings().items() if p != own for s in strings if s.lower() not in said}
    return banned | set(extra or ())


# ----------------------------------------------------------------------------------- judging


@lru_cache(maxsize=1)
def sign_in_texts() -> tuple:
    from bot.build import merged_domain

    return tuple(v["text"][:60] for v in merged_domain()["responses"]["utter_sign_in_required"])


def detect(text: str) -> Optional[str]:
    from bot.nlu.language import detect_language

    return detect_language(text)


def problems(entry: Entry, texts: list, identity: Optional[tuple], said: str = "", check_lang: bool = True) -> list:
    """Everything wrong with the replies `texts` to `entry` (empty when all is well)."""
    found = []
    if isinstance(entry.token, str):  # what the token itself says (its subject) is the person's own doing
        said = f"{said or ''} {entry.token}"
    joined = "\n".join(t for t in texts if isinstance(t, str))
    if not joined.strip():
        return ["no reply text"]
    match = TRACEBACK.search(joined)
    if match:
        found.append(f"exception text in the reply: {match.group(0)!r}")
    lowered = joined.lower()
    for banned in sorted(forbidden_for(identity, said, entry.forbid)):
        if banned.lower() in lowered:
            found.append(f"reply reveals {banned!r}")
    for wanted in entry.expect_text:
        if wanted.lower() not in lowered:
            found.append(f"reply lacks {wanted!r}")
    if identity is None and any(t.lstrip().startswith(VERDICT_MARKS) for t in texts if isinstance(t, str)):
        found.append("a lead verdict for someone not signed in")
    if entry.lead and identity and identity[0] == "partner" and identity[1] in partner_ids():
        if any(s in joined for s in sign_in_texts()):
            found.append("a signed-in partner was asked to sign in")
    if check_lang and entry.lang in ("pt", "en"):
        other = "en" if entry.lang == "pt" else "pt"
        if detect(joined) == other:
            found.append(f"reply in {other}, the message was {entry.lang}")
    return found


def short(text, limit: int = 300) -> str:
    text = repr(text)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"
