"""plugins/filter/registry.py: Ansible data -> module_utils.registry_config, config.yml as YAML.

The config.yml text, the container's label, applied.sha256 and the file hashes
fleet.docker.container_state compares are pinned here to what the role's Jinja (vars/main.yml
before it moved to Python) produced for the same inputs: a different value would re-create
every running registry once."""

from collections.abc import Mapping

import pytest

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

BUILD_TOKEN_ROOT = {"allow_insecure": True, "jenkins_job": "team/app build", "jenkins_token": "tok&en/1=2",
                    "jenkins_url": "http://jenkins.example.com:8080/"}


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


DEFAULT_CONFIG = (
    '#\n'
    '# Managed by Ansible (role docker_registry): edits here are overwritten.\n'
    '#\n'
    'health:\n'
    '  storagedriver:\n'
    '    enabled: true\n'
    '    interval: 10s\n'
    '    threshold: 3\n'
    'http:\n'
    '  addr: :5000\n'
    '  headers:\n'
    '    X-Content-Type-Options:\n'
    '    - nosniff\n'
    'log:\n'
    '  fields:\n'
    '    service: registry\n'
    '  level: warn\n'
    'storage:\n'
    '  cache:\n'
    '    blobdescriptor: inmemory\n'
    '  delete:\n'
    '    enabled: false\n'
    '  filesystem:\n'
    '    rootdirectory: /var/lib/registry\n'
    "version: '0.1'\n"
)

GWT_TLS_AUTH_CONFIG = (
    '#\n'
    '# Managed by Ansible (role docker_registry): edits here are overwritten.\n'
    '#\n'
    'auth:\n'
    '  htpasswd:\n'
    '    path: /etc/docker/registry/htpasswd\n'
    '    realm: Registry\n'
    'health:\n'
    '  storagedriver:\n'
    '    enabled: true\n'
    '    interval: 10s\n'
    '    threshold: 3\n'
    'http:\n'
    '  addr: :5000\n'
    '  headers:\n'
    '    X-Content-Type-Options:\n'
    '    - nosniff\n'
    '  tls:\n'
    '    certificate: /etc/docker/registry/tls.crt\n'
    '    key: /etc/docker/registry/tls.key\n'
    'log:\n'
    '  fields:\n'
    '    service: registry\n'
    '  level: warn\n'
    'notifications:\n'
    '  endpoints:\n'
    '  - disabled: true\n'
    '    headers:\n'
    '      X-Source:\n'
    '      - registry\n'
    '    name: audit\n'
    '    url: https://audit.example.com/events\n'
    '  - backoff: 10s\n'
    '    headers:\n'
    '      Authorization:\n'
    '      - Bearer s3cret-token\n'
    '    ignore:\n'
    '      actions:\n'
    '      - pull\n'
    '      mediatypes:\n'
    '      - application/octet-stream\n'
    '    name: jenkins\n'
    '    threshold: 5\n'
    '    timeout: 5s\n'
    '    url: https://jenkins.example.com/ci/generic-webhook-trigger/invoke\n'
    '  events:\n'
    '    includereferences: true\n'
    'storage:\n'
    '  cache:\n'
    '    blobdescriptor: inmemory\n'
    '  delete:\n'
    '    enabled: false\n'
    '  filesystem:\n'
    '    rootdirectory: /var/lib/registry\n'
    "version: '0.1'\n"
)

BUILD_TOKEN_ROOT_CONFIG = (
    '#\n'
    '# Managed by Ansible (role docker_registry): edits here are overwritten.\n'
    '#\n'
    'health:\n'
    '  storagedriver:\n'
    '    enabled: true\n'
    '    interval: 10s\n'
    '    threshold: 3\n'
    'http:\n'
    '  addr: :5000\n'
    '  headers:\n'
    '    X-Content-Type-Options:\n'
    '    - nosniff\n'
    'log:\n'
    '  fields:\n'
    '    service: registry\n'
    '  level: warn\n'
    'notifications:\n'
    '  endpoints:\n'
    '  - backoff: 10s\n'
    '    ignore:\n'
    '      actions:\n'
    '      - pull\n'
    '      mediatypes:\n'
    '      - application/octet-stream\n'
    '    name: jenkins\n'
    '    threshold: 5\n'
    '    timeout: 5s\n'
    '    url: http://jenkins.example.com:8080/buildByToken/build?job=team%2Fapp+build&token=tok%26en%2F1%3D2\n'
    'storage:\n'
    '  cache:\n'
    '    blobdescriptor: inmemory\n'
    '  delete:\n'
    '    enabled: false\n'
    '  filesystem:\n'
    '    rootdirectory: /var/lib/registry\n'
    "version: '0.1'\n"
)


