"""Unit tests for the lab tool's pure parts (no engine needed)."""
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
                           "http://10.0.0.9:8080")
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
    labctl.write_inventory(str(path), ["mgr1"], [], {"mgr1": "10.0.0.2"}, "/k", "registry:2", "http://x:8080")
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
