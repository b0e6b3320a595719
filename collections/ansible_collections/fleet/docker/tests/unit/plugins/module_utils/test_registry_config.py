"""module_utils.registry_config: role docker_registry's decisions (config.yml, files, container,
checks), pinned to what the role's Jinja (vars/main.yml before it moved here) produced.

Every expected value below was captured by rendering the OLD vars/main.yml with Ansible for
the same inputs: config.yml as data, the container spec and its hash (the container's label),
what the full path writes and removes after the check, and every input-check message. The
config.yml text, applied.sha256 and the file hashes fleet.docker.container_state compares
(a different value would re-create every running registry once) are pinned in
tests/unit/plugins/filter/test_registry_filter.py, where Ansible's to_nice_yaml is available
(ansible-test runs module_utils tests without ansible.plugins). One deliberate difference:
unknown endpoint keys are listed in the endpoint's own order (the Jinja listed them in Python
set order, which changed from run to run)."""

import json

import pytest

from ansible_collections.fleet.docker.plugins.module_utils import registry_config as rc

CRT = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nMIGHtest\n-----END PRIVATE KEY-----\n"
BCRYPT = "$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu"
D = "/etc/docker-registry"

# The role's defaults as vars/main.yml hands them over (__docker_registry_inputs).
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

GWT_TLS_AUTH = {
    "jenkins_trigger": "generic-webhook", "jenkins_url": "https://jenkins.example.com/ci/",
    "jenkins_token": "s3cret-token", "tls_cert": CRT, "tls_key": KEY,
    "htpasswd_users": [{"name": "ci", "password_hash": BCRYPT}], "bind_address": "10.0.0.5",
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


def to_yaml(data):
    """Stands in for Ansible's to_nice_yaml (ansible-test runs module_utils tests without
    ansible.plugins); test_registry_filter.py pins the YAML text the filter renders."""
    return json.dumps(data, sort_keys=True, indent=2) + "\n"


def plan(**over):
    return rc.registry_plan(inputs(**over), to_yaml)


# config.yml as data for the cases test_registry_filter.py pins as text (captured from the old Jinja)
PINNED_CONFIG = [
    pytest.param({},
                 {'health': {'storagedriver': {'enabled': True, 'interval': '10s', 'threshold': 3}},
                  'http': {'addr': ':5000', 'headers': {'X-Content-Type-Options': ['nosniff']}},
                  'log': {'fields': {'service': 'registry'}, 'level': 'warn'},
                  'storage': {'cache': {'blobdescriptor': 'inmemory'},
                              'delete': {'enabled': False},
                              'filesystem': {'rootdirectory': '/var/lib/registry'}},
                  'version': '0.1'},
                 '9d369beb66b6c42d2b95d6c8c870f00b75d6e182ef1619194fb16a025117443f',
                 id='defaults'),
    pytest.param(GWT_TLS_AUTH,
                 {'auth': {'htpasswd': {'path': '/etc/docker/registry/htpasswd', 'realm': 'Registry'}},
                  'health': {'storagedriver': {'enabled': True, 'interval': '10s', 'threshold': 3}},
                  'http': {'addr': ':5000',
                           'headers': {'X-Content-Type-Options': ['nosniff']},
                           'tls': {'certificate': '/etc/docker/registry/tls.crt',
                                   'key': '/etc/docker/registry/tls.key'}},
                  'log': {'fields': {'service': 'registry'}, 'level': 'warn'},
                  'notifications': {'endpoints': [{'disabled': True,
                                                   'headers': {'X-Source': ['registry']},
                                                   'name': 'audit',
                                                   'url': 'https://audit.example.com/events'},
                                                  {'backoff': '10s',
                                                   'headers': {'Authorization': ['Bearer s3cret-token']},
                                                   'ignore': {'actions': ['pull'],
                                                              'mediatypes': ['application/octet-stream']},
                                                   'name': 'jenkins',
                                                   'threshold': 5,
                                                   'timeout': '5s',
                                                   'url': 'https://jenkins.example.com/ci/generic-webhook-trigger/invoke'}],
                                    'events': {'includereferences': True}},
                  'storage': {'cache': {'blobdescriptor': 'inmemory'},
                              'delete': {'enabled': False},
                              'filesystem': {'rootdirectory': '/var/lib/registry'}},
                  'version': '0.1'},
                 '81b2b598b1bc9fe58c33325a16ab08b14f9e08fe96185d8f0879c64b376bc83b',
                 id='pin_full'),
    pytest.param(BUILD_TOKEN_ROOT,
                 {'health': {'storagedriver': {'enabled': True, 'interval': '10s', 'threshold': 3}},
                  'http': {'addr': ':5000', 'headers': {'X-Content-Type-Options': ['nosniff']}},
                  'log': {'fields': {'service': 'registry'}, 'level': 'warn'},
                  'notifications': {'endpoints': [{'backoff': '10s',
                                                   'ignore': {'actions': ['pull'],
                                                              'mediatypes': ['application/octet-stream']},
                                                   'name': 'jenkins',
                                                   'threshold': 5,
                                                   'timeout': '5s',
                                                   'url': 'http://jenkins.example.com:8080/buildByToken/build?job=team%2Fapp+build&token=tok%26en%2F1%3D2'}]},
                  'storage': {'cache': {'blobdescriptor': 'inmemory'},
                              'delete': {'enabled': False},
                              'filesystem': {'rootdirectory': '/var/lib/registry'}},
                  'version': '0.1'},
                 '9d369beb66b6c42d2b95d6c8c870f00b75d6e182ef1619194fb16a025117443f',
                 id='pin_btr'),
]


@pytest.mark.parametrize("over,config,spec_sha256", PINNED_CONFIG)
def test_config_data_and_spec_hash_are_what_the_role_wrote(over, config, spec_sha256):
    got = plan(**over)
    assert got["config"] == config
    assert got["spec_hash"] == spec_sha256
    assert got["config_text"] == rc.config_text(to_yaml(config))
    assert got["applied_text"] == rc.applied_text(spec_sha256, got["files"])
    assert got["state_files"][D + "/config.yml"]["sha256"] == rc.sha256(got["config_text"])


CHECKS = [
    pytest.param({'allow_insecure': True,
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/',
                  'log_level': 'debug'},
                 [],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)',
                  'docker_registry_log_level debug makes the registry log every notification endpoint with its URL '
                  'and headers at start (the Jenkins token and endpoint credentials end up in `docker logs`; use '
                  'warn or error)'],
                 id='allowed_exposed_both'),
    pytest.param({'htpasswd_users': [{'name': 'ci',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'},
                                     {'name': 'bob',
                                      'password_hash': '$2y$05$abcdefghijklmnopqrstuOabcdefghijklmnopqrstuvwxyz012'}]},
                 ['docker_registry_htpasswd_users[1] (bob): password_hash is not a bcrypt hash ($2y$/$2b$/$2a$...); '
                  'the registry accepts bcrypt only (htpasswd -nbB NAME PASSWORD)'],
                 [],
                 id='auth'),
    pytest.param({'htpasswd_users': [{'name': 'ci',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'}]},
                 [],
                 [],
                 id='auth_one'),
    pytest.param({'notification_endpoints': [{'name': 'a', 'url': 'http://h/'},
                                             {'name': 'a', 'url': 'http://i/'},
                                             {'name': 'a', 'url': 'http://j/'}]},
                 ['docker_registry_notification_endpoints[1] (a): the name a is used twice (the endpoint built from '
                  'docker_registry_jenkins_* is named jenkins)',
                  'docker_registry_notification_endpoints[2] (a): the name a is used twice (the endpoint built from '
                  'docker_registry_jenkins_* is named jenkins)'],
                 [],
                 id='bad_ep_dup'),
    pytest.param({'notification_endpoints': [{'name': '', 'url': 'http://h/'}]},
                 ['docker_registry_notification_endpoints[0] (): name is required'],
                 [],
                 id='bad_ep_emptyname'),
    pytest.param({'notification_endpoints': [{'headers': ['x'], 'name': 'a', 'url': 'http://h/'},
                                             {'headers': {'A': 'str'}, 'name': 'b', 'url': 'http://h/'},
                                             {'headers': {'A': 5}, 'name': 'c', 'url': 'http://h/'},
                                             {'headers': {'A': ['ok'], 'B': {'x': 1}},
                                              'name': 'd',
                                              'url': 'http://h/'},
                                             {'headers': None, 'name': 'e', 'url': 'http://h/'},
                                             {'headers': {'A': [1, 2]}, 'name': 'f', 'url': 'http://h/'}]},
                 ['docker_registry_notification_endpoints[0] (a): headers must be a dict of lists of strings, e.g. '
                  '{Authorization: [Bearer xyz]}',
                  'docker_registry_notification_endpoints[1] (b): headers must be a dict of lists of strings, e.g. '
                  '{Authorization: [Bearer xyz]}',
                  'docker_registry_notification_endpoints[2] (c): headers must be a dict of lists of strings, e.g. '
                  '{Authorization: [Bearer xyz]}',
                  'docker_registry_notification_endpoints[4] (e): headers must be a dict of lists of strings, e.g. '
                  '{Authorization: [Bearer xyz]}'],
                 [],
                 id='bad_ep_headers'),
    pytest.param({'notification_endpoints': [{'ignore': ['x'], 'name': 'a', 'url': 'http://h/'},
                                             {'ignore': {'actions': ['pull'], 'other': 1},
                                              'name': 'b',
                                              'url': 'http://h/'},
                                             {'ignore': {'actions': ['pull']}, 'name': 'c', 'url': 'http://h/'},
                                             {'ignore': {'actions': ['pull'], 'mediatypes': []},
                                              'name': 'd',
                                              'url': 'http://h/'},
                                             {'ignore': {'actions': ['pull']},
                                              'ignoredmediatypes': ['a/b'],
                                              'name': 'e',
                                              'url': 'http://h/'},
                                             {'ignore': {'actions': []}, 'name': 'f', 'url': 'http://h/'},
                                             {'ignore': {}, 'name': 'g', 'url': 'http://h/'},
                                             {'ignore': None, 'name': 'h', 'url': 'http://h/'}]},
                 ['docker_registry_notification_endpoints[0] (a): ignore must be a dict with mediatypes and/or '
                  'actions',
                  'docker_registry_notification_endpoints[1] (b): ignore must be a dict with mediatypes and/or '
                  'actions',
                  'docker_registry_notification_endpoints[2] (c): ignore.actions is ignored by distribution 2.x '
                  'unless a media type is ignored too (distribution#2916); add ignore.mediatypes, e.g. '
                  '[application/octet-stream]',
                  'docker_registry_notification_endpoints[3] (d): ignore.actions is ignored by distribution 2.x '
                  'unless a media type is ignored too (distribution#2916); add ignore.mediatypes, e.g. '
                  '[application/octet-stream]',
                  'docker_registry_notification_endpoints[7] (h): ignore must be a dict with mediatypes and/or '
                  'actions'],
                 [],
                 id='bad_ep_ignore'),
    pytest.param({'notification_endpoints': [{'name': 123, 'url': 'http://h/'}]},
                 ['docker_registry_notification_endpoints[0] (123): name is required'],
                 [],
                 id='bad_ep_intname'),
    pytest.param({'allow_insecure': True,
                  'jenkins_token': 'abc123',
                  'jenkins_trigger': 'generic-webhook',
                  'jenkins_url': 'https://j.example.com/prefix//',
                  'notification_endpoints': [{'name': 'jenkins', 'url': 'http://h/'}]},
                 ['docker_registry_notification_endpoints[0] (jenkins): the name jenkins is used twice (the endpoint '
                  'built from docker_registry_jenkins_* is named jenkins)'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='bad_ep_jenkins_name'),
    pytest.param({'notification_endpoints': [{'nme': 'x'}]},
                 ['docker_registry_notification_endpoints[0]: unknown key(s) nme; known: name, disabled, url, '
                  'headers, timeout, threshold, backoff, ignoredmediatypes, ignore',
                  'docker_registry_notification_endpoints[0]: name is required',
                  'docker_registry_notification_endpoints[0]: url is required and must be an http:// or https:// URL'],
                 [],
                 id='bad_ep_many'),
    pytest.param({'notification_endpoints': [{'url': 'http://h/'}]},
                 ['docker_registry_notification_endpoints[0]: name is required'],
                 [],
                 id='bad_ep_noname'),
    pytest.param({'notification_endpoints': ['str', 3]},
                 ['docker_registry_notification_endpoints[0] must be a dict (a distribution endpoint)',
                  'docker_registry_notification_endpoints[1] must be a dict (a distribution endpoint)'],
                 [],
                 id='bad_ep_notdict'),
    pytest.param({'notification_endpoints': [{'alpha': 2,
                                              'name': 'hook',
                                              'timout': '1s',
                                              'url': 'http://10.0.0.1/',
                                              'zeta': 1}]},
                 ['docker_registry_notification_endpoints[0] (hook): unknown key(s) alpha, timout, zeta; known: '
                  'name, disabled, url, headers, timeout, threshold, backoff, ignoredmediatypes, ignore'],
                 [],
                 id='bad_ep_unknown'),
    pytest.param({'notification_endpoints': [{'name': 'h', 'url': 'ftp://h/'},
                                             {'name': 'i', 'url': 5},
                                             {'name': 'k', 'url': 'http://'}]},
                 ['docker_registry_notification_endpoints[0] (h): url is required and must be an http:// or https:// '
                  'URL',
                  'docker_registry_notification_endpoints[1] (i): url is required and must be an http:// or https:// '
                  'URL',
                  'docker_registry_notification_endpoints[2] (k): url is required and must be an http:// or https:// '
                  'URL'],
                 [],
                 id='bad_ep_url_bad'),
    pytest.param({'notification_endpoints': [{'name': 'h'}]},
                 ['docker_registry_notification_endpoints[0] (h): url is required and must be an http:// or https:// '
                  'URL'],
                 [],
                 id='bad_ep_url_missing'),
    pytest.param({'htpasswd_users': [{'name': 'u', 'password_hash': 'p'}],
                  'jenkins_ignored_mediatypes': [],
                  'jenkins_job': '/j',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'j',
                  'log_level': 'info',
                  'notification_endpoints': [{'bad': 1, 'name': 'jenkins', 'url': 'x'}],
                  'port': 'x',
                  'storage': 'a/b',
                  'tls_cert': 'c'},
                 ['docker_registry_port must be a port number (1-65535), got x',
                  'docker_registry_storage must be a volume name or an absolute path, got a/b',
                  'docker_registry_jenkins_url must be an http:// or https:// URL without query or fragment (e.g. '
                  'https://jenkins.example.com), got j',
                  'docker_registry_jenkins_job must be a job name or folder/job, without leading or trailing /, got '
                  '/j',
                  'docker_registry_jenkins_ignored_mediatypes must not be empty while '
                  'docker_registry_jenkins_ignored_actions is set: distribution 2.x ignores ignore.actions without '
                  'ignore.mediatypes (distribution#2916)',
                  'docker_registry_notification_endpoints[0] (jenkins): unknown key(s) bad; known: name, disabled, '
                  'url, headers, timeout, threshold, backoff, ignoredmediatypes, ignore',
                  'docker_registry_notification_endpoints[0] (jenkins): the name jenkins is used twice (the endpoint '
                  'built from docker_registry_jenkins_* is named jenkins)',
                  'docker_registry_notification_endpoints[0] (jenkins): url is required and must be an http:// or '
                  'https:// URL',
                  'docker_registry_tls_key is empty while docker_registry_tls_cert is set (TLS needs both)',
                  'docker_registry_tls_cert is not a PEM certificate',
                  'docker_registry_htpasswd_users[0] (u): password_hash is not a bcrypt hash ($2y$/$2b$/$2a$...); '
                  'the registry accepts bcrypt only (htpasswd -nbB NAME PASSWORD)',
                  'refusing an exposed registry: docker_registry_log_level info makes the registry log every '
                  'notification endpoint with its URL and headers at start (the Jenkins token and endpoint '
                  'credentials end up in `docker logs`; use warn or error); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['docker_registry_log_level info makes the registry log every notification endpoint with its URL '
                  'and headers at start (the Jenkins token and endpoint credentials end up in `docker logs`; use '
                  'warn or error)'],
                 id='bad_everything'),
    pytest.param({'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/',
                  'log_level': 'debug'},
                 ['refusing an exposed registry: the registry triggers a Jenkins job on every push but has no TLS '
                  'and htpasswd auth and listens on 0.0.0.0:5000: anyone who reaches it can push images and start '
                  'deployments (set docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see '
                  'inventory/example, or bind it to loopback with docker_registry_bind_address); '
                  'docker_registry_log_level debug makes the registry log every notification endpoint with its URL '
                  'and headers at start (the Jenkins token and endpoint credentials end up in `docker logs`; use '
                  'warn or error); or accept this with docker_registry_allow_insecure: true'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)',
                  'docker_registry_log_level debug makes the registry log every notification endpoint with its URL '
                  'and headers at start (the Jenkins token and endpoint credentials end up in `docker logs`; use '
                  'warn or error)'],
                 id='bad_exposed_both'),
    pytest.param({'jenkins_token': 'abc123',
                  'jenkins_trigger': 'generic-webhook',
                  'jenkins_url': 'https://j.example.com/prefix//'},
                 ['refusing an exposed registry: the registry triggers a Jenkins job on every push but has no TLS '
                  'and htpasswd auth and listens on 0.0.0.0:5000: anyone who reaches it can push images and start '
                  'deployments (set docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see '
                  'inventory/example, or bind it to loopback with docker_registry_bind_address); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='bad_exposed_gwt'),
    pytest.param({'bind_address': '127.0.0.1',
                  'jenkins_token': 'abc123',
                  'jenkins_trigger': 'generic-webhook',
                  'jenkins_url': 'https://j.example.com/prefix//',
                  'log_level': 'info'},
                 ['refusing an exposed registry: docker_registry_log_level info makes the registry log every '
                  'notification endpoint with its URL and headers at start (the Jenkins token and endpoint '
                  'credentials end up in `docker logs`; use warn or error); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['docker_registry_log_level info makes the registry log every notification endpoint with its URL '
                  'and headers at start (the Jenkins token and endpoint credentials end up in `docker logs`; use '
                  'warn or error)'],
                 id='bad_exposed_info'),
    pytest.param({'jenkins_trigger': 'generic-webhook', 'jenkins_url': 'http://j/'},
                 ['the Jenkins notification (docker_registry_jenkins_trigger generic-webhook) needs '
                  'docker_registry_jenkins_token, docker_registry_jenkins_url all set; empty: '
                  'docker_registry_jenkins_token',
                  'refusing an exposed registry: the registry triggers a Jenkins job on every push but has no TLS '
                  'and htpasswd auth and listens on 0.0.0.0:5000: anyone who reaches it can push images and start '
                  'deployments (set docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see '
                  'inventory/example, or bind it to loopback with docker_registry_bind_address); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='bad_gwt_url_only'),
    pytest.param({'htpasswd_users': ['x',
                                     {'name': 'a'},
                                     {'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'},
                                     {'name': '',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'},
                                     {'name': 'a:b',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'},
                                     {'name': 'a b',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'},
                                     {'name': 't\tb',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'},
                                     {'name': 'ci', 'password_hash': '$apr1$abc$0123456789abcdefghijk.'},
                                     {'name': 'ok',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'},
                                     {'name': 'nl',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu\n'}]},
                 ['docker_registry_htpasswd_users[0] must be a dict with name and password_hash',
                  'docker_registry_htpasswd_users[1] must be a dict with name and password_hash',
                  'docker_registry_htpasswd_users[2] must be a dict with name and password_hash',
                  'docker_registry_htpasswd_users[3]: name must be non-empty, without : or spaces',
                  'docker_registry_htpasswd_users[4]: name must be non-empty, without : or spaces',
                  'docker_registry_htpasswd_users[5]: name must be non-empty, without : or spaces',
                  'docker_registry_htpasswd_users[6]: name must be non-empty, without : or spaces',
                  'docker_registry_htpasswd_users[7] (ci): password_hash is not a bcrypt hash ($2y$/$2b$/$2a$...); '
                  'the registry accepts bcrypt only (htpasswd -nbB NAME PASSWORD)'],
                 [],
                 id='bad_htpasswd'),
    pytest.param({'jenkins_job': 'j'},
                 ['the Jenkins notification (docker_registry_jenkins_trigger build-token-root) needs '
                  'docker_registry_jenkins_job, docker_registry_jenkins_token, docker_registry_jenkins_url all set; '
                  'empty: docker_registry_jenkins_token, docker_registry_jenkins_url',
                  'refusing an exposed registry: the registry triggers a Jenkins job on every push but has no TLS '
                  'and htpasswd auth and listens on 0.0.0.0:5000: anyone who reaches it can push images and start '
                  'deployments (set docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see '
                  'inventory/example, or bind it to loopback with docker_registry_bind_address); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='bad_jenkins_job_only'),
    pytest.param({'allow_insecure': True,
                  'jenkins_job': '/a/',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 ['docker_registry_jenkins_job must be a job name or folder/job, without leading or trailing /, got '
                  '/a/'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='bad_jenkins_job_slash'),
    pytest.param({'allow_insecure': True,
                  'jenkins_job': 'a/',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 ['docker_registry_jenkins_job must be a job name or folder/job, without leading or trailing /, got '
                  'a/'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='bad_jenkins_job_trail'),
    pytest.param({'allow_insecure': True,
                  'jenkins_ignored_mediatypes': [],
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 ['docker_registry_jenkins_ignored_mediatypes must not be empty while '
                  'docker_registry_jenkins_ignored_actions is set: distribution 2.x ignores ignore.actions without '
                  'ignore.mediatypes (distribution#2916)'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='bad_jenkins_mediatypes'),
    pytest.param({'jenkins_token': 't'},
                 ['the Jenkins notification (docker_registry_jenkins_trigger build-token-root) needs '
                  'docker_registry_jenkins_job, docker_registry_jenkins_token, docker_registry_jenkins_url all set; '
                  'empty: docker_registry_jenkins_job, docker_registry_jenkins_url',
                  'refusing an exposed registry: the registry triggers a Jenkins job on every push but has no TLS '
                  'and htpasswd auth and listens on 0.0.0.0:5000: anyone who reaches it can push images and start '
                  'deployments (set docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see '
                  'inventory/example, or bind it to loopback with docker_registry_bind_address); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='bad_jenkins_token_only'),
    pytest.param({'jenkins_job': 'team/app build', 'jenkins_token': 'tok&en/1=2', 'jenkins_url': '172.18.0.5:8080'},
                 ['docker_registry_jenkins_url must be an http:// or https:// URL without query or fragment (e.g. '
                  'https://jenkins.example.com), got 172.18.0.5:8080',
                  'refusing an exposed registry: the registry triggers a Jenkins job on every push but has no TLS '
                  'and htpasswd auth and listens on 0.0.0.0:5000: anyone who reaches it can push images and start '
                  'deployments (set docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see '
                  'inventory/example, or bind it to loopback with docker_registry_bind_address); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='bad_jenkins_url'),
    pytest.param({'allow_insecure': True,
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'https://h#x'},
                 ['docker_registry_jenkins_url must be an http:// or https:// URL without query or fragment (e.g. '
                  'https://jenkins.example.com), got https://h#x'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='bad_jenkins_url_frag'),
    pytest.param({'allow_insecure': True,
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://h/?a=1'},
                 ['docker_registry_jenkins_url must be an http:// or https:// URL without query or fragment (e.g. '
                  'https://jenkins.example.com), got http://h/?a=1'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='bad_jenkins_url_query'),
    pytest.param({'port': 0},
                 ['docker_registry_port must be a port number (1-65535), got 0'],
                 [],
                 id='bad_port_0'),
    pytest.param({'port': 70000},
                 ['docker_registry_port must be a port number (1-65535), got 70000'],
                 [],
                 id='bad_port_70000'),
    pytest.param({'port': True},
                 ['docker_registry_port must be a port number (1-65535), got True'],
                 [],
                 id='bad_port_bool'),
    pytest.param({'port': 5000.5},
                 ['docker_registry_port must be a port number (1-65535), got 5000.5'],
                 [],
                 id='bad_port_float'),
    pytest.param({'port': 'http'},
                 ['docker_registry_port must be a port number (1-65535), got http'],
                 [],
                 id='bad_port_http'),
    pytest.param({'port': -1},
                 ['docker_registry_port must be a port number (1-65535), got -1'],
                 [],
                 id='bad_port_neg'),
    pytest.param({'port': '05000'},
                 [],
                 [],
                 id='bad_port_str'),
    pytest.param({'storage': ''},
                 ['docker_registry_storage must be a volume name or an absolute path, got an empty value'],
                 [],
                 id='bad_storage_empty'),
    pytest.param({'storage': 'rel/path'},
                 ['docker_registry_storage must be a volume name or an absolute path, got rel/path'],
                 [],
                 id='bad_storage_rel'),
    pytest.param({'tls_cert': 'nope', 'tls_key': 'nokey'},
                 ['docker_registry_tls_key is not a PEM private key',
                  'docker_registry_tls_cert is not a PEM certificate'],
                 [],
                 id='bad_tls_both_bad'),
    pytest.param({'tls_cert': 'nope', 'tls_key': '-----BEGIN PRIVATE KEY-----\nMIGHtest\n-----END PRIVATE KEY-----\n'},
                 ['docker_registry_tls_cert is not a PEM certificate'],
                 [],
                 id='bad_tls_certnotpem'),
    pytest.param({'tls_cert': '-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n'},
                 ['docker_registry_tls_key is empty while docker_registry_tls_cert is set (TLS needs both)'],
                 [],
                 id='bad_tls_fakecert'),
    pytest.param({'tls_cert': '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n',
                  'tls_key': 'secret'},
                 ['docker_registry_tls_key is not a PEM private key'],
                 [],
                 id='bad_tls_keynotpem'),
    pytest.param({'tls_key': '-----BEGIN PRIVATE KEY-----\nMIGHtest\n-----END PRIVATE KEY-----\n'},
                 ['docker_registry_tls_cert is empty while docker_registry_tls_key is set (TLS needs both)'],
                 [],
                 id='bad_tls_keyonly'),
    pytest.param({'tls_cert': '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n'},
                 ['docker_registry_tls_key is empty while docker_registry_tls_cert is set (TLS needs both)'],
                 [],
                 id='bad_tls_nokey'),
    pytest.param({'htpasswd_users': [{'name': 'ci',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'},
                                     {'name': 'bob',
                                      'password_hash': '$2y$05$abcdefghijklmnopqrstuOabcdefghijklmnopqrstuvwxyz012'}],
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 ['docker_registry_htpasswd_users[1] (bob): password_hash is not a bcrypt hash ($2y$/$2b$/$2a$...); '
                  'the registry accepts bcrypt only (htpasswd -nbB NAME PASSWORD)',
                  'refusing an exposed registry: the registry triggers a Jenkins job on every push but has no TLS '
                  'and listens on 0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and listens on 0.0.0.0:5000: '
                  'anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='btr_auth_only_refused'),
    pytest.param({'allow_insecure': True,
                  'bind_address': '::',
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 [],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  ':::5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='btr_bind6any'),
    pytest.param({'bind_address': '',
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 ['refusing an exposed registry: the registry triggers a Jenkins job on every push but has no TLS '
                  'and htpasswd auth and listens on :5000: anyone who reaches it can push images and start '
                  'deployments (set docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see '
                  'inventory/example, or bind it to loopback with docker_registry_bind_address); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  ':5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='btr_emptybind'),
    pytest.param({'allow_insecure': True,
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 [],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='btr_insecure'),
    pytest.param({'bind_address': 'localhost',
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 [],
                 [],
                 id='btr_localhost'),
    pytest.param({'bind_address': '127.0.0.2',
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 [],
                 [],
                 id='btr_loop2'),
    pytest.param({'bind_address': '127.0.0.1',
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 [],
                 [],
                 id='btr_loopback'),
    pytest.param({'bind_address': '::1',
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 [],
                 [],
                 id='btr_loopback6'),
    pytest.param({'bind_address': '[::1]',
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 [],
                 [],
                 id='btr_loopback6b'),
    pytest.param({'allow_insecure': True,
                  'jenkins_backoff': '1m',
                  'jenkins_ignored_actions': ['pull', 'mount'],
                  'jenkins_ignored_mediatypes': ['a/b', 'c/d'],
                  'jenkins_job': 'team/app build',
                  'jenkins_threshold': '7',
                  'jenkins_timeout': '3s',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/',
                  'port': 5001},
                 [],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5001: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='btr_params'),
    pytest.param({'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/'},
                 ['refusing an exposed registry: the registry triggers a Jenkins job on every push but has no TLS '
                  'and htpasswd auth and listens on 0.0.0.0:5000: anyone who reaches it can push images and start '
                  'deployments (set docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see '
                  'inventory/example, or bind it to loopback with docker_registry_bind_address); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='btr_refused'),
    pytest.param({'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'http://jenkins.example.com:8080/',
                  'tls_cert': '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n',
                  'tls_key': '-----BEGIN PRIVATE KEY-----\nMIGHtest\n-----END PRIVATE KEY-----\n'},
                 ['refusing an exposed registry: the registry triggers a Jenkins job on every push but has no '
                  'htpasswd auth and listens on 0.0.0.0:5000: anyone who reaches it can push images and start '
                  'deployments (set docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see '
                  'inventory/example, or bind it to loopback with docker_registry_bind_address); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['the registry triggers a Jenkins job on every push but has no htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='btr_tls_only_refused'),
    pytest.param({},
                 [],
                 [],
                 id='defaults'),
    pytest.param({'allow_insecure': True,
                  'jenkins_token': 'abc123',
                  'jenkins_trigger': 'generic-webhook',
                  'jenkins_url': 'https://j.example.com/prefix//',
                  'notification_endpoints': [{'backoff': '1s',
                                              'disabled': False,
                                              'headers': {'Authorization': ['Bearer x']},
                                              'ignore': {'actions': ['pull'], 'mediatypes': ['m/t']},
                                              'ignoredmediatypes': ['application/octet-stream'],
                                              'name': 'a',
                                              'threshold': 3,
                                              'timeout': '1s',
                                              'url': 'http://x.example/'},
                                             {'name': 'b', 'url': 'https://u:p@h.example/x?y=1'}],
                  'notification_events': {'includereferences': True}},
                 [],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='endpoints'),
    pytest.param({'log_level': 'debug', 'notification_endpoints': [{'name': 'q', 'url': 'http://h/?x'}]},
                 ['refusing an exposed registry: docker_registry_log_level debug makes the registry log every '
                  'notification endpoint with its URL and headers at start (the Jenkins token and endpoint '
                  'credentials end up in `docker logs`; use warn or error); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['docker_registry_log_level debug makes the registry log every notification endpoint with its URL '
                  'and headers at start (the Jenkins token and endpoint credentials end up in `docker logs`; use '
                  'warn or error)'],
                 id='endpoints_debug'),
    pytest.param({'log_level': 'info', 'notification_endpoints': [{'name': 'q', 'url': 'http://h/'}]},
                 [],
                 [],
                 id='endpoints_info_clean'),
    pytest.param({'log_level': 'info', 'notification_endpoints': [{'headers': {}, 'name': 'q', 'url': 'http://h/'}]},
                 ['refusing an exposed registry: docker_registry_log_level info makes the registry log every '
                  'notification endpoint with its URL and headers at start (the Jenkins token and endpoint '
                  'credentials end up in `docker logs`; use warn or error); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['docker_registry_log_level info makes the registry log every notification endpoint with its URL '
                  'and headers at start (the Jenkins token and endpoint credentials end up in `docker logs`; use '
                  'warn or error)'],
                 id='endpoints_info_headers'),
    pytest.param({'log_level': 'info', 'notification_endpoints': [{'name': 'q', 'url': 'http://u@h/'}]},
                 ['refusing an exposed registry: docker_registry_log_level info makes the registry log every '
                  'notification endpoint with its URL and headers at start (the Jenkins token and endpoint '
                  'credentials end up in `docker logs`; use warn or error); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['docker_registry_log_level info makes the registry log every notification endpoint with its URL '
                  'and headers at start (the Jenkins token and endpoint credentials end up in `docker logs`; use '
                  'warn or error)'],
                 id='endpoints_info_userinfo'),
    pytest.param({'notification_endpoints': [{'backoff': '1s',
                                              'disabled': False,
                                              'headers': {'Authorization': ['Bearer x']},
                                              'ignore': {'actions': ['pull'], 'mediatypes': ['m/t']},
                                              'ignoredmediatypes': ['application/octet-stream'],
                                              'name': 'a',
                                              'threshold': 3,
                                              'timeout': '1s',
                                              'url': 'http://x.example/'},
                                             {'name': 'b', 'url': 'https://u:p@h.example/x?y=1'}]},
                 [],
                 [],
                 id='endpoints_only'),
    pytest.param({'notification_endpoints': [{'name': 'jenkins', 'url': 'http://h/'}]},
                 [],
                 [],
                 id='ep_jenkins_name_ok'),
    pytest.param({'notification_events': {'includereferences': True}},
                 [],
                 [],
                 id='events_only'),
    pytest.param({'allow_insecure': True,
                  'jenkins_token': 'abc123',
                  'jenkins_trigger': 'generic-webhook',
                  'jenkins_url': 'https://j.example.com/prefix//'},
                 [],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='gwt_insecure'),
    pytest.param({'jenkins_job': 'j', 'jenkins_trigger': 'generic-webhook'},
                 [],
                 [],
                 id='gwt_job_only'),
    pytest.param({'allow_insecure': True,
                  'jenkins_ignored_actions': [],
                  'jenkins_ignored_mediatypes': [],
                  'jenkins_token': 'abc123',
                  'jenkins_trigger': 'generic-webhook',
                  'jenkins_url': 'https://j.example.com/prefix//'},
                 [],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='gwt_noactions'),
    pytest.param({'htpasswd_users': [{'name': 'ci',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'},
                                     {'name': 'bob',
                                      'password_hash': '$2y$05$abcdefghijklmnopqrstuOabcdefghijklmnopqrstuvwxyz012'}],
                  'jenkins_token': 'abc123',
                  'jenkins_trigger': 'generic-webhook',
                  'jenkins_url': 'https://j.example.com/prefix//',
                  'tls_cert': '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n',
                  'tls_key': '-----BEGIN PRIVATE KEY-----\nMIGHtest\n-----END PRIVATE KEY-----\n'},
                 ['docker_registry_htpasswd_users[1] (bob): password_hash is not a bcrypt hash ($2y$/$2b$/$2a$...); '
                  'the registry accepts bcrypt only (htpasswd -nbB NAME PASSWORD)'],
                 [],
                 id='gwt_tls_auth'),
    pytest.param({'htpasswd_users': [{'name': 'ci',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'},
                                     {'name': 'bob',
                                      'password_hash': '$2y$05$abcdefghijklmnopqrstuOabcdefghijklmnopqrstuvwxyz012'}],
                  'jenkins_token': 'abc123',
                  'jenkins_trigger': 'generic-webhook',
                  'jenkins_url': 'https://j.example.com/prefix//',
                  'log_level': 'info',
                  'tls_cert': '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n',
                  'tls_key': '-----BEGIN PRIVATE KEY-----\nMIGHtest\n-----END PRIVATE KEY-----\n'},
                 ['docker_registry_htpasswd_users[1] (bob): password_hash is not a bcrypt hash ($2y$/$2b$/$2a$...); '
                  'the registry accepts bcrypt only (htpasswd -nbB NAME PASSWORD)',
                  'refusing an exposed registry: docker_registry_log_level info makes the registry log every '
                  'notification endpoint with its URL and headers at start (the Jenkins token and endpoint '
                  'credentials end up in `docker logs`; use warn or error); or accept this with '
                  'docker_registry_allow_insecure: true'],
                 ['docker_registry_log_level info makes the registry log every notification endpoint with its URL '
                  'and headers at start (the Jenkins token and endpoint credentials end up in `docker logs`; use '
                  'warn or error)'],
                 id='gwt_tls_auth_info'),
    pytest.param({'allow_insecure': True,
                  'jenkins_job': 'team/app build',
                  'jenkins_token': 'tok&en/1=2',
                  'jenkins_url': 'https://h/p\n'},
                 [],
                 ['the registry triggers a Jenkins job on every push but has no TLS and htpasswd auth and listens on '
                  '0.0.0.0:5000: anyone who reaches it can push images and start deployments (set '
                  'docker_registry_tls_cert/_tls_key and docker_registry_htpasswd_users, see inventory/example, or '
                  'bind it to loopback with docker_registry_bind_address)'],
                 id='jenkins_url_nl'),
    pytest.param({'auth_realm': 'My Realm',
                  'bind_address': '10.1.2.3',
                  'config_dir': '/etc/reg2',
                  'config_mount': '/etc/distribution',
                  'config_overrides': {'http': {'addr': ':6000', 'headers': {'X-Foo': ['bar']}},
                                       'log': {'level': 'debug'},
                                       'proxy': {'remoteurl': 'https://mirror'},
                                       'storage': {'delete': {'enabled': True}, 's3': {'bucket': 'b'}},
                                       'version': 0.1},
                  'container_name': 'reg2',
                  'htpasswd_users': [{'name': 'ci',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'},
                                     {'name': 'bob',
                                      'password_hash': '$2y$05$abcdefghijklmnopqrstuOabcdefghijklmnopqrstuvwxyz012'}],
                  'image': 'registry:3',
                  'log_level': 'error',
                  'port': '5443',
                  'restart_policy': 'unless-stopped',
                  'storage': '/srv/registry',
                  'storage_delete_enabled': True,
                  'tls_cert': '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n',
                  'tls_key': '-----BEGIN PRIVATE KEY-----\nMIGHtest\n-----END PRIVATE KEY-----\n'},
                 ['docker_registry_htpasswd_users[1] (bob): password_hash is not a bcrypt hash ($2y$/$2b$/$2a$...); '
                  'the registry accepts bcrypt only (htpasswd -nbB NAME PASSWORD)'],
                 [],
                 id='overrides'),
    pytest.param({'tls_cert': '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n',
                  'tls_key': '-----BEGIN PRIVATE KEY-----\nMIGHtest\n-----END PRIVATE KEY-----\n'},
                 [],
                 [],
                 id='tls'),
    pytest.param({'tls_cert': '\n  -----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n\n\n',
                  'tls_key': '-----BEGIN PRIVATE KEY-----\nMIGHtest\n-----END PRIVATE KEY-----'},
                 [],
                 [],
                 id='tls_ws'),
    pytest.param({'auth_realm': 'Régistry ☃',
                  'htpasswd_users': [{'name': 'ci',
                                      'password_hash': '$2b$12$40lLhxQ95UNqvLptLAJpAuNZK/sWN6ZPe.r5gREFnklHk/t92xEZu'},
                                     {'name': 'bob',
                                      'password_hash': '$2y$05$abcdefghijklmnopqrstuOabcdefghijklmnopqrstuvwxyz012'}],
                  'notification_endpoints': [{'name': 'ü', 'url': 'http://h/ü'}]},
                 ['docker_registry_htpasswd_users[1] (bob): password_hash is not a bcrypt hash ($2y$/$2b$/$2a$...); '
                  'the registry accepts bcrypt only (htpasswd -nbB NAME PASSWORD)'],
                 [],
                 id='unicode'),
]


def test_plan_files_modes_and_contents():
    got = plan(**GWT_TLS_AUTH)
    assert [(f["name"], f["enabled"], f["mode"]) for f in got["files"]] == [
        ("config.yml", True, "0600"), ("tls.crt", True, "0644"), ("tls.key", True, "0600"), ("htpasswd", True, "0600")]
    assert [f["content"] for f in got["files"][1:]] == [CRT, KEY, "ci:" + BCRYPT + "\n"]
    assert (got["tls"], got["auth"], got["scheme"], got["local_address"]) == (True, True, "https", "10.0.0.5")
    # the modes and owners container_state compares are those the files are written with
    state = got["state_files"]
    assert [state[D + "/" + n]["mode"] for n in ("config.yml", "tls.crt", "tls.key", "htpasswd", "applied.sha256")] == [
        "0600", "0644", "0600", "0600", "0600"]


@pytest.mark.parametrize("cert,key,want_cert,want_key", [
    (CRT, KEY, CRT, KEY),
    ("\n  " + CRT + "\n\n", KEY.strip(), CRT, KEY),  # trimmed, one newline at the end
])
def test_tls_files_are_trimmed(cert, key, want_cert, want_key):
    files = dict((f["name"], f["content"]) for f in plan(tls_cert=cert, tls_key=key)["files"])
    assert (files["tls.crt"], files["tls.key"]) == (want_cert, want_key)


@pytest.mark.parametrize("over,want", [
    ({}, ("http", "127.0.0.1")),
    ({"bind_address": "::"}, ("http", "127.0.0.1")),
    ({"bind_address": ""}, ("http", "127.0.0.1")),
    ({"bind_address": "10.1.2.3", "port": "5443"}, ("http", "10.1.2.3")),
    ({"tls_cert": CRT, "tls_key": KEY, "bind_address": "127.0.0.1"}, ("https", "127.0.0.1")),
])
def test_scheme_and_local_address(over, want):
    got = plan(**over)
    assert (got["scheme"], got["local_address"]) == want


def test_container_spec_of_every_setting():
    got = plan(container_name="reg2", image="registry:3", port="5443", bind_address="10.1.2.3", storage="/srv/registry",
               config_dir="/etc/reg2", config_mount="/etc/distribution", restart_policy="unless-stopped")
    assert got["container_spec"] == {
        "name": "reg2", "image": "registry:3", "pull": "missing", "state": "started", "restart_policy": "unless-stopped",
        "published_ports": ["10.1.2.3:5443:5000"],
        "volumes": ["/srv/registry:/var/lib/registry", "/etc/reg2:/etc/distribution:ro"]}
    assert sorted(got["state_files"]) == ["/etc/reg2"] + ["/etc/reg2/" + n for n in (
        "applied.sha256", "config.yml", "htpasswd", "tls.crt", "tls.key")]


@pytest.mark.parametrize("over,want", [
    # build-token-root: job and token percent-encoded in the query (folder/job -> folder%2Fjob)
    (BUILD_TOKEN_ROOT, {"name": "jenkins", "timeout": "5s", "threshold": 5, "backoff": "10s",
                        "url": "http://jenkins.example.com:8080/buildByToken/build?job=team%2Fapp+build&token=tok%26en%2F1%3D2",
                        "ignore": {"mediatypes": ["application/octet-stream"], "actions": ["pull"]}}),
    # generic-webhook: trailing slashes of the URL dropped, the token only in a header
    ({"jenkins_trigger": "generic-webhook", "jenkins_url": "https://j.example.com/prefix//", "jenkins_token": "abc123",
      "jenkins_timeout": "3s", "jenkins_threshold": "7", "jenkins_backoff": "1m", "jenkins_ignored_actions": ["pull", "mount"],
      "jenkins_ignored_mediatypes": ["a/b"]},
     {"name": "jenkins", "timeout": "3s", "threshold": 7, "backoff": "1m",
      "url": "https://j.example.com/prefix/generic-webhook-trigger/invoke",
      "headers": {"Authorization": ["Bearer abc123"]}, "ignore": {"mediatypes": ["a/b"], "actions": ["pull", "mount"]}}),
])
def test_jenkins_endpoint(over, want):
    assert rc.jenkins_enabled(inputs(**over))
    assert rc.jenkins_endpoint(inputs(**over)) == want
    assert plan(**over)["config"]["notifications"] == {"endpoints": [want]}


@pytest.mark.parametrize("over,want", [
    ({}, False),
    # one of the trigger's settings turns it on (the checks then want all of them)...
    ({"jenkins_job": "j"}, True),
    ({"jenkins_token": "t"}, True),
    # ...generic-webhook does not use the job
    ({"jenkins_trigger": "generic-webhook", "jenkins_job": "j"}, False),
    ({"jenkins_url": "http://j/"}, True),
])
def test_jenkins_enabled(over, want):
    assert rc.jenkins_enabled(inputs(**over)) is want


def test_endpoints_events_and_overrides():
    eps = [{"name": "a", "url": "http://x.example/"}]
    got = plan(notification_endpoints=eps, notification_events={"includereferences": True}, storage_delete_enabled=True,
               auth_realm="My Realm", htpasswd_users=[{"name": "ci", "password_hash": BCRYPT}], log_level="error",
               config_overrides={"storage": {"s3": {"bucket": "b"}}, "http": {"addr": ":6000", "headers": {"X-Foo": ["bar"]}},
                                 "version": 0.1, "notifications": {"events": {"includereferences": False}}})["config"]
    assert got == {
        "version": 0.1,
        "log": {"level": "error", "fields": {"service": "registry"}},
        "storage": {"filesystem": {"rootdirectory": "/var/lib/registry"}, "delete": {"enabled": True},
                    "cache": {"blobdescriptor": "inmemory"}, "s3": {"bucket": "b"}},
        "http": {"addr": ":6000", "headers": {"X-Content-Type-Options": ["nosniff"], "X-Foo": ["bar"]}},
        "health": {"storagedriver": {"enabled": True, "interval": "10s", "threshold": 3}},
        "auth": {"htpasswd": {"realm": "My Realm", "path": "/etc/docker/registry/htpasswd"}},
        "notifications": {"endpoints": eps, "events": {"includereferences": False}},
    }
    # events alone add no notifications section (no endpoint)
    assert "notifications" not in plan(notification_events={"includereferences": True})["config"]


@pytest.mark.parametrize("dicts,want", [
    (({"a": 1}, {}), {"a": 1}),
    (({}, {"a": 1}), {"a": 1}),
    (({"a": {"b": 1, "c": [1]}}, {"a": {"c": [2]}}), {"a": {"b": 1, "c": [2]}}),  # lists are replaced
    (({"a": {"b": 1}}, {"a": "x"}), {"a": "x"}),
    (({"a": "x"}, {"a": {"b": 1}}), {"a": {"b": 1}}),
    (({"a": {"b": 1}}, {"a": {"c": 2}}, {"a": {"b": 3}}), {"a": {"b": 3, "c": 2}}),
    # combine merges from the last one down, as Ansible's filter does
    (({"a": {"b": 1}}, {"a": "x"}, {"a": {"c": 2}}), {"a": {"b": 1, "c": 2}}),
])
def test_combine(dicts, want):
    assert rc.combine(*dicts) == want


@pytest.mark.parametrize("value,want", [
    (5000, 5000), ("5000", 5000), ("05000", 5000), ("42.23", 42), (5000.9, 5000), (True, 1), ("http", 0), (None, 0),
    ("", 0), ("0x10", 0),
])
def test_to_int_is_jinjas(value, want):
    assert rc.to_int(value) == want


@pytest.mark.parametrize("value,want", [
    ("team/app build", "team%2Fapp+build"), ("tok&en/1=2", "tok%26en%2F1%3D2"), ("ü~-._", "%C3%BC~-._"), (5, "5"),
])
def test_url_quote_is_jinjas_urlencode(value, want):
    assert rc.url_quote(value) == want


def test_record_joins_with_a_backslash_n():
    files = [{"enabled": True, "content": "a"}, {"enabled": False, "content": "x"}, {"enabled": True, "content": "b"}]
    assert rc.applied_text("h", files) == rc.sha256("h\\na\\nb")


# --- after the check: what the full path writes and removes ---------------------------------
SYNC = {"exists": True, "in_sync": True}


@pytest.mark.parametrize("over,state,writes,finish,in_sync", [
    ({}, None, ["config.yml"], [("applied.sha256", None), ("tls.crt", "absent"), ("tls.key", "absent"),
                                ("htpasswd", "absent")], False),
    ({"tls_cert": CRT, "tls_key": KEY}, {}, ["config.yml", "tls.crt", "tls.key"],
     [("applied.sha256", None), ("htpasswd", "absent")], False),
    ({"tls_cert": CRT, "tls_key": KEY},
     {"files": {D: SYNC, D + "/config.yml": SYNC, D + "/tls.crt": SYNC, D + "/tls.key": SYNC,
                D + "/htpasswd": {"exists": False, "in_sync": True}, D + "/applied.sha256": SYNC}},
     [], [], True),
    ({"htpasswd_users": [{"name": "ci", "password_hash": BCRYPT}]},
     {"files": {D + "/config.yml": {"exists": True, "in_sync": False}, D + "/tls.crt": {"exists": False, "in_sync": True},
                D + "/tls.key": {"exists": True, "in_sync": False}, D + "/htpasswd": SYNC,
                D + "/applied.sha256": {"exists": True, "in_sync": False}}},
     ["config.yml"], [("applied.sha256", None), ("tls.key", "absent")], False),
    # a check that could not tell (no exists, null entries) counts as "not in sync" / "not absent"
    ({}, {"files": {D + "/config.yml": {"in_sync": True}, D + "/tls.crt": {"exists": None},
                    D + "/applied.sha256": {"in_sync": True}, D + "/htpasswd": {}}},
     [], [("tls.crt", "absent"), ("tls.key", "absent"), ("htpasswd", "absent")], True),
    ({}, {"files": None}, ["config.yml"], [("applied.sha256", None), ("tls.crt", "absent"), ("tls.key", "absent"),
                                           ("htpasswd", "absent")], False),
    ({}, {"files": {D + "/config.yml": None, D + "/applied.sha256": None}}, ["config.yml"],
     [("applied.sha256", None), ("tls.crt", "absent"), ("tls.key", "absent"), ("htpasswd", "absent")], False),
])
def test_pending_writes(over, state, writes, finish, in_sync):
    p = plan(**over)
    got = rc.pending_writes(p, state)
    contents = dict((f["name"], (f["content"], f["mode"])) for f in p["files"])
    assert [e["path"] for e in got["files"]] == [D + "/" + n for n in writes]
    for entry in got["files"]:
        name = entry["path"][len(D) + 1:]
        assert entry == {"path": entry["path"], "content": contents[name][0], "mode": contents[name][1],
                         "owner": "root", "group": "root"}
    assert [(e["path"], e.get("state")) for e in got["finish"]] == [(D + "/" + n, s) for n, s in finish]
    if finish and finish[0][0] == "applied.sha256":
        assert got["finish"][0] == {"path": D + "/applied.sha256", "content": p["applied_text"], "mode": "0600",
                                    "owner": "root", "group": "root"}
    assert got["applied_in_sync"] is in_sync


# --- input checks and exposures ----------------------------------------------------------


@pytest.mark.parametrize("over,errors,exposures", CHECKS)
def test_input_errors_and_exposures(over, errors, exposures):
    assert rc.input_errors(inputs(**over)) == errors
    assert rc.exposures(inputs(**over)) == exposures


def test_unknown_keys_in_the_endpoints_order():
    ep = {"zeta": 1, "name": "hook", "url": "http://h/", "alpha": 2, "timout": "1s"}
    assert rc.input_errors(inputs(notification_endpoints=[ep])) == [
        "docker_registry_notification_endpoints[0] (hook): unknown key(s) zeta, alpha, timout; known: name, disabled,"
        " url, headers, timeout, threshold, backoff, ignoredmediatypes, ignore"]


def test_defaults_are_accepted_and_expose_nothing():
    assert rc.input_errors(inputs()) == []
    assert rc.exposures(inputs()) == []
