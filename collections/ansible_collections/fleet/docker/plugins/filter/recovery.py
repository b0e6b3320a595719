# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that hand the recovery, restore, init and backup decisions to module_utils/planner.py.

The roles only wire data in and read the verdicts; every decision is a planner function
with table-driven unit tests (tests/unit/plugins/module_utils/test_planner_recovery.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible_collections.fleet.docker.plugins.module_utils import inputs as input_checks
from ansible_collections.fleet.docker.plugins.module_utils import planner


def _plain(value):
    """Lazy Ansible containers (hostvars, templated dicts) as plain dicts and lists."""
    if isinstance(value, Mapping):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _var(hostvars, host, key, default=None):
    try:
        hv = hostvars[host]
    except KeyError:
        return default
    try:
        value = hv.get(key, default) if hasattr(hv, "get") else default
    except Exception:  # an undefined or failing template counts as missing
        return default
    return default if value is None else _plain(value)


def host_facts_of(hostvars, hosts):
    """{host: fleet_docker_host} of the hosts that have the fact."""
    out = {}
    for h in hosts:
        fact = _var(hostvars, h, "fleet_docker_host")
        if isinstance(fact, dict):
            out[h] = fact
    return out


def recovery_reports(hostvars, hosts, read_key=""):
    """{host: planner.host_report()} for the hosts that have fleet_docker_host; read_key names
    the registered swarm_cluster_info result on each manager (skipped results count as not read)."""
    out = {}
    for h, fact in host_facts_of(hostvars, hosts).items():
        read = _var(hostvars, h, read_key) if read_key else None
        if isinstance(read, dict) and read.get("skipped"):
            read = None
        out[h] = planner.host_report(fact, read)
    return out


def inventory_addrs(hostvars, hosts):
    """{host: swarm_advertise_addr} where the inventory sets one (to match RemoteManagers)."""
    out = {}
    for h in hosts:
        addr = _var(hostvars, h, "swarm_advertise_addr", "")
        if addr:
            out[h] = addr
    return out


def recovery_plan(reports, target, managers, reads=None, lost=None, addrs=None, action="recover", restored=False):
    return planner.recovery_plan(target, list(managers), _plain(reports), target_reads=_plain(reads or []),
                                 lost=_plain(lost), inventory_addrs=_plain(addrs or {}), action=action,
                                 restored=bool(restored))


def recovery_reset(facts, target, view, states=None, stuck=None, restore=False):
    return planner.reset_plan(target, _plain(facts), _plain(view), states=_plain(states or {}),
                              stuck=list(stuck or []), restore=bool(restore))


def recovery_stuck(facts, exclude=()):
    return planner.stuck_hosts(_plain(facts), exclude=list(exclude))


def swarm_cluster_plan(hostvars, hosts, managers_group, in_play, absent=(), lost=None, inputs_key="__swarm_me"):
    """The swarm role's cluster decision (planner.cluster_plan) from hostvars."""
    hosts = list(hosts)
    inputs = dict((h, _var(hostvars, h, inputs_key, {})) for h in hosts)
    facts = host_facts_of(hostvars, [h for h in hosts if h in in_play])
    return planner.cluster_plan(hosts, list(managers_group), inputs, facts, list(in_play), absent=list(absent),
                                lost=_plain(lost))


def swarm_strangers(members, hostvars, nodes):
    """Members in a different swarm (planner.strangers): nodes is the manager's node list."""
    ids = [n.get("ID") for n in _plain(nodes) or [] if isinstance(n, dict)]
    return planner.strangers(list(members), host_facts_of(hostvars, list(members)), ids)


def swarm_role_nodes(hostvars, hosts, play_hosts, inputs_key="__swarm_me"):
    """[{node_id, name, role, labels}] of every present host of the play that is in the swarm
    (has a NodeID), in inventory order: what role swarm's cluster-wide call converges."""
    out = []
    for h in hosts:
        if h not in play_hosts:
            continue
        me = _var(hostvars, h, inputs_key, {}) or {}
        node_id = ((_var(hostvars, h, "fleet_docker_host", {}) or {}).get("swarm") or {}).get("node_id")
        if me.get("state") == "present" and node_id:
            out.append({"node_id": node_id, "name": h, "role": me.get("role"), "labels": me.get("labels")})
    return out


def swarm_preflight_plan(cluster, hostvars, inputs_key="__swarm_me"):
    """Who listens and probes what before a join (planner.join_preflight_plan)."""
    cluster = _plain(cluster) or {}
    hosts = list(cluster.get("members") or []) + list(cluster.get("joiners") or []) + [cluster.get("chosen") or ""]
    facts = host_facts_of(hostvars, [h for h in hosts if h])
    roles = dict((h, (_var(hostvars, h, inputs_key, {}) or {}).get("role", "worker")) for h in hosts if h)
    return planner.join_preflight_plan(cluster, facts, roles)


def swarm_preflight_verdict(plan, hostvars, open_key, probe_key, max_skew):
    """The preflight's refusals (planner.join_preflight_verdict) from the registered results."""
    plan = _plain(plan) or {}
    reports = {}
    for h in plan.get("hosts") or []:
        opened = _var(hostvars, h, open_key, {}) or {}
        probed = _var(hostvars, h, probe_key, {}) or {}
        if opened.get("failed") or probed.get("failed") or "identity" not in opened:
            continue
        reports[h] = {"in_use": opened.get("in_use") or [], "clock_offset": opened.get("clock_offset"),
                      "identity": opened.get("identity") or {}, "probes": probed.get("probes") or []}
    return planner.join_preflight_verdict(plan, reports, float(max_skew))


def _swarm_inputs(hostvars, hosts, inputs_key, keys):
    """{host: inputs}: this run's recorded inputs, or the inventory's for a host that failed
    before recording them (its bad input still stops the run)."""
    defaults = {"state": ("swarm_node_state", "present"), "advertise_addr": ("swarm_advertise_addr", ""),
                "labels": ("swarm_node_labels", {})}
    out = {}
    for h in hosts:
        me = _var(hostvars, h, inputs_key)
        if not isinstance(me, dict):
            me = dict((k, _var(hostvars, h, defaults[k][0], defaults[k][1])) for k in keys)
        out[h] = me
    return out


def swarm_input_errors(hostvars, hosts, groups, play_hosts_all, absent=(), count_override=False,
                       owner_key="fleet.docker.owned-labels", inputs_key="__swarm_me"):
    """Role swarm's input checks (module_utils.inputs.swarm_input_errors)."""
    groups = _plain(groups) or {}
    hosts = [h for h in hosts if h in play_hosts_all]
    inputs = _swarm_inputs(hostvars, hosts, inputs_key, ("state", "advertise_addr", "labels"))
    return input_checks.swarm_input_errors(hosts, groups.get("swarm_managers") or [], groups.get("swarm_workers") or [],
                                           groups.get("docker_hosts") or [], inputs, absent=list(absent),
                                           count_override=bool(count_override), owner_key=owner_key)


def swarm_labels_input_errors(hostvars, hosts, play_hosts_all, owner_key="fleet.docker.owned-labels",
                              inputs_key="__swarm_labels_me"):
    """Role swarm_labels' input checks (module_utils.inputs.swarm_labels_input_errors)."""
    hosts = [h for h in hosts if h in play_hosts_all]
    return input_checks.swarm_labels_input_errors(hosts, _swarm_inputs(hostvars, hosts, inputs_key,
                                                                       ("state", "labels")), owner_key=owner_key)


def swarm_labels_plan(hostvars, hosts, play_hosts, inputs_key="__swarm_labels_me"):
    """Role swarm_labels' manager and nodes (planner.labels_plan)."""
    hosts = list(hosts)
    playing = [h for h in hosts if h in play_hosts]
    inputs = dict((h, _var(hostvars, h, inputs_key, {})) for h in playing)
    return planner.labels_plan(hosts, inputs, host_facts_of(hostvars, playing), playing)


def daemon_input_errors(log_driver, log_opts, insecure_registries, options, apply_timeout, swarm_host=False):
    """Role docker_daemon's input checks (module_utils.inputs.daemon_input_errors)."""
    return input_checks.daemon_input_errors(_plain(log_driver), _plain(log_opts), _plain(insecure_registries),
                                            _plain(options), _plain(apply_timeout), bool(swarm_host))


_REGISTRY_VARS = ("docker_registry_address", "ansible_host", "docker_registry_port", "docker_registry_tls_cert",
                  "docker_registry_tls_ca_cert")


def daemon_registries(hostvars, registry_hosts, trust=True):
    """The project's registries as Docker hosts reach them (module_utils.inputs.daemon_registries)."""
    hosts = list(registry_hosts or [])
    registry_vars = dict((h, dict((k, _var(hostvars, h, k)) for k in _REGISTRY_VARS)) for h in hosts)
    return input_checks.daemon_registries(hosts, registry_vars, trust=bool(trust))


def backup_plan(cluster_info, managers, node_ids, requested="", stamp=""):
    info = _plain(cluster_info) or {}
    return planner.backup_plan(list(managers), _plain(node_ids), info.get("cluster") or {}, info.get("nodes") or [],
                               requested=requested or "", stamp=stamp)


def parse_names(value):
    return planner.parse_names(_plain(value))


class FilterModule(object):
    """Recovery, restore, init and backup plans (fleet.docker.<name>)."""

    def filters(self):
        return {
            "host_facts_of": host_facts_of,
            "recovery_reports": recovery_reports,
            "inventory_addrs": inventory_addrs,
            "recovery_plan": recovery_plan,
            "recovery_reset": recovery_reset,
            "recovery_stuck": recovery_stuck,
            "swarm_cluster_plan": swarm_cluster_plan,
            "backup_plan": backup_plan,
            "swarm_preflight_plan": swarm_preflight_plan,
            "swarm_role_nodes": swarm_role_nodes,
            "swarm_strangers": swarm_strangers,
            "swarm_input_errors": swarm_input_errors,
            "daemon_input_errors": daemon_input_errors,
            "daemon_registries": daemon_registries,
            "swarm_labels_input_errors": swarm_labels_input_errors,
            "swarm_labels_plan": swarm_labels_plan,
            "swarm_preflight_verdict": swarm_preflight_verdict,
            "parse_names": parse_names,
        }
