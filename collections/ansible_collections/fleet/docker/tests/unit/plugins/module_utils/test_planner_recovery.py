"""Planner sections 5 (recovery, restore, init) and 6 (backup): every case, table-driven.

The enumeration: manager counts 1..9 x every set of managers Ansible reaches x what each
reached manager reports (sees a leader / no leader / engine down) x the operator naming the
unreached ones lost or not, for both recover and restore; one reachable worker lists every
manager's address (RemoteManagers), as real workers do. The expected verdict is the rule,
written out independently of the planner:

  refuse when any reached manager other than a recover's own target sees a leader, or when
  a manager is neither reached nor named lost; a recover whose target sees a leader forces
  nothing; a recover whose target's engine is down is refused.
"""

import itertools

import pytest

from ansible_collections.fleet.docker.plugins.module_utils import planner

SEES, NO_LEADER, DOWN, HUNG = "sees a leader", "no leader", "engine down", "engine not answering"
REPORTS = (SEES, NO_LEADER, DOWN)
WORKER = "wrk1"


def ip(i):
    return "10.0.0.%d" % (i + 1)


def fact(i, kind, manager=True):
    engine = kind not in (DOWN, HUNG)
    return {
        "docker": {"reachable": engine, "process": kind != DOWN},
        "swarm": {
            "state": "active" if engine else "unknown",
            "manager": manager and engine,
            "node_id": "id%d" % i if engine else "",
            "cluster_id": "c1" if kind == SEES else "",
            "node_addr": ip(i) if engine else "",
            "remote_managers": [],
        },
        "ipv4_addresses": [ip(i)],
        "default_ipv4": ip(i),
    }


def read(kind):
    if kind == SEES:
        return {"cluster": {"has_quorum": True, "id": "c1", "reachable_count": 2, "manager_count": 3}, "nodes": []}
    return {"failed": True, "msg": "The swarm does not have a leader", "cluster": {"has_quorum": False}}


def worker_fact(n):
    f = fact(100, NO_LEADER, manager=False)
    f["swarm"]["remote_managers"] = ["%s:2377" % ip(i) for i in range(n)]
    f["ipv4_addresses"] = ["10.0.1.1"]
    f["swarm"]["node_addr"] = "10.0.1.1"
    return f


def expected(action, n, reached, kinds, lost_all):
    """The rule, independently of the planner: (refuse, force)."""
    names = ["mgr%d" % i for i in range(n)]
    target = names[reached[0]]
    target_kind = kinds[0]
    if action == "recover" and target_kind in (DOWN, HUNG):
        return True, False
    healthy = action == "recover" and target_kind == SEES
    if healthy:
        return False, False
    others_see = any(k == SEES for idx, k in zip(reached, kinds) if names[idx] != target or action == "restore")
    unaccounted = (n - len(reached)) > 0 and not lost_all
    # a reached manager whose API does not answer while dockerd runs may still be a Raft
    # member of a majority (only the unreached managers are named lost here)
    hung = any(k == HUNG for idx, k in zip(reached, kinds) if names[idx] != target)
    refuse = others_see or unaccounted or hung
    assert target  # every case has a target
    return refuse, not refuse


def kinds_for(n):
    """Every report kind (with "engine not answering": dockerd runs, its API does not answer)
    for up to 5 managers; without it for 6 and 7; for 8 and 9 (1.3M cases with three kinds,
    minutes on a loaded CI machine) a leader seen or not, the other kinds being covered below."""
    if n <= 5:
        return REPORTS + (HUNG,)
    return REPORTS if n <= 7 else (SEES, NO_LEADER)


def cases(n):
    for size in range(1, n + 1):
        for reached in itertools.combinations(range(n), size):
            for kinds in itertools.product(kinds_for(n), repeat=size):
                for lost_all in (False, True):
                    for action in ("recover", "restore"):
                        yield reached, kinds, lost_all, action


