"""The scaled mode's front door: one port that spreads HTTP requests over the Rasa replicas.

`python -m bot.balancer --port 5005 --upstream http://127.0.0.1:5006 --upstream http://127.0.0.1:5007`
Round robin over the replicas. A replica that refuses the connection is skipped for a few
seconds and the request goes to the next one: it never reached the stopped replica, so
nothing is handled twice, and the person's conversation carries on, because the replicas
keep it in the shared tracker store (PostgreSQL) and take turns through the lock store (Redis).
A replica that fails in the middle of a request gets a 502: it may have handled the message.
Any reverse proxy (nginx, HAProxy) can take its place in front of the same replica ports.
"""
from __future__ import annotations

import argparse
import logging
import signal
import time

from aiohttp import ClientConnectorError, ClientSession, ClientTimeout, TCPConnector, web

logger = logging.getLogger("partnerbot.balancer")

# Headers that describe one hop, not the request: never forwarded.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "trailers", "transfer-encoding", "upgrade", "host", "content-length"}
MAX_BODY_BYTES = 1 << 20


class Balancer:
    """Round robin over `upstreams` (base URLs), skipping for `rest_seconds` one that refused a connection."""

    def __init__(self, upstreams: list, rest_seconds: float = 3.0, timeout_seconds: float = 600.0):
        if not upstreams:
            raise ValueError("no upstream")
        self.upstreams = [u.rstrip("/") for u in upstreams]
        self.rest_seconds = rest_seconds
        self.timeout = ClientTimeout(total=timeout_seconds, sock_connect=5)
        self.resting_until = {u: 0.0 for u in self.upstreams}
        self.turn = 0
        self.session: ClientSession | None = None

    def order(self) -> list:
        """This request's order of replicas: the next one in turn first, resting ones last."""
        start = self.turn
        self.turn = (self.turn + 1) % len(self.upstreams)
        ordered = self.upstreams[start:] + self.upstreams[:start]
        now = time.monotonic()
        return sorted(ordered, key=lambda u: self.resting_until[u] > now)

    async def start(self, _app=None) -> None:
        # auto_decompress off: bodies pass through byte for byte, with their own Content-Encoding.
        # Idle connections are dropped before a replica would (Sanic's keep-alive is 5 s), so a
        # request is never sent on a connection the replica is closing.
        self.session = ClientSession(timeout=self.timeout, auto_decompress=False,
                                     connector=TCPConnector(limit=512, keepalive_timeout=2))

    async def close(self, _app=None) -> None:
        if self.session is not None:
            await self.session.close()

    async def forward(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        for upstream in self.order():
            try:
                async with self.session.request(request.method, upstream + request.rel_url.raw_path_qs,
                                                headers=headers, data=body, allow_redirects=False) as answer:
                    payload = await answer.read()
                    out = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
                    return web.Response(status=answer.status, body=payload, headers=out)
            except ClientConnectorError:
                logger.warning("replica %s refused the connection; trying the next one", upstream)
                self.resting_until[upstream] = time.monotonic() + self.rest_seconds
            except Exception as exc:  # noqa: BLE001 - the replica failed mid-request: it may have handled it
                logger.error("replica %s failed during a request: %s", upstream, type(exc).__name__)
                return web.json_response({"error": "the assistant server failed; please try again"}, status=502)
        return web.json_response({"error": "no assistant server is answering; please try again"}, status=503)

    def app(self) -> web.Application:
        application = web.Application(client_max_size=MAX_BODY_BYTES)
        application.on_startup.append(self.start)
        application.on_cleanup.append(self.close)
        application.router.add_route("*", "/{tail:.*}", self.forward)
        return application


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.balancer", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", action="append", required=True, help="a replica's base URL (repeat)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        web.run_app(Balancer(args.upstream).app(), host=args.host, port=args.port, print=None, access_log=None)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
