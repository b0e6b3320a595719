"""module_utils.planner, section 7: the join preflight (issue 13, section 2).

Shapes are enumerated, not sampled: 1..6 hosts (1..5 for the verdict), every assignment of each host to
{manager, worker} x {already a member, new}, kept when the swarm role could produce it
(cluster_plan: a member manager drives; without members the swarm is created on the first
manager). For every shape the plan is checked against the pairs the issue names, written
here independently of the planner's code, and the verdict against every single fault:
each probe blocked, each listener port in use, each host without a report, each pair of
hosts sharing each identity field, each host's clock just inside and just past the bound.
"""

import itertools
from math import comb

import pytest

from ansible_collections.fleet.docker.plugins.module_utils import planner as pl

SKEW = 30.0


def shapes(max_hosts=6):
    """(hosts, roles, members, cluster) for every shape cluster_plan can hand over."""
    for n in range(1, max_hosts + 1):
        hosts = ["h%d" % i for i in range(n)]
        for kinds in itertools.product(("manager", "worker"), repeat=n):
            if "manager" not in kinds:
                continue
            roles = dict(zip(hosts, kinds))
            for member_bits in itertools.product((False, True), repeat=n):
                members = [h for h, m in zip(hosts, member_bits) if m]
                manager_members = [h for h in members if roles[h] == "manager"]
                if members and not manager_members:
                    continue  # members without a reachable manager: cluster_plan refuses before this
                init = not members
                chosen = manager_members[0] if members else [h for h in hosts if roles[h] == "manager"][0]
                joiners = [h for h in hosts if h not in members and h != chosen]
                addrs = dict((h, "10.0.0.%d" % (i + 1)) for i, h in enumerate(hosts))
                cluster = {"chosen": chosen, "chosen_addr": "10.1.0.%d" % (hosts.index(chosen) + 1) if members
                           else addrs[chosen], "init": init, "joiners": joiners, "members": members, "addrs": addrs}
                yield hosts, roles, members, cluster


def facts_for(hosts, members):
    # members are reached at the address the swarm has for them (node_addr), not the input
    return dict((h, {"swarm": {"node_addr": "10.1.0.%d" % (i + 1)} if h in members else {}})
                for i, h in enumerate(hosts))


SHAPES = list(shapes())


def expected_pairs(hosts, roles, members, cluster):
    """The issue's pairs: joiner -> the manager's 2377; joiner -> every peer's 7946; the manager
    -> each joiner's 7946; plus the manager -> a joining manager's 2377 (its Raft port)."""
    chosen, joiners = cluster["chosen"], cluster["joiners"]
    nodes = [h for h in hosts if h in members or h in joiners or h == chosen]
    pairs = set()
    for j in joiners:
        pairs.add((j, chosen, 2377))
        pairs.update((j, p, 7946) for p in nodes if p != j)
        pairs.add((chosen, j, 7946))
        if roles[j] == "manager":
            pairs.add((chosen, j, 2377))
    return pairs


def addr_of(h, hosts, members, cluster):
    i = hosts.index(h) + 1
    return "10.1.0.%d" % i if h in members else "10.0.0.%d" % i


def test_shape_count():
    # n hosts, k of them managers (k >= 1): no member (the swarm is created), or any member
    # set holding at least one manager, (2**k - 1) * 2**(n - k) of them
    want = sum(comb(n, k) * (1 + (2 ** k - 1) * 2 ** (n - k)) for n in range(1, 7) for k in range(1, n + 1))
    assert len(SHAPES) == want == 4488


