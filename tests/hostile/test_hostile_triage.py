"""Every corpus entry as an email through the triage (contract §5), in-process, in one run.

Each entry becomes one .eml of a generated mailbox folder (its text as the body, a neutral or
hostile subject and headers for the email-only entries); the sender writes from a partner's
domain when the entry's token is that partner's, else from outside. One `bot.triage.run.run`
over the folder (the trained model loaded in this process), then for every message: a line
without `error`, a draft in the message's language with no exception text and nothing of
another partner's, a draft file whose headers nothing injected, the database unchanged, and
a normal question at the end still classified.
"""
from __future__ import annotations

import base64
import datetime as dt
import email
import io
import json
import logging
import quopri
import shutil
from email import policy
from pathlib import Path

import pytest

from hostile_corpus import DEMO, TRACEBACK, effective_identity, entries, entry_id, problems, short
from hostile_http import demo_database, written_rows

CONTROL_ID = "zz-normal-question-afterwards"
CONTROL_TEXT = "Olá! Como funciona a vitória do melhor parceiro (best partner wins)?"
AS_OF = dt.date(2026, 11, 30)

TRIAGE = [e for e in entries() if "triage" in e.on and e.http is None and e.slack is None]


def partner_domains() -> dict:
    import csv

    with (DEMO / "partners.csv").open(encoding="utf-8") as handle:
        return {row["partner_id"]: row["domain"] for row in csv.DictReader(handle)}


def sender_of(entry) -> tuple:
    """(From header, the partner the triage must take the sender for, or None)."""
    mail = entry.email or {}
    if "from" in mail:  # a partner's own domain makes the sender that partner (by design: drafts in its view)
        domain = mail["from"].rsplit("@", 1)[-1].strip("> ").lower() if "@" in mail["from"] else ""
        owners = {d: p for p, d in partner_domains().items()}
        return mail["from"], owners.get(domain)
    identity = effective_identity(entry.token)
    if identity and identity[0] == "partner" and identity[1] in partner_domains():
        return f"Pessoa Parceira <pessoa@{partner_domains()[identity[1]]}>", identity[1]
    return "Someone <someone@example.org>", None


def header_line(name: str, value: str) -> bytes:
    return f"{name}: {value}\r\n".encode("utf-8", "surrogatepass")


def eml_bytes(number: int, entry) -> bytes:
    """The entry as an email as a hostile sender could write it (raw bytes: nothing sanitised on the way)."""
    mail = entry.email or {}
    sender, _ = sender_of(entry)
    subject = mail.get("subject", "Pergunta" if entry.lang == "pt" else "Question")
    if "subject_repeat" in mail:
        subject = ("How do I become a partner? " * mail["subject_repeat"])[: mail["subject_repeat"]]
    headers = {"From": sender, "To": "partnerteam@hubspot.com", "Subject": subject,
               "Date": "Mon, 30 Nov 2026 10:00:00 +0000", "Message-ID": f"<hostile-{number:04d}@example.org>",
               "MIME-Version": "1.0", **(mail.get("headers") or {})}
    charset = mail.get("charset", "utf-8")
    encoding = mail.get("transfer_encoding", "8bit")
    text = entry.message or ""
    raw_body = text.encode("utf-8", "surrogatepass")
    if encoding == "base64" and text.startswith("!!!"):
        body = raw_body  # the entry's own broken base64
    elif encoding == "base64":
        body = base64.encodebytes(raw_body)
    elif encoding == "quoted-printable" and "=" in text:
        body = raw_body  # the entry's own broken quoted-printable
    elif encoding == "quoted-printable":
        body = quopri.encodestring(raw_body)
    else:
        body = raw_body
    headers["Content-Type"] = f"{mail.get('content_type', 'text/plain')}; charset={charset}"
    headers["Content-Transfer-Encoding"] = encoding
    head = b"".join(header_line(k, v) for k, v in headers.items() if v is not None)
    return head + b"\r\n" + body + b"\r\n"


