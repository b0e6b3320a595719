"""fleet.docker.swarm_member: the decision table (member_step) and what the module sends.

The real join and leave are exercised on real daemons by molecule/removal and the bench
and e2e labs; here a fake client records the calls and plays the engine's /info.
"""

import copy

import pytest

from ansible_collections.fleet.docker.plugins.module_utils.swarm import member_step
from ansible_collections.fleet.docker.plugins.modules import swarm_member as mod


@pytest.mark.parametrize("wanted, state, force, step, refused", [
    ("joined", "inactive", False, "join", False),
    ("joined", "", False, "join", False),
    ("joined", None, False, "join", False),
    ("joined", "active", False, "none", False),
    ("joined", "pending", False, "none", True),
    ("joined", "error", False, "none", True),
    ("joined", "locked", False, "none", True),
    ("joined", "locked", True, "none", True),  # force never applies to a join
    ("initialized", "inactive", False, "init", False),
    ("initialized", None, False, "init", False),
    ("initialized", "active", False, "none", False),  # never a second swarm on a member
    ("initialized", "pending", False, "none", True),
    ("initialized", "error", False, "none", True),
    ("initialized", "locked", False, "none", True),
    ("initialized", "locked", True, "none", True),
    ("left", "inactive", False, "none", False),
    ("left", "active", False, "leave", False),
    ("left", "active", True, "leave", False),
    ("left", "pending", False, "none", True),
    ("left", "error", False, "none", True),
    ("left", "locked", False, "none", True),
    ("left", "pending", True, "leave", False),
    ("left", "locked", True, "leave", False),
])
def test_member_step(wanted, state, force, step, refused):
    got_step, problem = member_step(wanted, state, force)
    assert got_step == step
    assert bool(problem) == refused


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

    def run_command(self, cmd):
        return 1, "", "no ip here"


def info(state, node_id=""):
    return {"ServerVersion": "26.1.5", "Swarm": {"LocalNodeState": state, "NodeID": node_id,
                                                 "ControlAvailable": False}}


def make_client(params, infos, check_mode=False, post_error=None):
    full = dict(state="joined", remote_addrs=None, join_token=None, advertise_addr=None,
                listen_addr="0.0.0.0:2377", autolock=False, force=False, wait=5)
    full.update(params)
    state = {"infos": list(infos), "posts": []}

    class FakeClient(object):
        def __init__(self, argument_spec, supports_check_mode, required_if=None):
            self.module = FakeModule(full, check_mode)
            self.check_mode = check_mode

        def get_json(self, path):
            if path == "/swarm":
                return {"ID": "C1", "JoinTokens": {"Worker": "SWMTKN-1-w", "Manager": "SWMTKN-1-m"}}
            assert path == "/info"
            return copy.deepcopy(state["infos"].pop(0) if len(state["infos"]) > 1 else state["infos"][0])

        def post_json(self, path, params=None, data=None):
            state["posts"].append((path, params, copy.deepcopy(data)))
            if post_error:
                raise mod.ENGINE_ERRORS[0](post_error)

        def fail(self, msg, **kwargs):
            raise Exited(dict(kwargs, msg=msg), failed=True)

    return FakeClient, state


def run(monkeypatch, params, infos, check_mode=False, post_error=None):
    client, state = make_client(params, infos, check_mode, post_error)
    monkeypatch.setattr(mod, "SwarmClient", client)
    monkeypatch.setattr(mod.time, "sleep", lambda s: None)
    with pytest.raises(Exited) as exc:
        mod.main()
    return exc.value, state


JOIN = dict(state="joined", remote_addrs=["10.0.0.1:2377"], join_token="SWMTKN-1-x", advertise_addr="10.0.0.2")


def test_join_returns_the_new_node_id_and_the_fact(monkeypatch):
    out, state = run(monkeypatch, JOIN, [info("inactive"), info("pending"), info("active", "N2")])
    assert not out.failed
    assert out.result["changed"] and out.result["step"] == "join"
    assert out.result["node_id"] == "N2"
    fact = out.result["ansible_facts"]["fleet_docker_host"]
    assert fact["swarm"]["node_id"] == "N2" and fact["swarm"]["state"] == "active"
    assert state["posts"] == [("/swarm/join", None, {"ListenAddr": "0.0.0.0:2377", "RemoteAddrs": ["10.0.0.1:2377"],
                                                     "JoinToken": "SWMTKN-1-x", "AdvertiseAddr": "10.0.0.2"})]