def run(n, reached, kinds, lost_all, action):
    names = ["mgr%d" % i for i in range(n)]
    reports = {}
    for idx, kind in zip(reached, kinds):
        reports[names[idx]] = planner.host_report(fact(idx, kind), read(kind) if kind not in (DOWN, HUNG) else None)
    reports[WORKER] = planner.host_report(worker_fact(n))
    target = names[reached[0]]
    lost = [m for i, m in enumerate(names) if i not in reached] if lost_all else []
    return planner.recovery_plan(target, names, reports, target_reads=[read(kinds[0])] if kinds[0] not in (DOWN, HUNG) else [],
                                 lost=lost, action=action)


@pytest.mark.parametrize("n", range(1, 10))
def test_every_recovery_case(n):
    count = 0
    for reached, kinds, lost_all, action in cases(n):
        plan = run(n, reached, kinds, lost_all, action)
        refuse, force = expected(action, n, reached, kinds, lost_all)
        assert (plan["refuse"], plan["force"]) == (refuse, force), (n, reached, kinds, lost_all, action, plan["reason"])
        count += 1
    # sum over reached sets R of k^|R|, x2 (lost or not) x2 (recover, restore) = ((k+1)^n - 1) * 4
    assert count == recovery_case_count(n)


def recovery_case_count(n):
    return ((len(kinds_for(n)) + 1) ** n - 1) * 4


def test_recovery_case_count():
    """How many recovery cases the table covers (reported in the issue's closing note)."""
    assert sum(recovery_case_count(n) for n in range(1, 10)) == 202480


# ------------------------------------------------------------------ defect 5, named cases


def three(reports_kinds, worker=True):
    names = ["mgr0", "mgr1", "mgr2"]
    reports = dict((names[i], planner.host_report(fact(i, k), read(k) if k not in (DOWN, HUNG) else None))
                   for i, k in reports_kinds.items())
    if worker:
        reports[WORKER] = planner.host_report(worker_fact(3))
    return names, reports


def test_defect5_controller_cut_off_from_the_majority_is_refused():
    # mgr0 is cut off (no leader), mgr1 and mgr2 keep quorum but Ansible does not reach them.
    names, reports = three({0: NO_LEADER})
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)] * 2)
    assert plan["refuse"] and not plan["force"]
    assert plan["accounting"]["unaccounted"] == ["mgr1", "mgr2"]
    assert "managers unaccounted for: mgr1, mgr2" in plan["reason"]
    assert "-e swarm_recover_lost=mgr1,mgr2" in plan["reason"]


def test_defect5_operator_names_the_unreached_managers_lost():
    names, reports = three({0: NO_LEADER})
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)], lost="mgr1, mgr2")
    assert plan["force"] and not plan["refuse"], plan["reason"]
    assert plan["accounting"]["lost"][:2] == ["mgr1", "mgr2"]


def test_defect5_naming_one_of_two_is_not_enough():
    names, reports = three({0: NO_LEADER})
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)], lost="mgr1")
    assert plan["refuse"]
    assert "mgr2" in plan["accounting"]["unaccounted"]


def test_defect5_another_manager_sees_a_leader():
    names, reports = three({0: NO_LEADER, 1: SEES, 2: DOWN})
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)])
    assert plan["refuse"]
    assert plan["reason"].startswith("mgr1 sees a leader")


def test_defect5_managers_with_docker_stopped_are_accounted_for():
    # the old behaviour that stays: Ansible reaches the hosts and sees their engine down
    names, reports = three({0: NO_LEADER, 1: DOWN, 2: DOWN})
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)])
    assert plan["force"], plan["reason"]
    assert plan["down"] == ["mgr1", "mgr2"]