# Captured from the role's Jinja (vars/main.yml before it moved to module_utils/registry_config.py).
# case -> (config.yml, container spec, spec sha256, applied.sha256 content, {path: sha256 or state})
PINNED = [
    pytest.param({}, DEFAULT_CONFIG,
                 {'image': 'registry:2',
                  'name': 'registry',
                  'published_ports': ['0.0.0.0:5000:5000'],
                  'pull': 'missing',
                  'restart_policy': 'always',
                  'state': 'started',
                  'volumes': ['docker-registry-data:/var/lib/registry',
                              '/etc/docker-registry:/etc/docker/registry:ro']},
                 '9d369beb66b6c42d2b95d6c8c870f00b75d6e182ef1619194fb16a025117443f',
                 '442286a840cecb5fe9dcbd8b68def47facc37847a718e0abfd8a96bfe8bb457f',
                 {'D': 'directory',
                  'D/applied.sha256': 'b4763ff9dfc3c17419ded8a677c083188d7065ccaa28032b03b597eb42a65130',
                  'D/config.yml': '300fb2b53ec2f1dd0f6455f545c545230857668c5fdf206f81b31fc46f5e5ee9',
                  'D/htpasswd': 'absent',
                  'D/tls.crt': 'absent',
                  'D/tls.key': 'absent'},
                 id='defaults'),
    pytest.param(GWT_TLS_AUTH, GWT_TLS_AUTH_CONFIG,
                 {'image': 'registry:2',
                  'name': 'registry',
                  'published_ports': ['10.0.0.5:5000:5000'],
                  'pull': 'missing',
                  'restart_policy': 'always',
                  'state': 'started',
                  'volumes': ['docker-registry-data:/var/lib/registry',
                              '/etc/docker-registry:/etc/docker/registry:ro']},
                 '81b2b598b1bc9fe58c33325a16ab08b14f9e08fe96185d8f0879c64b376bc83b',
                 'e5b46bdeb506a8e4b43a179ee93d65516852ae342fddd5dbbda137d3911d44f0',
                 {'D': 'directory',
                  'D/applied.sha256': '77ae04ee3004c485b44b4ef9233fcbd11bbec40ffccce2cf63a4ae803c1aa769',
                  'D/config.yml': '132ce5f1e8540555438254591a9aede66ce4aba6ae7767f30586c30910d0f677',
                  'D/htpasswd': 'bfe7e0c353a76ac76ff61dfc42e27f57e6f5ffbe691ff5261553fce51ac38513',
                  'D/tls.crt': '05e706394f11dc33fda40f90c27b16ee140431c635cba9713b9a48e7698e2d6b',
                  'D/tls.key': '4acdef1b0c550a92b3bc4578ae48bc30f9cfd69c4d50d773b89c83666426d79d'},
                 id='generic-webhook, TLS, htpasswd, endpoint, events'),
    pytest.param(BUILD_TOKEN_ROOT, BUILD_TOKEN_ROOT_CONFIG,
                 {'image': 'registry:2',
                  'name': 'registry',
                  'published_ports': ['0.0.0.0:5000:5000'],
                  'pull': 'missing',
                  'restart_policy': 'always',
                  'state': 'started',
                  'volumes': ['docker-registry-data:/var/lib/registry',
                              '/etc/docker-registry:/etc/docker/registry:ro']},
                 '9d369beb66b6c42d2b95d6c8c870f00b75d6e182ef1619194fb16a025117443f',
                 'e1f902c1c65634f82a0a87e9e2d85db2feb5169111c04731e76a3683cb38bfe7',
                 {'D': 'directory',
                  'D/applied.sha256': '3da3c78c344dc07e5eb578e0dc512ecba1781b7e3555511c0f10882a31aef2e8',
                  'D/config.yml': '9f335c291eac3b687cf86a1a5864483e86910618d880cfc798b67d3707ad3d5e',
                  'D/htpasswd': 'absent',
                  'D/tls.crt': 'absent',
                  'D/tls.key': 'absent'},
                 id='build-token-root'),
]
# (case, inputs over the defaults, input_errors, exposures) - captured from the role's Jinja before it moved here


def _wanted_state(state_files):
    return dict((path.replace(D, "D"), spec.get("sha256") or spec.get("state")) for path, spec in state_files.items())


@pytest.mark.parametrize("over,config_text,spec,spec_sha256,record,files", PINNED)
def test_plan_is_what_the_role_wrote(over, config_text, spec, spec_sha256, record, files):
    got = fr.registry_plan(lazy(inputs(**over)))
    assert got["config_text"] == config_text
    assert got["container_spec"] == spec
    assert got["spec_hash"] == spec_sha256
    assert got["applied_path"] == D + "/applied.sha256"
    assert got["applied_text"] == record
    assert _wanted_state(got["state_files"]) == files
    assert got["dir_entry"] == {"path": D, "state": "directory", "owner": "root", "group": "root", "mode": "0755"}
