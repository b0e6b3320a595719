# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that hand the roles' data to module_utils.planner (the decisions live there).

Each filter only turns Ansible data (hostvars, registered results, groups) into the plain
dicts the planner takes, then returns the planner's answer unchanged:

  fleet.docker.restart_plan   order, driver and quorum verdict of a daemon.json apply
  fleet.docker.removal_plan   who drives a node removal and what it is told
  fleet.docker.raft_verdict   the Raft rule for one action on some managers
  fleet.docker.pending_give_backs  nodes an interrupted drain left with a record
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: planner
short_description: The swarm planner's decisions (restart plan, removal plan, Raft verdicts) as filters
version_added: 0.1.0
description:
  - C(restart_plan(play_hosts, hostvars, managers, probe=[], cluster=None, allow_outage=false,
    result_var='__docker_daemon_json')) - see module_utils/planner.py C(restart_plan).
  - C(removal_plan(swarm_remove_nodes, hostvars, groups, play_hosts)) - see C(removal_plan).
  - C(raft_verdict(nodes, action, targets, allow_outage=false)) and C(pending_give_backs(nodes)).
options: {}
author:
  - fleet maintainers
"""

from ansible_collections.fleet.docker.plugins.module_utils import planner


def _get(mapping, key, default=None):
    try:
        value = mapping[key]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


def _swarm(facts):
    sw = _get(facts or {}, "swarm", {}) or {}
    return {"state": _get(sw, "state", ""), "node_id": _get(sw, "node_id", ""), "manager": bool(_get(sw, "manager", False))}


def _facts_of_result(result, hostvars_host):
    facts = _get(_get(result or {}, "ansible_facts", {}), "fleet_docker_host")
    if facts is None and hostvars_host is not None:
        facts = _get(hostvars_host, "fleet_docker_host")
    return facts


def restart_plan(play_hosts, hostvars, managers, probe=None, cluster=None, allow_outage=False,
                 result_var="__docker_daemon_json"):
    hosts, candidates = [], []
    for h in play_hosts or []:
        hv = hostvars[h]
        result = _get(hv, result_var, {}) or {}
        facts = _facts_of_result(result, hv)
        action = _get(result, "action", "none") if not _get(result, "skipped", False) else "none"
        if _get(result, "applied", "none") not in (None, "", "none"):
            action = "none"  # daemon_json applied it in the same call (a host in no swarm)
        sw = _swarm(facts)
        entry = {"name": h, "action": action, "serial_reload": bool(_get(result, "serial_reload", False)),
                 "engine": _get(result, "engine_state", "up" if facts and _get(_get(facts, "docker", {}), "reachable")
                                else "unresponsive"),
                 "swarm": sw}
        hosts.append(entry)
        if sw["state"] == "active" and sw["manager"]:
            candidates.append({"name": h, "reachable": True, "swarm": sw})
    probed = {}
    for r in probe or []:
        name = _get(r, "item")
        if name is None or _get(r, "skipped", False):
            continue
        reachable = not _get(r, "unreachable", False) and not _get(r, "failed", False)
        facts = _get(_get(r, "ansible_facts", {}), "fleet_docker_host") if reachable else None
        probed[name] = {"name": name, "reachable": reachable and facts is not None,
                        "swarm": _swarm(facts) if facts else {"state": "unknown", "node_id": "", "manager": False}}
    for m in managers or []:
        if m in (play_hosts or []):
            continue
        candidates.append(probed.get(m) or {"name": m, "reachable": False,
                                            "swarm": {"state": "unknown", "node_id": "", "manager": False}})
    plan = planner.restart_plan(hosts, candidates, cluster=list(cluster) if cluster is not None else None,
                                allow_outage=bool(allow_outage))
    plan["give_back"] = planner.give_back_needed(
        [_get(_get(hostvars[h], result_var, {}) or {}, "restore_records", None) for h in play_hosts or []])
    return plan


def removal_plan(value, hostvars, groups, play_hosts):
    managers = list(_get(groups, "swarm_managers", []) or [])
    swarm_hosts = list(dict.fromkeys(managers + list(_get(groups, "swarm_workers", []) or [])))
    absent = [h for h in swarm_hosts if _get(hostvars[h], "swarm_node_state", "present") == "absent"]
    requested = planner.requested_removals(value, absent)
    hosts = {}
    for h in list(dict.fromkeys(requested + managers)):
        if h not in swarm_hosts:
            continue
        hv = hostvars[h]
        facts = _get(hv, "fleet_docker_host")
        hosts[h] = {"swarm": _swarm(facts) if facts is not None else None,
                    "advertise_addr": _get(hv, "swarm_advertise_addr", ""),
                    "default_ipv4": _get(facts or {}, "default_ipv4", ""),
                    "ansible_host": _get(hv, "ansible_host", ""),
                    "in_play": h in (play_hosts or [])}
    return planner.removal_plan(requested, swarm_hosts, managers, hosts)


def raft_verdict(nodes, action, targets, allow_outage=False):
    return planner.raft_verdict(list(nodes), action, list(targets), allow_outage=bool(allow_outage))


def pending_give_backs(nodes):
    return planner.pending_give_backs(list(nodes))


def restart_work(plan):
    """Whether the restart plan leaves work for the apply phase (planner.restart_work)."""
    return planner.restart_work(dict(plan or {}))


class FilterModule(object):
    def filters(self):
        return {
            "restart_plan": restart_plan,
            "removal_plan": removal_plan,
            "raft_verdict": raft_verdict,
            "pending_give_backs": pending_give_backs,
            "restart_work": restart_work,
        }