@pytest.fixture(scope="module")
def triage_run(hostile_model_source, tmp_path_factory):
    """One triage run over a folder with every entry's email (and a normal question last)."""
    from rules.db.session import make_engine

    from bot.triage.run import Triage, run
    from bot.triage.understanding import Classifier
    from hostile_corpus import Entry

    work = tmp_path_factory.mktemp("hostile-triage")
    mailbox, out = work / "mailbox", work / "out"
    mailbox.mkdir()
    cases = TRIAGE + [Entry(id=CONTROL_ID, category="control", message=CONTROL_TEXT, lang="pt")]
    names = {}
    for number, entry in enumerate(cases, 1):
        name = f"{number:04d}-{entry.id}.eml"
        (mailbox / name).write_bytes(eml_bytes(number, entry))
        names[name] = entry
    database_url = demo_database(work / "triage.db")
    before = written_rows(database_url)
    snapshot = {p.name: p.read_bytes() for p in mailbox.iterdir()}
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setLevel(logging.WARNING)
    logging.getLogger().addHandler(handler)
    progress = io.StringIO()
    engine = make_engine(database_url)
    try:
        classifier = Classifier.load(hostile_model_source)
        with engine.connect() as conn:
            summary = run(mailbox, out, Triage(classifier, conn, AS_OF), progress=True, stream=progress)
    finally:
        logging.getLogger().removeHandler(handler)
        engine.dispose()
    records = [json.loads(line) for line in (out / "triage.jsonl").read_text(encoding="utf-8").splitlines()]
    by_entry = {}
    for record in records:
        by_entry[names[Path(record["source"]).name].id] = record
    return {
        "summary": summary, "records": by_entry, "out": out, "log": log.getvalue() + progress.getvalue(),
        "unchanged_input": snapshot == {p.name: p.read_bytes() for p in mailbox.iterdir()},
        "written_before": before, "written_after": written_rows(database_url), "count": len(cases),
    }


@pytest.mark.parametrize("entry", TRIAGE, ids=entry_id)
def test_triage_drafts_a_clear_reply_to_hostile_email(triage_run, entry):
    record = triage_run["records"].get(entry.id)
    assert record is not None, f"{entry.id}: no line in triage.jsonl"
    assert "error" not in record, f"{entry.id}: {record.get('error')}"
    draft = record.get("reply_draft") or ""
    assert draft.strip(), f"{entry.id}: no reply draft"
    _, partner = sender_of(entry)
    assert record.get("partner_id") == partner, f"{entry.id}: taken for partner {record.get('partner_id')}"
    identity = ("partner", partner) if partner else None
    found = problems(entry, [draft], identity, said=f"{entry.message}\n{(entry.email or {}).get('subject', '')}",
                     check_lang=False)
    found = [f for f in found if f != "a lead verdict for someone not signed in"]  # drafts are reviewed by staff
    assert not found, f"{entry.id}: {found}: {short(draft, 600)}"
    if entry.lang in ("pt", "en"):
        assert record["language"] == entry.lang, f"{entry.id}: language {record['language']}"
    assert record.get("draft"), f"{entry.id}: no draft file"
    message = email.message_from_bytes((triage_run["out"] / record["draft"]).read_bytes(), policy=policy.default)
    assert not [k for k in message.keys() if k.lower() in ("bcc", "cc", "x-injected")], f"{entry.id}: {message.keys()}"
    body = message.get_content()
    assert not TRACEBACK.search(body)
    if message.get("Content-Language"):
        assert message["Content-Language"] == record["language"]


def test_triage_runs_every_message_and_still_understands_a_normal_one_afterwards(triage_run):
    summary = triage_run["summary"]
    assert summary.messages == triage_run["count"] and not summary.errors, summary.errors
    control = triage_run["records"][CONTROL_ID]
    assert control["language"] == "pt" and control["faq_id"] == "best_partner_wins", short(control)


def test_triage_changes_neither_the_mailbox_nor_the_database_and_logs_no_traceback(triage_run):
    assert triage_run["unchanged_input"]
    assert triage_run["written_after"] == triage_run["written_before"]
    assert "Traceback" not in triage_run["log"], triage_run["log"][-3000:]
