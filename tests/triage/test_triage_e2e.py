"""`partnerbot triage` end to end with the trained model: the corpus's languages, topics, domains and leads.

The model is trained once per session when none matches the training data (see conftest).
Commands run in this process through `bot.cli.main` (the model loads once); one test runs
the installed `partnerbot` entry point as a subprocess.
"""
from __future__ import annotations

import os
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from bot.cli import main
from triage_support import AS_OF, CORPUS, corpus_files, read_jsonl, snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory, model_path, classifier, crm_template):
    """The whole corpus triaged once through the CLI (the results several tests read)."""
    import shutil

    from rules.db.session import get_engine

    tmp = tmp_path_factory.mktemp("corpus_run")
    shutil.copyfile(crm_template, tmp / "crm.db")
    saved = os.environ.get("PARTNERBOT_DATABASE_URL")
    os.environ["PARTNERBOT_DATABASE_URL"] = f"sqlite:///{tmp / 'crm.db'}"
    get_engine.cache_clear()
    try:
        before = snapshot(CORPUS)
        code = main(["triage", str(CORPUS), "--out", str(tmp / "out"), "--as-of", AS_OF.isoformat(),
                     "--model", str(model_path), "--no-progress", "--json"])
        assert snapshot(CORPUS) == before
    finally:
        if saved is None:
            os.environ.pop("PARTNERBOT_DATABASE_URL", None)
        else:
            os.environ["PARTNERBOT_DATABASE_URL"] = saved
        get_engine.cache_clear()
    assert code == 0
    lines = read_jsonl(tmp / "out" / "triage.jsonl")
    return tmp / "out", {Path(line["source"]).name: line for line in lines}, lines


def test_one_line_per_message(corpus_run):
    _, by_file, lines = corpus_run
    assert len(lines) == len(corpus_files()) >= 30
    assert set(by_file) == {p.name for p in corpus_files()}


@pytest.mark.parametrize("name", [p.name for p in corpus_files()])
def test_corpus_email(corpus_run, expected, name):
    out, by_file, _ = corpus_run
    line, want = by_file[name], expected[name]
    if want.get("error"):
        assert line["error"] and line["needs_human"] is True and line["reply_draft"] is None
        return
    assert "error" not in line, line.get("error")
    seen = f"{name}: intent {line['intent']} ({line['confidence']}), reasons {line['needs_human_reasons']}"
    if "language" in want:
        assert line["language"] == want["language"], seen
    assert line["topic"] in want["topic"], seen
    assert line["domains"] == want["domains"], seen
    checks = {c["domain"]: c for c in line["lead_checks"]}
    assert list(checks) == line["domains"]
    for domain, status in (want.get("statuses") or {}).items():
        assert checks[domain]["status"] == status, seen
    for domain, owner in (want.get("owner") or {}).items():
        assert checks[domain]["reasons"][-1]["owner_partner_id"] == owner  # staff view in the jsonl
        assert owner not in line["reply_draft"]                           # never in a reply to a partner
    assert line["needs_human"] is want["needs_human"], seen
    for reason in want.get("reasons", []):
        assert reason in line["needs_human_reasons"], seen
    for warning in want.get("warnings", []):
        assert warning in line["warnings"]
    if "attachments_ignored" in want:
        assert line["attachments_ignored"] == want["attachments_ignored"]
    draft = message_from_bytes((out / line["draft"]).read_bytes(), policy=policy.default)
    assert draft["In-Reply-To"] == line["message_id"]
    assert draft["Content-Language"] == line["language"]
    assert draft.get_content().replace("\r\n", "\n") == line["reply_draft"]


def test_drafts_answer_in_the_senders_language_with_the_faq_answer(corpus_run):
    from bot.knowledge import faq_entry

    _, by_file, _ = corpus_run
    for line in by_file.values():
        if line.get("faq_id") and not line["needs_human"]:
            entry = faq_entry(line["faq_id"])
            assert entry.answer_in(line["language"]) in line["reply_draft"], line["source"]


def test_lead_check_drafts_carry_the_rules_results(corpus_run):
    _, by_file, _ = corpus_run
    registered = by_file["01_pt_lead_check_registered.eml"]
    assert "cafe-do-porto.com.br está registrado por você até 10/03/2027." in registered["reply_draft"]
    customer = by_file["02_en_lead_check_customer.eml"]
    assert "northern-lights.ca is unavailable: the account is an existing HubSpot customer." in customer["reply_draft"]