def test_a_manager_whose_engine_hangs_while_dockerd_runs_is_not_accounted_for():
    # Ansible reaches mgr1, its API does not answer, but a dockerd process runs there: its Raft
    # member may still be in a majority with mgr2 (which nobody reaches): refused, named.
    names, reports = three({0: NO_LEADER, 1: HUNG, 2: DOWN})
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)])
    assert plan["refuse"]
    assert plan["accounting"]["managers"]["mgr1"] == planner.UNRESPONSIVE
    assert plan["reason"].startswith("the Docker engine of mgr1 does not answer while dockerd runs there")
    assert "-e swarm_recover_lost=mgr1" in plan["reason"]
    # the operator names it lost: the recovery goes on
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)], lost="mgr1")
    assert plan["force"], plan["reason"]
    assert plan["accounting"]["managers"]["mgr1"] == "lost"


def test_a_fact_without_the_process_field_counts_as_running():
    names, reports = three({0: NO_LEADER, 1: DOWN, 2: DOWN})
    reports["mgr1"]["engine_process"] = None
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)])
    assert plan["refuse"] and plan["accounting"]["unresponsive"] == ["mgr1"]


def test_defect5_a_worker_lists_a_manager_outside_the_inventory():
    names, reports = three({0: NO_LEADER, 1: DOWN, 2: DOWN})
    reports[WORKER]["remote_managers"].append("10.9.9.9")
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)])
    assert plan["refuse"]
    assert plan["accounting"]["unaccounted"] == ["10.9.9.9"]
    assert "-e swarm_recover_lost=10.9.9.9" in plan["reason"]
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)], lost=["10.9.9.9:2377"])
    assert plan["force"], plan["reason"]


def test_defect5_unreached_manager_found_by_its_inventory_address():
    names, reports = three({0: NO_LEADER, 1: DOWN})
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)], lost="mgr2",
                                 inventory_addrs={"mgr2": ip(2)})
    assert plan["force"], plan["reason"]
    assert plan["accounting"]["addresses"] == {}


def test_defect5_restore_refused_while_a_worker_lists_unreached_managers():
    # every manager Ansible reaches has Docker stopped (looks like "all lost"), the others are cut off
    names, reports = three({0: DOWN})
    plan = planner.recovery_plan("mgr0", names, reports, action="restore")
    assert plan["refuse"]
    assert "Restoring a backup could fork a live swarm" in plan["reason"]


def test_defect5_restore_refused_when_the_target_sees_a_leader():
    names, reports = three({0: SEES, 1: DOWN, 2: DOWN})
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(SEES)], action="restore")
    assert plan["refuse"] and plan["reason"].startswith("mgr0 sees a leader")


def test_recover_with_quorum_on_the_target_forces_nothing():
    names, reports = three({0: SEES, 1: SEES, 2: DOWN})
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER), read(SEES)])
    assert plan["healthy"] and not plan["force"] and not plan["refuse"]


def test_recover_refuses_a_worker_target():
    names, reports = three({1: DOWN, 2: DOWN})
    reports["mgr0"] = planner.host_report(fact(0, NO_LEADER, manager=False))
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[])
    assert plan["refuse"] and "as a worker" in plan["reason"]


def test_unreached_target_is_refused():
    names, reports = three({1: DOWN, 2: DOWN})
    plan = planner.recovery_plan("mgr0", names, reports)
    assert plan["refuse"] and "not reached by Ansible" in plan["reason"]


def test_parse_names():
    assert planner.parse_names("a, b,,a") == ["a", "b"]
    assert planner.parse_names(["x", " y "]) == ["x", "y"]
    assert planner.parse_names(None) == [] and planner.parse_names("") == []


# ------------------------------------------------------------------ init (cluster_plan)


def init_inputs(n, reached, states, workers=()):
    names = ["mgr%d" % i for i in range(n)]
    hosts = names + list(workers)
    inputs = dict((h, {"state": "present", "advertise_addr": "", "role": "manager" if h in names else "worker"})
                  for h in hosts)
    facts = {}
    for idx, st in zip(reached, states):
        f = fact(idx, NO_LEADER)
        f["swarm"]["state"] = st
        f["swarm"]["manager"] = st == "active"
        f["swarm"]["cluster_id"] = "c1" if st == "active" else ""
        facts[names[idx]] = f
    return names, hosts, inputs, facts


