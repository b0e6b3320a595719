"""fleet.docker.swarm_node_drain against an in-memory swarm: the quorum rule per purpose
(issue 9 defect 1) and the availability record (defect 4). The API and the waits are
exercised on real engines by molecule/faults and molecule/removal."""

import copy

import pytest

from ansible_collections.fleet.docker.plugins.module_utils.planner import RESTORE_LABEL
from ansible_collections.fleet.docker.plugins.modules import swarm_node_drain


class Done(Exception):
    def __init__(self, failed, result):
        Exception.__init__(self, result.get("msg", ""))
        self.failed = failed
        self.result = result


class FakeModule(object):
    def __init__(self, params, check_mode):
        self.params = params
        self.check_mode = check_mode

    def exit_json(self, **kw):
        raise Done(False, kw)


def raw(node_id, role="manager", reach="reachable", availability="active", labels=None):
    node = {"ID": node_id, "Version": {"Index": 1},
            "Spec": {"Role": role, "Availability": availability, "Labels": dict(labels or {})},
            "Description": {"Hostname": node_id}, "Status": {"State": "ready", "Addr": "10.0.0.1"}}
    if role == "manager":
        node["ManagerStatus"] = {"Reachability": reach, "Leader": node_id == "m1"}
    return node


class FakeClient(object):
    def __init__(self, nodes, params, check_mode=False):
        self.store = dict((n["ID"], n) for n in nodes)
        full = dict(name=None, availability="drain", purpose=None, allow_control_plane_outage=False, demote=False,
                    quorum_check=True, wait=True, wait_ready=None, wait_timeout=1)
        full.update(params)
        self.module = FakeModule(full, check_mode)
        self.check_mode = check_mode
        self.updates = []

    def __call__(self, **kwargs):
        return self

    def require_manager(self):
        return {}

    def node_list(self, leader_wait=0):
        return copy.deepcopy(list(self.store.values()))

    def node_inspect(self, node_id):
        return copy.deepcopy(self.store[node_id])

    def update_node(self, node_id, mutate, attempts=5):
        spec = copy.deepcopy(self.store[node_id]["Spec"])
        new = mutate(copy.deepcopy(spec))
        if new == spec:
            return False
        self.store[node_id]["Spec"] = new
        self.updates.append((node_id, new))
        return True

    def service_list(self):
        return []

    def task_list(self, service_ids=None):
        return []

    def wait_for(self, probe, timeout, interval=1.0):
        return probe()

    def fail(self, msg, **kw):
        kw["msg"] = msg
        raise Done(True, kw)


def run(monkeypatch, nodes, **params):
    client = FakeClient(nodes, params)
    monkeypatch.setattr(swarm_node_drain, "SwarmClient", client)
    with pytest.raises(Done) as exc:
        swarm_node_drain.main()
    return exc.value, client


FOUR_ONE_DOWN = [raw("m1"), raw("m2"), raw("m3"), raw("m4", reach="unreachable")]


def test_defect1_restart_of_a_second_manager_of_four_is_refused(monkeypatch):
    done, client = run(monkeypatch, FOUR_ONE_DOWN, node="m2")
    assert done.failed and client.updates == []
    assert done.result["msg"].startswith("Nothing was changed: restarting m2 would leave 2 of 4 managers reachable; "
                                         "quorum needs 3 of all 4")


def test_defect1_demotion_keeps_the_remaining_rule(monkeypatch):
    done, client = run(monkeypatch, FOUR_ONE_DOWN, node="m2", purpose="remove")
    assert not done.failed
    assert done.result["quorum"]["rule"] == "remaining-members"
    assert RESTORE_LABEL not in client.store["m2"]["Spec"]["Labels"]  # a node on its way out records nothing


def test_defect1_two_managers_need_the_opt_in(monkeypatch):
    done, _swarm = run(monkeypatch, [raw("m1"), raw("m2")], node="m2")
    assert done.failed and "docker_daemon_allow_control_plane_outage" in done.result["msg"]
    done, _swarm = run(monkeypatch, [raw("m1"), raw("m2")], node="m2", allow_control_plane_outage=True)
    assert not done.failed and done.result["quorum"]["outage"]


def test_defect4_drain_records_and_restore_gives_back(monkeypatch):
    nodes = [raw("m1"), raw("m2"), raw("m3"), raw("w1", role="worker", availability="pause")]
    done, client = run(monkeypatch, nodes, node="w1")
    assert client.store["w1"]["Spec"]["Availability"] == "drain"
    assert client.store["w1"]["Spec"]["Labels"][RESTORE_LABEL] == "pause"
    assert len(client.updates) == 1  # drain and record in one node update
    # the run is killed here; the next drain keeps the record, reports it as previous
    done, client = run(monkeypatch, list(client.store.values()), node="w1")
    assert done.result["previous_availability"] == "pause"
    assert client.store["w1"]["Spec"]["Labels"][RESTORE_LABEL] == "pause"
    done, client = run(monkeypatch, list(client.store.values()), node="w1", availability="restore")
    assert done.result["changed"] and done.result["availability"] == "pause"
    assert client.store["w1"]["Spec"] == {"Role": "worker", "Availability": "pause", "Labels": {}}


def test_defect4_give_back_is_never_refused_by_quorum(monkeypatch):
    nodes = [raw("m1"), raw("m2", availability="drain", labels={RESTORE_LABEL: "active"}), raw("m3"),
             raw("m4", reach="unreachable")]
    done, client = run(monkeypatch, nodes, node="m2", availability="restore", wait_ready=False)
    assert not done.failed
    assert client.store["m2"]["Spec"]["Availability"] == "active"
    assert RESTORE_LABEL not in client.store["m2"]["Spec"]["Labels"]
