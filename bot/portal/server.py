"""The page server of the portal widget: static files, a demo sign-in, and a proxy to the Rasa REST channel.

The browser talks to this one origin only. `POST /api/chat` forwards a message to Rasa's
REST webhook with the portal's JWT as message metadata (contract §4) and returns the
bot's messages; `POST /api/demo-sign-in` issues a short-lived JWT for a partner that exists
in the database, as the portal would after a log-in. Every failure is a JSON answer with
an error code and a message in the asker's language, never a stack trace or a 500 page.
Every answer carries a strict Content-Security-Policy: the page runs only its own script,
and Trusted Types forbid HTML sinks, so bot or user text can never become markup.
"""
from __future__ import annotations

import json
import logging
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import yaml

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
STATIC_DIR = Path(__file__).resolve().parent / "static"
LABELS_FILE = ROOT / "data" / "portal" / "labels.yml"
LANGUAGES = ("pt", "en")

DEFAULT_TOKEN_TTL = 30 * 60  # a demo session; the portal's real tokens are its own business
RASA_TIMEOUT = 60.0  # the first message after start-up loads the model's graph: allow for it
MAX_BODY_BYTES = 16 * 1024
MAX_MESSAGE_CHARS = 4000  # the REST channel answers anything over its own limit with a clear message
MAX_TOKEN_CHARS = 4096
SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
PARTNER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEMO_PARTNERS_SHOWN = 12

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}


@dataclass
class PortalConfig:
    rasa_url: str = "http://localhost:5005"
    token_ttl: int = DEFAULT_TOKEN_TTL
    demo_sign_in: bool = True
    rasa_timeout: float = RASA_TIMEOUT
    static_dir: Path = STATIC_DIR
    log_requests: bool = True
    database_url: str | None = None  # default: PARTNERBOT_DATABASE_URL (rules.db.session)
    jwt_secret: str | None = None  # default: PARTNERBOT_JWT_SECRET (bot.identity)

    @property
    def webhook_url(self) -> str:
        return self.rasa_url.rstrip("/") + "/webhooks/rest/webhook"


class PortalError(Exception):
    """An answer other than success: HTTP status and a label code (data/portal/labels.yml, `error_<code>`)."""

    def __init__(self, status: HTTPStatus, code: str):
        super().__init__(code)
        self.status = status
        self.code = code


# ---------------------------------------------------------------------------------------- labels


@lru_cache(maxsize=1)
def labels() -> dict:
    """The widget's labels: {key: {"pt": text, "en": text}}; every key in both languages."""
    with LABELS_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    missing = [key for key, value in data.items()
               if not isinstance(value, dict) or any(not isinstance(value.get(lang), str) for lang in LANGUAGES)]
    if missing:
        raise ValueError(f"{LABELS_FILE}: labels without both pt and en: {', '.join(missing)}")
    return data


def error_text(code: str, lang: str) -> str:
    return labels()[f"error_{code}"][lang if lang in LANGUAGES else "en"]


def error_payload(code: str, lang: str) -> dict:
    return {"error": code, "message": error_text(code, lang)}


# ------------------------------------------------------------------------------ the API, testable


def _language(body: dict) -> str:
    lang = body.get("lang") if isinstance(body, dict) else None
    return lang if lang in LANGUAGES else "en"


def known_partner(partner_id: str, database_url: str | None = None) -> dict | None:
    """The partner (id and name) from the database, or None."""
    from sqlalchemy import select

    from rules.db.models import partners
    from rules.db.session import get_engine

    with get_engine(database_url).connect() as conn:
        row = conn.execute(select(partners.c.partner_id, partners.c.name)
                           .where(partners.c.partner_id == partner_id)).first()
    return {"partner_id": row.partner_id, "name": row.name} if row else None