@pytest.mark.parametrize("n", range(1, 10))
def test_every_init_case(n):
    """Init only when nobody reached is in a swarm, the bootstrap is reached and every other
    manager is reached or named lost."""
    count = 0
    for size in range(0, n + 1):
        for reached in itertools.combinations(range(n), size):
            for states in itertools.product(("inactive", "active"), repeat=size):
                for lost_all in (False, True):
                    names, hosts, inputs, facts = init_inputs(n, reached, states)
                    in_play = [names[i] for i in reached]
                    lost = [m for m in names if m not in in_play] if lost_all else []
                    plan = planner.cluster_plan(hosts, names, inputs, facts, in_play, lost=lost)
                    anyone_in_swarm = "active" in states
                    bootstrap = next((m for m in names if m not in lost), "")
                    want_init = (not anyone_in_swarm and bootstrap in in_play
                                 and all(m in in_play or m in lost for m in names))
                    assert plan["init"] == want_init, (n, reached, states, lost_all, plan["errors"])
                    if not anyone_in_swarm and not want_init:
                        assert plan["errors"], (n, reached, states, lost_all)
                    if want_init:
                        assert plan["chosen"] == bootstrap and bootstrap not in plan["joiners"]
                    count += 1
    assert count == 3 ** n * 2


def test_defect5_init_refused_while_managers_are_out_of_reach():
    # a fresh bootstrap host, the real managers cut off from the controller: no second swarm
    names, hosts, inputs, facts = init_inputs(3, [0], ["inactive"])
    plan = planner.cluster_plan(hosts, names, inputs, facts, ["mgr0"])
    assert not plan["init"]
    assert any("mgr1, mgr2 of swarm_managers did not answer" in e and "-e swarm_recover_lost=mgr1,mgr2" in e
               for e in plan["errors"]), plan["errors"]
    plan = planner.cluster_plan(hosts, names, inputs, facts, ["mgr0"], lost="mgr1,mgr2")
    assert plan["init"] and not plan["errors"] and plan["chosen"] == "mgr0"


def test_init_refused_when_a_worker_is_in_a_swarm():
    names, hosts, inputs, facts = init_inputs(1, [0], ["inactive"], workers=["wrk1"])
    wf = fact(9, NO_LEADER, manager=False)
    facts["wrk1"] = wf
    plan = planner.cluster_plan(hosts, names, inputs, facts, ["mgr0", "wrk1"])
    assert not plan["init"]
    assert any("refusing to create a second swarm" in e for e in plan["errors"])


def test_cluster_plan_uses_a_reachable_manager_and_lists_joiners():
    names, hosts, inputs, facts = init_inputs(3, [0, 1], ["inactive", "active"], workers=["wrk1"])
    facts["wrk1"] = dict(fact(9, NO_LEADER, manager=False))
    facts["wrk1"]["swarm"] = dict(facts["wrk1"]["swarm"], state="inactive", manager=False)
    plan = planner.cluster_plan(hosts, names, inputs, facts, ["mgr0", "mgr1", "wrk1"])
    assert not plan["init"] and plan["chosen"] == "mgr1" and plan["chosen_addr"] == ip(1)
    assert plan["joiners"] == ["mgr0", "wrk1"] and plan["members"] == ["mgr1"] and not plan["errors"]


def test_cluster_plan_split_cluster_and_bad_states():
    names, hosts, inputs, facts = init_inputs(3, [0, 1, 2], ["active", "active", "pending"])
    facts["mgr1"]["swarm"]["cluster_id"] = "c2"
    plan = planner.cluster_plan(hosts, names, inputs, facts, names)
    assert any(e.startswith("split cluster") for e in plan["errors"])
    assert any('mgr2: its swarm state is "pending"' in e for e in plan["errors"])


