"""The whole run without the model (a fixed classifier stands in): output files, errors, limits, read-only input.

The same run with the trained model is tests/triage/test_triage_e2e.py.
"""
from __future__ import annotations

import io
import json
from email import message_from_bytes, policy


from bot.triage.run import Triage, run
from triage_support import AS_OF, CORPUS, FakeClassifier, corpus_files, read_jsonl, snapshot

CONTRACT_KEYS = {"message_id", "from", "subject", "language", "topic", "domains", "lead_checks", "needs_human", "reply_draft"}


def triage_into(out, path, conn, classifier=None, **options):
    stream = io.StringIO()
    summary = run(path, out, Triage(classifier or FakeClassifier(), conn, AS_OF), stream=stream, **options)
    return summary, read_jsonl(out / "triage.jsonl"), stream.getvalue()


def test_one_line_per_message_and_a_draft_for_each_parsed_one(tmp_path, crm_conn):
    summary, lines, progress = triage_into(tmp_path / "out", CORPUS, crm_conn)
    files = corpus_files()
    assert len(lines) == len(files) == summary.messages
    assert [l["source"] for l in lines] == [f"corpus/{p.name}" for p in files]
    for number, line in enumerate(lines, 1):
        assert CONTRACT_KEYS <= set(line)
        if "error" in line:
            assert line["reply_draft"] is None and "draft" not in line
            continue
        assert line["draft"] == f"drafts/{number:04d}.eml"
        assert (tmp_path / "out" / line["draft"]).is_file()
    errors = [l for l in lines if "error" in l]
    assert [l["source"] for l in errors] == ["corpus/32_not_an_email.eml"]
    assert errors[0]["needs_human"] is True
    assert summary.drafts == len(files) - 1
    assert len(summary.errors) == 1
    assert "triage [" in progress and f"{len(files)}/{len(files)}" in progress


def test_drafts_are_replies_to_the_right_message(tmp_path, crm_conn):
    _, lines, _ = triage_into(tmp_path / "out", CORPUS, crm_conn)
    for line in lines:
        if "error" in line:
            continue
        draft = message_from_bytes((tmp_path / "out" / line["draft"]).read_bytes(), policy=policy.default)
        assert draft["From"] == "HubSpot Partner Team <partnerteam@hubspot.com>"
        assert draft["Subject"].startswith("Re:")
        if line["message_id"]:
            assert draft["In-Reply-To"] == line["message_id"]
            assert draft["References"].split()[-1] == line["message_id"]
        if line["from"]:
            assert line["from"] in draft["To"]
        assert draft["Content-Language"] == line["language"]
        assert draft.get_content().replace("\r\n", "\n") == line["reply_draft"]


def test_lead_checks_staff_view_in_jsonl_partner_view_in_draft(tmp_path, crm_conn):
    _, lines, _ = triage_into(tmp_path / "out", CORPUS / "19_pt_forward_gmail.eml", crm_conn,
                              FakeClassifier(intent="check_lead", faq_id=None))
    [line] = lines
    assert line["partner_id"] == "P-1003"
    assert line["domains"] == ["vinicola-serra.com.br"]  # the partner's own riogrowth.com.br is no lead
    [check] = line["lead_checks"]
    assert check["status"] == "unavailable"
    assert check["reasons"][0]["owner_partner_id"] == "P-1007"
    assert "P-1007" not in line["reply_draft"]
    assert "vinicola-serra.com.br" in line["reply_draft"]


def test_a_failing_message_gets_an_error_line_and_the_rest_continue(tmp_path, crm_conn):
    classifier = FakeClassifier(fail_on="Quanto custa")
    summary, lines, _ = triage_into(tmp_path / "out", CORPUS, crm_conn, classifier)
    failed = [l for l in lines if "error" in l]
    assert [l["source"] for l in failed] == ["corpus/13_pt_multipart_alternative.eml", "corpus/32_not_an_email.eml"]
    assert "RuntimeError: model exploded" in failed[0]["error"]
    assert failed[0]["message_id"] == "<CAOpqr-felipe-0001@mail.gmail.com>"  # what was read is kept
    assert len(lines) == len(corpus_files())