def demo_partners(database_url: str | None = None, limit: int = DEMO_PARTNERS_SHOWN) -> list:
    """A few partners to suggest on the demo sign-in form."""
    from sqlalchemy import select

    from rules.db.models import partners
    from rules.db.session import get_engine

    with get_engine(database_url).connect() as conn:
        rows = conn.execute(select(partners.c.partner_id, partners.c.name)
                            .order_by(partners.c.partner_id).limit(limit)).all()
    return [{"partner_id": row.partner_id, "name": row.name} for row in rows]


def demo_sign_in(body, config: PortalConfig) -> dict:
    """A JWT (role partner, short TTL) for a partner that exists; PortalError otherwise."""
    if not config.demo_sign_in:
        raise PortalError(HTTPStatus.NOT_FOUND, "sign_in_unavailable")
    if not isinstance(body, dict):
        raise PortalError(HTTPStatus.BAD_REQUEST, "bad_request")
    raw = body.get("partner_id")
    partner_id = raw.strip().upper() if isinstance(raw, str) else ""
    if not PARTNER_ID_PATTERN.match(partner_id):
        raise PortalError(HTTPStatus.BAD_REQUEST, "bad_partner_id")
    try:
        partner = known_partner(partner_id, config.database_url)
    except Exception:  # no database, or not migrated: the page says sign-in is unavailable
        logger.exception("demo sign-in: partner lookup failed")
        raise PortalError(HTTPStatus.SERVICE_UNAVAILABLE, "sign_in_unavailable") from None
    if partner is None:
        raise PortalError(HTTPStatus.NOT_FOUND, "unknown_partner")
    from bot.identity import issue_token

    try:
        token = issue_token(partner["partner_id"], "partner", ttl_seconds=config.token_ttl, key=config.jwt_secret)
    except RuntimeError:  # no PARTNERBOT_JWT_SECRET: nothing would verify the token anyway
        raise PortalError(HTTPStatus.SERVICE_UNAVAILABLE, "sign_in_unavailable") from None
    return {"demo": True, "token": token, "partner_id": partner["partner_id"], "name": partner["name"],
            "role": "partner", "expires_in": config.token_ttl}


def _bot_messages(answer) -> list:
    """The parts of Rasa's answer the widget shows: text and quick-reply buttons (no images, no custom JSON)."""
    messages = []
    for item in answer if isinstance(answer, list) else []:
        if not isinstance(item, dict):
            continue
        message = {}
        if isinstance(item.get("text"), str) and item["text"].strip():
            message["text"] = item["text"]
        buttons = [{"title": str(b.get("title")), "payload": str(b.get("payload"))}
                   for b in item.get("buttons") or [] if isinstance(b, dict) and b.get("title") and b.get("payload")]
        if buttons:
            message["buttons"] = buttons
        if message:
            messages.append(message)
    return messages


def chat(body, config: PortalConfig) -> dict:
    """Forward one message to the Rasa REST webhook (token as metadata); the bot's messages."""
    if not isinstance(body, dict):
        raise PortalError(HTTPStatus.BAD_REQUEST, "bad_request")
    sender, message, token = body.get("sender"), body.get("message"), body.get("token")
    if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
        raise PortalError(HTTPStatus.BAD_REQUEST, "bad_request")
    if not isinstance(message, str) or len(message) > MAX_MESSAGE_CHARS:
        raise PortalError(HTTPStatus.BAD_REQUEST, "bad_request")
    metadata = {"token": token} if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_CHARS else {}
    payload = json.dumps({"sender": sender, "message": message, "metadata": metadata}).encode("utf-8")
    request = urllib.request.Request(config.webhook_url, data=payload, method="POST",
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=config.rasa_timeout) as reply:
            answer = json.loads(reply.read(2_000_000).decode("utf-8"))
    except urllib.error.HTTPError as exc:
        logger.warning("Rasa answered %s to a chat message", exc.code)
        raise PortalError(HTTPStatus.BAD_GATEWAY, "assistant_failed") from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
        logger.warning("Rasa unreachable at %s: %s", config.webhook_url, exc)
        raise PortalError(HTTPStatus.SERVICE_UNAVAILABLE, "assistant_unavailable") from None
    except (ValueError, OSError) as exc:  # not JSON, or a broken connection mid-answer
        logger.warning("Rasa's answer was unreadable: %s", exc)
        raise PortalError(HTTPStatus.BAD_GATEWAY, "assistant_failed") from None
    return {"messages": _bot_messages(answer)}


