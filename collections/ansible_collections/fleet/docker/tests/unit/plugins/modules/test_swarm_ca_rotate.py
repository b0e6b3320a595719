"""fleet.docker.swarm_ca_rotate: what it sends to /swarm/update, and when it stops waiting.

The real API is exercised by molecule/status (rotation on a live swarm); here a fake client
plays a swarm whose rotation finishes after a few reads.
"""

import copy

import pytest

from ansible_collections.fleet.docker.plugins.modules import swarm_ca_rotate as mod
from ansible_collections.fleet.docker.tests.unit.plugins.module_utils.test_status_report import CA2_PEM, CA_PEM, tls

SPEC = {"Name": "default", "Labels": {}, "Raft": {"SnapshotInterval": 10000},
        "CAConfig": {"NodeCertExpiry": 7776000000000000}, "EncryptionConfig": {"AutoLockManagers": True}}


class Exited(Exception):
    def __init__(self, result, failed=False):
        Exception.__init__(self, result.get("msg", ""))
        self.result, self.failed = result, failed


class FakeModule(object):
    def __init__(self, params, check_mode):
        self.params, self.check_mode = params, check_mode

    def exit_json(self, **result):
        raise Exited(result)


def make_client(params, check_mode=False, finish_after=2, w1_state="ready"):
    """A swarm that reports the rotation in progress for `finish_after` reads after the update."""
    state = {"posts": [], "reads": 0, "rotated": False}

    def view():
        done = state["rotated"] and state["reads"] > finish_after
        root = CA2_PEM if done else CA_PEM
        swarm = {"ID": "c1", "Version": {"Index": 7}, "Spec": copy.deepcopy(SPEC), "TLSInfo": tls(root),
                 "RootRotationInProgress": state["rotated"] and not done,
                 "JoinTokens": {"Worker": "SWMTKN-1-w", "Manager": "SWMTKN-1-m"}}
        nodes = [{"ID": "a", "Description": {"Hostname": "m1", "TLSInfo": tls(root)}, "Status": {"State": "ready"}},
                 {"ID": "b", "Description": {"Hostname": "w1", "TLSInfo": tls(root if w1_state == "ready" else CA_PEM)},
                  "Status": {"State": w1_state}}]
        return swarm, nodes

    class FakeClient(object):
        def __init__(self, argument_spec, supports_check_mode):
            self.module = FakeModule(params, check_mode)

        def require_manager(self):
            return {"ControlAvailable": True}

        def get_json(self, path):
            assert path == "/swarm"
            state["reads"] += 1
            return view()[0]

        def node_list(self):
            return view()[1]

        def post_json(self, path, params=None, data=None):
            state["posts"].append((path, params, copy.deepcopy(data)))
            state["rotated"] = True
            state["reads"] = 0

        def wait_for(self, probe, timeout, interval=1.0):
            for _attempt in range(timeout):
                done, detail = probe()
                if done:
                    return done, detail
            return done, detail

        def fail(self, msg, **kwargs):
            raise Exited(dict(kwargs, msg=msg), failed=True)

    return FakeClient, state


def run(monkeypatch, check_mode=False, wait_timeout=10, **kw):
    client, state = make_client({"wait": True, "wait_timeout": wait_timeout}, check_mode, **kw)
    monkeypatch.setattr(mod, "SwarmClient", client)
    with pytest.raises(Exited) as exc:
        mod.main()
    return exc.value, state


def test_rotate_spec_raises_force_rotate_only():
    spec, force = mod.rotate_spec({"Spec": dict(SPEC, CAConfig={"NodeCertExpiry": 1, "ForceRotate": 4})})
    assert force == 5 and spec == dict(SPEC, CAConfig={"NodeCertExpiry": 1, "ForceRotate": 5})
    spec, force = mod.rotate_spec({"Spec": SPEC})
    assert force == 1 and SPEC["CAConfig"] == {"NodeCertExpiry": 7776000000000000}  # input untouched


def test_update_params_rotate_no_token_and_no_key():
    assert mod.update_params(9) == {"version": 9, "rotateWorkerToken": "false", "rotateManagerToken": "false",
                                    "rotateManagerUnlockKey": "false"}


def test_rotation_posts_once_and_waits_for_the_new_root(monkeypatch):
    out, state = run(monkeypatch)
    assert not out.failed, out.result
    assert state["posts"] == [("/swarm/update", mod.update_params(7), dict(SPEC, CAConfig=dict(SPEC["CAConfig"], ForceRotate=1)))]
    r = out.result
    assert r["changed"] and r["done"] and r["before"] != r["after"] and r["waiting"] == []
    assert "SWMTKN" not in repr(r)


def test_check_mode_posts_nothing(monkeypatch):
    out, state = run(monkeypatch, check_mode=True)
    assert out.result["changed"] and state["posts"] == [] and out.result["before"] == out.result["after"]


def test_times_out_naming_the_nodes(monkeypatch):
    out, _calls = run(monkeypatch, wait_timeout=2, finish_after=50)
    assert out.failed and "did not finish within 2s" in out.result["msg"]
    assert "rotation in progress" in out.result["msg"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_node_not_ready_is_refused_before_anything_is_sent(monkeypatch, check_mode):
    out, state = run(monkeypatch, check_mode=check_mode, w1_state="down")
    assert out.failed and state["posts"] == []
    assert out.result["msg"].startswith("Nothing was changed: not every node is Ready: w1 (down)")
    assert out.result["not_ready"] == ["w1 (down)"]