def test_cluster_plan_manager_without_leader_and_bad_address():
    names, hosts, inputs, facts = init_inputs(2, [0, 1], ["active", "active"])
    facts["mgr1"]["swarm"]["cluster_id"] = ""
    inputs["mgr0"]["advertise_addr"] = "192.0.2.1"
    plan = planner.cluster_plan(hosts, names, inputs, facts, names)
    assert any("mgr1: a manager that sees no leader" in e for e in plan["errors"])
    assert any("mgr0: swarm_advertise_addr 192.0.2.1 is not an address of this host" in e for e in plan["errors"])


def test_cluster_plan_absent_hosts_are_leaving():
    names, hosts, inputs, facts = init_inputs(3, [0, 1], ["active", "active"])
    inputs["mgr1"]["state"] = "absent"
    inputs["mgr2"]["state"] = "absent"
    plan = planner.cluster_plan(hosts, names, inputs, facts, ["mgr0", "mgr1"], absent=["mgr1", "mgr2"])
    assert plan["leaving"] == ["id1", "mgr2"] and plan["present_managers"] == ["mgr0"] and plan["chosen"] == "mgr0"


# ------------------------------------------------------------------ who is reset


def node(i, role="manager", state="ready", reach="reachable", hostname=None, addr=None):
    return {"id": "id%d" % i, "hostname": hostname or "mgr%d" % i, "role": role, "state": state,
            "manager": role == "manager", "reachability": reach if role == "manager" else "",
            "addr": addr or ip(i), "manager_addr": "%s:2377" % (addr or ip(i)) if role == "manager" else ""}


def host(i, state="active", manager=True, cluster="c1", node_id=None, remote=None):
    f = fact(i, NO_LEADER)
    f["swarm"].update(state=state, manager=manager, cluster_id=cluster,
                      node_id=node_id if node_id is not None else "id%d" % i, remote_managers=remote or [])
    return f


def view(nodes):
    return {"cluster": {"local_node_id": "id0", "id": "c1"}, "nodes": nodes}


def test_reset_plan_recover_resets_only_the_stuck_and_unknown():
    v = view([node(0), node(1), node(2, reach="unreachable", state="down"), node(3, role="worker", hostname="wrk3")])
    facts = {"mgr1": host(1), "mgr2": host(2, cluster=""), "wrk3": host(3, manager=False, cluster=""),
             "wrk4": host(4, manager=False, cluster="", node_id="idX", remote=["%s:2377" % ip(0)]),
             "far": host(5, manager=False, cluster="", node_id="idY", remote=["192.0.2.9:2377"])}
    stuck = planner.stuck_hosts(facts)
    assert stuck == ["mgr2"]
    plan = planner.reset_plan("mgr0", facts, v, stuck=stuck)
    assert plan["hosts"] == ["mgr2", "wrk4"]  # mgr2 stuck and cut off, wrk4 unknown but ours
    assert plan["foreign"] == ["far"]
    assert plan["stale_ids"] == [{"id": "id2", "host": "mgr2"}]


def test_reset_plan_restore_resets_every_other_manager_and_unready_workers():
    v = view([node(0), node(1, reach="unreachable", state="down"), node(2, reach="unreachable", state="unknown"),
              node(3, role="worker", hostname="wrk3"), node(4, role="worker", hostname="wrk4", state="down")])
    facts = {"mgr1": host(1), "wrk3": host(3, manager=False, cluster=""), "wrk4": host(4, manager=False, cluster="")}
    plan = planner.reset_plan("mgr0", facts, v, restore=True, states={"wrk3": "present"})
    assert plan["hosts"] == ["mgr1", "wrk4"]
    assert [s["id"] for s in plan["stale_ids"]] == ["id1", "id4", "id2"]


def test_reset_plan_leaves_absent_and_inactive_hosts():
    v = view([node(0)])
    facts = {"mgr1": host(1, node_id="idZ"), "wrk3": host(3, state="inactive", manager=False, cluster="", node_id="")}
    plan = planner.reset_plan("mgr0", facts, v, states={"mgr1": "absent"})
    assert plan == {"hosts": [], "foreign": [], "stale_ids": []}


