"""module_utils.planner, sections 1-4: Raft rules (exhaustive), restart plan, removal plan,
availability bookkeeping. Named cases for defects 1, 2, 4 and 6 of issue 9.

The Raft tables enumerate, without sampling, every manager count N in 1..9, every subset
of managers that are already unreachable, every manager as the target, and every action
(restart, take-down, restart with a control-plane outage accepted, demote, remove, drain):
sum over N of N * 2**N = 8194 cases per action, 49164 in all (RAFT_CASES below; run with
`pytest -s` to see the count). The expected verdict is written here from facts.md
"Quorum for restarts vs removals", independently of the planner's code.
"""

import itertools

import pytest

from ansible_collections.fleet.docker.plugins.module_utils import planner as pl
from ansible_collections.fleet.docker.plugins.module_utils import swarm as sw

ACTIONS = ("restart", "take-down", "restart+outage", "demote", "remove", "drain")
COUNTS = range(1, 10)
RAFT_CASES = sum(n * 2 ** n for n in COUNTS) * len(ACTIONS)


def managers(n, unreachable=(), workers=0):
    nodes = [{"id": "m%d" % i, "hostname": "mgr%d" % i, "manager": True, "availability": "active", "labels": {},
              "reachability": "unreachable" if i in unreachable else "reachable", "leader": i == 0}
             for i in range(n)]
    nodes += [{"id": "w%d" % i, "hostname": "wrk%d" % i, "manager": False, "availability": "active", "labels": {},
               "reachability": "", "leader": False} for i in range(workers)]
    return nodes


def expected(action, n, unreachable, target):
    """The rule, from facts.md, for one manager `target` of `n`, `unreachable` already down."""
    reachable = n - len(unreachable)
    target_reachable = target not in unreachable
    if action in ("restart", "take-down", "restart+outage"):
        ok = reachable - (1 if target_reachable else 0) >= n // 2 + 1  # floor(N/2)+1 of ALL N
        if action == "restart+outage" and n <= 2 and not unreachable:
            ok = True  # the documented opt-in: 1 or 2 managers, all reachable
        return ok
    if action in ("demote", "remove"):
        remaining = n - 1
        if remaining == 0:
            return False  # never the last manager
        return reachable - (1 if target_reachable else 0) >= remaining // 2 + 1  # majority of the remaining
    if action == "drain":
        return True  # no change of Raft membership
    raise AssertionError(action)


def verdict(action, nodes, target):
    if action == "restart+outage":
        return pl.raft_verdict(nodes, "restart", [target], allow_outage=True)
    return pl.raft_verdict(nodes, action, [target])


def raft_cases(n):
    for size in range(n + 1):
        for unreachable in itertools.combinations(range(n), size):
            for target in range(n):
                for action in ACTIONS:
                    yield action, unreachable, target


_SEEN = {"cases": 0}


@pytest.mark.parametrize("n", COUNTS)
def test_raft_rules_exhaustive(n):
    mismatches = []
    for action, unreachable, target in raft_cases(n):
        _SEEN["cases"] += 1
        v = verdict(action, managers(n, unreachable), "m%d" % target)
        want = expected(action, n, set(unreachable), target)
        if v["ok"] != want:
            mismatches.append((action, n, unreachable, target, v["reason"]))
            continue
        if not v["ok"]:
            # a refusal names the host and the rule
            assert "mgr%d" % target in v["reason"]
            assert ("floor(N/2)+1 of ALL N" in v["reason"] or "a majority needs" in v["reason"]
                    or "would leave no manager" in v["reason"]), v["reason"]
    assert not mismatches, "%d mismatches, first: %r" % (len(mismatches), mismatches[:3])


def test_raft_case_count():
    """Runs after the exhaustive tests (file order): every case was enumerated."""
    want = sum(len(list(raft_cases(n))) for n in COUNTS)
    assert want == RAFT_CASES == 49164
    if _SEEN["cases"]:
        assert _SEEN["cases"] == RAFT_CASES
    print("\nRaft cases enumerated: %d (N=1..9, every unreachable subset, every target, %d actions)"
          % (RAFT_CASES, len(ACTIONS)))