@pytest.mark.parametrize("hosts,roles,members,cluster", SHAPES)
def test_plan_probes_exactly_the_pairs(hosts, roles, members, cluster):
    plan = pl.join_preflight_plan(cluster, facts_for(hosts, members), roles)
    got = set((src, t["host"], t["port"]) for src, items in plan["probe"].items() for t in items)
    assert got == expected_pairs(hosts, roles, members, cluster)
    for src, items in plan["probe"].items():
        assert len(items) == len(set((t["host"], t["port"]) for t in items)), "a pair probed twice"
        for t in items:
            assert t["host"] != src
            assert t["addr"] == addr_of(t["host"], hosts, members, cluster)
    new = set(cluster["joiners"]) | ({cluster["chosen"]} if cluster["init"] else set())
    if not cluster["joiners"]:
        assert plan == {"hosts": [], "new": [], "listen": {}, "expect": {}, "probe": {},
                        "reference": cluster["chosen"]}
        return
    assert set(plan["new"]) == new
    assert set(plan["hosts"]) == set(members) | new
    # stand-in listeners: on new nodes only (members' dockerd listens), exactly the probed ports
    want_listen = {}
    for _source, target, port in expected_pairs(hosts, roles, members, cluster):
        if target in new:
            want_listen.setdefault(target, set()).add(port)
    assert dict((h, set(p)) for h, p in plan["listen"].items()) == want_listen
    # each listener waits for exactly the probes aimed at it (one entry per prober and port)
    want_expect = {}
    for _source, target, port in expected_pairs(hosts, roles, members, cluster):
        if target in new:
            want_expect.setdefault(target, []).append(port)
    assert plan["expect"] == dict((h, sorted(p)) for h, p in want_expect.items())
    assert plan["reference"] == cluster["chosen"]


def ok_reports(plan):
    reports = {}
    for i, h in enumerate(plan["hosts"]):
        reports[h] = {"in_use": [], "clock_offset": 0.5, "probes": [dict(t, ok=True, error="") for t in
                                                                    plan["probe"].get(h, [])],
                      "identity": {"hostname": h, "machine_id": "mid-%d" % i, "engine_id": "eid-%d" % i}}
    return reports


# every single fault for every shape of up to 5 hosts (6 hosts add ~20 s and no new kind of case)
JOIN_SHAPES = [s for s in shapes(5) if s[3]["joiners"]]


@pytest.mark.parametrize("hosts,roles,members,cluster", JOIN_SHAPES)
def test_verdict_every_single_fault(hosts, roles, members, cluster):
    plan = pl.join_preflight_plan(cluster, facts_for(hosts, members), roles)
    good = ok_reports(plan)
    assert pl.join_preflight_verdict(plan, good, SKEW) == []
    ref = plan["reference"]
    new = set(plan["new"])
    # each probe blocked: one refusal, naming source, target, address and port
    for src, items in plan["probe"].items():
        for k, t in enumerate(items):
            reports = ok_reports(plan)
            reports[src]["probes"][k].update(ok=False, error="timed out after 5s")
            errors = pl.join_preflight_verdict(plan, reports, SKEW)
            assert len(errors) == 1
            assert errors[0].startswith("%s cannot reach %s at %s:%d/tcp" % (src, t["host"], t["addr"], t["port"]))
            assert "timed out after 5s" in errors[0]
    # each listener port held by another process
    for h, ports in plan["listen"].items():
        for port in ports:
            reports = ok_reports(plan)
            reports[h]["in_use"] = [port]
            errors = pl.join_preflight_verdict(plan, reports, SKEW)
            assert errors == [errors[0]] and errors[0].startswith("%s: port %d/tcp" % (h, port))
    # each host without a report (its checks did not run)
    for h in plan["hosts"]:
        reports = ok_reports(plan)
        del reports[h]
        assert pl.join_preflight_verdict(plan, reports, SKEW) == [
            "%s: its preflight checks did not run (no report); nothing was changed" % h]
    # each pair sharing each identity field: refused when a new node is one of them
    for a, b in itertools.combinations(plan["hosts"], 2):
        for key, what, _hint in pl.PREFLIGHT_IDENTITY:
            reports = ok_reports(plan)
            reports[b]["identity"][key] = reports[a]["identity"][key]
            errors = pl.join_preflight_verdict(plan, reports, SKEW)
            if a in new or b in new:
                assert len(errors) == 1 and errors[0].startswith("%s and %s report %s (" % (a, b, what))
            else:
                assert errors == []
    # each host's clock, relative to the manager it joins through
    for h in plan["hosts"]:
        if h == ref:
            continue
        for delta, refused in ((SKEW, False), (-SKEW, False), (SKEW + 1, True), (-(SKEW + 1), True)):
            reports = ok_reports(plan)
            reports[h]["clock_offset"] = reports[ref]["clock_offset"] + delta
            errors = pl.join_preflight_verdict(plan, reports, SKEW)
            if not refused:
                assert errors == []
            else:
                side = "ahead of" if delta > 0 else "behind"
                assert errors == ["%s's clock is %.0f s %s %s's (more than swarm_preflight_clock_skew, %s s): swarm "
                                  "TLS certificates are checked against the clock; synchronise the clocks (NTP) first"
                                  % (h, abs(delta), side, ref, SKEW)]


