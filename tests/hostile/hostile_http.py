"""Sending the corpus over HTTP to the running stack: the REST webhook and the portal's /api/chat."""
from __future__ import annotations

import json
import secrets

from hostile_corpus import Entry, make_token

REQUEST_SECONDS = 180
PORTAL_MAX_MESSAGE = 4000  # bot.portal.server.MAX_MESSAGE_CHARS
PORTAL_MAX_BODY = 16 * 1024  # bot.portal.server.MAX_BODY_BYTES


def new_sender(channel: str, entry: Entry) -> str:
    """A sender id of its own for the entry (portal senders: [A-Za-z0-9_-]{8,128})."""
    return f"hostile-{channel}-{entry.id}-{secrets.token_hex(4)}"[:128]


def rest_send(http, stack, sender: str, message, token=None):
    metadata = {} if token is None else {"token": token}
    body = json.dumps({"sender": sender, "message": message, "metadata": metadata})
    answer = http.post(f"{stack.rasa_url}/webhooks/rest/webhook", data=body.encode("utf-8"),
                       headers={"Content-Type": "application/json"}, timeout=REQUEST_SECONDS)
    return answer


def portal_send(http, stack, sender: str, message, token=None, lang: str = "en"):
    payload = {"sender": sender, "message": message, "lang": lang}
    if token is not None:
        payload["token"] = token
    body = json.dumps(payload)
    answer = http.post(f"{stack.portal_url}/api/chat", data=body.encode("utf-8"),
                       headers={"Content-Type": "application/json"}, timeout=REQUEST_SECONDS)
    return answer, len(body.encode("utf-8"))


def raw_post(http, url: str, spec: dict):
    """A malformed request of an `http` entry: the body (latin-1 bytes), its content type, an Origin."""
    body = spec.get("body", "")
    if "fill" in spec:
        body = body.replace("%s", "x" * int(spec["fill"]))
    if "nest" in spec:
        depth = int(spec["nest"])
        body = body.replace("%s", "[" * depth + "]" * depth)
    headers = {"Content-Type": spec.get("content_type", "application/json")}
    if spec.get("origin"):
        headers["Origin"] = spec["origin"]
    return http.post(url, data=body.encode("latin-1"), headers=headers, timeout=REQUEST_SECONDS)


def setup_conversation(send, entry: Entry, sender: str) -> None:
    """The entry's `setup` messages (someone else's conversation) on `sender`; each must be answered."""
    for step in entry.setup:
        answer = send(sender, step["message"], make_token(step.get("token")))
        status = answer[0].status_code if isinstance(answer, tuple) else answer.status_code
        assert status == 200, f"setup message {step['message']!r} got {status}"


def written_rows(database_url: str) -> dict:
    """The rows a chat could write wrongly: registrations and lead claims (sorted, comparable)."""
    from sqlalchemy import select

    from rules.db.models import lead_claims, registrations
    from rules.db.session import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return {table.name: sorted(tuple(str(v) for v in row) for row in conn.execute(select(table)))
                    for table in (registrations, lead_claims)}
    finally:
        engine.dispose()


def demo_database(path: Path) -> str:
    from rules.db.load import load_demo
    from rules.db.migrate import upgrade
    from rules.db.session import make_engine

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    load_demo(engine)
    engine.dispose()
    return url