def test_mbox_and_maildir_through_the_cli(tmp_path, crm_url, model_path, classifier, mbox_file, maildir, capsys):
    for name, path in (("mbox", mbox_file), ("maildir", maildir)):
        before = snapshot(path)
        code = main(["triage", str(path), "--out", str(tmp_path / name), "--as-of", AS_OF.isoformat(),
                     "--model", str(model_path), "--limit", "12"])
        assert code == 0
        assert snapshot(path) == before
        lines = read_jsonl(tmp_path / name / "triage.jsonl")
        assert len(lines) == 12
        assert len(list((tmp_path / name / "drafts").glob("*.eml"))) == sum(1 for l in lines if "error" not in l)
    captured = capsys.readouterr()
    assert "Triage done: 12 messages" in captured.out
    assert "Needing a human:" in captured.out and "Errors:" in captured.out
    assert "triage [" in captured.err  # the progress bar


def test_since_by_date_header(tmp_path, crm_url, model_path, classifier):
    code = main(["triage", str(CORPUS), "--out", str(tmp_path / "out"), "--since", "2026-11-30", "--as-of",
                 AS_OF.isoformat(), "--model", str(model_path), "--no-progress"])
    assert code == 0
    lines = read_jsonl(tmp_path / "out" / "triage.jsonl")
    assert {Path(l["source"]).name for l in lines} == {
        "31_en_signature_heavy.eml", "32_not_an_email.eml", "33_pt_utf8_declared_latin1.eml", "34_en_thanks.eml",
        "35_pt_lead_available_mbox_style.eml", "36_en_partner_benefits_windows1252_declared_latin1.eml"}


def test_five_megabyte_body_and_broken_neighbours(tmp_path, crm_url, model_path, classifier):
    folder = tmp_path / "in"
    folder.mkdir()
    paragraph = ("Podem verificar se o lead acme-grande.com.br está disponível para registrarmos? "
                 "Estamos conversando com eles há semanas.\n\n")
    raw = ("From: Marina Costa <marina@pulsodigital.com.br>\nSubject: Lead grande\nMessage-ID: <large@pulso>\n"
           "Date: Mon, 30 Nov 2026 10:00:00 -0300\nContent-Type: text/plain; charset=utf-8\n"
           "Content-Transfer-Encoding: 8bit\n\n" + paragraph * (5 * 1024 * 1024 // len(paragraph) + 1)).encode()
    assert len(raw) > 5 * 1024 * 1024
    (folder / "a_large.eml").write_bytes(raw)
    (folder / "b_garbage.eml").write_bytes(os.urandom(2048))
    (folder / "c_empty.eml").write_bytes(b"")
    (folder / "d_fine.eml").write_bytes((CORPUS / "10_en_tiers_calculation.eml").read_bytes())
    code = main(["triage", str(folder), "--out", str(tmp_path / "out"), "--as-of", AS_OF.isoformat(),
                 "--model", str(model_path), "--no-progress"])
    assert code == 0
    lines = read_jsonl(tmp_path / "out" / "triage.jsonl")
    assert len(lines) == 4
    large, garbage, empty, fine = lines
    assert large["topic"] == "lead_check" and large["language"] == "pt"
    assert large["domains"] == ["acme-grande.com.br"]
    assert large["lead_checks"][0]["status"] == "available"
    assert "body_truncated" in large["warnings"]
    assert "error" in garbage and "error" in empty
    assert fine["topic"] == "tiers"


def test_entry_point_subprocess_no_traceback(tmp_path, crm_url, model_path):
    """The installed `partnerbot triage` with a broken message among good ones: exit 0, no traceback."""
    env = dict(os.environ, PARTNERBOT_DATABASE_URL=crm_url, RASA_TELEMETRY_ENABLED="false")
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("24_en_broken_mime.eml", "32_not_an_email.eml", "23_pt_no_body.eml"):
        (folder / name).write_bytes((CORPUS / name).read_bytes())
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "partnerbot"), "triage", str(folder), "--out",
                             str(tmp_path / "out"), "--model", str(model_path), "--as-of", AS_OF.isoformat()],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Triage done: 3 messages" in result.stdout
    assert "Errors: 1" in result.stdout
    assert len(read_jsonl(tmp_path / "out" / "triage.jsonl")) == 3
