"""Who is talking: the portal's JWT (HS256, PARTNERBOT_JWT_SECRET) with claims sub, role and exp.

A forged, expired or malformed token is no token: the person is anonymous. Channels
that know the person another way (Slack workspace members) mint a short-lived token
with `issue_token`, so actions trust one thing only: a token that verifies.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

import jwt

ROLES = ("partner", "staff")
SECRET_FILE_ENV = "PARTNERBOT_JWT_SECRET_FILE"
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class Identity:
    subject: str
    role: str  # partner | staff

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def partner_id(self) -> str | None:
        return self.subject if self.role == "partner" else None


def secret() -> str | None:
    """PARTNERBOT_JWT_SECRET, else the file PARTNERBOT_JWT_SECRET_FILE names; None means no token verifies."""
    value = os.environ.get("PARTNERBOT_JWT_SECRET")
    if value:
        return value
    path = os.environ.get(SECRET_FILE_ENV)
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip() or None
    return None


def issue_token(subject: str, role: str, ttl_seconds: int = 3600, key: str | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    key = key or secret()
    if not key:
        raise RuntimeError("no PARTNERBOT_JWT_SECRET set")
    now = int(time.time())
    return jwt.encode({"sub": subject, "role": role, "iat": now, "exp": now + ttl_seconds}, key, algorithm="HS256")


def verify_token(token, key: str | None = None) -> Identity | None:
    """The identity a token proves, or None for anything else (no token, forged, expired, malformed)."""
    key = key or secret()
    if not key or not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["sub", "role", "exp"]})
    except jwt.PyJWTError:
        return None
    subject, role = claims.get("sub"), claims.get("role")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 64 or role not in ROLES:
        return None
    return Identity(subject=subject.strip(), role=role)


def identity_from_metadata(metadata) -> Identity | None:
    if not isinstance(metadata, dict):
        return None
    return verify_token(metadata.get("token"))
