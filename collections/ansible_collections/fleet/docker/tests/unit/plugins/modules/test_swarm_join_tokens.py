"""fleet.docker.swarm_join_tokens: what it sends to /swarm/update and what it returns.

The point of the module is that a rotation sends the swarm's own spec back unchanged
(community.docker.docker_swarm resets settings it is not given). The real API is
exercised by molecule/runbooks; here a fake client records the calls.
"""

import copy

import pytest

from ansible_collections.fleet.docker.plugins.modules import swarm_join_tokens as mod

SPEC = {
    "Name": "default",
    "Labels": {"env": "prod"},
    "Orchestration": {"TaskHistoryRetentionLimit": 7},
    "Raft": {"SnapshotInterval": 10000, "ElectionTick": 10, "HeartbeatTick": 1},
    "Dispatcher": {"HeartbeatPeriod": 5000000000},
    "CAConfig": {"NodeCertExpiry": 172800000000000},
    "TaskDefaults": {},
    "EncryptionConfig": {"AutoLockManagers": False},
}


class Exited(Exception):
    def __init__(self, result, failed=False):
        Exception.__init__(self, result.get("msg", ""))
        self.result = result
        self.failed = failed


class FakeModule(object):
    def __init__(self, params, check_mode):
        self.params = params
        self.check_mode = check_mode

    def exit_json(self, **result):
        raise Exited(result)


def make_client(params, check_mode=False, rotate_changes=True):
    state = {"swarm": {"ID": "cluster1", "Version": {"Index": 40}, "Spec": copy.deepcopy(SPEC),
                       "JoinTokens": {"Worker": "SWMTKN-1-w-old", "Manager": "SWMTKN-1-m-old"}},
             "posts": []}

    class FakeClient(object):
        def __init__(self, argument_spec, supports_check_mode):
            self.module = FakeModule(params, check_mode)
            self.check_mode = check_mode

        def require_manager(self):
            return {"ControlAvailable": True}

        def get_json(self, path):
            assert path == "/swarm"
            return copy.deepcopy(state["swarm"])

        def post_json(self, path, params=None, data=None):
            state["posts"].append((path, params, copy.deepcopy(data)))
            tokens = state["swarm"]["JoinTokens"]
            if rotate_changes and params.get("rotateWorkerToken") == "true":
                tokens["Worker"] = "SWMTKN-1-w-new"
            if rotate_changes and params.get("rotateManagerToken") == "true":
                tokens["Manager"] = "SWMTKN-1-m-new"
            state["swarm"]["Version"]["Index"] += 1

        def fail(self, msg, **kwargs):
            raise Exited(dict(kwargs, msg=msg), failed=True)

    return FakeClient, state


def run(monkeypatch, rotate, check_mode=False, rotate_changes=True):
    client, state = make_client({"rotate": rotate}, check_mode, rotate_changes)
    monkeypatch.setattr(mod, "SwarmClient", client)
    with pytest.raises(Exited) as exc:
        mod.main()
    return exc.value, state


def test_fingerprint_hides_the_token_and_shows_change():
    fp = mod.fingerprint("SWMTKN-1-abc")
    assert len(fp) == 12 and "SWMTKN" not in fp
    assert fp != mod.fingerprint("SWMTKN-1-abd")
    assert mod.fingerprint("") == ""


def test_update_params_rotate_only_what_is_asked():
    assert mod.update_params(40, ["worker"]) == {"version": 40, "rotateWorkerToken": "true"}
    assert mod.update_params(40, ["manager", "worker", "worker"]) == {
        "version": 40, "rotateWorkerToken": "true", "rotateManagerToken": "true"}


def test_rotation_sends_the_swarm_spec_and_version_unchanged(monkeypatch):
    out, state = run(monkeypatch, ["worker", "manager"])
    assert not out.failed
    assert state["posts"] == [("/swarm/update", {"version": 40, "rotateWorkerToken": "true",
                                                 "rotateManagerToken": "true"}, SPEC)]
    r = out.result
    assert r["changed"] and r["rotated"] == ["manager", "worker"]
    assert r["before"]["worker"] != r["after"]["worker"]
    assert r["before"]["manager"] != r["after"]["manager"]
    assert r["spec_unchanged"] and r["cluster_id"] == "cluster1"
    assert "SWMTKN" not in repr(r)  # never the tokens


def test_worker_only_keeps_the_manager_token(monkeypatch):
    out, _calls = run(monkeypatch, ["worker"])
    assert out.result["before"]["manager"] == out.result["after"]["manager"]
    assert out.result["before"]["worker"] != out.result["after"]["worker"]


def test_check_mode_and_no_rotation_change_nothing(monkeypatch):
    out, state = run(monkeypatch, ["worker"], check_mode=True)
    assert out.result["changed"] and state["posts"] == []
    assert out.result["before"] == out.result["after"]
    out, state = run(monkeypatch, [])
    assert not out.result["changed"] and state["posts"] == []


def test_a_token_that_did_not_change_fails(monkeypatch):
    out, _calls = run(monkeypatch, ["worker"], rotate_changes=False)
    assert out.failed
    assert "the worker join token did not change" in out.result["msg"]