def test_an_active_node_is_not_joined_again(monkeypatch):
    out, state = run(monkeypatch, JOIN, [info("active", "N9")])
    assert not out.failed and not out.result["changed"]
    assert out.result["node_id"] == "N9" and state["posts"] == []


def test_check_mode_joins_nothing(monkeypatch):
    out, state = run(monkeypatch, JOIN, [info("inactive")], check_mode=True)
    assert out.result["changed"] and out.result["step"] == "join" and state["posts"] == []
    assert out.result["node_id"] == ""


def test_a_locked_node_is_refused_without_a_call(monkeypatch):
    out, state = run(monkeypatch, JOIN, [info("locked")])
    assert out.failed and "locked" in out.result["msg"] and state["posts"] == []


def test_a_join_that_never_becomes_active_fails(monkeypatch):
    clock = iter(range(0, 1000, 10))
    monkeypatch.setattr(mod.time, "monotonic", lambda: next(clock))
    out, _state = run(monkeypatch, JOIN, [info("inactive"), info("pending")])
    assert out.failed and "not active with a NodeID" in out.result["msg"]


def test_the_engine_refusal_is_reported_without_the_token(monkeypatch):
    out, _state = run(monkeypatch, JOIN, [info("inactive")], post_error="rpc error: invalid join token")
    assert out.failed and "invalid join token" in out.result["msg"]
    assert "SWMTKN" not in out.result["msg"]


def test_leave_without_force_and_no_facts(monkeypatch):
    out, state = run(monkeypatch, dict(state="left"), [info("active", "N3"), info("inactive")])
    assert not out.failed and out.result["changed"] and out.result["step"] == "leave"
    assert out.result["swarm_state"] == "inactive" and "ansible_facts" not in out.result
    assert state["posts"] == [("/swarm/leave", {"force": "false"}, None)]


def test_leave_of_a_node_in_no_swarm_changes_nothing(monkeypatch):
    out, state = run(monkeypatch, dict(state="left"), [info("inactive")])
    assert not out.result["changed"] and state["posts"] == []


def test_a_manager_that_was_not_demoted_yet_is_refused_by_the_engine(monkeypatch):
    out, _state = run(monkeypatch, dict(state="left"), [info("active", "N1")],
                      post_error="You are attempting to leave the swarm on a node that is participating as a manager")
    assert out.failed and "participating as a manager" in out.result["msg"]


INIT = dict(state="initialized", advertise_addr="10.0.0.1", autolock=True)


def test_init_returns_node_id_fact_and_join_tokens(monkeypatch):
    out, state = run(monkeypatch, INIT, [info("inactive"), info("active", "N1")])
    assert not out.failed and out.result["changed"] and out.result["step"] == "init"
    assert out.result["node_id"] == "N1"
    assert out.result["swarm_facts"] == {"JoinTokens": {"Worker": "SWMTKN-1-w", "Manager": "SWMTKN-1-m"}}
    assert out.result["ansible_facts"]["fleet_docker_host"]["swarm"]["node_id"] == "N1"
    assert state["posts"] == [("/swarm/init", None, {"ListenAddr": "0.0.0.0:2377", "ForceNewCluster": False,
                                                     "AdvertiseAddr": "10.0.0.1",
                                                     "Spec": {"EncryptionConfig": {"AutoLockManagers": True}}})]


def test_init_on_an_active_node_creates_nothing(monkeypatch):
    out, state = run(monkeypatch, INIT, [info("active", "N9")])
    assert not out.failed and not out.result["changed"] and state["posts"] == []
    assert "swarm_facts" not in out.result and out.result["node_id"] == "N9"


def test_init_in_check_mode_creates_nothing(monkeypatch):
    out, state = run(monkeypatch, INIT, [info("inactive")], check_mode=True)
    assert out.result["changed"] and out.result["step"] == "init" and state["posts"] == []
    assert "swarm_facts" not in out.result


def test_init_refused_on_a_locked_node(monkeypatch):
    out, state = run(monkeypatch, INIT, [info("locked")])
    assert out.failed and out.result["msg"].startswith("init refused") and state["posts"] == []


def test_init_failure_is_named(monkeypatch):
    out, _state = run(monkeypatch, INIT, [info("inactive")], post_error="advertise address must be a non-zero IP")
    assert out.failed and out.result["msg"].startswith("creating the swarm failed: advertise address")
