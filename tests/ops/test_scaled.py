"""The scaled mode for real (tests/ops/conftest.py): replicas share conversations, faults are survived.

In the order they run: a form started on one replica finishes on the other; concurrent messages
to one conversation are handled in the order they came; the action server, the database and
Redis each go down and come back (the person is told, in their language, and the same
conversation continues); a replica is killed and the other carries on; and at last every
process is stopped and started again, and a half-finished form continues.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
from sqlalchemy import select

from ops_stack import PARTNER, channel_text, new_sender, texts

pytestmark = pytest.mark.usefixtures("scaled_stack")


def new_domain() -> str:
    return f"ops-{uuid.uuid4().hex[:10]}.com.br"


def start_lead_check(stack, port: int, sender: str, token: str) -> None:
    """A signed-in partner asks to check a lead without naming it: the form asks for the domain."""
    answer = stack.send(port, sender, "quero verificar um lead", token)
    state = stack.conversation(sender)
    assert state.active_loop == "lead_check_form", texts(answer)
    assert state.slots.get("requested_slot") == "lead_domain", texts(answer)


def assert_verdict(stack, answer: list, sender: str, domain: str) -> None:
    state = stack.conversation(sender)
    assert domain in texts(answer), texts(answer)
    assert state.slots.get("lead_domain") == domain
    assert state.slots.get("lead_status") == "available"


def alive(stack) -> bool:
    return all(p.poll() is None for p in stack.servers.replicas) and stack.servers.actions.poll() is None


# ------------------------------------------------------------------------------- shared state


def test_a_form_started_on_one_replica_finishes_on_the_other(scaled_stack):
    stack = scaled_stack
    a, b = stack.replica_ports
    sender, token, domain = new_sender(), stack.token(), new_domain()
    email = f"contato.{uuid.uuid4().hex[:8]}@{domain}"

    start_lead_check(stack, a, sender, token)
    assert_verdict(stack, stack.send(b, sender, domain, token), sender, domain)

    stack.send(a, sender, "sim", token)  # yes to "shall I register it?": the registration form asks the contact
    state = stack.conversation(sender)
    assert state.active_loop == "lead_registration_form"
    assert state.slots.get("requested_slot") == "lead_contact_email"
    done = stack.send(b, sender, email, token)
    assert domain in texts(done)

    from bot.cli.audit import query
    from rules.db.models import registrations

    with stack.engine().connect() as conn:
        rows = conn.execute(select(registrations).where(registrations.c.domain == domain)).mappings().all()
        audit = query(conn, target=domain)
    assert [(r["partner_id"], r["contact_email"]) for r in rows] == [(PARTNER, email)]
    assert {(r["action"], r["actor"], r["partner_id"], r["result"]) for r in audit} >= {
        ("lead_check", PARTNER, PARTNER, "available"), ("lead_register", PARTNER, PARTNER, "registered")}
    assert stack.conversation(sender).user_texts() == ["quero verificar um lead", domain, "sim", email]
    assert email not in stack.logs_text()  # contact emails are never logged at the servers' (info) level


def test_rasas_http_api_answers_only_with_the_token(scaled_stack):
    stack = scaled_stack
    a, _ = stack.replica_ports
    sender = new_sender()
    stack.send(a, sender, "olá")
    url = f"http://127.0.0.1:{a}/conversations/{sender}/tracker"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=30)
    assert refused.value.code == 401
    with urllib.request.urlopen(f"{url}?token={stack.api_token}", timeout=30) as answer:
        assert [e["text"] for e in json.load(answer)["events"] if e["event"] == "user"] == ["olá"]


def test_concurrent_messages_to_one_conversation_are_handled_in_the_order_they_came(scaled_stack):
    """Each message is sent, alternately to each replica, as soon as the one before holds its ticket
    in Rasa's Redis lock store (it has come in), without waiting for its answer: they queue up."""
    stack = scaled_stack
    a, b = stack.replica_ports
    sender = new_sender()
    messages = ["olá", "o que é o programa de parceiros?", "hello", "what is the solutions partner program?",
                "obrigado", "thanks"]
    answers: dict = {}

    def send(index: int, text: str) -> None:
        answers[index] = stack.send(a if index % 2 == 0 else b, sender, text)

    threads, tickets_seen, most_waiting = [], set(), 0
    for index, text in enumerate(messages):
        threads.append(threading.Thread(target=send, args=(index, text)))
        threads[-1].start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until this message has its ticket, or is already answered
            tickets = stack.lock_tickets(sender)
            most_waiting = max(most_waiting, len(tickets))
            if tickets - tickets_seen or index in answers:
                tickets_seen |= tickets
                break
            time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=300)
    assert sorted(answers) == list(range(len(messages)))
    assert most_waiting >= 2, "the messages did not wait for each other"
    unavailable = {channel_text("unavailable", "pt"), channel_text("unavailable", "en")}
    assert all(answers[i] and texts(answers[i]) not in unavailable for i in answers)
    assert stack.conversation(sender).user_texts() == messages


