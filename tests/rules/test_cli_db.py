"""`partnerbot db upgrade|load|demo|stats` through the installed entry point (a subprocess), on a temporary database."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # conftest_load lives next to this file

from sqlalchemy import inspect  # noqa: E402

from conftest_load import (  # noqa: E402
    ACCOUNTS_HEADER,
    DEMO_DIR,
    cli_db,  # noqa: F401  (fixture)
    PARTNERS_HEADER,
    REGISTRATIONS_HEADER,
    counts,
    csv_text,
    db,  # noqa: F401  (fixture)
    export,  # noqa: F401  (fixture)
    load_sqlite_template,  # noqa: F401  (fixture)
    partnerbot,
    snapshot,
)
from rules.db.load import FILE_NAMES  # noqa: E402
from rules.db.session import make_engine  # noqa: E402


def no_traceback(done) -> None:
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout


def test_upgrade_creates_the_schema_on_a_new_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    done = partnerbot(["db", "upgrade"], url)
    assert done.returncode == 0, done.stderr
    assert "revision" in done.stdout
    engine = make_engine(url)
    assert {"partners", "accounts", "registrations", "lead_claims", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()
    assert partnerbot(["db", "upgrade"], url).returncode == 0  # again: nothing to do, still fine


def test_load_prints_a_summary_per_file_and_reloading_changes_nothing(db, export):
    folder = export({
        "partners.csv": csv_text(PARTNERS_HEADER, "P-1,Um,partner,gold,2020-01-15"),
        "accounts.csv": csv_text(ACCOUNTS_HEADER, "https://www.acme.com/,Acme,no,,,no", "beta.com,Beta,yes,,,no"),
        "registrations.csv": csv_text(REGISTRATIONS_HEADER, "P-1,acme.com,joao@acme.com,2026-05-01"),
    })
    first = partnerbot(["db", "load", folder], db.url)
    assert first.returncode == 0, first.stderr
    no_traceback(first)
    lines = first.stdout.splitlines()
    assert lines[0].split() == ["partners.csv", "1", "rows:", "1", "inserted,", "0", "updated,", "0", "unchanged"]
    assert lines[1].split() == ["accounts.csv", "2", "rows:", "2", "inserted,", "0", "updated,", "0", "unchanged"]
    assert lines[2].split() == ["registrations.csv", "1", "rows:", "1", "inserted,", "0", "updated,", "0", "unchanged"]
    assert lines[3].endswith("4 inserted, 0 updated")
    before = snapshot(db.engine)
    again = partnerbot(["db", "load", folder], db.url)
    assert again.returncode == 0
    assert [line.split()[:2] + line.split()[-6:] for line in again.stdout.splitlines()[:3]] == [
        [name, str(n), "0", "inserted,", "0", "updated,", str(n), "unchanged"]
        for name, n in (("partners.csv", 1), ("accounts.csv", 2), ("registrations.csv", 1))]
    assert again.stdout.splitlines()[3].endswith("nothing changed")
    assert snapshot(db.engine) == before


def test_load_json_report(db, export):
    folder = export({"accounts.csv": csv_text(ACCOUNTS_HEADER, "acme.com,Acme,no,,,no")})
    done = partnerbot(["db", "load", folder, "--json"], db.url)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["files"] == [{"file": "accounts.csv", "table": "accounts", "rows": 1, "inserted": 1, "updated": 0,
                                "unchanged": 0}]
    assert (report["inserted"], report["updated"], report["unchanged"]) == (1, 0, 0)


def test_a_bad_second_file_exits_2_lists_problems_and_writes_nothing(db, export):
    good = export({"partners.csv": csv_text(PARTNERS_HEADER, "P-1,Um,partner,gold,2020-01-15")})
    assert partnerbot(["db", "load", good], db.url).returncode == 0
    before = snapshot(db.engine)
    folder = export({
        "accounts.csv": csv_text(ACCOUNTS_HEADER, "acme.com,Acme,no,,,no", "beta.com,Beta,no,,,no"),
        "registrations.csv": csv_text(REGISTRATIONS_HEADER, "P-1,acme.com,joao@acme.com,2026-05-01",
                                      "P-2,beta.com,maria@beta.com,2026-05-01",
                                      "P-1,,x@y.com,2026-02-30"),
    })
    done = partnerbot(["db", "load", folder], db.url)
    assert done.returncode == 2
    no_traceback(done)
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "registrations.csv:3: partner_id: unknown partner “P-2” (neither in the database nor in partners.csv)",
        "registrations.csv:4: domain: required but empty",
        "registrations.csv:4: registered_on: “2026-02-30” is not a real date",
        "partnerbot: nothing was loaded: 3 problem(s) in registrations.csv.",
    ]
    assert snapshot(db.engine) == before  # accounts.csv was fine, and is not written either


def test_a_missing_folder_or_a_folder_without_csv_files_is_one_line_exit_2(db, tmp_path, export):
    missing = partnerbot(["db", "load", tmp_path / "nowhere"], db.url)
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"partnerbot: “{tmp_path / 'nowhere'}” is not a folder."
    empty = partnerbot(["db", "load", export({"readme.txt": "x"})], db.url)
    assert empty.returncode == 2
    assert len(empty.stderr.strip().splitlines()) == 1 and "partners.csv" in empty.stderr
    no_traceback(missing)
    no_traceback(empty)


def test_demo_if_empty_loads_once_and_stats_counts_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = partnerbot(["db", "demo", "--if-empty"], url)
    assert first.returncode == 0, first.stderr
    assert [line.split()[0] for line in first.stdout.splitlines()[:-1]] == list(FILE_NAMES)
    second = partnerbot(["db", "demo", "--if-empty"], url)
    assert second.returncode == 0
    assert second.stdout.strip() == "demo data not loaded: the database already has 9 partner(s)"
    forced = partnerbot(["db", "demo"], url)  # without --if-empty: loaded again, all unchanged
    assert forced.returncode == 0 and forced.stdout.splitlines()[-1].endswith("nothing changed")
    stats = partnerbot(["db", "stats", "--json"], url)
    assert stats.returncode == 0
    engine = make_engine(url)
    assert json.loads(stats.stdout) == counts(engine)
    engine.dispose()
    assert json.loads(stats.stdout)["partners"] == 9
    text = partnerbot(["db", "stats"], url)
    assert text.returncode == 0 and any(line.split()[:2] == ["partners", "9"] for line in text.stdout.splitlines())


def test_demo_data_answers_lead_checks_as_its_readme_says(cli_db, capsys):
    """A few rows of data/demo/README.md, through `partnerbot lead check` (bot.cli.main) on the reference date."""
    from bot.cli import main
    from rules.db.load import load_demo

    load_demo(cli_db.engine)
    expected = {
        ("padaria-nova-esperanca.com.br", "P-1001"): ("available", []),
        ("https://www.sorveteria-gelato.com.br/", "P-1009"): ("available", []),
        ("cafe-do-porto.com.br", "P-1001"): ("registered_by_you", []),
        ("cafe-do-porto.com.br", "P-1003"): ("unavailable", ["other_partner_owned"]),
        ("hotel-marazul.com.br", "P-1001"): ("available", []),
        ("vinicola-serra.com.br", "P-1003"): ("unavailable", ["other_partner_owned"]),
        ("transportes-veloz.com.br", "P-1001"): ("unavailable", ["existing_customer"]),
        ("fintech-pagar.com.br", "P-1001"): ("unavailable", ["active_sales_process"]),
        ("escola-saber.com.br", "P-1001"): ("unavailable", ["hubspot_rep_owned"]),
        ("industria-ferro.com.br", "P-1001"): ("unavailable", ["existing_customer", "active_sales_process",
                                                               "other_partner_owned"]),
    }
    for (domain, partner), (status, reasons) in expected.items():
        assert main(["lead", "check", domain, "--partner", partner, "--as-of", "2026-11-30", "--json"]) == 0
        answer = json.loads(capsys.readouterr().out)
        assert (answer["status"], [r["code"] for r in answer["reasons"]]) == (status, reasons), (domain, partner)
    assert main(["lead", "check", "construtora-obra.com.br", "--partner", "P-1001", "--as-of", "2026-11-30",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["expires_on"] == "2026-12-05"  # expiring soon


def test_demo_readme_names_every_partner(tmp_path):
    readme = (DEMO_DIR / "README.md").read_text(encoding="utf-8")
    partners = [line.split(",")[0] for line in (DEMO_DIR / "partners.csv").read_text(encoding="utf-8").splitlines()[1:]]
    assert partners and all(f"| {p} |" in readme for p in partners)
