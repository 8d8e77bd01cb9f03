"""The scaled mode's front door (bot.balancer): round robin, and a stopped replica is skipped."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession, web

from bot.balancer import Balancer

HOST = "127.0.0.1"


async def serve_app(app: web.Application, port: int = 0) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


def replica(name: str) -> web.Application:
    async def webhook(request: web.Request):
        body = await request.json()
        return web.json_response([{"recipient_id": body["sender"], "text": f"{name}: {body['message']}"}],
                                 headers={"X-Replica": name})

    async def health(_request):
        return web.json_response({"status": "ok"})

    async def refuse(_request):
        return web.json_response({"error": "bad"}, status=400)

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/webhooks/rest/", health)
    app.router.add_post("/bad", refuse)
    return app


async def scenario():
    a, port_a = await serve_app(replica("a"))
    b, port_b = await serve_app(replica("b"))
    front, port = await serve_app(Balancer([f"http://{HOST}:{port_a}", f"http://{HOST}:{port_b}"], rest_seconds=60).app())
    seen = {}
    try:
        async with ClientSession() as session:
            async def say(text: str):
                async with session.post(f"http://{HOST}:{port}/webhooks/rest/webhook",
                                        json={"sender": "s", "message": text}) as answer:
                    return answer.status, answer.headers.get("X-Replica"), await answer.json()

            seen["round_robin"] = [(await say(str(i)))[1] for i in range(4)]
            seen["answer"] = (await say("olá"))[2]
            async with session.post(f"http://{HOST}:{port}/bad", json={}) as answer:
                seen["status_passes_through"] = answer.status
            async with session.get(f"http://{HOST}:{port}/webhooks/rest/") as answer:
                seen["get"] = await answer.json()
            await a.cleanup()  # replica a stops
            seen["after_a_stopped"] = [(await say(str(i)))[:2] for i in range(4)]
            await b.cleanup()
            async with session.post(f"http://{HOST}:{port}/webhooks/rest/webhook", json={"sender": "s", "message": "x"}) as answer:
                seen["none_left"] = answer.status
    finally:
        await front.cleanup()
        await a.cleanup()
        await b.cleanup()
    return seen


def test_round_robin_and_a_stopped_replica_is_skipped():
    seen = asyncio.run(scenario())
    assert seen["round_robin"] == ["a", "b", "a", "b"]
    assert seen["answer"] == [{"recipient_id": "s", "text": "a: olá"}]
    assert seen["status_passes_through"] == 400
    assert seen["get"] == {"status": "ok"}
    assert seen["after_a_stopped"] == [(200, "b")] * 4
    assert seen["none_left"] == 503


def test_no_replica_is_an_error():
    with pytest.raises(ValueError):
        Balancer([])