def test_limit_and_since(tmp_path, crm_conn):
    summary, lines, _ = triage_into(tmp_path / "a", CORPUS, crm_conn, limit=5)
    assert len(lines) == 5 == summary.messages
    summary, lines, _ = triage_into(tmp_path / "b", CORPUS, crm_conn, since=AS_OF)
    dated_today = [l for l in lines if "error" not in l]
    assert dated_today and all(l["date"].startswith("2026-11-30") for l in dated_today)
    assert summary.skipped == len(corpus_files()) - len(lines)
    summary, lines, _ = triage_into(tmp_path / "c", CORPUS, crm_conn, since=AS_OF, limit=2)
    assert len(lines) == 2


def test_input_is_never_modified(tmp_path, crm_conn, mbox_file, maildir):
    for name, path in (("folder", CORPUS), ("mbox", mbox_file), ("maildir", maildir),
                       ("eml", CORPUS / "24_en_broken_mime.eml")):
        before = snapshot(path)
        triage_into(tmp_path / name, path, crm_conn)
        assert snapshot(path) == before, name


def test_mbox_and_maildir_give_the_same_lines_as_the_folder(tmp_path, crm_conn, mbox_file, maildir):
    def essentials(lines):
        return sorted((l.get("message_id") or "", l.get("subject") or "", l["topic"] or "", tuple(l["domains"]),
                       l["language"] or "", "error" in l) for l in lines)

    _, folder, _ = triage_into(tmp_path / "f", CORPUS, crm_conn)
    _, mbox, _ = triage_into(tmp_path / "m", mbox_file, crm_conn)
    _, mdir, _ = triage_into(tmp_path / "d", maildir, crm_conn)
    assert essentials(folder) == essentials(mbox) == essentials(mdir)


def test_rerun_replaces_old_drafts_but_nothing_else(tmp_path, crm_conn):
    out = tmp_path / "out"
    triage_into(out, CORPUS, crm_conn)
    (out / "drafts" / "keep-me.txt").write_text("mine")
    triage_into(out, CORPUS / "01_pt_lead_check_registered.eml", crm_conn)
    assert sorted(p.name for p in (out / "drafts").iterdir()) == ["0001.eml", "keep-me.txt"]
    assert len(read_jsonl(out / "triage.jsonl")) == 1


def test_summary(tmp_path, crm_conn):
    summary, lines, _ = triage_into(tmp_path / "out", CORPUS, crm_conn)
    data = summary.as_dict()
    assert data["messages"] == len(lines)
    assert data["errors"] == 1
    assert sum(data["by_topic"].values()) == len(lines) - 1
    assert data["needs_human"] == sum(1 for l in lines if l["needs_human"])
    text = summary.readable("en")
    assert "Needing a human:" in text and "Errors: 1" in text and "32_not_an_email.eml" in text
    assert "Precisam de uma pessoa:" in summary.readable("pt")
    json.dumps(data)


def test_five_megabyte_message(tmp_path, crm_conn):
    folder = tmp_path / "in"
    folder.mkdir()
    line = "Podem verificar se o lead acme-grande.com.br está disponível? Obrigado pela ajuda de sempre.\n"
    body = line * (5 * 1024 * 1024 // len(line) + 1)
    raw = ("From: Marina <marina@pulsodigital.com.br>\nSubject: Lead grande\nMessage-ID: <big@pulso>\n"
           "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body).encode()
    assert len(raw) > 5 * 1024 * 1024
    (folder / "large.eml").write_bytes(raw)
    (folder / "small.eml").write_bytes((CORPUS / "03_pt_commission_how_paid.eml").read_bytes())
    classifier = FakeClassifier(intent="check_lead", faq_id=None)
    summary, lines, _ = triage_into(tmp_path / "out", folder, crm_conn, classifier)
    assert len(lines) == 2 and not any("error" in l for l in lines)
    large = lines[0]
    assert large["domains"] == ["acme-grande.com.br"]
    assert "body_truncated" in large["warnings"]