# ------------------------------------------------------------------------------------- faults


def test_action_server_down_the_person_is_told_and_the_conversation_continues(scaled_stack):
    stack = scaled_stack
    a, b = stack.replica_ports
    sender, english, token, domain = new_sender(), new_sender(), stack.token(), new_domain()
    start_lead_check(stack, a, sender, token)

    stack.kill(stack.servers.actions)
    try:
        assert texts(stack.send(b, sender, f"o domínio é {domain}", token)) == channel_text("unavailable", "pt")
        assert texts(stack.send(a, english, "I want to check a lead", token)) == channel_text("unavailable", "en")
        assert all(p.poll() is None for p in stack.servers.replicas)
    finally:
        stack.restart_actions()

    assert_verdict(stack, stack.send(a, sender, domain, token), sender, domain)


def test_database_down_the_person_is_told_nothing_half_done_is_stored_and_it_recovers(scaled_stack):
    stack = scaled_stack
    a, b = stack.replica_ports
    sender, english, token, domain = new_sender(), new_sender(), stack.token(), new_domain()
    start_lead_check(stack, a, sender, token)

    stack.script("postgres.sh", "stop")
    try:
        assert texts(stack.send(b, sender, f"o domínio é {domain}", token)) == channel_text("unavailable", "pt")
        assert texts(stack.send(a, english, "what is the solutions partner program?")) == channel_text("unavailable", "en")
        # A bare domain says no language and the conversation cannot be read: both languages.
        assert texts(stack.send(a, sender, domain, token)) == "\n".join(
            [channel_text("unavailable", "en"), channel_text("unavailable", "pt")])
        assert alive(stack)
    finally:
        stack.script("postgres.sh", "start")

    assert_verdict(stack, stack.send(b, sender, domain, token), sender, domain)
    assert stack.conversation(sender).user_texts() == ["quero verificar um lead", domain]  # the failed turn left nothing

    # A database restart with no message in between costs no failed turn either.
    stack.script("postgres.sh", "stop")
    stack.script("postgres.sh", "start")
    for port in (a, b):
        answer = stack.send(port, english, "what is the solutions partner program?")
        assert answer and texts(answer) != channel_text("unavailable", "en")


def test_redis_down_the_person_is_told_and_it_recovers(scaled_stack):
    stack = scaled_stack
    a, _ = stack.replica_ports
    sender = new_sender()
    stack.script("redis.sh", "stop")
    try:
        assert texts(stack.send(a, sender, "o que é o programa de parceiros?")) == channel_text("unavailable", "pt")
        assert alive(stack)
    finally:
        stack.script("redis.sh", "start")
    answer = stack.send(a, sender, "o que é o programa de parceiros?")
    assert answer and texts(answer) != channel_text("unavailable", "pt")


def test_one_replica_killed_the_other_carries_on_the_same_conversation(scaled_stack):
    stack = scaled_stack
    a, b = stack.replica_ports
    sender, token, domain = new_sender(), stack.token(), new_domain()
    start_lead_check(stack, stack.front_port, sender, token)

    stack.kill(stack.servers.replicas[0])
    assert_verdict(stack, stack.send(stack.front_port, sender, domain, token), sender, domain)
    for _ in range(3):  # the front door keeps answering, from the replica left
        answer = stack.send(stack.front_port, sender, "obrigado", token)
        assert answer and texts(answer) != channel_text("unavailable", "pt")
    assert stack.send(b, sender, "o que é o programa de parceiros?", token)


def test_every_process_restarted_a_half_finished_form_continues(scaled_stack):
    """Last: stops everything (PostgreSQL and Redis too) and starts one replica and the action server again."""
    from bot.cli.serve import stop

    stack = scaled_stack
    a, b = stack.replica_ports
    sender, token, domain = new_sender(), stack.token(), new_domain()
    start_lead_check(stack, b, sender, token)
    before = stack.conversation(sender).events

    stop(stack.servers)
    stack.script("redis.sh", "stop")
    stack.script("postgres.sh", "stop")
    stack.script("postgres.sh", "start")
    stack.script("redis.sh", "start")
    stack.restart_actions()
    stack.restart_replica(0)

    after = stack.conversation(sender)
    assert after.events == before and after.active_loop == "lead_check_form"
    assert_verdict(stack, stack.send(a, sender, domain, token), sender, domain)
