"""`partnerbot chat`: talk to a running assistant from the terminal, as anonymous, a partner or staff.

Like `rasa shell`, but through the real REST channel and with a signed token, so what you
see is what the portal shows. Needs `partnerbot serve` running (same secret: env
PARTNERBOT_JWT_SECRET or var/jwt_secret).
"""
from __future__ import annotations

import json
import os
import sys
import urllib.request
import uuid

from bot.cli import UsageError


def _token(args) -> str | None:
    if not (args.partner or args.staff):
        return None
    from bot.build import VAR
    from bot.identity import issue_token

    if not os.environ.get("PARTNERBOT_JWT_SECRET") and (VAR / "jwt_secret").exists():
        os.environ["PARTNERBOT_JWT_SECRET"] = (VAR / "jwt_secret").read_text().strip()
    if not os.environ.get("PARTNERBOT_JWT_SECRET"):
        raise UsageError("no secret: set PARTNERBOT_JWT_SECRET (or run `partnerbot serve` once)")
    return issue_token(args.partner or args.staff, "partner" if args.partner else "staff")


def send(url: str, sender: str, text: str, token: str | None) -> list:
    body = {"sender": sender, "message": text, "metadata": {"token": token} if token else {}}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode())


def chat(args) -> int:
    token = _token(args)
    url = f"{args.url.rstrip('/')}/webhooks/rest/webhook"
    sender = args.sender or f"cli-{uuid.uuid4().hex[:8]}"
    who = args.partner or args.staff or "anonymous"
    print(f"partnerbot chat as {who} ({url}); Ctrl-D to quit", file=sys.stderr)
    while True:
        try:
            text = input("you> ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 0
        if not text.strip():
            continue
        try:
            replies = send(url, sender, text, token)
        except OSError as exc:
            print(f"partnerbot: the assistant did not answer ({exc})", file=sys.stderr)
            continue
        for reply in replies:
            if reply.get("text"):
                print(f"bot> {reply['text']}")
            for button in reply.get("buttons") or []:
                print(f"     [{button.get('title')}] → {button.get('payload')}")


def register(sub) -> None:
    parser = sub.add_parser("chat", help="talk to a running assistant from the terminal")
    parser.add_argument("--url", default=os.environ.get("PARTNERBOT_URL", "http://localhost:5005"))
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--partner", metavar="ID", help="sign in as this partner")
    who.add_argument("--staff", metavar="ID", help="sign in as this staff member")
    parser.add_argument("--sender", help="conversation id (default: a new one)")
    parser.set_defaults(func=chat)
