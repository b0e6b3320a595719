# -*- coding: utf-8 -*-
"""The comparison logic of fleet.docker.container_state (no engine: inspect data and a fake engine).

What a real engine and docker_container make of it is tested by molecule/registry.
"""

from __future__ import absolute_import, division, print_function

import hashlib
import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.fleet.docker.plugins.module_utils import container_state as cs
from ansible_collections.fleet.docker.plugins.module_utils.engine import EngineUnavailable
from ansible_collections.fleet.docker.plugins.modules import container_state as module

IMAGE_ID = "sha256:" + "a" * 64
OTHER_ID = "sha256:" + "b" * 64
LABEL = "fleet.test.config-sha256"


def inspect(**over):
    data = {
        "Id": "c" * 64,
        "Image": IMAGE_ID,
        "State": {"Status": "running", "Running": True, "Paused": False, "Restarting": False},
        "Config": {"Image": "registry:2", "Labels": {LABEL: "h1", "from.image": "x"}},
        "HostConfig": {"RestartPolicy": {"Name": "always", "MaximumRetryCount": 0},
                       "PortBindings": {"5000/tcp": [{"HostIp": "0.0.0.0", "HostPort": "5000"}]}},
    }
    for path, value in over.items():
        node = data
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return data


def compare(data, **kw):
    args = dict(state="running", image="registry:2", image_id=IMAGE_ID, labels={LABEL: "h1"},
                attributes={"HostConfig.RestartPolicy.Name": "always"})
    args.update(kw)
    return cs.compare_container("registry", data, **args)


# --------------------------------------------------------------------------- container


def test_container_in_sync():
    assert compare(inspect()) == []


def test_container_missing_and_image_missing():
    assert compare(None, image_id=None) == ["container registry does not exist", "image registry:2 is not on the host"]
    assert compare(None) == ["container registry does not exist"]


@pytest.mark.parametrize("over, reason", [
    ({"State__Running": False, "State__Status": "exited"}, "container registry is not running (exited)"),
    ({"State__Paused": True}, "container registry is paused"),
    ({"State__Restarting": True}, "container registry is restarting"),
    ({"State__Status": "removing"}, "container registry is removing"),
])
def test_container_not_running(over, reason):
    assert compare(inspect(**over)) == [reason]


def test_container_stopped_and_present_states():
    stopped = inspect(State__Running=False, State__Status="exited")
    assert compare(stopped, state="stopped") == []
    assert compare(stopped, state="present") == []
    assert compare(inspect(), state="stopped") == ["container registry is running, expected stopped"]
    assert compare(inspect(), state="present") == []


def test_image_retagged_or_renamed():
    # the reference now resolves to another image (re-tag, re-pull): docker_container re-creates
    assert compare(inspect(), image_id=OTHER_ID) == [
        "container registry runs image sha256:aaaaaaaaaaaa, but registry:2 is now sha256:bbbbbbbbbbbb"]
    # same image ID under another name: docker_container (image_name_mismatch=recreate) re-creates
    assert compare(inspect(), image="mirror/registry:2") == [
        "container registry was created from registry:2, expected mirror/registry:2"]
    assert compare(inspect(), image_id=None) == ["image registry:2 is not on the host"]
    assert compare(inspect(), image=None, image_id=None) == []


def test_labels_never_show_values():
    reasons = compare(inspect(), labels={LABEL: "secret-hash-2", "missing.label": "v"})
    assert reasons == ["container registry: label fleet.test.config-sha256 has another value",
                       "container registry: label missing.label is missing"]
    assert not any("secret-hash-2" in r or "h1" in r for r in reasons)
    # labels the container has beyond the expected ones do not matter
    assert compare(inspect(), labels={}) == []


def test_attributes():
    data = inspect(HostConfig__RestartPolicy={"Name": "no", "MaximumRetryCount": 0})
    assert compare(data) == ["container registry: HostConfig.RestartPolicy.Name is 'no', expected 'always'"]
    assert compare(inspect(), attributes={"HostConfig.PortBindings.5000/tcp.0.HostPort": "5000"}) == []
    assert compare(inspect(), attributes={"HostConfig.Nope": 1}) == [
        "container registry: HostConfig.Nope is not set, expected 1"]
    # types matter: the engine's value is compared as it is
    assert compare(inspect(), attributes={"HostConfig.RestartPolicy.MaximumRetryCount": "0"}) == [
        "container registry: HostConfig.RestartPolicy.MaximumRetryCount is 0, expected '0'"]


