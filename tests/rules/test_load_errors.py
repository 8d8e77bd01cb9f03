"""Bad rows refuse the whole load: the scenarios of tests/rules/cases/load_bad_rows.yaml (run through the
Python API and through `partnerbot db load`), plus what YAML cannot hold (bytes that are not UTF-8, NUL,
BOM) and a property test of line numbers."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # conftest_load lives next to this file

from conftest_load import (  # noqa: E402,F401  (fixtures)
    ACCOUNTS_HEADER, cli_db, csv_text, db, export, load_sqlite_template, snapshot)
from bot.cli import main as partnerbot_main  # noqa: E402
from rules.db.load import Context, FILES, LoadErrors, load_directory, parse_file  # noqa: E402

CASES_FILE = Path(__file__).resolve().parent / "cases" / "load_bad_rows.yaml"
CASES = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
ACCOUNTS_SPEC = next(spec for spec in FILES if spec.name == "accounts.csv")


def refused(engine, folder) -> list:
    with pytest.raises(LoadErrors) as caught:
        load_directory(engine, folder)
    return caught.value.lines()


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_bad_rows_case(db, export, case):
    load_directory(db.engine, export(CASES["baseline"]))
    before = snapshot(db.engine)
    folder = export(case["files"])
    assert refused(db.engine, folder) == case["problems"]
    assert snapshot(db.engine) == before  # nothing written


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_bad_rows_case_through_the_command(cli_db, export, case, capsys):
    """`partnerbot db load DIR` (bot.cli.main): exit 2, every problem on stderr, then one summary line."""
    db = cli_db
    assert partnerbot_main(["db", "load", str(export(CASES["baseline"]))]) == 0  # the same database as `db`
    capsys.readouterr()
    assert snapshot(db.engine)["partners"]
    before = snapshot(db.engine)
    code = partnerbot_main(["db", "load", str(export(case["files"]))])
    out, err = capsys.readouterr()
    assert code == 2
    lines = err.splitlines()
    assert lines[:-1] == case["problems"]
    assert lines[-1].startswith(f"partnerbot: nothing was loaded: {len(case['problems'])} problem(s)")
    assert out == "" and "Traceback" not in err
    assert snapshot(db.engine) == before


def test_every_case_has_a_distinct_name_and_problems():
    names = [c["name"] for c in CASES["cases"]]
    assert len(names) == len(set(names))
    assert all(c["problems"] for c in CASES["cases"])


# ---------------------------------------------------------------------------- what YAML cannot hold


def test_bytes_that_are_not_utf8_are_reported_on_their_line(db, export):
    content = (ACCOUNTS_HEADER + "\nacme.com,Acme,no,,,no\nbeta.com,Caf\xe9,no,,,no\n").encode("latin-1")
    assert refused(db.engine, export({"accounts.csv": content})) == [
        "accounts.csv:3: encoding: the file is not UTF-8 (byte 0xe9)"]


def test_a_nul_byte_is_malformed_csv(db, export):
    content = ACCOUNTS_HEADER + "\nacme.com,Ac\x00me,no,,,no\n"
    assert refused(db.engine, export({"accounts.csv": content})) == [
        "accounts.csv:2: row: malformed CSV (line contains NUL)"]


def test_text_after_a_closing_quote_is_malformed_csv(db, export):
    content = ACCOUNTS_HEADER + '\nacme.com,"Acme"Inc,no,,,no\n'
    assert refused(db.engine, export({"accounts.csv": content})) == [
        "accounts.csv:2: row: malformed CSV (',' expected after '\"')"]


@pytest.mark.parametrize("content", ["", "\n\n", "\ufeff"])
def test_an_empty_file_has_no_header(db, export, content):
    assert refused(db.engine, export({"accounts.csv": content})) == [
        "accounts.csv:1: header: empty file: expected a header row"]


def test_a_bom_does_not_shift_lines_or_hide_the_first_column(db, export):
    content = "\ufeff" + csv_text(ACCOUNTS_HEADER, "acme.com,Acme,no,,,no", "beta.com,Beta,maybe,,,no")
    assert refused(db.engine, export({"accounts.csv": content})) == [
        "accounts.csv:3: customer: “maybe” must be yes or no"]


def test_values_with_line_breaks_are_quoted_on_one_line(db, export):
    content = ACCOUNTS_HEADER + '\n"acme\ncom",Acme,no,,,no\n'
    assert refused(db.engine, export({"accounts.csv": content})) == [
        "accounts.csv:2: domain: “acme\\ncom” is not a valid domain, URL or email address (control characters)"]


def test_too_long_values(db, export):
    content = csv_text(ACCOUNTS_HEADER, f"acme.com,{'A' * 256},no,,,no", f"beta.com,{'B' * 255},no,,,no")
    assert refused(db.engine, export({"accounts.csv": content})) == ["accounts.csv:2: company: longer than 255 characters"]


def test_problems_are_in_portuguese_when_asked(cli_db, export, capsys):
    folder = export({"accounts.csv": csv_text(ACCOUNTS_HEADER, "acme.com,Acme,talvez,,,no")})
    assert partnerbot_main(["db", "load", str(folder), "--lang", "pt"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["accounts.csv:2: customer: “talvez” deve ser yes ou no",
                   "partnerbot: nada foi carregado: 1 problema(s) em accounts.csv."]


# ---------------------------------------------------------------------------- line numbers, as a property

_company = st.text(alphabet=st.sampled_from("abc XYZ,\"\n\r\tçãé"), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(companies=st.lists(_company, min_size=1, max_size=8), blank_before=st.lists(st.booleans(), min_size=8,
                                                                                     max_size=8),
       bad=st.integers(min_value=0, max_value=7), crlf=st.booleans())
def test_the_reported_line_is_where_the_bad_row_starts(tmp_path, companies, blank_before, bad, crlf):
    """Rows with quoted line breaks and blank lines between them: the problem's LINE is the physical line
    on which the bad row starts, counting the header as line 1."""
    bad %= len(companies)
    newline = "\r\n" if crlf else "\n"
    lines_out = [ACCOUNTS_HEADER]
    expected_line = None
    for index, company in enumerate(companies):
        if blank_before[index]:
            lines_out.append("")
        if index == bad:  # the lines written so far, each ended by a newline, plus one
            expected_line = (newline.join(lines_out) + newline).count("\n") + 1
        quoted = '"x' + company.replace('"', '""') + '"'  # never only blanks: the company is required
        lines_out.append(f"d{index}.com,{quoted},{'maybe' if index == bad else 'no'},,,no")
    path = tmp_path / "accounts.csv"
    path.write_bytes((newline.join(lines_out) + newline).encode("utf-8"))
    problems: list = []
    parse_file(path, ACCOUNTS_SPEC, Context(), problems)
    assert [(p.line, p.column, p.code) for p in problems] == [(expected_line, "customer", "yes_no")]
