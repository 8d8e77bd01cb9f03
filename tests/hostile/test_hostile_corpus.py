"""The corpus itself: at least 200 entries, unique ids, every kind of attack the issue names, every channel."""
from __future__ import annotations

from collections import Counter

from hostile_corpus import CHANNELS, effective_identity, entries, make_token

REQUIRED_CATEGORIES = {"empty", "oversized", "control", "emoji", "rtl", "sql", "html", "template", "domain",
                       "token", "sender", "http", "slack", "email"}


def test_the_corpus_has_at_least_200_entries_with_unique_ids():
    ids = [e.id for e in entries()]
    assert len(ids) >= 200
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_the_corpus_covers_every_kind_of_attack_and_every_channel():
    assert REQUIRED_CATEGORIES <= {e.category for e in entries()}
    for channel in CHANNELS:
        assert sum(channel in e.on for e in entries()) >= 100, channel
    generated = {e.id: e.message for e in entries()}
    assert len(generated["big-100k-a"]) == 100_000
    assert generated["dom-thousand-labels"].count(".") >= 1000
    assert "\ud800" in generated["ctl-lone-surrogate"]


def test_every_token_spec_makes_a_token_and_only_well_signed_ones_are_someone():
    for entry in entries():
        for spec in [entry.token, *[s.get("token") for s in entry.setup]]:
            make_token(spec)
    assert effective_identity("forged:staff:alice") is None
    assert effective_identity("partner:P-1001") == ("partner", "P-1001")


def test_forged_and_expired_tokens_do_not_verify_and_valid_ones_do(monkeypatch):
    from bot.identity import verify_token
    from hostile_corpus import JWT_SECRET

    monkeypatch.setenv("PARTNERBOT_JWT_SECRET", JWT_SECRET)
    for entry in entries():
        if isinstance(entry.token, str) and entry.category == "token":
            identity = verify_token(make_token(entry.token))
            got = (identity.role, identity.subject) if identity else None
            assert got == effective_identity(entry.token), entry.id
