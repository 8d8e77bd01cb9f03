"""`partnerbot triage` refuses bad command lines with exit 2 and one line, writing nothing (no model needed)."""
from __future__ import annotations

import pytest

from bot.cli import main
from triage_support import CORPUS


@pytest.mark.parametrize("args, message", [
    (["{tmp}/missing", "--out", "{tmp}/out"], "does not exist"),
    ([str(CORPUS), "--out", str(CORPUS / "out")], "inside the input"),
    ([str(CORPUS), "--out", str(CORPUS)], "inside the input"),
    ([str(CORPUS), "--out", "{tmp}/out", "--since", "30/11/2026"], "30/11/2026"),
    ([str(CORPUS), "--out", "{tmp}/out", "--as-of", "yesterday"], "yesterday"),
    ([str(CORPUS), "--out", "{tmp}/out", "--limit", "0"], "--limit"),
    ([str(CORPUS), "--out", "{tmp}/out", "--limit", "many"], "--limit"),
    ([str(CORPUS), "--out", "{tmp}/out", "--model", "{tmp}/no-model.tar.gz"], "does not exist"),
    ([str(CORPUS), "--out", "{tmp}/a-file"], "is not a folder"),
])
def test_bad_command_lines(tmp_path, crm_url, capsys, args, message):
    (tmp_path / "a-file").write_text("x")
    argv = ["triage"] + [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert not (CORPUS / "out").exists()


def test_portuguese_messages(tmp_path, crm_url, capsys):
    assert main(["triage", str(tmp_path / "nada"), "--out", str(tmp_path / "out"), "--lang", "pt"]) == 2
    assert "não existe" in capsys.readouterr().err


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["triage", "--help"])
    out = capsys.readouterr().out
    for option in ("--out", "--limit", "--since", "--as-of", "--model", "--json"):
        assert option in out
