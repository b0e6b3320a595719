# -*- coding: utf-8 -*-
"""Whole-module tests of fleet.docker.engine_repo_key on a temporary directory.

Docker's repository is not reachable here: the download is replaced by a fake
fetch_url serving the throwaway test keys; the fingerprint check is the real code.
"""

from __future__ import absolute_import, division, print_function

import io
import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.fleet.docker.plugins.modules import engine_repo_key

FIX = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures")
FPR_A = "93B1063854639DA6D871342778A9BA4F9C3E24A8"
FPR_B = "469F790DAAF649AC430D1689DDC9C9FF3F2669F9"


def key(name):
    with open(os.path.join(FIX, name), "rb") as fh:
        return fh.read()


@pytest.fixture
def run(monkeypatch, capsys, tmp_path):
    fetched = []

    def _run(serve=None, status=200, check=False, **args):
        def fake_fetch(module, url, timeout=30):
            fetched.append(url)
            if serve is None:
                return None, {"status": -1, "msg": "Connection refused"}
            return io.BytesIO(serve), {"status": status}

        monkeypatch.setattr(engine_repo_key, "fetch_url", fake_fetch)
        full = dict(path=str(tmp_path / "keyrings" / "docker.asc"), _ansible_check_mode=check,
                    _ansible_tmpdir=str(tmp_path))
        full.update(args)
        with patch_module_args(full):
            with pytest.raises(SystemExit):
                engine_repo_key.main()
        return json.loads(capsys.readouterr().out)

    run.fetched = fetched
    return _run


def test_downloads_checks_and_writes(run, tmp_path):
    res = run(serve=key("key-a.asc"), url="https://example.invalid/gpg", fingerprint=FPR_A)
    assert res["changed"] is True and res["source"] == "url" and res["fingerprint"] == FPR_A
    path = tmp_path / "keyrings" / "docker.asc"
    assert path.read_bytes() == key("key-a.asc")
    assert oct(os.stat(str(path)).st_mode & 0o777) == "0o644"
    # second run: the file holds the key, nothing is downloaded
    res = run(serve=None, url="https://example.invalid/gpg", fingerprint=FPR_A)
    assert res["changed"] is False and res["source"] == "file"


@pytest.mark.parametrize("served, problem", [
    ("key-b.asc", "fingerprint is %s, the pinned one is %s" % (FPR_B, FPR_A)),
    ("key-ab.asc", "fingerprint is %s, %s" % (FPR_A, FPR_B)),
])
def test_refuses_a_key_with_another_fingerprint_and_writes_nothing(run, tmp_path, served, problem):
    res = run(serve=key(served), url="https://example.invalid/gpg", fingerprint=FPR_A)
    assert res["failed"] is True and problem in res["msg"] and "not installing the key" in res["msg"]
    assert not (tmp_path / "keyrings" / "docker.asc").exists()


def test_replaces_a_wrong_key_in_place_only_with_the_right_one(run, tmp_path):
    path = tmp_path / "keyrings" / "docker.asc"
    path.parent.mkdir()
    path.write_bytes(key("key-b.asc"))
    res = run(serve=key("key-b.asc"), url="https://example.invalid/gpg", fingerprint=FPR_A)
    assert res["failed"] is True and path.read_bytes() == key("key-b.asc")
    res = run(content=key("key-a.asc").decode(), fingerprint=FPR_A)
    assert res["changed"] is True and res["source"] == "content" and path.read_bytes() == key("key-a.asc")


def test_check_mode_writes_nothing(run, tmp_path):
    res = run(serve=key("key-a.gpg"), url="https://example.invalid/gpg", fingerprint=FPR_A, check=True)
    assert res["changed"] is True
    assert not (tmp_path / "keyrings" / "docker.asc").exists()


def test_download_failure_is_reported(run):
    res = run(serve=None, url="https://example.invalid/gpg", fingerprint=FPR_A)
    assert res["failed"] is True and "downloading the key from https://example.invalid/gpg failed" in res["msg"]
    res = run(serve=b"<html>not found</html>", status=404, url="https://example.invalid/gpg", fingerprint=FPR_A)
    assert res["failed"] is True and "404" in res["msg"]


def test_html_instead_of_a_key_is_refused(run):
    res = run(serve=b"<html>proxy login</html>", url="https://example.invalid/gpg", fingerprint=FPR_A)
    assert res["failed"] is True and "not a readable OpenPGP public key" in res["msg"]
