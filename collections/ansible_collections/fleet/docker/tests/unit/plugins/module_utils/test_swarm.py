"""Pure swarm logic: quorum arithmetic, quorum_after, node lookup, owned labels, version retry."""

import pytest

from ansible_collections.fleet.docker.plugins.module_utils import swarm as sw


def raw_node(node_id, hostname, role="worker", reach=None, leader=False, state="ready", labels=None,
             version=10, addr="10.0.0.1"):
    node = {
        "ID": node_id,
        "Version": {"Index": version},
        "Spec": {"Role": role, "Availability": "active", "Labels": labels or {}},
        "Description": {"Hostname": hostname, "Engine": {"EngineVersion": "26.1.5"}},
        "Status": {"State": state, "Addr": addr},
    }
    if reach is not None:
        node["ManagerStatus"] = {"Reachability": reach, "Addr": addr + ":2377"}
        if leader:
            node["ManagerStatus"]["Leader"] = True
    return node


def cluster(*specs):
    """specs: (id, hostname, reachability or None for a worker)"""
    return [sw.node_summary(raw_node(i, h, "manager" if r else "worker", reach=r, leader=(n == 0 and bool(r))))
            for n, (i, h, r) in enumerate(specs)]


# --------------------------------------------------------------------------- arithmetic


@pytest.mark.parametrize("n,maj,tol", [(0, 0, 0), (1, 1, 0), (2, 2, 0), (3, 2, 1), (4, 3, 1), (5, 3, 2),
                                       (6, 4, 2), (7, 4, 3)])
def test_majority_and_tolerance(n, maj, tol):
    assert sw.majority(n) == maj
    assert sw.tolerance(n) == tol


# --------------------------------------------------------------------------- summaries


def test_node_summary_leader_zero_address_uses_manager_addr():
    node = raw_node("a", "m1", "manager", reach="reachable", leader=True, addr="0.0.0.0")
    node["ManagerStatus"]["Addr"] = "172.20.0.2:2377"
    s = sw.node_summary(node)
    assert s["addr"] == "172.20.0.2"
    assert s["manager"] and s["leader"] and s["role"] == "manager"


def test_node_summary_worker_without_labels_key():
    node = raw_node("w", "w1")
    del node["Spec"]["Labels"]
    s = sw.node_summary(node)
    assert s["labels"] == {} and not s["manager"] and s["reachability"] == ""


def test_cluster_summary_with_unreachable_manager():
    nodes = cluster(("a", "m1", "reachable"), ("b", "m2", "unreachable"), ("c", "m3", "reachable"), ("d", "w1", None))
    c = sw.cluster_summary(nodes)
    assert c["managers"] == ["a", "b", "c"]
    assert c["reachable_managers"] == ["a", "c"]
    assert c["unreachable_managers"] == ["b"]
    assert c["workers"] == ["d"]
    assert c["leader"] == "a"
    assert (c["quorum"], c["tolerance"], c["has_quorum"], c["failures_left"]) == (2, 1, True, 0)


def test_cluster_summary_lost_quorum():
    nodes = cluster(("a", "m1", "reachable"), ("b", "m2", "unreachable"), ("c", "m3", "unreachable"))
    c = sw.cluster_summary(nodes)
    assert not c["has_quorum"] and c["failures_left"] == 0


# --------------------------------------------------------------------------- lookup


def test_resolve_node_prefers_id_then_unique_hostname():
    nodes = cluster(("a", "m1", "reachable"), ("b", "a", None))
    assert sw.resolve_node(nodes, "a")["hostname"] == "m1"  # the ID wins over a hostname "a"
    assert sw.resolve_node(nodes, "m1")["id"] == "a"


def test_resolve_node_hostname_with_down_namesake():
    nodes = [sw.node_summary(raw_node("old", "w1", state="down")), sw.node_summary(raw_node("new", "w1"))]
    assert sw.resolve_node(nodes, "w1")["id"] == "new"


def test_resolve_node_ambiguous_and_unknown():
    nodes = [sw.node_summary(raw_node("x", "w1")), sw.node_summary(raw_node("y", "w1"))]
    with pytest.raises(sw.NodeLookupError, match="matches 2 nodes"):
        sw.resolve_node(nodes, "w1")
    with pytest.raises(sw.NodeLookupError, match="no node"):
        sw.resolve_node(nodes, "nope")


# --------------------------------------------------------------------------- quorum_after


def test_quorum_after_removing_one_of_three():
    nodes = cluster(("a", "m1", "reachable"), ("b", "m2", "reachable"), ("c", "m3", "reachable"))
    q = sw.quorum_after(nodes, ["c"])
    assert q["ok"]
    assert (q["managers_after"], q["reachable_after"], q["needed"]) == (2, 2, 2)
    assert q["reason"] == "removing m3 leaves 2 reachable managers of 2; a majority needs 2 (tolerates 0 more failures)"