@pytest.mark.parametrize("n", COUNTS)
def test_workers_never_count(n):
    for size in range(n + 1):
        for unreachable in itertools.combinations(range(n), size):
            nodes = managers(n, unreachable, workers=2)
            for action in ("restart", "take-down", "demote", "remove", "drain"):
                assert pl.raft_verdict(nodes, action, ["w1"])["ok"] is (
                    action not in ("demote", "remove") or (n - len(unreachable)) >= n // 2 + 1)


@pytest.mark.parametrize("n", range(1, 7))
def test_taking_several_down_together(n):
    """Every subset taken down at once, against every unreachable subset (all-N rule)."""
    ids = range(n)
    for size in range(n + 1):
        for unreachable in itertools.combinations(ids, size):
            for k in range(1, n + 1):
                for down in itertools.combinations(ids, k):
                    v = pl.take_down_verdict(managers(n, unreachable), ["m%d" % i for i in down])
                    reachable_after = len([i for i in ids if i not in unreachable and i not in down])
                    assert v["ok"] is (reachable_after >= n // 2 + 1), (n, unreachable, down)


def test_unknown_action_is_an_error():
    with pytest.raises(ValueError):
        pl.raft_verdict(managers(3), "recover", ["m0"])


# --------------------------------------------------------------------------- defect 1, named


def test_defect1_four_managers_one_down_restart_is_refused_but_removal_rule_would_allow():
    nodes = managers(4, unreachable=[3])
    restart = pl.take_down_verdict(nodes, ["m1"])
    assert not restart["ok"]
    assert restart["reason"] == (
        "restarting mgr1 would leave 2 of 4 managers reachable; quorum needs 3 of all 4 (a restarted manager "
        "stays a Raft member: quorum needs floor(N/2)+1 of ALL N managers reachable); unreachable already: mgr3")
    # the rule the restart guard used before the fix (majority of the remaining) says yes
    assert sw.quorum_after(nodes, ["m1"])["ok"]


def test_defect1_two_managers_restart_refused_unless_outage_accepted():
    v = pl.take_down_verdict(managers(2), ["m0"])
    assert not v["ok"]
    assert "docker_daemon_allow_control_plane_outage" in v["reason"]
    v = pl.take_down_verdict(managers(2), ["m0"], allow_outage=True)
    assert v["ok"] and v["outage"]
    # the opt-in never covers a swarm of 2 with one already down, nor 3 or more managers
    assert not pl.take_down_verdict(managers(2, unreachable=[1]), ["m0"], allow_outage=True)["ok"]
    assert not pl.take_down_verdict(managers(3, unreachable=[2]), ["m0"], allow_outage=True)["ok"]


def test_defect1_single_manager():
    assert not pl.take_down_verdict(managers(1), ["m0"])["ok"]
    assert pl.take_down_verdict(managers(1), ["m0"], allow_outage=True)["ok"]
    assert not pl.membership_verdict(managers(1), ["m0"])["ok"]


def test_quorum_after_keeps_its_result_keys():
    q = sw.quorum_after(managers(3), ["m2"])
    for key in ("leaving", "leaving_managers", "managers_before", "reachable_before", "managers_after",
                "reachable_after", "needed", "tolerance_after", "unreachable_after", "ok", "reason"):
        assert key in q
    assert q["ok"] and q["managers_after"] == 2 and q["needed"] == 2


# --------------------------------------------------------------------------- 2. restart plan


def host(name, action="restart", state="active", manager=False, node_id=None, engine="up", serial=False):
    return {"name": name, "action": action, "engine": engine, "serial_reload": serial,
            "swarm": {"state": state, "node_id": node_id or ("id-" + name), "manager": manager}}


def cand(name, reachable=True, state="active", manager=True):
    return {"name": name, "reachable": reachable, "swarm": {"state": state, "manager": manager, "node_id": "id-" + name}}


def cluster_of(manager_names, worker_names=(), unreachable=(), leader=None):
    nodes = []
    for m in manager_names:
        nodes.append({"id": "id-" + m, "hostname": m, "manager": True, "leader": m == (leader or manager_names[0]),
                      "reachability": "unreachable" if m in unreachable else "reachable", "labels": {},
                      "availability": "active"})
    for w in worker_names:
        nodes.append({"id": "id-" + w, "hostname": w, "manager": False, "leader": False, "reachability": "",
                      "labels": {}, "availability": "active"})
    return nodes


def test_plan_order_workers_first_leader_last_and_drivers():
    hosts = [host("m1", manager=True), host("m2", manager=True), host("m3", manager=True), host("w1"),
             host("plain", state="inactive"), host("r", action="reload"), host("nothing", action="none")]
    cands = [cand("m1"), cand("m2"), cand("m3")]
    plan = pl.restart_plan(hosts, cands, cluster_of(["m1", "m2", "m3"], ["w1"], leader="m1"))
    assert plan["ok"], plan["problems"]
    assert [s["name"] for s in plan["steps"]] == ["w1", "m2", "m3", "m1"]
    assert [s["driver"] for s in plan["steps"]] == ["m1", "m1", "m1", "m2"]
    assert plan["parallel"] == ["plain", "r"]
    assert plan["cluster_driver"] == "m1"


def test_defect1_plan_four_managers_one_stopped_refuses_every_manager_restart():
    hosts = [host(m, manager=True) for m in ("m1", "m2", "m3")] + [host("w1")]
    cands = [cand("m1"), cand("m2"), cand("m3"), cand("m4", reachable=False)]
    plan = pl.restart_plan(hosts, cands, cluster_of(["m1", "m2", "m3", "m4"], ["w1"], unreachable=["m4"]))
    assert not plan["ok"]
    assert len(plan["problems"]) == 3
    assert all("floor(N/2)+1 of ALL N" in p for p in plan["problems"])
    assert plan["steps"][0]["name"] == "w1" and plan["steps"][0]["verdict"]["ok"]


def test_defect2_limit_to_one_manager_uses_a_manager_outside_the_play():
    # --limit m2: only m2 is in the play; m1 (outside the play) is asked and drives
    plan = pl.restart_plan([host("m2", manager=True)], [cand("m2"), cand("m1"), cand("m3")],
                           cluster_of(["m1", "m2", "m3"]))
    assert plan["ok"]
    assert plan["steps"][0]["driver"] == "m1"


def test_defect2_limit_while_another_manager_is_stopped_is_refused():
    plan = pl.restart_plan([host("m2", manager=True)],
                           [cand("m2"), cand("m1"), cand("m3"), cand("m4", state="unknown")],
                           cluster_of(["m1", "m2", "m3", "m4"], unreachable=["m4"]))
    assert not plan["ok"]
    assert "m2: refusing to restart it" in plan["problems"][0]
    assert "floor(N/2)+1 of ALL N" in plan["problems"][0]


def test_defect2_no_manager_answers_refuses_naming_why():
    plan = pl.restart_plan([host("w1")], [cand("m1", reachable=False), cand("m2", state="unknown")], None)
    assert not plan["ok"]
    assert plan["problems"] == [
        "w1: refusing to restart it: no manager of the inventory answers as an active swarm manager to drain it "
        "and check quorum (asked: m1 (unreachable), m2 (engine does not answer))"]


def test_plan_only_manager_with_outage_drives_itself():
    hosts = [host("m1", manager=True), host("w1")]
    plan = pl.restart_plan(hosts, [cand("m1")], cluster_of(["m1"], ["w1"]), allow_outage=True)
    assert plan["ok"], plan["problems"]
    assert [(s["name"], s["driver"]) for s in plan["steps"]] == [("w1", "m1"), ("m1", "m1")]
    refused = pl.restart_plan(hosts, [cand("m1")], cluster_of(["m1"], ["w1"]))
    assert not refused["ok"]
    assert "docker_daemon_allow_control_plane_outage" in refused["problems"][0]


def test_plan_two_managers_with_outage_driven_by_the_other():
    plan = pl.restart_plan([host("m1", manager=True)], [cand("m1"), cand("m2")], cluster_of(["m1", "m2"]),
                           allow_outage=True)
    assert plan["ok"] and plan["steps"][0]["driver"] == "m2"


def test_defect6_unresponsive_engine_stops_the_plan():
    plan = pl.restart_plan([host("m1", action="reload", state="unknown", engine="unresponsive"), host("p", state="inactive")],
                           [cand("m2")], cluster_of(["m1", "m2", "m3"]))
    assert not plan["ok"]
    assert plan["problems"][0].startswith("m1: dockerd runs but its API did not answer, so its swarm state is unknown")
    assert "m1" not in plan["parallel"]


def test_defect6_unknown_state_without_engine_field_is_unresponsive():
    plan = pl.restart_plan([{"name": "x", "action": "restart", "swarm": {"state": "unknown"}}], [], None)
    assert not plan["ok"] and "swarm state is unknown" in plan["problems"][0]


def test_engine_down_is_started_in_parallel():
    plan = pl.restart_plan([host("x", state="unknown", engine="down")], [], None)
    assert plan["ok"] and plan["parallel"] == ["x"]


def test_defect3_plugin_reloads_are_serial():
    plan = pl.restart_plan([host("a", action="reload", serial=True), host("b", action="reload"),
                            host("c", action="reload", serial=True)], [cand("a")], None)
    assert plan["serial_reloads"] == ["a", "c"] and plan["parallel"] == ["b"]


def test_plan_node_not_in_cluster_is_refused():
    plan = pl.restart_plan([host("w9")], [cand("m1")], cluster_of(["m1"]))
    assert not plan["ok"] and "is not in the swarm m1 sees" in plan["problems"][0]


# --------------------------------------------------------------------------- 3. removal plan


def test_requested_removals():
    assert pl.requested_removals(" a, b,,a ", ["c", "b"]) == ["a", "b", "c"]
    assert pl.requested_removals(["x"]) == ["x"]
    assert pl.requested_removals(None) == []


def _hosts(**kw):
    out = {}
    for name, state in kw.items():
        if state is None:
            out[name] = {"swarm": None, "ansible_host": "10.0.0.%d" % len(out)}
        else:
            out[name] = {"swarm": {"state": state[0], "manager": state[1], "node_id": "id-" + name},
                         "default_ipv4": "10.0.0.%d" % len(out), "in_play": True}
    return out


def test_removal_plan_driver_and_targets():
    hosts = _hosts(m1=("active", True), m2=("active", True), w1=("active", False), w2=None)
    plan = pl.removal_plan(["m1", "w1", "w2"], ["m1", "m2", "w1", "w2"], ["m1", "m2"], hosts)
    assert plan["driver"] == "m2" and not plan["problem"]
    assert plan["targets"][1] == {"name": "w1", "hostname": "w1", "left": False, "node_id": "id-w1", "addr": "10.0.0.2"}
    assert plan["targets"][2] == {"name": "w2", "hostname": "w2", "left": False, "addr": "10.0.0.3"}


def test_removal_plan_refusals():
    hosts = _hosts(m1=("active", True), w1=("active", False))
    assert "would leave no manager" in pl.removal_plan(["m1"], ["m1", "w1"], ["m1"], hosts)["problem"]
    assert "not in swarm_managers" in pl.removal_plan(["zz"], ["m1", "w1"], ["m1"], hosts)["problem"]
    down = _hosts(m1=None, w1=("active", False))
    assert "answered as an active swarm manager" in pl.removal_plan(["w1"], ["m1", "w1"], ["m1"], down)["problem"]


# --------------------------------------------------------------------------- 4. availability


def test_defect4_drain_records_and_give_back_restores():
    spec = {"Availability": "pause", "Labels": {"tier": "app"}}
    drained = pl.drain_spec(spec)
    assert drained == {"Availability": "drain", "Labels": {"tier": "app", pl.RESTORE_LABEL: "pause"}}
    # killed right here; the next run drains again: the record from before is kept
    again = pl.drain_spec(drained)
    assert again["Labels"][pl.RESTORE_LABEL] == "pause"
    assert pl.availability_to_give_back(again["Availability"], again["Labels"]) == "pause"
    back = pl.give_back_spec(again, fallback="active")
    assert back == {"Availability": "pause", "Labels": {"tier": "app"}}


def test_defect4_without_record_an_operator_drain_is_kept():
    spec = {"Availability": "drain", "Labels": {}}
    assert pl.drain_spec(spec)["Labels"][pl.RESTORE_LABEL] == "drain"
    assert pl.give_back_spec(spec) == spec
    assert pl.give_back_spec(spec, fallback="active")["Availability"] == "active"


def test_defect4_pending_give_backs():
    nodes = [{"id": "a", "hostname": "w1", "availability": "drain", "labels": {pl.RESTORE_LABEL: "active"}},
             {"id": "b", "hostname": "w2", "availability": "active", "labels": {}},
             {"id": "c", "hostname": "w3", "availability": "drain", "labels": {pl.RESTORE_LABEL: "bogus"}}]
    assert pl.pending_give_backs(nodes) == [{"id": "a", "hostname": "w1", "from": "drain", "to": "active"},
                                            {"id": "c", "hostname": "w3", "from": "drain", "to": "drain"}]


def test_defect4_label_convergence_keeps_the_record():
    current = {pl.RESTORE_LABEL: "active", "tier": "app", sw.OWNED_LABELS_KEY: "tier," + pl.RESTORE_LABEL}
    plan = sw.plan_labels({}, current)
    assert plan["labels"][pl.RESTORE_LABEL] == "active"
    assert sw.label_problems({pl.RESTORE_LABEL: "active"})


# --------------------------------------------------------------------------- in-place apply (issue 12)

IN_PLACE = [
    # action, serial_reload, engine, swarm state, expected
    ("restart", False, "up", "inactive", True),
    ("reload", False, "up", "inactive", True),
    ("reload", True, "up", "inactive", False),     # plugin keys: one host at a time, waited out
    ("restart", False, "down", "unknown", True),   # dockerd down, no swarm state on disk
    ("restart", False, "down", "active", False),   # swarm state on disk: a stopped swarm node
    ("restart", False, "up", "active", False),
    ("reload", False, "up", "active", False),      # swarm members stay with the plan (all or nothing)
    ("restart", False, "up", "pending", False),
    ("restart", False, "up", "error", False),
    ("restart", False, "up", "locked", False),
    ("restart", False, "up", "unknown", False),    # the engine answered without a swarm state
    ("restart", False, "unresponsive", "unknown", False),
    ("restart", False, "unresponsive", "inactive", False),
    ("none", False, "up", "inactive", False),
    ("", False, "up", "inactive", False),
]


@pytest.mark.parametrize("action, serial, engine, state, expected", IN_PLACE)
def test_applies_in_place(action, serial, engine, state, expected):
    assert pl.applies_in_place(action, serial, engine, state) is expected


@pytest.mark.parametrize("action, serial, engine, state, expected", IN_PLACE)
def test_in_place_only_where_the_plan_would_run_it_in_parallel_without_a_problem(action, serial, engine, state,
                                                                                 expected):
    host = {"name": "h", "action": action, "serial_reload": serial, "engine": engine,
            "swarm": {"state": state, "node_id": "id-h" if state == "active" else "", "manager": False}}
    plan = pl.restart_plan([host], [], cluster=None)
    if expected:
        assert plan["parallel"] == ["h"] and plan["ok"] and plan["steps"] == []


@pytest.mark.parametrize("reports, expected", [
    ([], True),                              # nobody could tell: ask
    ([None, None], True),
    ([[], None], False),                     # one manager listed the nodes, no record
    ([[], [], None], False),
    ([["wrk1"], None], True),
    ([[], ["wrk1"]], True),                  # any manager that sees a record wins
    ([None, ["mgr2", "wrk1"]], True),
])
def test_give_back_needed(reports, expected):
    assert pl.give_back_needed(reports) is expected


# ------------------------------------------------------------------ whether the apply phase runs

WORK_KEYS = ("parallel", "serial_reloads", "steps", "problems")


@pytest.mark.parametrize("filled", [c for n in range(len(WORK_KEYS) + 1) for c in itertools.combinations(WORK_KEYS, n)])
@pytest.mark.parametrize("give_back", [False, True])
@pytest.mark.parametrize("driver", ["", "mgr1"])
@pytest.mark.parametrize("in_swarm", [[], ["w1"]])
def test_restart_work_table(filled, give_back, driver, in_swarm):
    plan = dict((k, ["h1"] if k in filled else []) for k in WORK_KEYS)
    plan.update(give_back=give_back, cluster_driver=driver, ok=not plan["problems"], in_swarm=in_swarm)
    # a give-back needs a manager: one in the play, or one outside it asked because a host is in a swarm
    assert pl.restart_work(plan) is bool(filled or (give_back and (driver or in_swarm)))


def test_restart_work_of_real_plans():
    up = {"state": "active", "node_id": "W", "manager": False}
    idle = [{"name": "w1", "action": "none", "engine": "up", "swarm": up}]
    assert not pl.restart_work(pl.restart_plan(idle, []))
    busy = [dict(idle[0], action="restart")]
    assert pl.restart_work(pl.restart_plan(busy, []))  # refused: still shown
