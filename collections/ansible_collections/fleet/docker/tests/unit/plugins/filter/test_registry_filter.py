"""plugins/filter/registry.py: Ansible data -> module_utils.registry_config, config.yml as YAML."""

from collections.abc import Mapping

from ansible.plugins.filter.core import to_nice_yaml

from ansible_collections.fleet.docker.plugins.filter import registry as fr
from ansible_collections.fleet.docker.plugins.module_utils import registry_config as rc

D = "/etc/docker-registry"
CRT = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nMIGHtest\n-----END PRIVATE KEY-----\n"
# The role's defaults as vars/main.yml hands them over (as in test_registry_config.py).
DEFAULTS = {
    "port": 5000, "bind_address": "0.0.0.0", "allow_insecure": False, "image": "registry:2",
    "container_name": "registry", "restart_policy": "always", "storage": "docker-registry-data",
    "storage_delete_enabled": False, "config_dir": D, "config_mount": "/etc/docker/registry",
    "log_level": "warn", "tls_cert": "", "tls_key": "", "htpasswd_users": [], "auth_realm": "Registry",
    "notification_endpoints": [], "notification_events": {}, "jenkins_trigger": "build-token-root",
    "jenkins_url": "", "jenkins_job": "", "jenkins_token": "", "jenkins_timeout": "5s", "jenkins_threshold": 5,
    "jenkins_backoff": "10s", "jenkins_ignored_actions": ["pull"],
    "jenkins_ignored_mediatypes": ["application/octet-stream"], "config_overrides": {},
}
# test_registry_config.py's "generic-webhook, TLS, htpasswd, endpoint, events" case
GWT_TLS_AUTH = {
    "jenkins_trigger": "generic-webhook", "jenkins_url": "https://jenkins.example.com/ci/",
    "jenkins_token": "s3cret-token", "tls_cert": CRT, "tls_key": KEY,
    "htpasswd_users": [{"name": "ci", "password_hash": "$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu"}],
    "bind_address": "10.0.0.5",
    "notification_endpoints": [{"disabled": True, "headers": {"X-Source": ["registry"]}, "name": "audit",
                                "url": "https://audit.example.com/events"}],
    "notification_events": {"includereferences": True},
}


def inputs(**over):
    out = dict(DEFAULTS)
    out.update(over)
    return out


class LazyDict(Mapping):
    """Stands in for Ansible's lazy templated containers (a Mapping, not a dict)."""

    def __init__(self, data):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


def lazy(value):
    if isinstance(value, dict):
        return LazyDict(dict((k, lazy(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(lazy(v) for v in value)
    return value


def test_filters_are_registered():
    assert sorted(fr.FilterModule().filters()) == [
        "registry_exposures", "registry_input_errors", "registry_plan", "registry_writes"]


def test_plan_from_lazy_inputs_is_the_pinned_one():
    plan = fr.registry_plan(lazy(inputs(**GWT_TLS_AUTH)))
    assert plan == rc.registry_plan(inputs(**GWT_TLS_AUTH), lambda data: to_nice_yaml(data, indent=2, width=4096))
    # config.yml and the record as the role's Jinja wrote them (test_registry_config.py pins the text)
    assert plan["state_files"][D + "/config.yml"]["sha256"] == (
        "132ce5f1e8540555438254591a9aede66ce4aba6ae7767f30586c30910d0f677")
    assert plan["spec_hash"] == "81b2b598b1bc9fe58c33325a16ab08b14f9e08fe96185d8f0879c64b376bc83b"
    assert plan["applied_text"] == "e5b46bdeb506a8e4b43a179ee93d65516852ae342fddd5dbbda137d3911d44f0"


def test_long_lines_are_not_folded():
    # to_nice_yaml(width=4096): a long URL stays on one line (the default width would fold it)
    url = "https://hooks.example.com/" + "a" * 150
    plan = fr.registry_plan(inputs(notification_endpoints=[{"name": "long", "url": url}]))
    assert "  - name: long\n    url: " + url + "\n" in plan["config_text"]


def test_checks_from_lazy_inputs():
    hook = {"name": "hook", "url": "http://h/", "ignore": {"actions": ["pull"]}}
    bad = lazy(inputs(port="http", notification_endpoints=[hook]))
    assert fr.registry_input_errors(bad) == [
        "docker_registry_port must be a port number (1-65535), got http",
        "docker_registry_notification_endpoints[0] (hook): ignore.actions is ignored by distribution 2.x unless a"
        " media type is ignored too (distribution#2916); add ignore.mediatypes, e.g. [application/octet-stream]"]
    assert fr.registry_exposures(lazy(inputs(jenkins_url="http://j/", jenkins_job="j", jenkins_token="t")))[0].startswith(
        "the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on 0.0.0.0:5000")


def test_writes_without_a_check_result():
    plan = fr.registry_plan(inputs())
    for state in (None, {}, lazy({"files": {}})):
        got = fr.registry_writes(plan, state)
        assert [e["path"] for e in got["files"]] == [D + "/config.yml"]
        assert got["finish"][0]["path"] == D + "/applied.sha256"
        assert got["applied_in_sync"] is False
    synced = lazy({"files": {D + "/config.yml": {"exists": True, "in_sync": True},
                             D + "/applied.sha256": {"exists": True, "in_sync": True},
                             D + "/tls.crt": {"exists": False},
                             D + "/tls.key": {"exists": False},
                             D + "/htpasswd": {"exists": False}}})
    assert fr.registry_writes(plan, synced) == {"files": [], "finish": [], "applied_in_sync": True}
