"""Unit tests for the lab tool's pure parts (no engine needed)."""
import json
import os
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import labctl  # noqa: E402
from runner import PlayResult  # noqa: E402


def test_lab_names_default_and_prefixed():
    assert labctl.lab_names(4, 3) == (["mgr1", "mgr2", "mgr3"], ["wrk1"])
    assert labctl.lab_names(2, 1, "e2e-") == (["e2e-mgr1"], ["e2e-wrk1"])


@pytest.mark.parametrize("nodes,managers", [(3, 0), (2, 3)])
def test_lab_names_rejects_impossible_sizes(nodes, managers):
    with pytest.raises(SystemExit):
        labctl.lab_names(nodes, managers)


def test_inventory_has_the_contract_groups(tmp_path):
    path = tmp_path / "inv" / "hosts.yml"
    ips = {"mgr1": "10.0.0.2", "mgr2": "10.0.0.3", "mgr3": "10.0.0.4", "wrk1": "10.0.0.5"}
    labctl.write_inventory(str(path), ["mgr1", "mgr2", "mgr3"], ["wrk1"], ips, "/k", "registry:2",
                           "http://10.0.0.9:8080", "/state/fleet-lab.known_hosts")
    inv = yaml.safe_load(path.read_text())
    children = inv["all"]["children"]
    assert set(children["docker_hosts"]["children"]) == {"swarm_managers", "swarm_workers"}
    assert children["docker_hosts"]["children"]["swarm_managers"]["hosts"]["mgr2"] == {"ansible_host": "10.0.0.3"}
    assert list(children["docker_hosts"]["children"]["swarm_workers"]["hosts"]) == ["wrk1"]
    assert list(children["registry"]["hosts"]) == ["mgr1"]
    assert inv["all"]["vars"]["docker_registry_jenkins_url"] == "http://10.0.0.9:8080"
    # a lab inventory outside inventory/lab still gets the lab's group_vars
    assert os.path.islink(path.parent / "group_vars")


def test_inventory_without_workers_is_valid_yaml(tmp_path):
    path = tmp_path / "hosts.yml"
    labctl.write_inventory(str(path), ["mgr1"], [], {"mgr1": "10.0.0.2"}, "/k", "registry:2", "http://x:8080", "/kh")
    inv = yaml.safe_load(path.read_text())
    assert inv["all"]["children"]["docker_hosts"]["children"]["swarm_workers"]["hosts"] == {}


