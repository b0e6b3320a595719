# -*- coding: utf-8 -*-
"""Whole-module tests of fleet.docker.daemon_json on a temporary directory.

No engine socket and no systemd here: the module must still work (that is the
"dockerd is down" case) and fall back to its structural checks. What dockerd makes
of the file is tested on real daemons by molecule/daemon.
"""

from __future__ import absolute_import, division, print_function

import json
import os

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.fleet.docker.plugins.modules import daemon_json


@pytest.fixture
def run(monkeypatch, capsys, tmp_path):
    # No systemctl / dockerd on purpose: structural checks only, no unit flags, PID 0.
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, *a, **kw: None)

    def _run(config, check=False, diff=False, **extra):
        args = dict(config=config, path=str(tmp_path / "daemon.json"), docker_socket=str(tmp_path / "no.sock"),
                    certs_dir=str(tmp_path / "certs.d"), _ansible_check_mode=check, _ansible_diff=diff,
                    _ansible_tmpdir=str(tmp_path))
        args.update(extra)
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                daemon_json.main()
        return json.loads(capsys.readouterr().out)

    return _run


def _files(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir() if p.is_file())


BASE = {"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": 3},
        "insecure-registries": ["http://registry.lab:5000/"]}


def test_creates_file_with_strings_and_pending_marker(run, tmp_path):
    res = run(BASE)
    assert res["changed"] is True and res["action"] == "restart"
    assert res["previous_absent"] is True and res["backup_file"] == ""
    assert res["validated_by"] == "structural"
    assert res["ansible_facts"]["fleet_docker_host"]["docker"]["reachable"] is False
    data = json.loads((tmp_path / "daemon.json").read_text())
    assert data == {"log-driver": "json-file", "log-opts": {"max-file": "3", "max-size": "10m"},
                    "insecure-registries": ["registry.lab:5000"]}
    assert oct(os.stat(str(tmp_path / "daemon.json")).st_mode & 0o777) == "0o644"
    marker = json.loads((tmp_path / ".daemon.json.fleet-pending").read_text())
    assert marker["action"] == "restart" and marker["previous_absent"] is True
    record = json.loads((tmp_path / ".daemon.json.fleet-managed").read_text())
    assert record == {"managed_keys": ["insecure-registries", "log-driver", "log-opts"]}


def test_unapplied_change_is_still_reported_then_cleared(run, tmp_path):
    run(BASE)
    before = (tmp_path / "daemon.json").read_bytes()
    again = run(BASE)
    assert again["changed"] is False and again["pending"] is True and again["action"] == "restart"
    assert (tmp_path / "daemon.json").read_bytes() == before
    # daemon_apply removes the marker once dockerd runs the file.
    (tmp_path / ".daemon.json.fleet-pending").unlink()
    third = run(BASE)
    assert third["changed"] is False and third["action"] == "none" and third["validated_by"] == "unchanged"


def test_keeps_unmanaged_keys_and_removes_dropped_managed_ones(run, tmp_path):
    (tmp_path / "daemon.json").write_text('{"data-root": "/srv/docker", "debug": true}')
    first = run(dict(BASE, **{"max-concurrent-downloads": 4}))
    assert first["previous_absent"] is False and first["backup_file"]
    assert os.path.exists(first["backup_file"])
    (tmp_path / ".daemon.json.fleet-pending").unlink()
    res = run(BASE)
    data = json.loads((tmp_path / "daemon.json").read_text())
    assert "max-concurrent-downloads" not in data
    assert data["data-root"] == "/srv/docker" and data["debug"] is True
    assert res["changed_keys"] == ["max-concurrent-downloads"]
    assert res["action"] == "restart"  # a removal is never applied by a reload


def _engine(monkeypatch, swarm_state="inactive"):
    info = {"ServerVersion": "20.10.24", "Swarm": {"LocalNodeState": swarm_state},
            "Plugins": {"Log": ["json-file", "local", "journald"]}}
    monkeypatch.setattr(daemon_json.LocalEngine, "info", lambda self: info)


def test_reload_only_for_reloadable_keys(run, tmp_path, monkeypatch):
    _engine(monkeypatch)
    run(BASE)
    (tmp_path / ".daemon.json.fleet-pending").unlink()
    res = run(dict(BASE, **{"insecure-registries": ["registry.lab:5000", "10.0.0.0/8"]}))
    assert res["action"] == "reload" and res["changed_keys"] == ["insecure-registries"]
    # Engine 20.10 has no `dockerd --validate`.
    assert res["validated_by"] == "structural"


