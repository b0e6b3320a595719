# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input checks of the swarm roles, as pure functions (no Ansible): one message per
problem, naming the host and the variable, so that bad input stops a run before any node
changes. The roles reach them through plugins/filter/recovery.py (swarm_input_errors,
swarm_labels_input_errors); unit tests: tests/unit/plugins/module_utils/test_inputs.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.fleet.docker.plugins.module_utils.daemon_config import _type_name
from ansible_collections.fleet.docker.plugins.module_utils.planner import RESTORE_LABEL

#: More managers than this fail the preflight unless the operator overrides it (Docker's advice).
MAX_MANAGERS = 7


def _json(value):
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


def _type(value):
    """The value's type as Jinja's type_debug names it (tuples as lists)."""
    if value is None:
        return "NoneType"
    return _type_name(list(value) if isinstance(value, tuple) else value)


def label_errors(host, labels, owner_key):
    """Problems of one host's swarm_node_labels: a dict of non-empty string keys (no commas,
    not one of the project's own record labels) to string values."""
    if not isinstance(labels, dict):
        return ["%s: swarm_node_labels must be a dict of label: string, got %s" % (host, _type(labels))]
    errors = []
    for key, value in labels.items():
        if not isinstance(key, str) or not key.strip():
            errors.append("%s: swarm_node_labels key %s must be a non-empty string" % (host, _json(key)))
        elif "," in key or key in (owner_key, RESTORE_LABEL):
            errors.append("%s: swarm_node_labels key %s is not allowed (no commas; %s and %s are reserved: they "
                          "record the labels this project owns and the availability to give back after a drain)"
                          % (host, _json(key), owner_key, RESTORE_LABEL))
        if not isinstance(value, str):
            errors.append("%s: swarm_node_labels.%s must be a string, got %s %s (quote it in YAML)"
                          % (host, key, _type(value), _json(value)))
    return errors


def _state_errors(host, state):
    if state in ("present", "absent"):
        return []
    return ["%s: swarm_node_state must be present or absent, got %s" % (host, _json(state))]


def swarm_input_errors(hosts, managers_group, workers_group, docker_hosts, inputs, absent=(),
                       count_override=False, owner_key="fleet.docker.owned-labels"):
    """Every input problem of the swarm role.

    hosts:   the swarm hosts of this play (inventory order).
    inputs:  {host: {'state', 'advertise_addr', 'labels'}} (this run's values, or the
             inventory's for a host that failed before recording them).
    absent:  every swarm host marked swarm_node_state: absent (for the manager count).
    """
    errors = []
    for h in hosts:
        v = inputs.get(h) or {}
        if h not in docker_hosts:
            errors.append("%s: is in %s but not in docker_hosts; every swarm host must be a Docker host of this "
                          "inventory" % (h, "swarm_managers" if h in managers_group else "swarm_workers"))
        if h in managers_group and h in workers_group:
            errors.append("%s: is in both swarm_managers and swarm_workers; a node has one role" % h)
        errors.extend(_state_errors(h, v.get("state", "present")))
        addr = v.get("advertise_addr", "")
        if not isinstance(addr, str):
            errors.append("%s: swarm_advertise_addr must be a string (an IPv4 address of the host), got %s"
                          % (h, _json(addr)))
        errors.extend(label_errors(h, v.get("labels", {}), owner_key))
    managers = [h for h in managers_group if h not in absent]
    if not managers:
        errors.append("swarm_managers has no host with swarm_node_state present; a swarm needs a manager")
    elif len(managers) > MAX_MANAGERS and not count_override:
        errors.append("swarm_managers lists %d managers; Docker recommends at most %d (more slow down every Raft "
                      "write). Set swarm_manager_count_override: true to go on anyway" % (len(managers), MAX_MANAGERS))
    return errors


def swarm_labels_input_errors(hosts, inputs, owner_key="fleet.docker.owned-labels"):
    """Every input problem of the swarm_labels role (state and labels of each host)."""
    errors = []
    for h in hosts:
        v = inputs.get(h) or {}
        errors.extend(_state_errors(h, v.get("state", "present")))
        errors.extend(label_errors(h, v.get("labels", {}), owner_key))
    return errors


# --------------------------------------------------------------------------- role docker_daemon

#: daemon.json keys that have a variable of their own (docker_daemon_options must not set them).
DAEMON_DEDICATED_KEYS = (
    ("log-driver", "docker_daemon_log_driver"),
    ("log-opts", "docker_daemon_log_opts"),
    ("insecure-registries", "docker_daemon_insecure_registries"),
)


def daemon_input_errors(log_driver, log_opts, insecure_registries, options, apply_timeout, swarm_host=False):
    """Problems of one host's docker_daemon variables (checked before anything touches it).

    swarm_host: the host is in swarm_managers or swarm_workers (dockerd refuses live-restore
    in swarm mode)."""
    errors = []
    if not isinstance(log_driver, str) or not log_driver:
        errors.append("docker_daemon_log_driver must be a non-empty string, got %r" % (log_driver,))
    if not isinstance(log_opts, dict):
        errors.append("docker_daemon_log_opts must be a dict (option: value), got %s %r" % (_type(log_opts), log_opts))
    if not isinstance(insecure_registries, (list, tuple)):
        errors.append("docker_daemon_insecure_registries must be a list, got %s %r"
                      % (_type(insecure_registries), insecure_registries))
    if not isinstance(options, dict):
        errors.append("docker_daemon_options must be a dict of daemon.json keys, got %s" % _type(options))
    else:
        for key, var in DAEMON_DEDICATED_KEYS:
            if key in options:
                errors.append("docker_daemon_options must not set %s: use %s" % (key, var))
        if options.get("live-restore") is True and swarm_host:
            errors.append("docker_daemon_options sets live-restore: true, but this host is in swarm_managers/"
                          "swarm_workers and dockerd refuses live-restore in swarm mode")
    try:
        positive = float(apply_timeout) > 0
    except (TypeError, ValueError):
        positive = False
    if not positive:
        errors.append("docker_daemon_apply_timeout must be a positive number of seconds")
    return errors


def daemon_registries(registry_hosts, registry_vars, trust=True):
    """The project's registries as the Docker hosts reach them (the registry role's inventory
    interface): [{name: "<address>:<port>", tls: bool, ca: PEM}], in inventory order.

    registry_vars: {host: {docker_registry_address, ansible_host, docker_registry_port,
    docker_registry_tls_cert, docker_registry_tls_ca_cert}} (missing or empty = default).
    An IPv6 address is written in brackets."""
    if not trust:
        return []
    out = []
    for h in registry_hosts:
        hv = registry_vars.get(h) or {}
        addr = str(hv.get("docker_registry_address") or hv.get("ansible_host") or h)
        if ":" in addr and not addr.startswith("["):
            addr = "[%s]" % addr
        cert = hv.get("docker_registry_tls_cert") or ""
        out.append({"name": "%s:%s" % (addr, hv.get("docker_registry_port") or 5000), "tls": len(cert) > 0,
                    "ca": hv.get("docker_registry_tls_ca_cert") or cert})
    return out
