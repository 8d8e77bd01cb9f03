"""A stand-in for the Rasa REST channel with scripted answers, for the widget's rendering tests.

It answers `POST /webhooks/rest/webhook` like Rasa does (a list of bot messages) and records
every request, so tests can check what the page server forwarded (sender, text, token).
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MARKDOWN_ANSWER = (
    "**Lead registration** keeps a lead yours for *one year*.\n"
    "Read the [partner guide](https://www.hubspot.com/partners) first.\n\n"
    "- Register before you contact the company\n"
    "- Use the contact's **work** email\n\n"
    "1. Open the portal\n"
    "2. Choose *Register a lead*\n\n"
    "Questions? Write to partnerteam@hubspot.com"
)
HOSTILE_ANSWER = (
    "<img src=x onerror=alert(1)> and <script>alert(2)</script> "
    "[a trap](javascript:alert(3)) **<b>not bold html</b>**"
)
BUTTONS_ANSWER = {"text": "Shall I register acme.com now?",
                  "buttons": [{"title": "Yes, register it", "payload": "/affirm"},
                              {"title": "No, thanks", "payload": "/deny"}]}


def scripted_answer(sender: str, text: str) -> tuple[int, object]:
    """(HTTP status, body) for one message."""
    reply = lambda body: {"recipient_id": sender, **body}  # noqa: E731
    if text == "markdown please":
        return 200, [reply({"text": MARKDOWN_ANSWER})]
    if text == "hostile please":
        return 200, [reply({"text": HOSTILE_ANSWER})]
    if text == "buttons please":
        return 200, [reply(BUTTONS_ANSWER)]
    if text == "break please":
        return 500, {"error": "boom"}
    if text == "/affirm":
        return 200, [reply({"text": "Registered: acme.com is yours until 2027-01-01."})]
    return 200, [reply({"text": f"Echo: {text}"}), reply({"text": "Anything else?"})]


class StubRasa:
    """Run with `with StubRasa() as rasa:`; `rasa.url` is its base URL, `rasa.requests` what it got."""

    def __init__(self, host: str = "127.0.0.1"):
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                self._answer(200, {"status": "ok"})

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                stub.requests.append(body)
                if self.path != "/webhooks/rest/webhook":
                    return self._answer(404, {"error": "not found"})
                status, answer = scripted_answer(str(body.get("sender")), str(body.get("message")))
                self._answer(status, answer)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "StubRasa":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