def test_quorum_after_removing_two_of_three_with_one_unreachable_left():
    nodes = cluster(("a", "m1", "unreachable"), ("b", "m2", "reachable"), ("c", "m3", "reachable"))
    q = sw.quorum_after(nodes, ["b", "c"], names={"b": "mgr2", "c": "mgr3"})
    assert not q["ok"]
    assert q["reason"] == ("removing mgr2, mgr3 would leave 0 reachable managers of 1; a majority needs 1 "
                           "(unreachable: m1) (a demotion or removal needs a majority of the managers "
                           "that remain, and never the last one)")


def test_quorum_after_removing_the_unreachable_one_is_fine():
    nodes = cluster(("a", "m1", "reachable"), ("b", "m2", "reachable"), ("c", "m3", "unreachable"))
    q = sw.quorum_after(nodes, ["c"])
    assert q["ok"] and q["reachable_after"] == 2 and q["needed"] == 2


def test_quorum_after_removing_a_reachable_one_when_another_is_down():
    nodes = cluster(("a", "m1", "reachable"), ("b", "m2", "reachable"), ("c", "m3", "unreachable"))
    q = sw.quorum_after(nodes, ["b"])
    assert not q["ok"]
    assert "would leave 1 reachable manager of 2; a majority needs 2" in q["reason"]


def test_quorum_after_refuses_the_last_manager():
    nodes = cluster(("a", "m1", "reachable"), ("w", "w1", None))
    q = sw.quorum_after(nodes, ["a"], action="demoting")
    assert not q["ok"]
    assert q["reason"].startswith("demoting m1 would leave no manager")


def test_quorum_after_workers_do_not_count():
    nodes = cluster(("a", "m1", "reachable"), ("w", "w1", None), ("v", "w2", None))
    q = sw.quorum_after(nodes, ["w", "v"])
    assert q["ok"] and q["leaving_managers"] == [] and q["managers_after"] == 1


def test_quorum_after_five_managers_two_leave():
    nodes = cluster(*[(c, "m" + c, "reachable") for c in "abcde"])
    q = sw.quorum_after(nodes, ["d", "e", "d"])
    assert q["leaving"] == ["d", "e"]
    assert q["ok"] and (q["managers_after"], q["needed"], q["tolerance_after"]) == (3, 2, 1)


def test_quorum_after_nothing_leaving_reports_current_health():
    nodes = cluster(("a", "m1", "reachable"), ("b", "m2", "unreachable"), ("c", "m3", "unreachable"))
    q = sw.quorum_after(nodes, [])
    assert not q["ok"] and "no node" in q["reason"]


# --------------------------------------------------------------------------- labels


def test_plan_labels_first_run_adds_and_records_ownership():
    p = sw.plan_labels({"tier": "app", "zone": "a"}, {"handset": "x"})
    assert p["labels"] == {"handset": "x", "tier": "app", "zone": "a", sw.OWNED_LABELS_KEY: "tier,zone"}
    assert (p["added"], p["removed"], p["updated"], p["changed"]) == (["tier", "zone"], [], [], True)


def test_plan_labels_converged_is_no_change():
    current = {"handset": "x", "tier": "app", "zone": "a", sw.OWNED_LABELS_KEY: "tier,zone"}
    p = sw.plan_labels({"zone": "a", "tier": "app"}, current)
    assert not p["changed"] and p["labels"] == current


def test_plan_labels_removed_key_goes_hand_set_stays():
    current = {"handset": "x", "tier": "app", "zone": "a", sw.OWNED_LABELS_KEY: "tier,zone"}
    p = sw.plan_labels({"tier": "web", "rack": "r1"}, current)
    assert p["labels"] == {"handset": "x", "tier": "web", "rack": "r1", sw.OWNED_LABELS_KEY: "rack,tier"}
    assert (p["added"], p["removed"], p["updated"]) == (["rack"], ["zone"], ["tier"])
    assert p["owned_before"] == ["tier", "zone"] and p["owned_after"] == ["rack", "tier"]


def test_plan_labels_adopts_hand_set_key():
    p = sw.plan_labels({"handset": "y"}, {"handset": "x"})
    assert p["adopted"] == ["handset"] and p["updated"] == ["handset"]
    assert p["labels"][sw.OWNED_LABELS_KEY] == "handset"


def test_plan_labels_empty_desired_removes_owned_and_owner_label():
    current = {"handset": "x", "tier": "app", sw.OWNED_LABELS_KEY: "tier"}
    p = sw.plan_labels({}, current)
    assert p["labels"] == {"handset": "x"} and p["removed"] == ["tier"]


def test_plan_labels_owned_key_already_gone_by_hand():
    p = sw.plan_labels({}, {sw.OWNED_LABELS_KEY: "tier"})
    assert p["labels"] == {} and p["removed"] == [] and p["changed"]


def test_plan_labels_custom_owner_key():
    p = sw.plan_labels({"a": "1"}, {"mine": "b", "b": "2"}, owner_key="mine")
    assert p["labels"] == {"a": "1", "mine": "a"}


