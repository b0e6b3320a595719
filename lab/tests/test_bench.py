"""Unit tests for lab/bench.py's pure parts: median, ratio, report, profile, inventory."""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import bench  # noqa: E402


@pytest.mark.parametrize("values,want", [
    ([3.0], 3.0),
    ([3.0, 1.0, 2.0], 2.0),
    ([4.0, 1.0, 3.0, 2.0], 2.5),
    ([5.0, None, 1.0], 3.0),  # a failed run (None) is left out
    ([None, None], None),
    ([], None),
])
def test_median(values, want):
    assert bench.median(values) == want


@pytest.mark.parametrize("project,plain,want", [
    (21.9, 13.6, 21.9 / 13.6),
    (5.0, 10.0, 0.5),
    (None, 10.0, None),
    (5.0, None, None),
    (5.0, 0.0, None),
])
def test_ratio(project, plain, want):
    assert bench.ratio(project, plain) == want


def _line(report, label):
    return next(line for line in report.splitlines() if line.strip().startswith(label))


def test_report_medians_ratios_and_single_runs():
    results = {
        "project": [{"converge": 20.0, "noop": 5.0, "noop_changed": 0, "removal": 18.0, "victim_tasks": 2,
                     "converge_runs": 22, "noop_runs": 6},
                    {"converge": 22.0, "noop": 7.0, "noop_changed": 0, "removal": 19.0, "victim_tasks": 2},
                    {"converge": 30.0, "noop": 6.0, "noop_changed": 1, "removal": 17.0, "victim_tasks": 3}],
        "plain": [{"converge": 11.0, "noop": 10.0, "noop_changed": 0, "removal": 20.0, "victim_tasks": 2},
                  {"converge": 12.0, "noop": 12.0, "noop_changed": 0, "removal": 18.0, "victim_tasks": 2},
                  {"converge": 10.0, "noop": 11.0, "noop_changed": 0, "removal": 19.0, "victim_tasks": 2}],
    }
    report = bench.format_report(results, nodes=4, managers=3, repeat=3)
    assert "nodes=4 managers=3 repetitions=3" in report
    conv = _line(report, "first converge")
    assert "22.0 s (20.0 22.0 30.0)" in conv and "11.0 s (11.0 12.0 10.0)" in conv
    assert "2.00x  module runs: project 22\n" in conv + "\n"
    noop = _line(report, "no-op re-run")
    assert "6.0 s" in noop and "11.0 s" in noop and "0.55x  module runs: project 6  changed" in noop
    assert "changed: project 0/0/1, plain 0/0/0" in noop
    rem = _line(report, "removal of a worker (2/3 tasks)")
    assert "18.0 s" in rem and "19.0 s" in rem and "0.95x" in rem


def test_report_marks_failed_runs_and_missing_figures():
    results = {"project": [{"converge": 20.0, "noop": None, "error": "boom"}], "plain": [{"converge": 10.0}]}
    report = bench.format_report(results, nodes=4, managers=3, repeat=1)
    assert _line(report, "first converge").endswith("2.00x")
    noop = _line(report, "no-op re-run")
    assert "failed" in noop and " - " in noop  # no ratio without both figures
    assert "(" not in _line(report, "first converge")  # one run: no list of single runs


def _task(role, path, seconds, task="t", play="p", handler=False, action="x.y.mod", hosts=1, items=0):
    return {"role": role, "path": path, "seconds": seconds, "task": task, "play": play, "handler": handler,
            "hosts": {"ok": hosts, "changed": 0, "skipped": 2, "failed": 0}, "offset": 0.0, "action": action,
            "items": items}


@pytest.mark.parametrize("task,want", [
    (_task("r", "a:1", 1.0, hosts=4), 4),
    (_task("r", "a:1", 1.0, hosts=1, items=16), 16),  # a loop on one host: one run per item
    (_task("r", "a:1", 1.0, action="ansible.builtin.set_fact", hosts=4), 0),
    (_task("r", "a:1", 1.0, action="assert", hosts=1), 0),
    (_task("r", "a:1", 1.0, action="ansible.builtin.include_tasks", hosts=4), 0),
])
def test_remote_runs(task, want):
    assert bench.remote_runs(task) == want


