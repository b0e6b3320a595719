"""fleet.docker.files on a temporary directory: write only what differs, atomically, in order;
check mode writes nothing; the wait comes before any write; contents are never returned."""

from __future__ import absolute_import, division, print_function

import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.fleet.docker.plugins.modules import files as mod

ME = str(os.getuid())
GROUP = str(os.getgid())


@pytest.fixture
def run(capsys, tmp_path):
    def _run(entries, check=False, **extra):
        args = dict(files=entries, _ansible_check_mode=check, _ansible_tmpdir=str(tmp_path))
        args.update(extra)
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                mod.main()
        out = capsys.readouterr().out
        return json.loads(out), out

    return _run


def entries(tmp_path, secret="token=s3cr3t\n"):
    d = str(tmp_path / "conf")
    return [{"path": d, "state": "directory", "mode": "0755", "owner": ME, "group": GROUP},
            {"path": d + "/config.yml", "content": secret, "mode": "0600", "owner": ME, "group": GROUP},
            {"path": d + "/htpasswd", "state": "absent"}]


def test_creates_writes_then_is_idempotent(run, tmp_path):
    res, out = run(entries(tmp_path))
    conf = tmp_path / "conf"
    assert res["changed"] and res["created"] == [str(conf)] and res["written"] == [str(conf / "config.yml")]
    assert (conf / "config.yml").read_text() == "token=s3cr3t\n"
    assert oct(os.stat(str(conf / "config.yml")).st_mode & 0o777) == "0o600"
    assert oct(os.stat(str(conf)).st_mode & 0o777) == "0o755"
    assert "s3cr3t" not in out
    again = run(entries(tmp_path))[0]
    assert not again["changed"] and again["written"] == again["created"] == again["removed"] == []
    assert sorted(os.listdir(str(conf))) == ["config.yml"]  # no temporary file left


def test_rewrites_on_content_or_mode_and_removes_absent(run, tmp_path):
    run(entries(tmp_path))
    conf = tmp_path / "conf"
    os.chmod(str(conf / "config.yml"), 0o644)
    (conf / "htpasswd").write_text("stray:x\n")
    res = run(entries(tmp_path))[0]
    assert res["written"] == [str(conf / "config.yml")] and res["removed"] == [str(conf / "htpasswd")]
    assert oct(os.stat(str(conf / "config.yml")).st_mode & 0o777) == "0o600"
    assert not (conf / "htpasswd").exists()
    res = run(entries(tmp_path, secret="token=other\n"))[0]
    assert res["written"] == [str(conf / "config.yml")] and (conf / "config.yml").read_text() == "token=other\n"


def test_check_mode_writes_nothing(run, tmp_path):
    res = run(entries(tmp_path), check=True)[0]
    assert res["changed"] and res["created"] == [str(tmp_path / "conf")]
    assert not (tmp_path / "conf").exists()


@pytest.mark.parametrize("entry, needle", [
    ({"path": "relative/file", "content": "applied-digest"}, "not an absolute path"),
    ({"path": "/tmp/x", "state": "file"}, "needs content"),
    ({"path": "/tmp/x", "state": "absent", "mode": "0600"}, "make no sense"),
    ({"path": "/tmp/x", "content": "applied-digest", "owner": "no-such-user-fleet"}, "does not exist on this host"),
])
def test_bad_entries_are_refused_before_anything_is_written(run, tmp_path, entry, needle):
    ok = {"path": str(tmp_path / "first"), "content": "applied-digest"}
    res = run([ok, entry])[0]
    assert res["failed"] and needle in res["msg"] and not (tmp_path / "first").exists()


def test_nothing_is_written_when_the_url_does_not_answer(run, tmp_path, monkeypatch):
    monkeypatch.setattr(mod, "answer_status", lambda url: 503)
    monkeypatch.setattr(mod.time, "sleep", lambda s: None)
    clock = iter(range(0, 1000, 5))
    monkeypatch.setattr(mod.time, "monotonic", lambda: next(clock))
    res = run([{"path": str(tmp_path / "applied"), "content": "applied-digest"}], wait_url="http://127.0.0.1:9/v2/",
              wait_status=[200, 401], wait_timeout=20)[0]
    assert res["failed"] and "did not answer with 200/401 within 20s (last: HTTP 503)" in res["msg"]
    assert not (tmp_path / "applied").exists()


def test_written_once_the_url_answers(run, tmp_path, monkeypatch):
    answers = iter([None, 401])
    monkeypatch.setattr(mod, "answer_status", lambda url: next(answers))
    monkeypatch.setattr(mod.time, "sleep", lambda s: None)
    res = run([{"path": str(tmp_path / "applied"), "content": "applied-digest"}], wait_url="http://127.0.0.1:9/v2/",
              wait_status=[200, 401])[0]
    assert res["written"] == [str(tmp_path / "applied")] and (tmp_path / "applied").read_text() == "applied-digest"


def test_check_mode_does_not_wait(run, tmp_path, monkeypatch):
    monkeypatch.setattr(mod, "answer_status", lambda url: pytest.fail("waited in check mode"))
    res = run([{"path": str(tmp_path / "applied"), "content": "applied-digest"}], check=True, wait_url="http://x/")[0]
    assert res["changed"] and not (tmp_path / "applied").exists()