def test_reload_becomes_restart_when_the_engine_is_down(run, tmp_path):
    run(BASE)
    (tmp_path / ".daemon.json.fleet-pending").unlink()
    res = run(dict(BASE, **{"insecure-registries": ["registry.lab:5000", "10.0.0.0/8"]}))
    assert res["action"] == "restart"


def test_live_restore_refused_on_active_swarm_node(run, tmp_path, monkeypatch):
    _engine(monkeypatch, "active")
    res = run(dict(BASE, **{"live-restore": True}))
    assert res["failed"] is True and "live-restore: true is refused on a swarm node" in res["msg"]
    assert _files(tmp_path) == []


def test_log_driver_checked_against_the_engine(run, tmp_path, monkeypatch):
    _engine(monkeypatch)
    res = run(dict(BASE, **{"log-driver": "gelf"}))  # built in, but not in this engine's Plugins.Log
    assert res["failed"] is True and "log-driver: 'gelf'" in res["msg"]


def test_pending_restart_wins_over_new_reload(run, tmp_path):
    run(BASE)  # restart pending, never applied
    res = run(dict(BASE, **{"insecure-registries": ["registry.lab:5000", "10.0.0.0/8"]}))
    assert res["action"] == "restart" and res["pending"] is True
    marker = json.loads((tmp_path / ".daemon.json.fleet-pending").read_text())
    # Rolling back must go to what the daemon runs: before the FIRST change (no file).
    assert marker["previous_absent"] is True and marker["rollback_file"] == ""


def test_output_is_byte_identical(run, tmp_path):
    run(BASE)
    (tmp_path / ".daemon.json.fleet-pending").unlink()
    first = (tmp_path / "daemon.json").read_bytes()
    res = run(dict(BASE, **{"log-opts": {"max-file": "3", "max-size": "10m"}}))
    assert res["changed"] is False and (tmp_path / "daemon.json").read_bytes() == first
    assert first.endswith(b"}\n")


def test_check_mode_writes_nothing_and_diffs(run, tmp_path):
    res = run(BASE, check=True, diff=True)
    assert res["changed"] is True and res["action"] == "restart"
    assert res["diff"]["before"] == "" and '"max-file": "3"' in res["diff"]["after"]
    assert _files(tmp_path) == []


@pytest.mark.parametrize("config,needle", [
    ({"insecure-registries": ["ftp://r:5000"]}, "insecure-registries: entry 'ftp://r:5000' has scheme ftp://"),
    ({"debug": "yes"}, "debug: must be bool, got str"),
    ({"log-driver": "nope"}, "log-driver: 'nope'"),
    ({"log-level": "verbose"}, "log-level: 'verbose'"),
    ({"log-opts": {"max-file": None}}, "log-opts: value of 'max-file'"),
])
def test_refusals_write_nothing(run, tmp_path, config, needle):
    (tmp_path / "daemon.json").write_text('{"debug": false}\n')
    res = run(config)
    assert res["failed"] is True and needle in res["msg"], res["msg"]
    assert res["msg"].startswith("refused before writing")
    assert _files(tmp_path) == ["daemon.json"]
    assert (tmp_path / "daemon.json").read_text() == '{"debug": false}\n'


def test_invalid_existing_file_is_not_overwritten(run, tmp_path):
    (tmp_path / "daemon.json").write_text("{not json")
    res = run(BASE)
    assert res["failed"] is True and "not valid JSON" in res["msg"]
    assert (tmp_path / "daemon.json").read_text() == "{not json"


def test_registry_ca_certs(run, tmp_path):
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    res = run(BASE, registry_ca_certs={"registry.lab:5000": pem})
    assert res["ca_certs_written"] == ["registry.lab:5000"]
    ca = tmp_path / "certs.d" / "registry.lab:5000" / "ca.crt"
    assert ca.read_text() == pem + "\n"
    again = run(BASE, registry_ca_certs={"registry.lab:5000": pem})
    assert again["ca_certs_written"] == []