def test_named_case_blocked_management_port():
    """The lab's case: a worker that cannot reach the manager's 2377."""
    cluster = {"chosen": "m1", "chosen_addr": "10.1.0.1", "init": False, "joiners": ["w9"], "members": ["m1", "m2"],
               "addrs": {"m1": "10.0.0.1", "m2": "10.0.0.2", "w9": "10.0.0.9"}}
    facts = {"m1": {"swarm": {"node_addr": "10.1.0.1"}}, "m2": {"swarm": {"node_addr": "10.1.0.2"}}}
    plan = pl.join_preflight_plan(cluster, facts, {"w9": "worker"})
    assert plan["listen"] == {"w9": [7946]}
    assert plan["probe"] == {
        "w9": [{"host": "m1", "addr": "10.1.0.1", "port": 2377}, {"host": "m1", "addr": "10.1.0.1", "port": 7946},
               {"host": "m2", "addr": "10.1.0.2", "port": 7946}],
        "m1": [{"host": "w9", "addr": "10.0.0.9", "port": 7946}],
    }
    reports = ok_reports(plan)
    reports["w9"]["probes"][0].update(ok=False, error="timed out after 5s")
    assert pl.join_preflight_verdict(plan, reports, SKEW) == [
        "w9 cannot reach m1 at 10.1.0.1:2377/tcp (swarm management (Raft, joins)) (timed out after 5s): the "
        "management port; open it from w9 to m1"]


def test_named_case_cloned_machine_id():
    cluster = {"chosen": "m1", "chosen_addr": "10.0.0.1", "init": True, "joiners": ["w1"], "members": [],
               "addrs": {"m1": "10.0.0.1", "w1": "10.0.0.2"}}
    plan = pl.join_preflight_plan(cluster, {}, {"w1": "worker"})
    assert plan["listen"] == {"m1": [2377, 7946], "w1": [7946]}
    reports = ok_reports(plan)
    reports["w1"]["identity"]["machine_id"] = reports["m1"]["identity"]["machine_id"]
    errors = pl.join_preflight_verdict(plan, reports, SKEW)
    assert errors == ["m1 and w1 report the same /etc/machine-id (mid-0): a cloned machine (moby#46167); give it "
                      "its own: rm /etc/machine-id && systemd-machine-id-setup"]


def test_empty_identity_values_never_clash():
    cluster = {"chosen": "m1", "chosen_addr": "10.0.0.1", "init": True, "joiners": ["w1"], "members": [],
               "addrs": {"m1": "10.0.0.1", "w1": "10.0.0.2"}}
    plan = pl.join_preflight_plan(cluster, {}, {})
    reports = ok_reports(plan)
    for h in reports:
        reports[h]["identity"] = {"hostname": h, "machine_id": "", "engine_id": ""}
    assert pl.join_preflight_verdict(plan, reports, SKEW) == []


def test_unknown_reference_clock_is_not_judged():
    cluster = {"chosen": "m1", "chosen_addr": "10.0.0.1", "init": True, "joiners": ["w1"], "members": [],
               "addrs": {"m1": "10.0.0.1", "w1": "10.0.0.2"}}
    plan = pl.join_preflight_plan(cluster, {}, {})
    reports = ok_reports(plan)
    reports["m1"]["clock_offset"] = None
    reports["w1"]["clock_offset"] = 500.0
    assert pl.join_preflight_verdict(plan, reports, SKEW) == []


def test_no_joiner_no_checks():
    cluster = {"chosen": "m1", "chosen_addr": "10.0.0.1", "init": True, "joiners": [], "members": [],
               "addrs": {"m1": "10.0.0.1"}}
    assert pl.join_preflight_plan(cluster, {}, {})["hosts"] == []