def test_profile_groups_by_role_file_and_sorts_by_time():
    tasks = [_task("swarm", "roles/swarm/tasks/members.yml:4", 1.0),
             _task("swarm", "roles/swarm/tasks/members.yml:50", 2.0),
             _task("swarm", "roles/swarm/tasks/cluster.yml:3", 0.5, action="ansible.builtin.assert"),
             _task("docker_daemon", "roles/docker_daemon/handlers/main.yml:2", 1.8, handler=True),
             _task("", "site.yml:3", 0.25, play="Docker daemon configuration")]
    assert bench.group_profile(tasks) == [
        ("swarm/members.yml", 3.0, 2, 2),
        ("docker_daemon/main.yml (handler)", 1.8, 1, 1),
        ("swarm/cluster.yml", 0.5, 1, 0),
        ("play: Docker daemon configuration", 0.25, 1, 1),
    ]
    text = bench.format_profile("project first converge", tasks, run_seconds=6.0)
    assert "5 tasks, 4 module runs on hosts, 5.5 s in tasks, 0.5 s start-up and exit (of 6.0 s)" in text
    by_role = text.split("by role:")[1].split("by role/tasks file:")[0]
    assert by_role.index("swarm") < by_role.index("docker_daemon")


def test_read_timing(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(_task("swarm", "a.yml:1", 1.0)) + "\n" + json.dumps({"end": 3.5}) + "\n")
    tasks, end = bench.read_timing(str(path))
    assert [t["role"] for t in tasks] == ["swarm"] and end == 3.5


def test_docker_connection_inventory_keeps_addresses_and_names_containers():
    inv = {"all": {
        "vars": {"ansible_user": "ops", "ansible_become": True, "ansible_ssh_private_key_file": "/k",
                 "docker_registry_image": "registry:2"},
        "children": {
            "docker_hosts": {"children": {
                "swarm_managers": {"hosts": {"b-mgr1": {"ansible_host": "10.0.0.2"}}},
                "swarm_workers": {"hosts": {"b-wrk1": {"ansible_host": "10.0.0.3"}}}}},
            "registry": {"hosts": {"b-mgr1": None}}}}}
    out = bench.docker_connection_inventory(inv)
    av = out["all"]["vars"]
    assert av["ansible_connection"] == "community.docker.docker"
    assert av["ansible_user"] == "root" and av["ansible_become"] is False
    assert "ansible_ssh_private_key_file" not in av and av["docker_registry_image"] == "registry:2"
    dh = out["all"]["children"]["docker_hosts"]["children"]
    assert dh["swarm_managers"]["hosts"]["b-mgr1"] == {"ansible_host": "10.0.0.2", "ansible_docker_host": "b-mgr1"}
    assert dh["swarm_workers"]["hosts"]["b-wrk1"]["ansible_docker_host"] == "b-wrk1"
    assert inv["all"]["vars"]["ansible_user"] == "ops"  # the input is not modified


@pytest.mark.parametrize("text,want", [("4", [4]), ("4,16", [4, 16]), (" 4, 16 ,", [4, 16]), (16, [16])])
def test_parse_sizes(text, want):
    assert bench.parse_sizes(text) == want


@pytest.mark.parametrize("text", ["", "0", "4,-1", "four"])
def test_parse_sizes_refuses(text):
    with pytest.raises(ValueError):
        bench.parse_sizes(text)


def test_scaling_line_compares_the_largest_with_the_smallest_size():
    by_size = {4: {"project": [{"converge": 10.0}, {"converge": 12.0}, {"converge": 11.0}],
                   "plain": [{"converge": 8.0}]},
               16: {"project": [{"converge": 22.0}], "plain": [{"converge": None}]}}
    assert bench.format_scaling(by_size) == "bench: first converge at 16 nodes over 4 nodes: project 11.0 s -> 22.0 s = 2.00x"
    assert bench.format_scaling({4: by_size[4]}) == ""


def test_report_says_not_measured_apart_from_failed():
    results = {"project": [{"converge": 20.0, "noop": 5.0, "noop_changed": 0}],  # 3 managers only: no removal
               "plain": [{"converge": 10.0, "error": "boom"}]}
    rem = _line(bench.format_report(results, nodes=3, managers=3, repeat=1), "removal of a worker")
    assert rem.split()[4:] == ["-", "failed", "-"]
