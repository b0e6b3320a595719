"""plugins/filter/planner.py: Ansible data (hostvars, registered results) -> planner input."""

from ansible_collections.fleet.docker.plugins.filter import planner as fp


def result(action, state, manager, node_id, engine="up", serial=False):
    return {"action": action, "engine_state": engine, "serial_reload": serial,
            "ansible_facts": {"fleet_docker_host": {"docker": {"reachable": engine == "up"},
                                                    "swarm": {"state": state, "manager": manager, "node_id": node_id}}}}


def nodes(*managers, unreachable=()):
    return [{"id": "id-" + m, "hostname": m, "manager": True, "leader": i == 0, "labels": {}, "availability": "active",
             "reachability": "unreachable" if m in unreachable else "reachable"} for i, m in enumerate(managers)]


def test_limit_to_one_manager_probes_the_others():
    hostvars = {"m2": {"__docker_daemon_json": result("restart", "active", True, "id-m2")}, "m1": {}, "m3": {}, "m4": {}}
    probe = [
        {"item": "m1", "ansible_facts": {"fleet_docker_host": {"swarm": {"state": "active", "manager": True,
                                                                         "node_id": "id-m1"}}}},
        {"item": "m3", "unreachable": True},
        {"item": "m4", "ansible_facts": {"fleet_docker_host": {"swarm": {"state": "unknown", "manager": False}}}},
    ]
    plan = fp.restart_plan(["m2"], hostvars, ["m1", "m2", "m3", "m4"], probe=probe,
                           cluster=nodes("m1", "m2", "m3", "m4", unreachable=["m3", "m4"]))
    assert plan["cluster_driver"] == "m2"  # the play's own manager reads the swarm
    assert plan["steps"][0]["driver"] == "m1"
    assert not plan["ok"] and "floor(N/2)+1 of ALL N" in plan["problems"][0]


def test_skipped_result_is_no_action_and_unresponsive_is_refused():
    hostvars = {"a": {"__docker_daemon_json": {"skipped": True}},
                "b": {"__docker_daemon_json": result("reload", "unknown", False, "", engine="unresponsive")}}
    plan = fp.restart_plan(["a", "b"], hostvars, [], probe=[], cluster=None)
    assert plan["parallel"] == [] and not plan["ok"]
    assert plan["problems"][0].startswith("b: dockerd runs but its API did not answer")


def test_removal_plan_filter():
    hostvars = {
        "m1": {"fleet_docker_host": {"swarm": {"state": "active", "manager": True, "node_id": "id-m1"},
                                     "default_ipv4": "10.0.0.1"}},
        "w1": {"fleet_docker_host": {"swarm": {"state": "active", "manager": False, "node_id": "id-w1"},
                                     "default_ipv4": "10.0.0.2"}},
        "w2": {"swarm_node_state": "absent", "ansible_host": "10.0.0.3"},
    }
    groups = {"swarm_managers": ["m1"], "swarm_workers": ["w1", "w2"]}
    plan = fp.removal_plan("w1", hostvars, groups, ["m1", "w1"])
    assert plan["requested"] == ["w1", "w2"] and plan["driver"] == "m1"
    assert plan["targets"] == [{"name": "w1", "hostname": "w1", "left": False, "node_id": "id-w1", "addr": "10.0.0.2"},
                               {"name": "w2", "hostname": "w2", "left": False, "addr": "10.0.0.3"}]


def test_a_change_applied_by_daemon_json_itself_is_not_planned_again():
    done = dict(result("restart", "inactive", False, ""), applied="restart")
    hostvars = {"a": {"__docker_daemon_json": done},
                "b": {"__docker_daemon_json": dict(result("restart", "inactive", False, ""), applied="none")}}
    plan = fp.restart_plan(["a", "b"], hostvars, [], probe=[], cluster=None)
    assert plan["parallel"] == ["b"] and plan["ok"]


def test_give_back_is_skipped_only_when_a_manager_listed_no_record():
    def hv(records):
        return {"__docker_daemon_json": dict(result("none", "active", records is not None, "id"),
                                             restore_records=records)}
    assert fp.restart_plan(["m", "w"], {"m": hv([]), "w": hv(None)}, ["m"])["give_back"] is False
    assert fp.restart_plan(["m", "w"], {"m": hv(["w"]), "w": hv(None)}, ["m"])["give_back"] is True
    assert fp.restart_plan(["w"], {"w": hv(None)}, ["m"])["give_back"] is True  # --limit: no manager told
    assert fp.restart_plan(["w"], {"w": {"__docker_daemon_json": {"skipped": True}}}, ["m"])["give_back"] is True


def test_swarm_role_nodes_present_members_of_the_play_in_inventory_order():
    from ansible_collections.fleet.docker.plugins.filter.recovery import swarm_role_nodes
    hv = {
        "m1": {"__swarm_me": {"state": "present", "role": "manager", "labels": {"a": "1"}},
               "fleet_docker_host": {"swarm": {"node_id": "id1"}}},
        "w1": {"__swarm_me": {"state": "absent", "role": "worker", "labels": {}},
               "fleet_docker_host": {"swarm": {"node_id": "id2"}}},
        "w2": {"__swarm_me": {"state": "present", "role": "worker", "labels": {}},
               "fleet_docker_host": {"swarm": {"node_id": ""}}},
        "w3": {"__swarm_me": {"state": "present", "role": "worker", "labels": {"b": "2"}},
               "fleet_docker_host": {"swarm": {"node_id": "id4"}}},
        "w4": {"__swarm_me": {"state": "present", "role": "worker", "labels": {}},
               "fleet_docker_host": {"swarm": {"node_id": "id5"}}},
    }
    assert swarm_role_nodes(hv, ["m1", "w1", "w2", "w3", "w4"], ["w3", "m1", "w1", "w2"]) == [
        {"node_id": "id1", "name": "m1", "role": "manager", "labels": {"a": "1"}},
        {"node_id": "id4", "name": "w3", "role": "worker", "labels": {"b": "2"}},
    ]