def test_dir_hash_changes_with_content(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM a\n")
    first = labctl.dir_hash(str(tmp_path))
    assert first == labctl.dir_hash(str(tmp_path))
    assert first != labctl.dir_hash(str(tmp_path), extra="other-base")
    (tmp_path / "Dockerfile").write_text("FROM b\n")
    assert first != labctl.dir_hash(str(tmp_path))


def test_play_result_parses_recap_and_tasks():
    out = """
PLAY [x] ****
TASK [fleet.docker.daemon_json] ****
ok: [mgr1]
TASK [docker_daemon : Apply] ****
PLAY RECAP ****
mgr1                       : ok=2    changed=1    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0
wrk1                       : ok=2    changed=0    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0
"""
    res = PlayResult(1.5, 0, out)
    assert res.tasks == 2
    assert res.total("changed") == 1
    assert res.recap["wrk1"]["skipped"] == 1
    assert res.ok
    assert not PlayResult(1.0, 2, out).ok


def test_parse_images_short_and_full_names():
    assert labctl.parse_images(["eng-w1=bare", "x=node", "y=my/img:1"]) == {
        "eng-w1": labctl.IMAGE_BARE, "x": labctl.IMAGE_NODE, "y": "my/img:1"}
    assert labctl.parse_images(None) == {}


@pytest.mark.parametrize("spec", ["eng-w1", "=bare", "eng-w1="])
def test_parse_images_rejects_malformed(spec):
    with pytest.raises(SystemExit):
        labctl.parse_images([spec])


# --------------------------------------------------------------------------- bounded commands (issue 11, item 6)


def test_run_times_out_a_hanging_probe_as_a_failure():
    res = labctl.run(["sleep", "30"], check=False, timeout=0.3)
    assert res.returncode == 124


def test_run_times_out_a_hanging_step_with_a_message():
    with pytest.raises(SystemExit):
        labctl.run(["sleep", "30"], timeout=0.3)


def test_every_command_labctl_runs_is_bounded():
    """subprocess.run calls pass a timeout, and run()/docker() have one by default."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(labctl))
    unbounded = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "subprocess":
            if "timeout" not in {k.arg for k in node.keywords}:
                unbounded.append(node.lineno)
    assert unbounded == []
    assert inspect.signature(labctl.run).parameters["timeout"].default is not None
    # Popen only for the background dockerd and the tar feeding `docker import` (waited with a timeout)
    popens = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
              and n.func.attr == "Popen"]
    assert len(popens) == 2


# --------------------------------------------------------------------------- engine-stop (issue 11, item 6)


def test_engine_stop_without_marker_does_nothing(tmp_path):
    assert labctl.stop_started_engine(str(tmp_path / "marker")) == "none"


def test_engine_stop_stops_exactly_the_recorded_process(tmp_path):
    import subprocess

    marker = tmp_path / "marker"
    started = subprocess.Popen(["sleep", "60"])
    bystander = subprocess.Popen(["sleep", "60"])  # same name, not recorded: must survive
    try:
        labctl.write_engine_marker(str(marker), started.pid)
        assert labctl.stop_started_engine(str(marker), wait=20) == "stopped"
        assert started.poll() is not None
        assert bystander.poll() is None
        assert not marker.exists()
    finally:
        for proc in (started, bystander):
            proc.kill()
            proc.wait()


def test_engine_stop_leaves_a_reused_pid_alone(tmp_path):
    """A marker whose PID now belongs to another process (other start time) kills nothing."""
    import subprocess

    marker = tmp_path / "marker"
    other = subprocess.Popen(["sleep", "60"])
    try:
        labctl.write_engine_marker(str(marker), other.pid)
        data = json.loads(marker.read_text())
        data["start_time"] = str(int(data["start_time"]) - 1)  # "the dockerd that had this PID before"
        marker.write_text(json.dumps(data))
        assert labctl.stop_started_engine(str(marker), wait=2) == "gone"
        assert other.poll() is None
        assert not marker.exists()
    finally:
        other.kill()
        other.wait()


def test_ci_run_stops_only_what_it_started_and_traps_first():
    text = open(os.path.join(os.path.dirname(__file__), "..", "..", ".ci", "run")).read()
    code = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in code if "pkill" in line or "killall" in line]
    trap = next(i for i, line in enumerate(code) if line.startswith("trap stop_engine EXIT"))
    start = next(i for i, line in enumerate(code) if line.strip() == "python3 lab/labctl.py engine")
    assert trap < start
    assert any("labctl.py engine-stop" in line for line in code)


# --------------------------------------------------------------------------- host keys (issue 11, item 5)


def test_inventory_checks_host_keys_against_the_labs_file(tmp_path):
    path = tmp_path / "hosts.yml"
    labctl.write_inventory(str(path), ["mgr1"], [], {"mgr1": "10.0.0.2"}, "/k", "registry:2", "http://x:8080",
                           "/state/fleet-e2e.known_hosts")
    args = yaml.safe_load(path.read_text())["all"]["vars"]["ansible_ssh_common_args"].split()
    assert "UserKnownHostsFile=/state/fleet-e2e.known_hosts" in args
    assert "StrictHostKeyChecking=yes" in args


def test_known_hosts_lines_name_the_address_ansible_connects_to(tmp_path):
    keys = {"mgr1": "ecdsa-sha2-nistp256 AAAAE2V1 root@mgr1\nssh-ed25519 AAAAC3Nza1 root@mgr1\n",
            "wrk1": "ssh-ed25519 AAAAC3Nza2 root@wrk1"}
    ips = {"mgr1": "10.0.0.2", "wrk1": "10.0.0.5"}
    assert labctl.known_hosts_lines(keys, ips) == [
        "10.0.0.2 ecdsa-sha2-nistp256 AAAAE2V1", "10.0.0.2 ssh-ed25519 AAAAC3Nza1", "10.0.0.5 ssh-ed25519 AAAAC3Nza2"]
    path = tmp_path / "lab.known_hosts"
    labctl.write_known_hosts(str(path), keys, ips)
    assert path.read_text().splitlines()[1:] == labctl.known_hosts_lines(keys, ips)


def test_known_hosts_refuses_what_is_not_a_key():
    with pytest.raises(SystemExit):
        labctl.known_hosts_lines({"mgr1": "cat: no such file"}, {"mgr1": "10.0.0.2"})


def test_ansible_cfg_checks_host_keys():
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(os.path.dirname(__file__), "..", "..", "ansible.cfg"))
    assert cfg.get("defaults", "host_key_checking", fallback="true").lower() in ("true", "yes", "1")
    ssh_args = cfg.get("ssh_connection", "ssh_args", fallback="")
    assert "StrictHostKeyChecking=no" not in ssh_args
    assert "UserKnownHostsFile=/dev/null" not in ssh_args
