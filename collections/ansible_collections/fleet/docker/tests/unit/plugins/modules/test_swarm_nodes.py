"""fleet.docker.swarm_nodes planning and ordering, against an in-memory node store.

The Docker API itself is exercised by molecule/swarm on a real swarm; here the store only
keeps node specs and versions so the module's decisions (what changes, in which order,
what is refused before anything changes) can be checked exactly.
"""

import copy

import pytest

from ansible_collections.fleet.docker.plugins.module_utils import swarm as sw
from ansible_collections.fleet.docker.plugins.modules import swarm_nodes


class Failed(Exception):
    def __init__(self, msg, **kwargs):
        Exception.__init__(self, msg)
        self.msg = msg
        self.result = kwargs


class FakeModule(object):
    def __init__(self, params, check_mode=False, diff=False):
        self.params = params
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)


def raw(node_id, hostname, role, reach=None, leader=False, labels=None):
    node = {
        "ID": node_id,
        "Version": {"Index": 1},
        "Spec": {"Role": role, "Availability": "active", "Labels": dict(labels or {})},
        "Description": {"Hostname": hostname, "Engine": {"EngineVersion": "26.1.5"}},
        "Status": {"State": "ready", "Addr": "10.0.0.%d" % (len(hostname) + ord(hostname[-1]) % 50)},
    }
    if reach:
        node["ManagerStatus"] = {"Reachability": reach, "Leader": leader, "Addr": "10.0.0.1:2377"}
    return node


class FakeClient(object):
    """The slice of SwarmClient the module uses, over a dict of nodes."""

    def __init__(self, nodes, params, local="m1", check_mode=False, diff=False):
        self.store = dict((n["ID"], n) for n in nodes)
        defaults = dict(leaving=[], labels_owner_key=sw.OWNED_LABELS_KEY, wait=True, wait_timeout=5)
        defaults.update(params)
        for entry in defaults["nodes"]:
            for key in ("name", "role", "labels"):
                entry.setdefault(key, None)
        self.module = FakeModule(defaults, check_mode, diff)
        self.check_mode = check_mode
        self.local = local
        self.updates = []

    def fail(self, msg, **kwargs):
        raise Failed(msg, **kwargs)

    def require_manager(self):
        return {"NodeID": self.local, "ControlAvailable": True, "Cluster": {"ID": "clusterA"}}

    def node_list(self, leader_wait=0):
        return copy.deepcopy(list(self.store.values()))

    def cluster_id(self, local):
        return sw.SwarmClient.cluster_id(self, local)

    def _update(self, node_id, version, spec):
        node = self.store[node_id]
        assert version == node["Version"]["Index"]
        node["Spec"] = spec
        node["Version"]["Index"] += 1
        # The role change completes at once here (Raft membership follows the spec).
        if spec["Role"] == "manager" and "ManagerStatus" not in node:
            node["ManagerStatus"] = {"Reachability": "reachable", "Addr": "x:2377"}
        if spec["Role"] == "worker":
            node.pop("ManagerStatus", None)
        self.updates.append((node_id, copy.deepcopy(spec)))

    def update_node(self, node_id, mutate, attempts=5):
        return sw.update_node_with_retry(lambda i: copy.deepcopy(self.store[i]), self._update, node_id, mutate)

    def wait_for(self, probe, timeout, interval=1.0):
        return probe()


def three_and_one(labels=None):
    labels = labels or {}
    return [
        raw("m1", "mgr1", "manager", "reachable", leader=True, labels=labels.get("m1")),
        raw("m2", "mgr2", "manager", "reachable", labels=labels.get("m2")),
        raw("m3", "mgr3", "manager", "reachable", labels=labels.get("m3")),
        raw("w1", "wrk1", "worker", labels=labels.get("w1")),
    ]


def run(client):
    return swarm_nodes.NodesManager(client).run()


def test_converged_cluster_is_no_change():
    client = FakeClient(three_and_one(), {"nodes": [
        {"node_id": "m1", "role": "manager"}, {"node_id": "w1", "name": "wrk1", "role": "worker"}]})
    result = run(client)
    assert not result["changed"] and client.updates == []
    assert result["managers_after"] == 3 and client.module.warnings == []


def test_swap_promotes_first_demotes_after_and_is_idempotent():
    nodes = {"nodes": [{"node_id": "m3", "name": "mgr3", "role": "worker"},
                       {"node_id": "w1", "name": "wrk1", "role": "manager"}]}
    client = FakeClient(three_and_one(), nodes)
    result = run(client)
    assert result["changed"]
    assert [u[0] for u in client.updates] == ["w1", "m3"]  # promotion before demotion
    assert result["promoted"] == ["wrk1"] and result["demoted"] == ["mgr3"]
    assert result["quorum"]["ok"]
    again = FakeClient(list(client.store.values()), copy.deepcopy(nodes))
    assert not run(again)["changed"]


def test_demoting_the_manager_the_module_runs_on_comes_last():
    client = FakeClient(three_and_one(), {"nodes": [
        {"node_id": "m1", "role": "worker"}, {"node_id": "m2", "role": "worker"},
        {"node_id": "w1", "role": "manager"}]}, local="m1")
    run(client)
    assert [u[0] for u in client.updates] == ["w1", "m2", "m1"]


