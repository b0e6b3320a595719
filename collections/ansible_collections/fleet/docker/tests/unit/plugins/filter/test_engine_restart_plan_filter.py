"""The restart plan of role docker_engine: the plan module's result (`action: restart` for a
rolling node, no ansible_facts) with fleet_docker_host from host_facts in hostvars, through
the same filter docker_daemon uses (result_var='__docker_engine_plan')."""

from ansible_collections.fleet.docker.plugins.filter import planner as fp


def host(state, manager, node_id, rolling):
    return {"__docker_engine_plan": {"action": "restart" if rolling else "none", "plan": {"rolling": rolling}},
            "fleet_docker_host": {"docker": {"reachable": True},
                                  "swarm": {"state": state, "manager": manager, "node_id": node_id}}}


def cluster(*names, leader="m1"):
    return [{"id": "id-" + n, "hostname": n, "manager": n.startswith("m"), "leader": n == leader, "labels": {},
             "availability": "active", "reachability": "reachable" if n.startswith("m") else ""} for n in names]


def test_rolling_engine_upgrade_order_workers_then_managers_leader_last():
    hv = {"m1": host("active", True, "id-m1", True), "m2": host("active", True, "id-m2", True),
          "m3": host("active", True, "id-m3", True), "w1": host("active", False, "id-w1", True),
          "w2": host("active", False, "id-w2", False)}
    plan = fp.restart_plan(["m1", "m2", "m3", "w1", "w2"], hv, ["m1", "m2", "m3"], probe=[],
                           cluster=cluster("m1", "m2", "m3", "w1", "w2"), result_var="__docker_engine_plan")
    assert plan["ok"], plan["problems"]
    assert [s["name"] for s in plan["steps"]] == ["w1", "m2", "m3", "m1"]
    assert all(s["driver"] != s["name"] for s in plan["steps"])
    assert plan["parallel"] == []  # no engine change outside the rolling path


def test_rolling_engine_upgrade_of_the_only_manager_is_refused_unless_outage_allowed():
    hv = {"m1": host("active", True, "id-m1", True), "w1": host("active", False, "id-w1", False)}
    plan = fp.restart_plan(["m1", "w1"], hv, ["m1"], probe=[], cluster=cluster("m1", "w1"),
                           result_var="__docker_engine_plan")
    assert not plan["ok"] and "quorum needs 1 of all 1" in plan["problems"][0]
    plan = fp.restart_plan(["m1", "w1"], hv, ["m1"], probe=[], cluster=cluster("m1", "w1"), allow_outage=True,
                           result_var="__docker_engine_plan")
    assert plan["ok"] and plan["steps"][0]["driver"] == "m1"


def test_no_rolling_host_means_no_step():
    hv = {"m1": host("active", True, "id-m1", False)}
    plan = fp.restart_plan(["m1"], hv, ["m1"], probe=[], cluster=cluster("m1"), result_var="__docker_engine_plan")
    assert plan["ok"] and plan["steps"] == []