def test_lookup():
    data = {"a": {"b": [{"c": 1}]}, "x.y": 2}
    assert cs.lookup(data, "a.b.0.c") == 1
    assert cs.lookup(data, "a.b.1.c") is cs._MISSING
    assert cs.lookup(data, "a.c") is cs._MISSING
    assert cs.lookup({"a": None}, "a") is None


class FakeEngine(object):
    def __init__(self, answers):
        self.answers = answers
        self.asked = []

    def get(self, path):
        self.asked.append(path)
        answer = self.answers.get(path, 404)
        if isinstance(answer, int):
            err = EngineUnavailable("GET %s answered %d" % (path, answer))
            err.status = answer
            raise err
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_check_container_with_engine():
    data = inspect()
    data["Config"]["Image"] = "fleet-lab/registry:2"
    engine = FakeEngine({"/containers/registry/json": data, "/images/fleet-lab/registry:2/json": {"Id": IMAGE_ID}})
    reasons, summary = cs.check_container(engine, "registry", image="fleet-lab/registry:2", labels={LABEL: "h1"})
    assert reasons == []
    assert summary == {"exists": True, "in_sync": True, "id": "c" * 64, "image_id": IMAGE_ID, "running": True}
    assert engine.asked == ["/containers/registry/json", "/images/fleet-lab/registry:2/json"]


def test_check_container_404s():
    reasons, summary = cs.check_container(FakeEngine({}), "registry", image="registry:2")
    assert reasons == ["container registry does not exist", "image registry:2 is not on the host"]
    assert summary == {"exists": False, "in_sync": False}


@pytest.mark.parametrize("error", [500, EngineUnavailable("/var/run/docker.sock: connection refused"),
                                   ValueError("not JSON")])
def test_check_container_engine_trouble_is_a_difference(error):
    reasons, summary = cs.check_container(FakeEngine({"/containers/registry/json": error}), "registry")
    assert len(reasons) == 1 and reasons[0].startswith("the engine did not answer the check")
    assert summary == {"exists": None, "in_sync": False}


def test_check_container_quotes_names():
    engine = FakeEngine({})
    cs.check_container(engine, "a b", image="host:5000/team/app@sha256:" + "0" * 64)
    assert engine.asked == ["/containers/a%20b/json", "/images/host:5000/team/app@sha256:" + "0" * 64 + "/json"]


# --------------------------------------------------------------------------- files


def facts(**over):
    data = {"exists": True, "type": "file", "mode": 0o600, "uid": 0, "gid": 0, "sha256": "d" * 64}
    data.update(over)
    return data


def ids(name, kind):
    return int(name) if str(name).isdigit() else {"root": 0, "ops": 1000}.get(name)


SPEC = {"sha256": "d" * 64, "mode": "0600", "owner": "root", "group": "root"}


def test_file_in_sync():
    assert cs.compare_file("/f", SPEC, facts(), ids) == []
    assert cs.compare_file("/f", {"sha256": "d" * 64}, facts(mode=0o644, uid=5), ids) == []


@pytest.mark.parametrize("spec, seen, reasons", [
    (SPEC, {"exists": False}, ["/f: missing"]),
    (SPEC, facts(sha256="e" * 64), ["/f: content differs"]),
    (SPEC, facts(mode=0o644), ["/f: mode 0644, expected 0600"]),
    (SPEC, facts(uid=1000, gid=1000), ["/f: owner id 1000, expected root (0)", "/f: group id 1000, expected root (0)"]),
    (dict(SPEC, owner="nobody-here"), facts(), ["/f: user nobody-here does not exist on this host"]),
    (dict(SPEC, owner="1000"), facts(uid=1000), []),
    (SPEC, facts(type="link"), ["/f: is a link, expected a file"]),
    (SPEC, {"exists": None, "error": "Permission denied"}, ["/f: cannot be read (Permission denied)"]),
    ({"state": "absent"}, facts(), ["/f: exists, expected absent"]),
    ({"state": "absent"}, {"exists": False}, []),
    ({"state": "directory", "mode": "0755"}, facts(type="directory", mode=0o755), []),
    ({"state": "directory"}, facts(), ["/f: is a file, expected a directory"]),
])
def test_file_differences(spec, seen, reasons):
    assert cs.compare_file("/f", spec, seen, ids) == reasons