def test_quorum_refusal_changes_nothing():
    nodes = three_and_one()
    nodes[2]["ManagerStatus"]["Reachability"] = "unreachable"  # m3 down
    client = FakeClient(nodes, {"nodes": [
        {"node_id": "w1", "name": "wrk1", "labels": {"zone": "a"}},
        {"node_id": "m2", "name": "mgr2", "role": "worker"}]})
    with pytest.raises(Failed) as err:
        run(client)
    assert "refusing to demote mgr2" in err.value.msg
    assert "would leave 1 reachable manager of 2; a majority needs 2 (unreachable: mgr3)" in err.value.msg
    assert "Nothing was changed" in err.value.msg
    assert client.updates == []  # the label change of wrk1 was not applied either


def test_leaving_nodes_count_in_the_quorum_check():
    client = FakeClient(three_and_one(), {"nodes": [{"node_id": "m2", "name": "mgr2", "role": "worker"}],
                                          "leaving": ["m3"]})
    result = run(client)  # 1 reachable of 1 remains: allowed, and the warning is not even-count
    assert result["quorum"]["managers_after"] == 1 and result["quorum"]["ok"]
    assert "mgr3 (leaving)" in result["quorum"]["reason"]
    client = FakeClient(three_and_one(), {"nodes": [{"node_id": "m2", "role": "worker"}, {"node_id": "m1", "role": "worker"}],
                                          "leaving": ["mgr3"]})
    with pytest.raises(Failed, match="would leave no manager"):
        run(client)
    assert client.updates == []


def test_unknown_node_ids_and_bad_labels_fail_before_changes():
    client = FakeClient(three_and_one(), {"nodes": [
        {"node_id": "m2", "name": "mgr2", "role": "worker"},
        {"node_id": "zzz", "name": "stranger", "role": "worker"},
        {"node_id": "w1", "name": "wrk1", "labels": {"zone": 1}}]})
    with pytest.raises(Failed) as err:
        run(client)
    assert "stranger: node ID zzz is not a node of this swarm (cluster clusterA)" in err.value.msg
    assert "wrk1: labels: zone must be a string, got int" in err.value.msg
    assert client.updates == []


def test_labels_with_ownership_keep_hand_set_labels():
    owned = {"tier": "app", "disk": "ssd", "handset": "yes", sw.OWNED_LABELS_KEY: "disk,tier"}
    client = FakeClient(three_and_one({"w1": owned}), {"nodes": [
        {"node_id": "w1", "name": "wrk1", "labels": {"tier": "app", "rack": "r1"}}]}, diff=True)
    result = run(client)
    labels = client.store["w1"]["Spec"]["Labels"]
    assert labels == {"tier": "app", "rack": "r1", "handset": "yes", sw.OWNED_LABELS_KEY: "rack,tier"}
    node = result["nodes"][0]
    assert node["labels"]["added"] == ["rack"] and node["labels"]["removed"] == ["disk"]
    assert result["diff"]["after"]["wrk1"]["labels"] == labels
    assert result["diff"]["before"]["wrk1"]["labels"] == owned


def test_labels_none_leaves_labels_alone():
    client = FakeClient(three_and_one({"w1": {"x": "1"}}), {"nodes": [{"node_id": "w1", "role": "worker"}]})
    result = run(client)
    assert not result["changed"] and "labels" not in result["nodes"][0]


def test_check_mode_reports_without_updating():
    client = FakeClient(three_and_one(), {"nodes": [
        {"node_id": "w1", "role": "manager", "labels": {"a": "b"}}]}, check_mode=True)
    result = run(client)
    assert result["changed"] and client.updates == []
    assert result["promoted"] == ["wrk1"]


def test_even_manager_count_warns():
    client = FakeClient(three_and_one(), {"nodes": [{"node_id": "w1", "name": "wrk1", "role": "manager"}]})
    result = run(client)
    assert result["managers_after"] == 4
    assert any("4 managers: an even count" in w for w in client.module.warnings)


def single_manager():
    return [raw("m1", "mgr1", "manager", "reachable", leader=True), raw("w1", "wrk1", "worker"),
            raw("w2", "wrk2", "worker")]


def test_single_manager_swap_counts_ready_promotions_then_rechecks():
    client = FakeClient(single_manager(), {"nodes": [
        {"node_id": "m1", "name": "mgr1", "role": "worker"}, {"node_id": "w1", "name": "wrk1", "role": "manager"}]},
        local="m1")
    result = run(client)
    assert [u[0] for u in client.updates] == ["w1", "m1"]
    assert result["quorum"]["ok"] and result["quorum"]["managers_after"] == 1


def test_promotion_that_does_not_complete_stops_before_demoting():
    client = FakeClient(single_manager(), {"nodes": [
        {"node_id": "m1", "name": "mgr1", "role": "worker"}, {"node_id": "w1", "name": "wrk1", "role": "manager"}]})
    original = client._update

    def update_without_raft(node_id, version, spec):
        original(node_id, version, spec)
        if node_id == "w1":  # the promotion is accepted but never becomes reachable
            client.store["w1"]["ManagerStatus"]["Reachability"] = "unknown"

    client._update = update_without_raft
    with pytest.raises(Failed, match="did not complete"):
        run(client)
    assert [u[0] for u in client.updates] == ["w1"]  # m1 was not demoted


def test_down_node_promotion_does_not_count():
    nodes = single_manager()
    nodes[1]["Status"]["State"] = "down"
    client = FakeClient(nodes, {"nodes": [
        {"node_id": "m1", "name": "mgr1", "role": "worker"}, {"node_id": "w1", "name": "wrk1", "role": "manager"}]})
    with pytest.raises(Failed, match="would leave no manager"):
        run(client)
    assert client.updates == []