def test_parse_owned_tolerates_spaces_and_empties():
    assert sw.parse_owned(" b, a,,a ") == ["a", "b"]
    assert sw.parse_owned(None) == []


def test_label_problems():
    assert sw.label_problems({"zone": "a"}) == []
    assert sw.label_problems(None) == []
    problems = sw.label_problems({"zone": 1, "a,b": "x", sw.OWNED_LABELS_KEY: "x", "ok": True})
    assert any("zone must be a string, got int" in p for p in problems)
    assert any("ok must be a string, got bool" in p for p in problems)
    assert any("must not contain a comma" in p for p in problems)
    assert any("is reserved" in p for p in problems)
    assert sw.label_problems(["a"]) == ["must be a dict of label: string, got list"]


# --------------------------------------------------------------------------- roles


def test_plan_roles():
    nodes = cluster(("a", "m1", "reachable"), ("b", "m2", "reachable"), ("w", "w1", None))
    promote, demote = sw.plan_roles(nodes, {"a": "manager", "b": "worker", "w": "manager", "zz": "worker"})
    assert promote == ["w"] and demote == ["b"]


# --------------------------------------------------------------------------- version retry


class FakeApi(object):
    """A node store with versions; raises 'update out of sequence' like swarmkit on a stale version."""

    def __init__(self, spec, bumps=0):
        self.node = {"ID": "n", "Version": {"Index": 5}, "Spec": spec}
        self.bumps = bumps  # concurrent changes that happen between our read and our write
        self.updates = []

    def inspect(self, node_id):
        return {"ID": node_id, "Version": dict(self.node["Version"]), "Spec": dict(self.node["Spec"])}

    def update(self, node_id, version, spec):
        if self.bumps:
            self.bumps -= 1
            self.node["Version"]["Index"] += 1
        if version != self.node["Version"]["Index"]:
            raise Exception("500 Server Error: rpc error: code = Unknown desc = update out of sequence")
        self.node["Spec"] = spec
        self.node["Version"]["Index"] += 1
        self.updates.append(spec)


def set_role(role):
    def mutate(spec):
        spec["Role"] = role
        return spec
    return mutate


def test_update_retries_out_of_sequence():
    api = FakeApi({"Role": "worker"}, bumps=2)
    assert sw.update_node_with_retry(api.inspect, api.update, "n", set_role("manager"), sleep=lambda s: None)
    assert api.node["Spec"]["Role"] == "manager" and len(api.updates) == 1


def test_update_no_change_sends_nothing():
    api = FakeApi({"Role": "manager"})
    assert not sw.update_node_with_retry(api.inspect, api.update, "n", set_role("manager"))
    assert api.updates == []


def test_update_gives_up_after_attempts():
    api = FakeApi({"Role": "worker"}, bumps=10)
    with pytest.raises(Exception, match="out of sequence"):
        sw.update_node_with_retry(api.inspect, api.update, "n", set_role("manager"), attempts=3, sleep=lambda s: None)


def test_update_other_errors_are_not_retried():
    calls = []

    def update(node_id, version, spec):
        calls.append(1)
        raise Exception("node not found")

    api = FakeApi({"Role": "worker"})
    with pytest.raises(Exception, match="not found"):
        sw.update_node_with_retry(api.inspect, update, "n", set_role("manager"), sleep=lambda s: None)
    assert len(calls) == 1


def test_with_promotions_counts_only_ready_nodes():
    nodes = [sw.node_summary(raw_node("a", "m1", "manager", reach="reachable")),
             sw.node_summary(raw_node("b", "w1")), sw.node_summary(raw_node("c", "w2", state="down"))]
    after = sw.with_promotions(nodes, ["b", "c"])
    assert [n["manager"] for n in after] == [True, True, False]
    assert after[1]["reachability"] == "reachable" and not nodes[1]["manager"]  # input untouched


class _InfoOnly(object):
    """Stands in for SwarmClient's HTTP layer in cluster_id()."""

    def __init__(self, swarm=None, error=None):
        self.swarm, self.error, self.calls = swarm, error, []

    def get_json(self, path):
        self.calls.append(path)
        if self.error:
            raise self.error
        return self.swarm


def test_cluster_id_from_info_needs_no_extra_call():
    http = _InfoOnly()
    assert sw.SwarmClient.cluster_id(http, {"Cluster": {"ID": "abc"}}) == "abc"
    assert http.calls == []


def test_cluster_id_falls_back_to_swarm_inspect_when_info_lacks_it():
    # /info right after a leader election: manager, but no Cluster section.
    http = _InfoOnly(swarm={"ID": "abc"})
    assert sw.SwarmClient.cluster_id(http, {"ControlAvailable": True}) == "abc"
    assert http.calls == ["/swarm"]


def test_cluster_id_is_empty_when_nothing_answers():
    http = _InfoOnly(error=sw.APIError("rpc error: no leader"))
    assert sw.SwarmClient.cluster_id(http, {"Cluster": None}) == ""
