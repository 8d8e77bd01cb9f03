"""`partnerbot commission estimate|eligibility` through the real entry point: exit codes, JSON shape,
one clear line on stderr for bad input, never a traceback, nothing written."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bot.cli import main  # noqa: E402
from conftest_commission import commission_db_url, commission_engine, insert_situation, run_cli  # noqa: E402,F401

FAQ_UPGRADE = ["commission", "estimate", "--package", "provider", "--start", "2019-01",
               "--line", "sales_hub_starter=50", "--change", "2019-07:sales_hub_starter=0",
               "--change", "2019-07:sales_hub_professional=400", "--months", "12", "--json"]


@pytest.fixture
def no_db(tmp_path):
    """A database URL whose file must still not exist after the command (nothing written)."""
    path = tmp_path / "never" / "created.db"
    yield f"sqlite:///{path}"
    assert not path.exists(), "a bad-input or estimate command wrote to the database"
    assert not path.parent.exists()


def _one_clear_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("partnerbot: ")
    return lines[0]


# --------------------------------------------------------------------------- estimate, real entry point


def test_faq_upgrade_example_json(no_db):
    code, out, err = run_cli(FAQ_UPGRADE, no_db)
    assert code == 0, err
    assert "Traceback" not in err
    assert {k: out[k] for k in ("package", "rate", "months_counted", "revenue_counted", "total", "currency")} == {
        "package": "provider", "rate": 0.2, "months_counted": 12, "revenue_counted": 2700.0, "total": 540.0, "currency": "USD"}
    assert [(p["quarter"], p["amount"], p["paid_on"]) for p in out["payouts"]] == [
        ("2019-Q1", 30.0, "2019-05-15"), ("2019-Q2", 30.0, "2019-08-14"),
        ("2019-Q3", 240.0, "2019-11-14"), ("2019-Q4", 240.0, "2020-02-14")]
    assert "provider-2018-01-01" in out["policy"] and "commission.provider.rate=0.2" in out["policy"]
    assert out["summary"].startswith("Estimated Solutions Provider commission: US$ 540.00")
    assert out["trace"] and out["notes"]


def test_faq_starter_example_json_in_portuguese(no_db):
    code, out, err = run_cli(["commission", "estimate", "--package", "provider", "--start", "2019-01",
                              "--line", "sales_hub_starter=50", "--months", "12", "--lang", "pt", "--json"], no_db)
    assert code == 0, err
    assert out["total"] == 120.0 and out["revenue_counted"] == 600.0 and out["months_counted"] == 12
    assert "US$ 120,00" in out["summary"] and "Política de comissão" in out["policy"]


def test_human_output(no_db):
    code, out, err = run_cli([a for a in FAQ_UPGRADE if a != "--json"], no_db)
    assert code == 0, err
    assert "US$ 540.00" in out and "2019-Q3" in out and "2019-11-14" in out


def test_partner_legacy_still_managing_flag(no_db):
    base = ["commission", "estimate", "--package", "partner", "--start", "2023-03", "--line", "sales_hub_starter=50",
            "--months", "36", "--json"]
    code, out, _ = run_cli(base, no_db)
    assert code == 0 and out["months_counted"] == 25 and out["total"] == 250.0
    assert any(n["code"] == "months_capped_legacy" for n in out["notes"]) and "2025-04-01" in out["policy"]
    code, out, _ = run_cli(base + ["--still-managing"], no_db)
    assert code == 0 and out["months_counted"] == 36 and out["total"] == 360.0


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--package", "partner", "--start", "2019-01", "--line", "sales_hub_starter=50"], "--months"),
        (["--package", "provider", "--start", "2019-01", "--line", "sales_hub_platinum=50"], "sales_hub_platinum"),
        (["--package", "provider", "--start", "2019-01", "--line", "sales_hub_starter=-50"], "negative"),
        (["--package", "provider", "--start", "2019-13", "--line", "sales_hub_starter=50"], "2019-13"),
        (["--package", "provider", "--start", "2019-01", "--line", "sales_hub_starter=50", "--months", "abc"], "abc"),
    ],
)
def test_bad_input_through_the_entry_point(args, fragment, no_db):
    code, out, err = run_cli(["commission", "estimate", *args, "--json"], no_db)
    assert code == 2
    assert out == ""
    assert fragment in _one_clear_line(err)


# --------------------------------------------------------------------------- estimate, every bad input in-process


BAD_ESTIMATES = [
    ([], "missing_option"),
    (["--package", "provider"], "missing_option"),
    (["--package", "reseller", "--start", "2019-01", "--line", "sales_hub_starter=50"], "unknown_package"),
    (["--package", "provider", "--start", "2019-1", "--line", "sales_hub_starter=50"], "bad_month"),
    (["--package", "provider", "--start", "2017-01", "--line", "sales_hub_starter=50"], "no_policy"),
    (["--package", "provider", "--start", "2019-01"], "no_lines"),
    (["--package", "provider", "--start", "2019-01", "--line", "sales_hub_starter"], "bad_line"),
    (["--package", "provider", "--start", "2019-01", "--line", "sales_hub_starter=abc"], "bad_price"),
    (["--package", "provider", "--start", "2019-01", "--line", "sales_hub_starter=2000000"], "price_too_high"),
    (["--package", "provider", "--start", "2019-01", "--line", "sales_hub_starter=5", "--line", "sales_hub_starter=6"], "duplicate_line"),
    (["--package", "provider", "--start", "2019-01", "--line", "sales_hub_starter=5", "--line", "sales_hub_enterprise=6"], "two_editions"),
    (["--package", "provider", "--start", "2019-01", "--line", "sales_hub_starter=5", "--change", "2019-07"], "bad_change"),
    (["--package", "provider", "--start", "2019-01", "--line", "sales_hub_starter=5", "--change", "2018-07:sales_hub_starter=0"], "change_before_start"),
    (["--package", "provider", "--start", "2019-01", "--line", "sales_hub_starter=5", "--months", "0"], "bad_months"),
    (["--package", "provider", "--start", "2019-01", "--line", "sales_hub_starter=5", "--months", "601"], "bad_months"),
    (["--package", "partner", "--start", "2020-01", "--line", "sales_hub_starter=5", "--still-managing"], "months_required_legacy"),
]


@pytest.mark.parametrize("args, code", BAD_ESTIMATES, ids=[c for _, c in BAD_ESTIMATES])
@pytest.mark.parametrize("lang", ["en", "pt"])
def test_every_estimate_bad_input_is_exit_2_and_one_line(args, code, lang, capsys, monkeypatch, tmp_path):
    from rules.texts import text

    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'never.db'}")
    assert main(["commission", "estimate", *args, "--lang", lang, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = _one_clear_line(captured.err)
    # The line is the message of `code` in `lang`: every fixed part of its template is there.
    for fragment in re.split(r"\{[a-z_]+\}", text("errors", code, lang)):
        assert fragment.strip() in line, (fragment, line)
    assert not (tmp_path / "never.db").exists()


# --------------------------------------------------------------------------- eligibility


SITUATION = {
    "partners": [{"partner_id": "p1", "joined_on": "2019-01-01"}],
    "registrations": [{"partner_id": "p1", "domain": "acme.com", "registered_on": "2020-01-10"}],
    "subscriptions": [{"domain": "beta.com", "product": "sales_hub_starter", "started_on": "2019-01-01"}],
}


@pytest.fixture
def eligibility_db(commission_db_url, commission_engine):
    insert_situation(commission_engine, SITUATION)
    return commission_db_url


def _eligibility(*args):
    return ["commission", "eligibility", *args, "--json"]


def test_eligibility_eligible(eligibility_db):
    code, out, err = run_cli(_eligibility("--partner", "p1", "--domain", "https://www.acme.com/", "--product", "Sales Hub Pro",
                                          "--purchased-on", "2020-02-01", "--kind", "referral"), eligibility_db)
    assert code == 0, err
    assert out["verdict"] == "eligible" and out["domain"] == "acme.com" and out["product"] == "sales_hub_professional"
    assert out["kind"] == "referral" and out["same_commission"] is True
    assert [r["code"] for r in out["reasons"]] == ["registered_before_purchase"]
    assert set(out["explanations"]["registered_before_purchase"]) == {"pt", "en"}
    assert any("VARcommissions@hubspot.com" in s for s in out["next_steps"])
    rules = [entry["rule"] for entry in out["trace"]]
    assert rules.index("bought_after_joining") < rules.index("registered_before_purchase")


def test_eligibility_other_domain_in_portuguese(eligibility_db):
    code, out, err = run_cli(_eligibility("--partner", "p1", "--domain", "loja.acme.com", "--product", "sales_hub_starter",
                                          "--purchased-on", "2020-02-01", "--lang", "pt"), eligibility_db)
    assert code == 0, err
    assert out["verdict"] == "not_eligible"
    assert out["reasons"][0]["code"] == "purchase_on_different_domain"
    assert "Não há exceções" in out["reasons"][0]["explanation"]


def test_eligibility_partner_collaboration(eligibility_db):
    code, out, err = run_cli(_eligibility("--partner", "p1", "--domain", "beta.com", "--product", "marketing_hub_enterprise",
                                          "--purchased-on", "2020-02-01"), eligibility_db)
    assert code == 0, err
    assert out["verdict"] == "eligible_through_partner_collaboration"
    assert any("Partner Development Manager" in s for s in out["next_steps"])


def test_eligibility_human_output(eligibility_db):
    code, out, err = run_cli(["commission", "eligibility", "--partner", "p1", "--domain", "acme.com", "--product",
                              "sales_hub_starter", "--purchased-on", "2019-12-01"], eligibility_db)
    assert code == 0, err
    assert out.startswith("not_eligible:") and "partnerteam@hubspot.com" in out


def test_eligibility_unknown_partner_is_exit_2(eligibility_db):
    code, out, err = run_cli(_eligibility("--partner", "ghost", "--domain", "acme.com", "--product", "sales_hub_starter",
                                          "--purchased-on", "2020-02-01"), eligibility_db)
    assert code == 2 and out == ""
    assert "ghost" in _one_clear_line(err)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--partner", "p1", "--domain", "not a domain", "--product", "sales_hub_starter", "--purchased-on", "2020-02-01"], "not a domain"),
        (["--partner", "p1", "--domain", "acme.com", "--product", "sales_hub_gold", "--purchased-on", "2020-02-01"], "sales_hub_gold"),
        (["--partner", "p1", "--domain", "acme.com", "--product", "sales_hub_starter", "--purchased-on", "2020-02-30"], "2020-02-30"),
        (["--partner", "p1", "--domain", "acme.com", "--product", "sales_hub_starter", "--purchased-on", "2020-02-01", "--kind", "affiliate"], "affiliate"),
        (["--partner", "p1", "--domain", "acme.com", "--product", "sales_hub_starter"], "--purchased-on"),
        (["--domain", "acme.com", "--product", "sales_hub_starter", "--purchased-on", "2020-02-01"], "--partner"),
    ],
)
def test_eligibility_bad_input_writes_nothing(args, fragment, no_db):
    code, out, err = run_cli(_eligibility(*args), no_db)
    assert code == 2 and out == ""
    assert fragment in _one_clear_line(err)


def test_commission_help_lists_both_commands(capsys):
    with pytest.raises(SystemExit) as done:
        main(["commission", "--help"])
    assert done.value.code == 0
    help_text = capsys.readouterr().out
    assert "estimate" in help_text and "eligibility" in help_text


def test_estimate_json_is_valid_json_via_main(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'never.db'}")
    assert main(FAQ_UPGRADE) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == 540.0
    assert not (tmp_path / "never.db").exists()
