"""`partnerbot eligibility …` through the real entry point: exit codes, JSON shape, languages, bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bot.cli import main  # noqa: E402
from conftest_program import given, program_db  # noqa: E402,F401  (fixtures)

PARTNERBOT = Path(sys.executable).parent / "partnerbot"
ROWS = {
    "partners": [
        {"partner_id": "PROV", "name": "Fornecedora", "package": "provider", "joined_on": "2023-01-01", "domain": "fornecedora.com"},
        {"partner_id": "PAR", "name": "Parceira", "package": "partner", "tier": "gold", "joined_on": "2020-01-01"},
    ],
    "subscriptions": [
        {"domain": "fornecedora.com", "product": "sales_hub_starter", "started_on": "2023-01-02"},
        {"domain": "cliente.com", "product": "marketing_hub_professional", "started_on": "2024-04-10", "sold_by": "PROV"},
    ],
    "registrations": [{"partner_id": "PROV", "domain": "cliente.com", "registered_on": "2023-02-01"}],
    "managed_accounts": [{"partner_id": "PAR", "domain": "gerido.com"}],
    "portal_activity": [{"partner_id": "PAR", "domain": "gerido.com", "first_active_on": "2024-01-01", "last_active_on": "2024-05-01"}],
    "app_usage": [{"domain": "gerido.com", "app": app} for app in ("blog", "forms", "crm")],
    "certifications": [{"partner_id": "PROV", "certification": "inbound", "earned_on": "2023-01-01", "expires_on": "2025-01-01"}],
}
COMMANDS = {
    "provider": (["--partner", "PROV"], "provider_status", "at_risk"),
    "apps": (["--partner", "PAR"], "app_utilisation", "meets"),
    "dashboard": (["--partner", "PAR", "--domain", "https://www.gerido.com/"], "dashboard_visibility", "visible"),
    "tier-update": (["--partner", "PAR"], "tier_update", "update_scheduled"),
    "directory": (["--partner", "PROV"], "directory_listing", "eligible"),
    "onboarding": (["--partner", "PROV"], "onboarding_waiver", "cannot_waive"),
}


def partnerbot(*args, env_url=None):
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    if env_url:
        env["PARTNERBOT_DATABASE_URL"] = env_url
    return subprocess.run([str(PARTNERBOT), "eligibility", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def seeded(given):
    engine = given(ROWS)
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_check_answers_json_through_the_installed_command(seeded, command):
    args, check, verdict = COMMANDS[command]
    done = partnerbot(command, *args, "--as-of", "2024-05-10", "--json", env_url=seeded)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    out = json.loads(done.stdout)
    assert out["check"] == check and out["verdict"] == verdict
    assert out["as_of"] == "2024-05-10"
    assert {"subject", "verdict", "summary", "reasons", "explanations", "next_steps", "trace"} <= set(out)
    assert out["reasons"] and all({"code", "explanation"} <= set(r) for r in out["reasons"])
    assert all(set(pair) == {"pt", "en"} for pair in out["explanations"].values())
    assert out["trace"] and all({"rule", "outcome", "parameters"} <= set(entry) for entry in out["trace"])
    for entry in out["trace"]:
        for used in entry["parameters"]:
            assert {"parameter", "value", "effective", "source"} <= set(used) and used["source"]


def test_language_switches_the_explanations(seeded):
    en = json.loads(partnerbot("onboarding", "--partner", "PROV", "--as-of", "2024-05-10", "--json", env_url=seeded).stdout)
    pt = json.loads(partnerbot("onboarding", "--partner", "PROV", "--as-of", "2024-05-10", "--json", "--lang", "pt",
                               env_url=seeded).stdout)
    assert en["reasons"][0]["explanation"].startswith("Solutions Providers can't waive")
    assert pt["reasons"][0]["explanation"].startswith("Os fornecedores de soluções não podem abrir mão")
    assert pt["next_steps"][1].startswith("Se quiser abrir mão do onboarding obrigatório")


def test_human_output_without_json(seeded):
    done = partnerbot("apps", "--partner", "PAR", "--as-of", "2024-05-10", "--lang", "pt", env_url=seeded)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Utilização média de aplicativos — PAR em 2024-05-10")
    assert "Resultado: meets" in done.stdout and "Por quê:" in done.stdout
    assert "gerido.com [managed]: 3" in done.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(done.stdout)


def test_dashboard_still_missing_flag(seeded):
    done = partnerbot("dashboard", "--partner", "PAR", "--domain", "gerido.com", "--still-missing",
                      "--as-of", "2024-05-10", "--json", env_url=seeded)
    assert json.loads(done.stdout)["verdict"] == "should_be_visible_contact_cam"


@pytest.mark.parametrize("args, words", [
    (["provider", "--partner", "NOPE", "--as-of", "2024-05-10"], "Unknown partner “NOPE”"),
    (["apps", "--partner", "PAR", "--as-of", "2024-02-30"], "“2024-02-30” is not a valid date"),
    (["dashboard", "--partner", "PAR", "--domain", "not a domain", "--as-of", "2024-05-10"], "is not a valid domain"),
    (["dashboard", "--partner", "NOPE", "--domain", "gerido.com"], "Unknown partner"),
])
def test_bad_input_exits_2_with_one_line(seeded, args, words):
    done = partnerbot(*args, "--json", env_url=seeded)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and lines[0].startswith("partnerbot: ")


def test_bad_input_message_follows_the_language(seeded):
    done = partnerbot("tier-update", "--partner", "NOPE", "--lang", "pt", env_url=seeded)
    assert done.returncode == 2 and done.stderr.strip() == "partnerbot: Não conheço o parceiro “NOPE”."


def test_bad_date_or_domain_touches_no_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'never.db'}"
    assert partnerbot("apps", "--partner", "X", "--as-of", "10/05/2024", env_url=url).returncode == 2
    assert partnerbot("dashboard", "--partner", "X", "--domain", "@@", env_url=url).returncode == 2
    assert not (tmp_path / "never.db").exists()


def test_missing_domain_or_unknown_check_is_a_usage_error(seeded):
    assert partnerbot("dashboard", "--partner", "PAR", env_url=seeded).returncode == 2
    assert partnerbot("nonsense", "--partner", "PAR", env_url=seeded).returncode == 2


def test_in_process_main_matches(seeded, capsys):
    assert main(["eligibility", "directory", "--partner", "PROV", "--as-of", "2025-01-01", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "not_eligible" and out["reasons"][0]["code"] == "certification_expired"
    assert main(["eligibility", "directory", "--partner", "PROV", "--as-of", "2025-13-01"]) == 2
    assert "not a valid date" in capsys.readouterr().err