def test_digests_never_shown():
    reasons = cs.compare_file("/f", SPEC, facts(sha256="e" * 64), ids)
    assert not any("d" * 64 in r or "e" * 64 in r for r in reasons)


@pytest.mark.parametrize("files, error", [
    ({"rel/path": {}}, "files: rel/path is not an absolute path"),
    ({"/f": {"state": "link"}}, "files[/f].state must be one of file, directory, absent, got link"),
    ({"/f": {"mode": "644x"}}, "files[/f].mode must be an octal string such as '0644', got 644x"),
    ({"/f": {"mode": "384"}}, "files[/f].mode must be an octal string such as '0644', got 384"),
    ({"/f": {"sha256": "abc"}}, "files[/f].sha256 must be 64 lowercase hex digits"),
    ({"/f": {"state": "directory", "sha256": "d" * 64}}, "files[/f].sha256 is only meaningful with state=file"),
    ({"/f": {"state": "absent", "mode": "0600"}}, "files[/f]: mode/owner/group make no sense with state=absent"),
])
def test_bad_file_specs(files, error):
    assert cs.check_file_specs(files) == [error]


def test_good_file_specs():
    assert cs.check_file_specs({"/f": SPEC, "/d": {"state": "directory", "mode": "755"}, "/g": None}) == []


def test_check_files_on_disk(tmp_path):
    conf = tmp_path / "config.yml"
    conf.write_text("version: 0.1\n")
    os.chmod(str(conf), 0o600)
    link = tmp_path / "link"
    link.symlink_to(conf)
    uid, gid = os.getuid(), os.getgid()
    digest = hashlib.sha256(b"version: 0.1\n").hexdigest()
    files = {
        str(tmp_path): {"state": "directory", "owner": str(uid), "group": str(gid)},
        str(conf): {"sha256": digest, "mode": "0600", "owner": str(uid), "group": str(gid)},
        str(tmp_path / "htpasswd"): {"state": "absent"},
        str(link): {"sha256": digest},
    }
    reasons, report = cs.check_files(files)
    assert reasons == ["%s: is a link, expected a file" % link]
    assert report[str(conf)] == {"exists": True, "in_sync": True}
    assert report[str(tmp_path / "htpasswd")] == {"exists": False, "in_sync": True}
    assert report[str(link)] == {"exists": True, "in_sync": False}
    conf.write_text("version: 0.2\n")
    os.chmod(str(conf), 0o644)
    reasons, report = cs.check_files({str(conf): files[str(conf)]})
    assert reasons == ["%s: content differs" % conf, "%s: mode 0644, expected 0600" % conf]


# --------------------------------------------------------------------------- whole module


def run_module(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def test_module_without_engine_says_differs(capsys, tmp_path):
    conf = tmp_path / "config.yml"
    conf.write_text("x\n")
    out = run_module(capsys, name="registry", image="registry:2", docker_socket=str(tmp_path / "no.sock"),
                     files={str(conf): {"sha256": hashlib.sha256(b"x\n").hexdigest()}}, _ansible_check_mode=True)
    assert out["changed"] is False
    assert out["in_sync"] is False
    assert out["reasons"][0].startswith("the engine did not answer the check")
    assert out["container"] == {"exists": None, "in_sync": False}
    assert out["files"] == {str(conf): {"exists": True, "in_sync": True}}


def test_module_fails_on_bad_specs(capsys, tmp_path):
    out = run_module(capsys, name="registry", docker_socket=str(tmp_path / "no.sock"), files={"/f": {"mode": "rw"}})
    assert out["failed"] is True
    assert "files[/f].mode must be an octal string" in out["msg"]