# ----------------------------------------------------------------------------------- HTTP layer


class PortalHandler(BaseHTTPRequestHandler):
    server_version = "partnerbot-portal"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    @property
    def config(self) -> PortalConfig:
        return self.server.config  # type: ignore[attr-defined]

    # -- answers

    def _send(self, status: int, body: bytes, content_type: str, cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _error(self, status: int, code: str, lang: str = "en") -> None:
        self._json(status, error_payload(code, lang))

    def log_message(self, format, *args) -> None:  # noqa: A002 (the base class's name)
        if self.config.log_requests:
            super().log_message(format, *args)

    # -- requests

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = urlsplit(self.path).path
        if path == "/labels.json":
            return self._json(HTTPStatus.OK, labels())
        if path == "/api/demo-partners":
            if not self.config.demo_sign_in:
                return self._error(HTTPStatus.NOT_FOUND, "sign_in_unavailable")
            try:
                return self._json(HTTPStatus.OK, {"demo": True, "partners": demo_partners(self.config.database_url)})
            except Exception:
                logger.exception("listing demo partners failed")
                return self._json(HTTPStatus.OK, {"demo": True, "partners": []})
        if path == "/healthz":
            return self._json(HTTPStatus.OK, {"status": "ok"})
        if path.startswith("/api/"):
            return self._error(HTTPStatus.METHOD_NOT_ALLOWED, "bad_request")
        return self._static(path)

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        routes = {"/api/chat": chat, "/api/demo-sign-in": demo_sign_in}
        route = routes.get(path)
        if route is None:
            return self._error(HTTPStatus.NOT_FOUND, "bad_request")
        body, problem = self._read_json()
        lang = _language(body)
        if problem:
            return self._error(problem, "bad_request", lang)
        try:
            return self._json(HTTPStatus.OK, route(body, self.config))
        except PortalError as exc:
            return self._error(exc.status, exc.code, lang)
        except Exception:  # the page shows a clear message; the log keeps the details
            logger.exception("%s failed", path)
            return self._error(HTTPStatus.BAD_GATEWAY, "assistant_failed", lang)

    def _refuse(self) -> None:
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, "bad_request")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def _read_json(self):
        """(body, None) or (None, HTTP status): JSON only, same origin only, bounded size."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            return None, HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        raw = self.rfile.read(length) if length else b""
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":  # a cross-site form cannot send this without CORS
            return None, HTTPStatus.UNSUPPORTED_MEDIA_TYPE
        origin = self.headers.get("Origin")
        if origin and urlsplit(origin).netloc != self.headers.get("Host"):
            return None, HTTPStatus.FORBIDDEN
        try:
            return json.loads(raw.decode("utf-8")), None
        except (UnicodeDecodeError, ValueError):
            return None, HTTPStatus.BAD_REQUEST

    def _static(self, path: str) -> None:
        if path in ("/", "/index.html"):
            path = "/index.html"
        elif not path.startswith("/static/"):
            return self._not_found()
        else:
            path = path[len("/static"):]
        root = self.config.static_dir.resolve()
        target = (root / path.lstrip("/")).resolve()
        if root not in target.parents or not target.is_file() or target.suffix not in STATIC_TYPES:
            return self._not_found()
        self._send(HTTPStatus.OK, target.read_bytes(), STATIC_TYPES[target.suffix], cache="no-cache")

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain; charset=utf-8")


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, config: PortalConfig):
        self.config = config
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, PortalHandler)


def make_server(host: str, port: int, config: PortalConfig | None = None) -> PortalServer:
    """The page server, bound and ready for serve_forever(); labels are checked before it listens."""
    labels()
    return PortalServer((host, port), config or PortalConfig())
