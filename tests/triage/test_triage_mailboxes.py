"""Reading .eml files, folders, mbox files and Maildirs — read only (bot/triage/mailboxes.py)."""
from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from bot.triage.mailboxes import MailboxError, kind_of, read_messages
from triage_support import CORPUS, corpus_files, snapshot


def test_kinds(tmp_path, mbox_file, maildir):
    assert kind_of(CORPUS / "01_pt_lead_check_registered.eml") == "eml"
    assert kind_of(CORPUS) == "folder"
    assert kind_of(mbox_file) == "mbox"
    assert kind_of(maildir) == "maildir"
    with pytest.raises(MailboxError) as info:
        kind_of(tmp_path / "missing")
    assert info.value.code == "path_missing"


def test_single_file_and_folder():
    one = list(read_messages(CORPUS / "01_pt_lead_check_registered.eml"))
    assert len(one) == 1 and one[0].data == (CORPUS / "01_pt_lead_check_registered.eml").read_bytes()
    folder = list(read_messages(CORPUS))
    assert [m.source for m in folder] == [f"corpus/{p.name}" for p in corpus_files()]
    assert all(m.error is None for m in folder)


def test_folder_reads_subfolders_and_only_eml(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.EML").write_bytes(b"From: x@y.com\n\nhi\n")
    (tmp_path / "a" / "notes.txt").write_text("not mail")
    (tmp_path / "z.eml").write_bytes(b"From: z@y.com\n\nhi\n")
    assert [m.data for m in read_messages(tmp_path)] == [b"From: x@y.com\n\nhi\n", b"From: z@y.com\n\nhi\n"]


def test_mbox_gives_back_each_message_with_from_unescaped(mbox_file):
    messages = list(read_messages(mbox_file))
    files = corpus_files()
    assert len(messages) == len(files)
    assert messages[0].source == "inbox.mbox#1"
    for message, path in zip(messages, files):
        assert message.data.rstrip(b"\n") == path.read_bytes().replace(b"\r\n", b"\n").rstrip(b"\n"), path.name
    mbox_style = next(m for m, p in zip(messages, files) if p.name.startswith("35_"))
    assert b"\nFrom the notes of our meeting" in mbox_style.data


def test_mbox_from_line_in_body_without_blank_line_before_is_body(tmp_path):
    path = tmp_path / "box"
    path.write_bytes(b"From a@b Mon Nov 30 10:00:00 2026\nFrom: a@b.com\nSubject: one\n\nline\n"
                     b"From here on it is body text\n\nFrom b@c Mon Nov 30 11:00:00 2026\nFrom: b@c.com\n\ntwo\n")
    messages = list(read_messages(path))
    assert len(messages) == 2
    assert b"From here on it is body text" in messages[0].data


def test_maildir_reads_new_and_cur_not_tmp(maildir):
    messages = list(read_messages(maildir))
    assert len(messages) == len(corpus_files())
    assert not any("/tmp/" in m.source for m in messages)
    assert {m.data for m in messages} == {p.read_bytes() for p in corpus_files()}


def test_unreadable_file_is_an_error_message_not_a_stop(tmp_path, monkeypatch):
    (tmp_path / "a.eml").write_bytes(b"From: a@b.com\n\nhi\n")
    (tmp_path / "b.eml").write_bytes(b"From: b@b.com\n\nhi\n")
    (tmp_path / "c.eml").write_bytes(b"From: c@b.com\n\nhi\n")
    real_open = Path.open

    def refusing_open(self, *args, **kwargs):  # as chmod 000 would, for any user but root
        if self.name == "b.eml":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing_open)
    messages = list(read_messages(tmp_path))
    assert [m.error for m in messages] == [None, "error_unreadable", None]
    assert messages[1].why == "Permission denied"


def test_reading_changes_nothing_and_works_on_read_only_files(tmp_path, mbox_file, maildir):
    folder = tmp_path / "folder"
    shutil.copytree(CORPUS, folder)
    for path in (mbox_file, maildir, folder):
        before = snapshot(path)
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        modes = {p: p.stat().st_mode for p in files}
        for p in files:
            p.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        try:
            assert len(list(read_messages(path))) >= len(corpus_files())
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        assert snapshot(path) == before
