"""Last of the suite (files run in name order): the servers' output holds no traceback.

Every hostile entry has been through the running servers by now; a traceback in their logs
means one of them raised somewhere, even when the person got a clear answer.
"""
from __future__ import annotations


def test_the_servers_logged_no_traceback(hostile_stack):
    for name, path in hostile_stack.logs.items():
        text = path.read_text(encoding="utf-8", errors="replace")
        at = text.find("Traceback")
        assert at < 0, f"{name} log ({path}):\n{text[max(0, at - 300):at + 3000]}"


def test_every_server_is_still_running(hostile_stack):
    assert [p.args for p in hostile_stack.processes if p.poll() is not None] == []
