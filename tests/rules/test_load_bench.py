"""The rules benchmark (`python -m bench rules`) on a tiny dataset: it generates and then reuses its database,
measures every figure, and finds each lead-check query served by an index."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/ is run from the project root, not installed

import bench  # noqa: E402
import bench.rules_bench as rules_bench  # noqa: E402
from bench.__main__ import main as bench_main  # noqa: E402


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert (bench.percentile(values, 50), bench.percentile(values, 95), bench.percentile(values, 100)) == (50, 95, 100)
    assert bench.percentile([3.0], 95) == 3.0


def test_sections_are_found_and_rules_runs_first():
    names = bench.sections()
    assert names[0] == "rules"
    assert all((bench.BENCH_DIR / f"{name}_bench.py").exists() for name in names)


def test_an_unknown_section_is_exit_2(capsys):
    assert bench_main(["no_such_section"]) == 2
    assert "no section" in capsys.readouterr().err


@pytest.fixture
def tiny_bench(tmp_path, monkeypatch):
    monkeypatch.setattr(rules_bench, "VAR_BENCH", tmp_path)
    return ["--accounts", "300", "--registrations", "400", "--partners", "7", "--checks", "60", "--bulk", "50",
            "--cli-runs", "1", "--commission-runs", "5", "--import-rows", "40", "--json"]


def test_the_rules_bench_measures_everything_on_a_tiny_dataset(tiny_bench, tmp_path, capsys):
    assert bench_main(["rules"] + tiny_bench) == 0
    out = capsys.readouterr().out
    results = json.loads(out[out.index("{"):out.rindex("}") + 1])
    data = results["dataset"]
    assert (data["accounts"], data["registrations"], data["partners"], data["reused"]) == (300, 400, 7, False)
    measures = {f["measure"]: f for f in results["figures"]}
    check = measures["lead check, in process (one connection)"]
    assert check["n"] == 60 and 0 < check["p50"] <= check["p95"] <= check["p99"]
    assert measures["bulk lead checks (one connection)"]["rate"] > 0
    assert measures["lead check, CLI (partnerbot lead check --json)"]["n"] == 1
    assert "failed" not in measures["lead check, CLI (partnerbot lead check --json)"].get("note", "")
    assert "540" in measures["commission estimate (FAQ example)"]["note"]
    assert measures["CSV import, new rows"]["n"] == 2 * 40 + 7
    assert "87 unchanged" in measures["CSV import, same files again (unchanged)"]["note"]
    # every query of a lead check is served by an index: no full-table scan
    assert data["query_plans"] and not any("MISSING INDEX" in note for note in results["notes"])
    assert all("SCAN" not in plan.split(": ", 1)[1] for plan in data["query_plans"])
    # a second run reuses the database it generated
    assert bench_main(["rules"] + tiny_bench) == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index("{"):out.rindex("}") + 1])["dataset"]["reused"] is True
    assert sorted(p.name for p in tmp_path.glob("rules-*.db")) == ["rules-a300-r400-p7.db"]


def test_the_generated_registrations_have_their_claims(tiny_bench, tmp_path):
    import sqlite3

    path, meta, reused = rules_bench.ensure_database(300, 400, 7)
    con = sqlite3.connect(path)
    try:
        registered = con.execute("SELECT count(DISTINCT domain) FROM registrations").fetchone()[0]
        claims = con.execute("SELECT count(*) FROM lead_claims").fetchone()[0]
        latest_mismatch = con.execute(
            "SELECT count(*) FROM lead_claims c WHERE c.registered_on <> "
            "(SELECT max(r.registered_on) FROM registrations r WHERE r.domain = c.domain)").fetchone()[0]
    finally:
        con.close()
    assert registered == claims == 320 and latest_mismatch == 0  # 80% first registrations; the rest re-register