def test_secrets_are_redacted_in_diff_and_result_but_written(run, tmp_path, capsys):
    """issue 11, item 3: proxies with userinfo and user-declared secret keys."""
    (tmp_path / "daemon.json").write_text('{"proxies": {"http-proxy": "http://ops:0ld-Pass@proxy:3128"}}\n')
    config = dict(BASE, proxies={"http-proxy": "http://ops:N3w-Pass@proxy:3128", "no-proxy": "*"},
                  **{"log-opts": {"max-file": 3, "tag": "t4g-secret"}})
    res = run(config, diff=True, secret_keys=["log-opts.tag"])
    text = json.dumps(res)
    for secret in ("0ld-Pass", "N3w-Pass", "t4g-secret"):
        assert secret not in text  # diff, config, invocation: nowhere
    assert res["config"]["proxies"]["http-proxy"] == "http://ops:<redacted>@proxy:3128"
    assert res["config"]["log-opts"] == {"max-file": "3", "tag": "<redacted>"}
    assert '"http-proxy": "http://ops:<redacted>@proxy:3128"' in res["diff"]["before"]
    assert '"tag": "<redacted>"' in res["diff"]["after"] and '"max-file": "3"' in res["diff"]["after"]
    written = json.loads((tmp_path / "daemon.json").read_text())
    assert written["proxies"]["http-proxy"] == "http://ops:N3w-Pass@proxy:3128"
    assert written["log-opts"]["tag"] == "t4g-secret"


def test_malformed_secret_keys_are_refused(run, tmp_path):
    res = run(BASE, secret_keys=["log-opts..tag"])
    assert res["failed"] and "secret_keys" in res["msg"]
    assert _files(tmp_path) == []


# --------------------------------------------------------------------------- issue 9 defects 3 and 6


def _plugins(monkeypatch, tmp_path, managed=()):
    """Plugin dirs under tmp_path (one legacy socket file 'opa'), managed plugins from the engine."""
    legacy = tmp_path / "run-plugins"
    legacy.mkdir()
    (legacy / "opa.sock").write_text("")
    monkeypatch.setattr(daemon_json.dc, "PLUGIN_DIRS", (str(legacy), str(tmp_path / "missing")))
    plugins = [{"Name": n, "Enabled": True, "Config": {"Interface": {"Types": ["docker.authz/1.0"]}}} for n in managed]
    real_get = daemon_json.LocalEngine.get
    monkeypatch.setattr(daemon_json.LocalEngine, "get",
                        lambda self, path: plugins if path == "/plugins" else real_get(self, path))


def test_defect3_unknown_authz_plugin_refused_before_writing(run, tmp_path, monkeypatch):
    _engine(monkeypatch)
    _plugins(monkeypatch, tmp_path, managed=["broker:latest"])
    res = run(dict(BASE, **{"authorization-plugins": ["no-such-authz"]}))
    assert res["failed"] is True
    assert "authorization-plugins: no-such-authz is not installed on" in res["msg"]
    assert "Installed: broker, broker:latest, opa" in res["msg"]
    assert not (tmp_path / "daemon.json").exists()


def test_defect3_installed_authz_plugins_pass_and_reload_serially(run, tmp_path, monkeypatch):
    _engine(monkeypatch)
    _plugins(monkeypatch, tmp_path, managed=["broker:latest"])
    run(BASE)
    (tmp_path / ".daemon.json.fleet-pending").unlink()
    res = run(dict(BASE, **{"authorization-plugins": ["opa", "broker"]}))
    assert res["action"] == "reload" and res["serial_reload"] is True
    other = run(dict(BASE, **{"authorization-plugins": ["opa", "broker"], "debug": True}))
    assert other["action"] == "reload" and other["serial_reload"] is True  # still pending with the plugin key


def test_defect3_features_change_needs_a_restart(run, tmp_path, monkeypatch):
    _engine(monkeypatch)
    run(BASE)
    (tmp_path / ".daemon.json.fleet-pending").unlink()
    res = run(dict(BASE, features={"containerd-snapshotter": True}))
    assert res["action"] == "restart"


def test_defect6_engine_state(run, tmp_path, monkeypatch):
    res = run(BASE)  # no socket, no systemctl: cannot tell whether dockerd runs
    assert res["engine_state"] == "unresponsive"
    _engine(monkeypatch)
    assert run(BASE)["engine_state"] == "up"


# ------------------------------------------------------------------ apply in the same call (issue 12)

