"""Hostile input: corrupted, truncated and random bytes never raise anything but NotAnEmail before the model."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from bot.triage.cleaning import clean_message
from bot.triage.drafting import first_name, reply_message, reply_subject
from bot.triage.mentions import message_domains
from bot.triage.reading import NotAnEmail, read_message
from triage_support import corpus_files

SAMPLES = [p.read_bytes() for p in corpus_files()]


def pipeline_without_model(raw: bytes) -> None:
    try:
        email = read_message(raw, "fuzz")
    except NotAnEmail:
        return
    clean = clean_message(email.body, email.subject, email.from_name)
    message_domains([email.subject, clean.text, *clean.forwarded_headers, clean.forwarded_text], email.sender_domain)
    reply_message(to_name=email.from_name, to_address=email.from_address, subject=email.subject,
                  message_id=email.message_id, references=email.references, body=clean.all_text or "-", lang="en",
                  topic="x", needs_human=True).as_bytes()
    first_name(email.from_name)
    reply_subject(email.subject)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=20),
       st.integers(min_value=0))
def test_corrupted_corpus_mail(sample, flips, cut):
    data = bytearray(sample)
    for position, value in flips:
        data[position % len(data)] = value
    pipeline_without_model(bytes(data[: max(1, cut % (len(data) + 1))]))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes(raw):
    pipeline_without_model(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_header_value(value):
    safe = value.replace("\r", " ").replace("\n", " ")
    raw = f"From: {safe}\nSubject: {safe}\nMessage-ID: {safe}\nReferences: {safe}\nDate: {safe}\n\n{value}\n"
    pipeline_without_model(raw.encode("utf-8", "surrogatepass"))
