"""The example inventory parses, decrypts with its documented password, and carries the contract."""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    pw = tmp_path_factory.mktemp("vault") / "pw"
    pw.write_text("example-only\n")
    out = subprocess.run(
        ["ansible-inventory", "-i", os.path.join(ROOT, "inventory", "example"), "--list",
         "--vault-password-file", str(pw)],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg")),
    )
    return json.loads(out.stdout)


def test_contract_groups(inventory):
    assert set(inventory["docker_hosts"]["children"]) == {"swarm_managers", "swarm_workers"}
    assert inventory["swarm_managers"]["hosts"] == ["mgr-a", "mgr-b", "mgr-c"]
    assert inventory["registry"]["hosts"] == ["mgr-a"]


def test_vaulted_token_resolves_and_is_referenced(inventory):
    mgr_a = inventory["_meta"]["hostvars"]["mgr-a"]
    assert mgr_a["docker_registry_jenkins_token"] == "{{ vault_docker_registry_jenkins_token }}"
    assert len(mgr_a["vault_docker_registry_jenkins_token"]) > 16


def test_every_contract_variable_is_shown(inventory):
    text = ""
    for dirpath, _, files in os.walk(os.path.join(ROOT, "inventory", "example")):
        for name in files:
            with open(os.path.join(dirpath, name)) as fh:
                text += fh.read()
    for var in ("docker_daemon_log_driver", "docker_daemon_log_opts", "docker_daemon_insecure_registries",
                "docker_daemon_options", "docker_registry_port", "docker_registry_image",
                "docker_registry_notification_endpoints", "docker_registry_jenkins_url",
                "docker_registry_jenkins_job", "docker_registry_jenkins_token", "swarm_advertise_addr",
                "swarm_node_labels", "swarm_node_state"):
        assert var in text, var


def test_label_values_are_strings(inventory):
    for host, hv in inventory["_meta"]["hostvars"].items():
        for key, value in (hv.get("swarm_node_labels") or {}).items():
            assert isinstance(value, str), (host, key, value)


def test_registry_is_shown_with_tls_htpasswd_and_the_header_token(inventory):
    """issue 11, item 4: the production example is the safe setup, nothing allowed insecure."""
    mgr_a = inventory["_meta"]["hostvars"]["mgr-a"]
    assert mgr_a["docker_registry_tls_cert"] and mgr_a["docker_registry_tls_key"] == "{{ vault_docker_registry_tls_key }}"
    assert "PRIVATE KEY-----" in mgr_a["vault_docker_registry_tls_key"]
    assert [u["name"] for u in mgr_a["docker_registry_htpasswd_users"]] == ["ci"]
    assert mgr_a["vault_registry_ci_bcrypt"].startswith("$2b$")
    assert mgr_a["docker_registry_jenkins_trigger"] == "generic-webhook"
    assert mgr_a.get("docker_registry_allow_insecure", False) is False
    assert mgr_a["docker_registry_bind_address"] != "0.0.0.0"
