"""A local stand-in for the Slack Web API (https://slack.com/api/) that records what the bot posts.

It answers `chat.postMessage` (recorded in `posts`), `users.info` (from a small directory of
users given to it) and `auth.test`, on 127.0.0.1 only, in a thread of its own so tests can run
it next to the Rasa server. Point the bot at it with SLACK_API_URL=<fake.url>.

Run it alone to try the Slack channel by hand: `python tests/slack/fake_slack.py --port 8765`
prints every message the bot posts.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Callable, Optional
from urllib.parse import parse_qs

from aiohttp import web

TEAM_ID = "T0PARTNERS"
BOT_USER_ID = "U0BOTUSER1"
BOT_ID = "B0BOTAPP01"


def member(user_id: str, team_id: str = TEAM_ID, **flags) -> dict:
    """A users.info `user` object: a full member unless flags say otherwise (is_restricted=True, …)."""
    return {"id": user_id, "team_id": team_id, "name": user_id.lower(), "deleted": False, "is_bot": False,
            "is_restricted": False, "is_ultra_restricted": False, **flags}


class FakeSlack:
    """The fake Web API. `posts` holds every accepted chat.postMessage call's arguments, in order."""

    def __init__(self, token: str, users: Optional[dict] = None):
        self.token = token
        self.users = dict(users or {})
        self.posts: list = []
        self.calls: list = []  # (method, arguments) of every call, accepted or not
        self._lock = threading.Lock()
        self._ts = 0
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._runner: Optional[web.AppRunner] = None
        self._thread: Optional[threading.Thread] = None
        self.port: Optional[int] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    # ------------------------------------------------------------------ the API

    async def _arguments(self, request: web.Request) -> dict:
        arguments = {k: v for k, v in request.query.items()}
        body = await request.read()
        if body:
            kind = request.content_type
            if kind == "application/json":
                arguments.update(json.loads(body))
            elif kind == "application/x-www-form-urlencoded":
                arguments.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
        return arguments

    async def _call(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        arguments = await self._arguments(request)
        with self._lock:
            self.calls.append((method, arguments))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "chat.postMessage":
            if not arguments.get("channel"):
                return web.json_response({"ok": False, "error": "channel_not_found"})
            if not (arguments.get("text") or arguments.get("blocks")):
                return web.json_response({"ok": False, "error": "no_text"})
            with self._lock:
                self._ts += 1
                ts = f"{int(time.time())}.{self._ts:06d}"
                self.posts.append({**arguments, "ts": ts})
            return web.json_response({"ok": True, "channel": arguments["channel"], "ts": ts,
                                      "message": {"text": arguments.get("text"), "ts": ts, "bot_id": BOT_ID}})
        if method == "users.info":
            user = self.users.get(arguments.get("user"))
            if user is None:
                return web.json_response({"ok": False, "error": "user_not_found"})
            return web.json_response({"ok": True, "user": user})
        if method == "auth.test":
            return web.json_response({"ok": True, "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID})
        return web.json_response({"ok": False, "error": "unknown_method"}, status=404)

    # ------------------------------------------------------------------ running

    def start(self, port: int = 0) -> "FakeSlack":
        ready = threading.Event()
        failure: list = []

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            try:
                app = web.Application()
                app.router.add_route("*", "/api/{method}", self._call)
                self._runner = web.AppRunner(app, access_log=None)
                self._loop.run_until_complete(self._runner.setup())
                site = web.TCPSite(self._runner, "127.0.0.1", port)
                self._loop.run_until_complete(site.start())
                self.port = site._server.sockets[0].getsockname()[1]
            except Exception as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="fake-slack", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop and self._thread:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    # ------------------------------------------------------------------ what the bot did

    def posts_where(self, match: Callable[[dict], bool]) -> list:
        with self._lock:
            return [post for post in self.posts if match(post)]

    def in_thread(self, channel: str, thread_ts: str) -> list:
        return self.posts_where(lambda p: p.get("channel") == channel and p.get("thread_ts") == thread_ts)

    def in_channel(self, channel: str) -> list:
        return self.posts_where(lambda p: p.get("channel") == channel)

    def wait_for(self, match: Callable[[dict], bool], count: int = 1, timeout: float = 120, settle: float = 1.5) -> list:
        """The posts that `match` once there are `count` of them and none came for `settle` seconds."""
        deadline = time.monotonic() + timeout
        seen, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            found = self.posts_where(match)
            if len(found) != seen:
                seen, quiet_since = len(found), time.monotonic()
            elif len(found) >= count and time.monotonic() - quiet_since >= settle:
                return found
            time.sleep(0.2)
        return self.posts_where(match)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default="xoxb-local-test")
    parser.add_argument("--staff", nargs="*", default=["U0STAFF001"], help="user ids answered as full members")
    args = parser.parse_args()
    fake = FakeSlack(args.token, {uid: member(uid) for uid in args.staff}).start(args.port)
    print(f"fake Slack Web API on {fake.url} (token {args.token}); Ctrl-C stops", flush=True)
    shown = 0
    try:
        while True:
            time.sleep(0.5)
            for post in fake.posts[shown:]:
                print(json.dumps(post, ensure_ascii=False), flush=True)
            shown = len(fake.posts)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
