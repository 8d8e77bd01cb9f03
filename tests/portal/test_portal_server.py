"""The portal widget's page server (bot/portal/server.py) over HTTP, without a browser: static files
with a strict Content-Security-Policy, the demo sign-in, the proxy to the Rasa REST channel
(a live stand-in, a dead one, a silent one), and every failure answered as a clear JSON message."""
from __future__ import annotations

import http.client
import json
import re
import socket
import sys
import threading
from pathlib import Path

import pytest

from bot.cli.serve import free_port
from bot.identity import verify_token
from bot.portal import server as portal
from bot.portal.__main__ import parse_args

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from stub_rasa import StubRasa  # noqa: E402

SECRET = "portal-unit-tests-secret-0123456789abcdef0123456789"


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    from rules.db.load import load_demo
    from rules.db.migrate import upgrade
    from rules.db.session import make_engine

    url = f"sqlite:///{tmp_path_factory.mktemp('portal-db') / 'partnerbot.db'}"
    engine = make_engine(url)
    upgrade(engine)
    load_demo(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def rasa():
    with StubRasa() as stub:
        yield stub


class Page:
    """A running page server and a tiny HTTP client for it."""

    def __init__(self, config: portal.PortalConfig):
        self.server = portal.make_server("127.0.0.1", 0, config)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def request(self, method: str, path: str, body=None, headers: dict | None = None, raw: bytes | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        sent = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=sent)
        reply = conn.getresponse()
        content = reply.read()
        conn.close()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, content

    def post(self, path: str, body, **kwargs):
        status, headers, content = self.request("POST", path, body, **kwargs)
        assert headers["content-type"] == "application/json; charset=utf-8"
        return status, json.loads(content)


@pytest.fixture
def make_page(database, rasa):
    pages = []

    def _make(**options) -> Page:
        settings = dict(rasa_url=rasa.url, database_url=database, jwt_secret=SECRET, log_requests=False)
        settings.update(options)
        page = Page(portal.PortalConfig(**settings))
        pages.append(page)
        return page

    yield _make
    for page in pages:
        page.close()


@pytest.fixture
def page(make_page) -> Page:
    return make_page()


# ------------------------------------------------------------------------------------ static files


def csp_directives(header: str) -> dict:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("path, content_type", [
    ("/", "text/html; charset=utf-8"),
    ("/static/widget.js", "text/javascript; charset=utf-8"),
    ("/static/markdown.js", "text/javascript; charset=utf-8"),
    ("/static/widget.css", "text/css; charset=utf-8"),
    ("/static/favicon.svg", "image/svg+xml"),
])
def test_static_files_carry_a_strict_content_security_policy(page, path, content_type):
    status, headers, body = page.request("GET", path)
    assert status == 200 and body
    assert headers["content-type"] == content_type
    policy = csp_directives(headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["require-trusted-types-for"] == ["'script'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_the_page_has_no_inline_script_or_style():
    html = (portal.STATIC_DIR / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "every script is a file (script-src 'self')"
    assert "<style" not in html and not re.search(r"\sstyle=", html), "every style is in widget.css"
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"


def test_the_widget_never_assigns_html():
    for name in ("widget.js", "markdown.js"):
        source = (portal.STATIC_DIR / name).read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in source, f"{name} uses {sink}"


@pytest.mark.parametrize("path", ["/static/../server.py", "/static/%2e%2e/server.py", "/static/nothing.js",
                                  "/server.py", "/static/", "/static/../../data/portal/labels.yml", "/etc/passwd"])
def test_nothing_outside_the_static_folder_is_served(page, path):
    status, headers, body = page.request("GET", path)
    assert status == 404
    assert body == b"Not found\n"
    assert "content-security-policy" in headers


def test_labels_have_both_languages_and_cover_the_page(page):
    status, _, body = page.request("GET", "/labels.json")
    labels = json.loads(body)
    assert status == 200
    assert all(set(value) == {"pt", "en"} and value["pt"] and value["en"] for value in labels.values())
    html = (portal.STATIC_DIR / "index.html").read_text(encoding="utf-8")
    script = (portal.STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    used = set(re.findall(r'data-label(?:-placeholder)?="([a-z0-9_]+)"', html))
    used |= set(re.findall(r'(?:label|setLabel\([^,]+,|showSigninStatus|showNotice)\(?\s*"([a-z0-9_]+)"', script))
    used |= {"suggestion_1", "suggestion_2", "you_said", "bot_said", "page_title", "opens_new_tab"}
    assert used - set(labels) == set()
    codes = {"assistant_unavailable", "assistant_failed", "bad_request", "unknown_partner", "bad_partner_id",
             "sign_in_unavailable", "network", "session_expired"}
    assert {f"error_{code}" for code in codes} <= set(labels)


# ------------------------------------------------------------------------------------ demo sign-in


def test_sign_in_issues_a_short_lived_partner_token(page):
    status, body = page.post("/api/demo-sign-in", {"partner_id": " p-1001 "})
    assert status == 200
    assert body["demo"] is True
    assert (body["partner_id"], body["name"], body["role"]) == ("P-1001", "Agência Pulso Digital", "partner")
    assert body["expires_in"] == portal.DEFAULT_TOKEN_TTL <= 3600
    identity = verify_token(body["token"], key=SECRET)
    assert (identity.subject, identity.role) == ("P-1001", "partner")
    import jwt

    claims = jwt.decode(body["token"], SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == portal.DEFAULT_TOKEN_TTL


def test_sign_in_token_lifetime_is_configurable(make_page):
    status, body = make_page(token_ttl=120).post("/api/demo-sign-in", {"partner_id": "P-1002"})
    assert status == 200 and body["expires_in"] == 120


@pytest.mark.parametrize("lang, message", [
    ("en", "There is no demo partner with that ID."),
    ("pt", "Não há parceiro de demonstração com esse ID."),
])
def test_sign_in_rejects_unknown_partners(page, lang, message):
    status, body = page.post("/api/demo-sign-in", {"partner_id": "P-9999", "lang": lang})
    assert status == 404
    assert body == {"error": "unknown_partner", "message": message}


@pytest.mark.parametrize("payload", [{}, {"partner_id": ""}, {"partner_id": 1001}, {"partner_id": "P 1001; drop"},
                                     {"partner_id": "x" * 65}, [], "P-1001"])
def test_sign_in_rejects_malformed_ids(page, payload):
    status, body = page.post("/api/demo-sign-in", payload)
    assert status == 400
    assert body["error"] in {"bad_partner_id", "bad_request"}
    assert body["message"]


def test_sign_in_without_a_secret_says_it_is_unavailable(make_page, monkeypatch):
    monkeypatch.delenv("PARTNERBOT_JWT_SECRET", raising=False)
    monkeypatch.delenv("PARTNERBOT_JWT_SECRET_FILE", raising=False)
    status, body = make_page(jwt_secret=None).post("/api/demo-sign-in", {"partner_id": "P-1001"})
    assert status == 503
    assert body == {"error": "sign_in_unavailable", "message": "Demo sign-in isn't available on this server."}


def test_sign_in_without_a_database_says_it_is_unavailable(make_page, tmp_path):
    status, body = make_page(database_url=f"sqlite:///{tmp_path / 'empty.db'}").post(
        "/api/demo-sign-in", {"partner_id": "P-1001", "lang": "pt"})
    assert status == 503
    assert body["error"] == "sign_in_unavailable"


def test_sign_in_can_be_turned_off(make_page):
    page = make_page(demo_sign_in=False)
    status, body = page.post("/api/demo-sign-in", {"partner_id": "P-1001"})
    assert status == 404 and body["error"] == "sign_in_unavailable"
    status, _, _ = page.request("GET", "/api/demo-partners")
    assert status == 404


def test_demo_partners_are_listed_for_the_form(page):
    status, _, body = page.request("GET", "/api/demo-partners")
    partners = json.loads(body)["partners"]
    assert status == 200
    assert partners[0] == {"partner_id": "P-1001", "name": "Agência Pulso Digital"}
    assert 1 <= len(partners) <= portal.DEMO_PARTNERS_SHOWN


# ------------------------------------------------------------------------------------ requests


def test_posts_must_be_json(page):
    status, body = page.post("/api/demo-sign-in", None, raw=b"partner_id=P-1001",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415 and body["error"] == "bad_request"
    status, body = page.post("/api/chat", None, raw=b"{not json", headers={"Content-Type": "application/json"})
    assert status == 400 and body["error"] == "bad_request"


def test_cross_origin_posts_are_refused(page):
    status, body = page.post("/api/demo-sign-in", {"partner_id": "P-1001"},
                             headers={"Origin": "https://evil.example"})
    assert status == 403 and "token" not in body
    status, body = page.post("/api/demo-sign-in", {"partner_id": "P-1001"},
                             headers={"Origin": f"http://127.0.0.1:{page.port}"})
    assert status == 200


def test_oversized_bodies_are_refused(page):
    status, body = page.post("/api/chat", {"sender": "web-12345678", "message": "x" * (portal.MAX_BODY_BYTES + 1)})
    assert status == 413 and body["error"] == "bad_request"


def test_other_methods_get_a_json_answer(page):
    for method, path in (("GET", "/api/chat"), ("PUT", "/api/chat"), ("DELETE", "/"), ("POST", "/api/nothing")):
        status, headers, body = page.request(method, path)
        assert status in (404, 405)
        assert json.loads(body)["error"] == "bad_request"


# ------------------------------------------------------------------------------------ the chat proxy


def test_chat_forwards_sender_text_and_token_as_metadata(page, rasa):
    rasa.requests.clear()
    _, signed = page.post("/api/demo-sign-in", {"partner_id": "P-1003"})
    status, body = page.post("/api/chat", {"sender": "web-abcdef0123", "message": "hello", "token": signed["token"]})
    assert status == 200
    assert body == {"messages": [{"text": "Echo: hello"}, {"text": "Anything else?"}]}
    assert rasa.requests == [{"sender": "web-abcdef0123", "message": "hello", "metadata": {"token": signed["token"]}}]


def test_chat_without_a_token_sends_empty_metadata(page, rasa):
    rasa.requests.clear()
    page.post("/api/chat", {"sender": "web-abcdef0123", "message": "hi", "token": None})
    page.post("/api/chat", {"sender": "web-abcdef0123", "message": "hi", "token": "x" * 5000})
    assert [r["metadata"] for r in rasa.requests] == [{}, {}]


def test_chat_passes_buttons_and_drops_what_the_widget_does_not_show(page, monkeypatch):
    status, body = page.post("/api/chat", {"sender": "web-abcdef0123", "message": "buttons please"})
    assert body["messages"] == [{"text": "Shall I register acme.com now?", "buttons": [
        {"title": "Yes, register it", "payload": "/affirm"}, {"title": "No, thanks", "payload": "/deny"}]}]
    assert portal._bot_messages([{"image": "https://x/y.png"}, {"custom": {"a": 1}}, {"text": "  "}, "junk",
                                 {"text": "ok", "buttons": [{"title": "t"}, "b"]}]) == [{"text": "ok"}]
    assert portal._bot_messages({"not": "a list"}) == []


@pytest.mark.parametrize("payload", [
    {"message": "hi"}, {"sender": "short", "message": "hi"}, {"sender": "web-<script>x", "message": "hi"},
    {"sender": "web-abcdef0123", "message": 5}, {"sender": "web-abcdef0123"},
    {"sender": "web-abcdef0123", "message": "x" * (portal.MAX_MESSAGE_CHARS + 1)}])
def test_chat_rejects_malformed_messages(page, payload):
    status, body = page.post("/api/chat", payload)
    assert status == 400 and body["error"] == "bad_request"


@pytest.mark.parametrize("lang, message", [
    ("en", "The assistant isn't answering right now. Please try again in a moment."),
    ("pt", "O assistente não está respondendo agora. Tente de novo em instantes."),
])
def test_a_dead_rasa_is_a_clear_message(make_page, lang, message):
    page = make_page(rasa_url=f"http://127.0.0.1:{free_port()}")
    status, body = page.post("/api/chat", {"sender": "web-abcdef0123", "message": "hello", "lang": lang})
    assert status == 503
    assert body == {"error": "assistant_unavailable", "message": message}


def test_a_silent_rasa_times_out_with_a_clear_message(make_page):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        page = make_page(rasa_url=f"http://127.0.0.1:{silent.getsockname()[1]}", rasa_timeout=0.5)
        status, body = page.post("/api/chat", {"sender": "web-abcdef0123", "message": "hello"})
    assert status == 503 and body["error"] == "assistant_unavailable"


def test_a_failing_rasa_is_a_clear_message(page):
    status, body = page.post("/api/chat", {"sender": "web-abcdef0123", "message": "break please", "lang": "pt"})
    assert status == 502
    assert body == {"error": "assistant_failed",
                    "message": "O assistente não conseguiu processar a mensagem. Tente de novo ou reformule a pergunta."}


def test_an_unexpected_error_is_never_a_500(page, monkeypatch):
    def explode(body, config):
        raise KeyError("surprise")

    monkeypatch.setattr(portal, "chat", explode)
    status, body = page.post("/api/chat", {"sender": "web-abcdef0123", "message": "hello"})
    assert status == 502 and body["error"] == "assistant_failed"


# ------------------------------------------------------------------------------------ command line


def test_command_line_defaults(monkeypatch):
    for name in ("PARTNERBOT_WIDGET_HOST", "PARTNERBOT_WIDGET_PORT", "PARTNERBOT_RASA_URL"):
        monkeypatch.delenv(name, raising=False)
    args = parse_args([])
    assert (args.host, args.port, args.rasa_url, args.demo_sign_in) == ("127.0.0.1", 8080, "http://localhost:5005", True)
    args = parse_args(["--host", "0.0.0.0", "--port", "9000", "--rasa-url", "http://rasa:5005/", "--no-demo-sign-in"])
    assert (args.host, args.port, args.demo_sign_in) == ("0.0.0.0", 9000, False)
    assert portal.PortalConfig(rasa_url=args.rasa_url).webhook_url == "http://rasa:5005/webhooks/rest/webhook"