# ------------------------------------------------------------------ backup plan


def cluster_of(n, reachable, leader=0):
    return {"id": "c1", "manager_count": n, "reachable_count": reachable,
            "reachable_managers": ["id%d" % i for i in range(reachable)],
            "unreachable_managers": ["id%d" % i for i in range(reachable, n)], "leader": "id%d" % leader}


@pytest.mark.parametrize("n", range(1, 10))
def test_every_backup_case(n):
    """Stopping Docker on one of n managers with r reachable: allowed when r - 1 >= floor(n/2)+1, or n == 1."""
    for r in range(1, n + 1):
        managers = ["mgr%d" % i for i in range(r)]
        ids = dict((m, "id%d" % i) for i, m in enumerate(managers))
        nodes = [node(i, reach="reachable" if i < r else "unreachable") for i in range(n)]
        plan = planner.backup_plan(managers, ids, cluster_of(n, r), nodes, stamp="20261201T000000Z")
        assert plan["ok"] == (n == 1 or r - 1 >= n // 2 + 1), (n, r, plan["reason"])
        if r > 1:
            assert plan["host"] == "mgr1" and not plan["leader"] and plan["via"] == "mgr0"
        if not plan["ok"]:
            assert "would leave %d reachable manager(s) of %d; a majority needs %d" % (r - 1, n, n // 2 + 1) in plan["reason"]


def test_backup_plan_requested_host_and_names():
    nodes = [node(0), node(1), node(2)]
    nodes[2]["availability"] = "pause"
    plan = planner.backup_plan(["mgr0", "mgr1", "mgr2"], {"mgr0": "id0", "mgr1": "id1", "mgr2": "id2"},
                               cluster_of(3, 3), nodes, requested="mgr2", stamp="S")
    assert plan["ok"] and plan["host"] == "mgr2" and plan["via"] == "mgr0" and plan["availability"] == "pause"
    assert plan["name"] == "swarm-mgr2-c1-S.tar.gz"
    bad = planner.backup_plan(["mgr0"], {"mgr0": "id0"}, cluster_of(3, 3), nodes, requested="wrk9")
    assert not bad["ok"] and "swarm_backup_host wrk9 is not a reachable manager" in bad["reason"]
    none = planner.backup_plan([], {}, {}, [])
    assert not none["ok"] and "no host of swarm_managers answers" in none["reason"]


def test_after_a_restore_the_archived_manager_list_is_not_evidence():
    # the restored state lists managers of backup time (one of them long gone, 10.9.9.9)
    names, reports = three({0: NO_LEADER, 1: DOWN, 2: DOWN}, worker=False)
    reports["mgr0"]["remote_managers"] = [ip(0), ip(1), "10.9.9.9"]
    assert planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)])["refuse"]
    plan = planner.recovery_plan("mgr0", names, reports, target_reads=[read(NO_LEADER)], restored=True)
    assert plan["force"], plan["reason"]


# ------------------------------------------------------------------ members in a different swarm

@pytest.mark.parametrize("kinds", list(itertools.product(["listed", "unlisted", "no-id", "no-fact"], repeat=3)))
def test_strangers_every_combination(kinds):
    """Each of 3 members: its NodeID in the manager's list, another NodeID, no NodeID, no fact."""
    members = ["h1", "h2", "h3"]
    facts, ids = {}, ["N-other"]
    for h, kind in zip(members, kinds):
        if kind == "listed":
            ids.append("N-" + h)
        if kind in ("listed", "unlisted"):
            facts[h] = {"swarm": {"node_id": "N-" + h}}
        elif kind == "no-id":
            facts[h] = {"swarm": {"node_id": ""}}
    want = [h for h, kind in zip(members, kinds) if kind != "listed"]
    assert planner.strangers(members, facts, ids) == want