class FakeApplier(object):
    """Records what daemon_json asks daemon_apply's body to do; answers like it (ok or a rollback)."""
    calls = []
    ok = True

    def __init__(self, module, params):
        self.params = params

    def apply(self):
        FakeApplier.calls.append(dict(self.params))
        if FakeApplier.ok:
            return True, dict(changed=True, action=self.params["action"], pid_before=10, pid_after=11, seconds=1.0)
        return False, dict(msg="h: restart of docker.service failed. dockerd said: boom. restored", daemon_errors=["boom"],
                           rolled_back=True, docker_running=True, pid_before=10)


@pytest.fixture
def applier(monkeypatch):
    FakeApplier.calls, FakeApplier.ok = [], True
    monkeypatch.setattr(daemon_json, "Applier", FakeApplier)
    return FakeApplier


def test_apply_restarts_a_host_in_no_swarm_in_the_same_call(run, tmp_path, monkeypatch, applier):
    _engine(monkeypatch, "inactive")
    res = run(BASE, apply=True, apply_timeout=33)
    assert res["action"] == "restart" and res["applied"] == "restart" and res["changed"] is True
    assert res["apply_result"] == {"pid_before": 10, "pid_after": 11, "seconds": 1.0}
    assert len(applier.calls) == 1
    call = applier.calls[0]
    assert call["action"] == "restart" and call["timeout"] == 33 and call["rollback"] is True
    assert call["path"] == str(tmp_path / "daemon.json") and call["swarm_check"] is True


@pytest.mark.parametrize("state", ["active", "pending", "locked", "error"])
def test_apply_never_touches_a_swarm_member(run, monkeypatch, applier, state):
    _engine(monkeypatch, state)
    res = run(BASE, apply=True)
    assert res["action"] == "restart" and res["applied"] == "none" and applier.calls == []


def test_apply_leaves_an_unresponsive_engine_to_the_plan(run, applier):
    res = run(BASE, apply=True)  # no socket, no systemctl: engine_state unresponsive
    assert res["engine_state"] == "unresponsive" and res["applied"] == "none" and applier.calls == []


def test_apply_is_off_by_default_and_in_check_mode(run, tmp_path, monkeypatch, applier):
    _engine(monkeypatch, "inactive")
    assert run(BASE)["applied"] == "none"
    assert run(BASE, apply=True, check=True)["applied"] == "none"
    assert applier.calls == []


def test_apply_of_nothing_due_calls_nothing(run, tmp_path, monkeypatch, applier):
    _engine(monkeypatch, "inactive")
    run(BASE)
    (tmp_path / ".daemon.json.fleet-pending").unlink()
    res = run(BASE, apply=True)
    assert res["action"] == "none" and res["applied"] == "none" and not res["changed"] and applier.calls == []


def test_apply_failure_fails_with_the_rollback_report(run, monkeypatch, applier):
    _engine(monkeypatch, "inactive")
    applier.ok = False
    res = run(BASE, apply=True)
    assert res["failed"] is True and "dockerd said: boom" in res["msg"]
    assert res["rolled_back"] is True and res["applied"] == "none" and res["action"] == "restart"


@pytest.mark.parametrize("swarm, nodes, expected", [
    ({"LocalNodeState": "inactive"}, [], None),
    ({"LocalNodeState": "active", "ControlAvailable": False}, [], None),  # a worker cannot list nodes
    ({"LocalNodeState": "active", "ControlAvailable": True}, [], []),
    ({"LocalNodeState": "active", "ControlAvailable": True},
     [{"ID": "a", "Description": {"Hostname": "wrk1"},
       "Spec": {"Availability": "drain", "Labels": {"fleet.docker.restore-availability": "active"}}},
      {"ID": "b", "Description": {"Hostname": "mgr1"}, "Spec": {"Availability": "active", "Labels": {}}}], ["wrk1"]),
    ({"LocalNodeState": "active", "ControlAvailable": True}, daemon_json.EngineUnavailable("no leader"), None),
])
def test_restore_records_as_the_manager_lists_them(run, monkeypatch, swarm, nodes, expected):
    info = {"ServerVersion": "26.1.5", "Swarm": swarm, "Plugins": {"Log": ["json-file"]}}
    monkeypatch.setattr(daemon_json.LocalEngine, "info", lambda self: info)

    def get(self, path):
        assert path == "/nodes"
        if isinstance(nodes, Exception):
            raise nodes
        return nodes

    monkeypatch.setattr(daemon_json.LocalEngine, "get", get)
    assert run(BASE)["restore_records"] == expected
