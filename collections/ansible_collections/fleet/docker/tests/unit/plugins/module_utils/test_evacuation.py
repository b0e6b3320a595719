"""Drain-and-wait logic: which replicated slots ran on a node and where they run now."""
from ansible_collections.fleet.docker.plugins.module_utils import evacuation as ev

WEB = {"ID": "svc-web", "Spec": {"Name": "web", "Mode": {"Replicated": {"Replicas": 3}}}}
AGENT = {"ID": "svc-agent", "Spec": {"Name": "agent", "Mode": {"Global": {}}}}
SERVICES = [WEB, AGENT]


def task(tid, service, slot, node, desired="running", state="running", created="2026-01-01T00:00:00Z", err=None):
    status = {"State": state}
    if err:
        status["Err"] = err
    return {"ID": tid, "ServiceID": service, "Slot": slot, "NodeID": node, "DesiredState": desired,
            "Status": status, "CreatedAt": created}


BEFORE = [
    task("t1", "svc-web", 1, "n1"),
    task("t2", "svc-web", 2, "n2"),
    task("t3", "svc-web", 3, "n2"),
    task("g1", "svc-agent", 0, "n2"),
]


def test_slots_on_node_are_replicated_only():
    assert ev.replicated_slots_on(BEFORE, "n2", SERVICES) == [("svc-web", 2), ("svc-web", 3)]
    assert ev.replicated_slots_on(BEFORE, "n9", SERVICES) == []


def test_shutdown_tasks_are_not_watched():
    tasks = BEFORE + [task("old", "svc-web", 1, "n2", desired="shutdown", state="shutdown")]
    assert ev.replicated_slots_on(tasks, "n2", SERVICES) == [("svc-web", 2), ("svc-web", 3)]


def test_all_moved_when_replacements_run_elsewhere():
    after = [
        task("t2", "svc-web", 2, "n2", desired="shutdown", state="shutdown"),
        task("t3", "svc-web", 3, "n2", desired="shutdown", state="shutdown"),
        task("t2b", "svc-web", 2, "n1", created="2026-01-01T00:01:00Z"),
        task("t3b", "svc-web", 3, "n3", created="2026-01-01T00:01:00Z"),
    ]
    moved, pending = ev.evacuation_status(after, "n2", [("svc-web", 2), ("svc-web", 3)], SERVICES)
    assert pending == []
    assert moved == [{"task": "web.2", "node_id": "n1"}, {"task": "web.3", "node_id": "n3"}]


def test_pending_reports_the_orchestrators_reason():
    after = [
        task("t2", "svc-web", 2, "n2", desired="shutdown", state="shutdown"),
        task("t2b", "svc-web", 2, "", state="pending", err="no suitable node (1 node not available)"),
    ]
    moved, pending = ev.evacuation_status(after, "n2", [("svc-web", 2)], SERVICES)
    assert moved == []
    assert pending == [{"task": "web.2", "reason": "replacement is pending: no suitable node (1 node not available)"}]
    assert ev.describe_pending(pending) == "web.2 (replacement is pending: no suitable node (1 node not available))"


def test_still_on_the_node_is_pending():
    moved, pending = ev.evacuation_status(BEFORE, "n2", [("svc-web", 2)], SERVICES)
    assert moved == [] and pending[0]["task"] == "web.2"
    assert pending[0]["reason"] == "no replacement task yet"


def test_starting_replacement_is_not_moved_yet():
    after = [task("t2b", "svc-web", 2, "n1", state="starting")]
    moved, pending = ev.evacuation_status(after, "n2", [("svc-web", 2)], SERVICES)
    assert moved == [] and pending[0]["reason"] == "replacement is starting"


def test_removed_or_scaled_down_service_counts_as_moved():
    scaled = {"ID": "svc-web", "Spec": {"Name": "web", "Mode": {"Replicated": {"Replicas": 1}}}}
    moved, pending = ev.evacuation_status([], "n2", [("svc-web", 2)], [scaled])
    assert pending == [] and moved == [{"task": "web.2", "node_id": None}]
    moved, pending = ev.evacuation_status([], "n2", [("svc-gone", 1)], [])
    assert pending == [] and moved[0]["node_id"] is None


def test_describe_pending_limits_output():
    pending = [{"task": "web.%d" % i, "reason": "r"} for i in range(12)]
    text = ev.describe_pending(pending, limit=2)
    assert text == "web.0 (r), web.1 (r), and 10 more"
