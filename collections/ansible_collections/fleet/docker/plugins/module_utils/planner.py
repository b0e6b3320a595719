# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every decision that can break a swarm, as pure functions (no engine, no Ansible).

Roles reach these through the filter plugins in plugins/filter/ and modules import them
directly. Each function takes plain data (node summaries from module_utils.swarm,
inventory facts) and returns plain data with a verdict and a reason an operator can act
on. Unit tests (tests/unit/plugins/module_utils/test_planner*.py) enumerate every case
of the Raft rules: manager counts 1..9 and every set of unreachable managers.

The Raft rules (../shared/design/facts.md, "Quorum for restarts vs removals"):
  * A restarted, stopped or unreachable manager is still a Raft member: quorum needs
    floor(N/2)+1 of ALL N managers reachable. Taking k managers down is safe only when
    reachable - k >= floor(N/2)+1.
  * Only a demotion or a removal shrinks N: it is safe when the managers that REMAIN
    keep a majority of themselves reachable, and never for the last manager.

Sections (keep new functions in the section they belong to):
  1. Raft rules                     restart / take-down vs demote / remove verdicts
  2. Restart plan                   order, driver, verdict per step (docker_daemon)
  3. Removal plan                   who is demoted, drained, removed (swarm_node_remove)
  4. Availability bookkeeping       what to give back after a drain, recorded on the node
  5. Recovery, restore, init plan   split-brain guards, who is forced, who is reset
  6. Backup plan
  7. Join preflight                 who listens and probes which port, and the verdict
  8. Labels plan                    which manager swarm_labels works through, and on what
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# --------------------------------------------------------------------------- 1. Raft rules

#: Actions on a manager that the Raft rules judge. A restart (or any take-down: stopping
#: Docker for a backup) keeps the manager a Raft member; a demotion or a removal shrinks
#: the membership; a drain alone changes neither.
TAKE_DOWN_ACTIONS = ("restart", "take-down")
MEMBERSHIP_ACTIONS = ("demote", "remove")
RAFT_ACTIONS = TAKE_DOWN_ACTIONS + MEMBERSHIP_ACTIONS + ("drain",)

RESTART_RULE = ("a restarted manager stays a Raft member: quorum needs floor(N/2)+1 of ALL N managers "
                "reachable")
MEMBERSHIP_RULE = "a demotion or removal needs a majority of the managers that remain, and never the last one"
OUTAGE_HINT = ("with %d manager%s every manager restart stops the control plane for its duration; "
               "to accept that, allow a control-plane outage (docker_daemon_allow_control_plane_outage: true)")


def majority(managers):
    """Managers that must be reachable for the Raft store to accept changes."""
    return managers // 2 + 1 if managers > 0 else 0


def tolerance(managers):
    """Manager failures the swarm survives with `managers` managers."""
    return (managers - 1) // 2 if managers > 0 else 0


def _plural(count, word):
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


def _labels(nodes, names):
    out = dict((n["id"], n.get("hostname") or n["id"]) for n in nodes)
    out.update(names or {})
    return out


def _reachable(node):
    return node.get("reachability") == "reachable"


def take_down_verdict(nodes, down, names=None, allow_outage=False, verb="restarting"):
    """May the managers among `down` (NodeIDs) be taken down (restart, stop) together?

    nodes: node summaries (module_utils.swarm.node_summary: id, hostname, manager,
    reachability). The rule counts ALL N managers: the ones taken down stay members,
    so reachable - (reachable among `down`) must stay >= floor(N/2)+1.

    allow_outage: with 1 or 2 managers, all reachable, a restart of one always loses
    quorum for its duration; the operator may accept that (the control plane is down
    while it restarts, running tasks keep running). Never with 3 or more managers.
    """
    down = list(dict.fromkeys(down or []))
    label = _labels(nodes, names)
    managers = [n for n in nodes if n["manager"]]
    count = len(managers)
    reachable = [n for n in managers if _reachable(n)]
    down_managers = [n["id"] for n in managers if n["id"] in down]
    after = [n for n in reachable if n["id"] not in down]
    needed = majority(count)
    who = ", ".join(label.get(i, i) for i in down) or "no node"
    unreachable = [label.get(n["id"], n["id"]) for n in managers if not _reachable(n)]
    result = {
        "action": "restart",
        "rule": "all-members",
        "targets": down,
        "target_managers": down_managers,
        "managers": count,
        "reachable_before": len(reachable),
        "reachable_after": len(after),
        "needed": needed,
        "unreachable": unreachable,
        "outage": False,
    }
    if not down_managers:
        result["ok"] = True
        result["reason"] = "%s %s takes no manager down: the Raft members are untouched" % (verb, who)
        return result
    ok = len(after) >= needed
    text = "%s %s %s %d of %d managers reachable; quorum needs %d of all %d (%s)" % (
        verb, who, "leaves" if ok else "would leave", len(after), count, needed, count, RESTART_RULE)
    if unreachable:
        text += "; unreachable already: %s" % ", ".join(unreachable)
    if not ok and count <= 2 and len(reachable) == count and len(down_managers) == 1:
        if allow_outage:
            ok = True
            result["outage"] = True
            text += "; allowed: the control plane is down while it restarts (control-plane outage accepted)"
        else:
            text += "; " + OUTAGE_HINT % (count, "" if count == 1 else "s")
    elif ok:
        text += " (tolerates %s)" % _plural(len(after) - needed, "more failure")
    result["ok"] = ok
    result["reason"] = text
    return result


def membership_verdict(nodes, leaving, names=None, action="removing"):
    """Would the swarm keep a majority of reachable managers without `leaving` (demoted or removed)?

    Only a demotion or a removal shrinks N, so the managers that REMAIN must keep a
    majority of themselves reachable; the last manager is never allowed to leave.
    Returns the figures module_utils.swarm.quorum_after has always returned.
    """
    leaving = list(dict.fromkeys(leaving or []))
    label = _labels(nodes, names)
    managers = [n for n in nodes if n["manager"]]
    reachable_before = [n for n in managers if _reachable(n)]
    leaving_managers = [n["id"] for n in managers if n["id"] in leaving]
    remaining = [n for n in managers if n["id"] not in leaving]
    reachable = [n for n in remaining if _reachable(n)]
    needed = majority(len(remaining))
    who = ", ".join(label.get(i, i) for i in leaving) or "no node"
    result = {
        "rule": "remaining-members",
        "leaving": leaving,
        "leaving_managers": leaving_managers,
        "managers_before": len(managers),
        "reachable_before": len(reachable_before),
        "managers_after": len(remaining),
        "reachable_after": len(reachable),
        "needed": needed,
        "tolerance_after": tolerance(len(remaining)),
        "unreachable_after": [label.get(n["id"], n["id"]) for n in remaining if not _reachable(n)],
    }
    if managers and not remaining:
        result["ok"] = False
        result["reason"] = (
            "%s %s would leave no manager: the last manager of a swarm cannot be demoted or removed"
            % (action, who)
        )
        return result
    ok = len(reachable) >= needed
    result["ok"] = ok
    text = "%s %s %s %s reachable %s of %d; a majority needs %d" % (
        action, who, "leaves" if ok else "would leave", len(reachable),
        "manager" if len(reachable) == 1 else "managers", len(remaining), needed,
    )
    if result["unreachable_after"]:
        text += " (unreachable: %s)" % ", ".join(result["unreachable_after"])
    if ok:
        text += " (tolerates %s)" % _plural(len(reachable) - needed, "more failure")
    else:
        text += " (%s)" % MEMBERSHIP_RULE
    result["reason"] = text
    return result


def drain_verdict(nodes, targets, names=None):
    """A drain alone moves tasks but changes no Raft membership: always allowed by the Raft rules."""
    label = _labels(nodes, names)
    who = ", ".join(label.get(i, i) for i in targets or []) or "no node"
    return {"action": "drain", "rule": "none", "ok": True, "targets": list(targets or []),
            "reason": "draining %s does not change the Raft membership (its tasks move; quorum is untouched)" % who}


def raft_verdict(nodes, action, targets, names=None, allow_outage=False):
    """The verdict of the Raft rules for `action` (RAFT_ACTIONS) on `targets` (NodeIDs)."""
    if action in TAKE_DOWN_ACTIONS:
        return take_down_verdict(nodes, targets, names, allow_outage=allow_outage,
                                 verb="restarting" if action == "restart" else "taking down")
    if action in MEMBERSHIP_ACTIONS:
        out = membership_verdict(nodes, targets, names, action="demoting" if action == "demote" else "removing")
        out["action"] = action
        return out
    if action == "drain":
        return drain_verdict(nodes, targets, names)
    raise ValueError("unknown action %r (one of %s)" % (action, ", ".join(RAFT_ACTIONS)))


# --------------------------------------------------------------------------- 2. restart plan


def _is_active_manager(candidate):
    sw = candidate.get("swarm") or {}
    return bool(candidate.get("reachable", True)) and sw.get("state") == "active" and bool(sw.get("manager"))


def _why_not_driver(candidate):
    sw = candidate.get("swarm") or {}
    if not candidate.get("reachable", True):
        return "unreachable"
    if sw.get("state") in (None, "", "unknown"):
        return "engine does not answer"
    if sw.get("state") != "active":
        return "swarm state %s" % sw.get("state")
    if not sw.get("manager"):
        return "not a manager"
    return "active manager"


def choose_driver(candidates, exclude=()):
    """The first candidate (inventory managers, preferred first) that answers as an active
    manager and is not in `exclude`; "" when there is none."""
    for c in candidates or []:
        if c["name"] not in exclude and _is_active_manager(c):
            return c["name"]
    return ""


def describe_candidates(candidates):
    """'mgr1 (unreachable), mgr2 (engine does not answer)' for refusals."""
    return ", ".join("%s (%s)" % (c["name"], _why_not_driver(c)) for c in candidates or []) or "none in the inventory"


def applies_in_place(action, serial_reload, engine, swarm_state):
    """Whether daemon_json may reload/restart dockerd itself, in the call that wrote the file.

    Only on a host that is provably in no swarm: its engine answered `inactive`, or dockerd
    is down and no swarm state is on disk (`unknown` from daemon_json). Such a host is in the
    plan's parallel phase anyway and no swarm rule concerns it. Everything else - a swarm
    member in any state, an engine that does not answer, a reload of plugin keys (one host at
    a time, waited out) - is left to the plan, which refuses all or nothing.
    """
    if action not in ("reload", "restart"):
        return False
    if action == "reload" and serial_reload:
        return False
    if engine == "up":
        return swarm_state == "inactive"
    if engine == "down":
        return swarm_state in ("unknown", "inactive")
    return False


def restart_plan(hosts, candidates, cluster=None, allow_outage=False):
    """How to apply daemon.json changes on `hosts` without losing quorum or capacity.

    hosts:      [{name, action (none|reload|restart), serial_reload (bool), engine
                (up|down|unresponsive), swarm: {state, node_id, manager}}] in play order.
    candidates: [{name, reachable, swarm: {state, node_id, manager}}]: the inventory's
                managers, preferred first (the play's own first); any of them may drive.
    cluster:    node summaries read through `cluster_driver` (None when not read yet).

    Returns {ok, problems, parallel, serial_reloads, steps, cluster_driver, in_swarm}:
      in_swarm        hosts whose swarm state is not inactive (unknown included);
      parallel        hosts reloaded or restarted all at once (no swarm node restarts);
      serial_reloads  reloads of plugin keys, one host at a time, each checked to stay up;
      steps           active swarm nodes to restart one at a time: workers, then managers,
                      the leader last; each {name, node_id, manager, driver, verdict};
      problems        refusals (nothing may start while there is one), naming the host
                      and the rule.
    """
    problems, parallel, serial_reloads, swarm_hosts = [], [], [], []
    for h in hosts:
        action = h.get("action") or "none"
        if action not in ("reload", "restart"):
            continue
        sw = h.get("swarm") or {}
        engine = h.get("engine") or ("up" if sw.get("state") not in (None, "", "unknown") else "unresponsive")
        if engine == "unresponsive" or (engine == "up" and sw.get("state") in (None, "", "unknown")):
            problems.append(
                "%s: dockerd runs but its API did not answer, so its swarm state is unknown; refusing to %s it "
                "(it could be a swarm manager: restarting it unguarded could cost quorum). Check `docker info` "
                "on %s and run again" % (h["name"], action, h["name"]))
            continue
        if action == "restart" and sw.get("state") == "active":
            swarm_hosts.append(h)
        elif action == "reload" and h.get("serial_reload"):
            serial_reloads.append(h["name"])
        else:
            parallel.append(h["name"])

    cluster_driver = choose_driver(candidates)
    names = dict((h["swarm"]["node_id"], h["name"]) for h in swarm_hosts)
    for c in candidates or []:
        nid = (c.get("swarm") or {}).get("node_id")
        if nid:
            names.setdefault(nid, c["name"])
    by_id = dict((n["id"], n) for n in cluster or [])
    leader = [n["id"] for n in cluster or [] if n.get("leader")]
    workers = [h for h in swarm_hosts if not h["swarm"].get("manager")]
    managers = [h for h in swarm_hosts if h["swarm"].get("manager")]
    managers.sort(key=lambda h: h["swarm"]["node_id"] in leader)  # stable: the leader last
    steps = []
    for h in workers + managers:
        nid = h["swarm"]["node_id"]
        is_manager = bool(h["swarm"].get("manager"))
        step = {"name": h["name"], "node_id": nid, "manager": is_manager, "driver": choose_driver(candidates, [h["name"]])}
        if not cluster_driver or cluster is None:
            step["verdict"] = {"ok": False, "reason": "no manager answered"}
            problems.append(
                "%s: refusing to restart it: no manager of the inventory answers as an active swarm manager to "
                "drain it and check quorum (asked: %s)" % (h["name"], describe_candidates(candidates)))
            steps.append(step)
            continue
        if nid not in by_id:
            step["verdict"] = {"ok": False, "reason": "unknown node"}
            problems.append("%s: its NodeID %s is not in the swarm %s sees; refusing to restart it"
                            % (h["name"], nid, cluster_driver))
            steps.append(step)
            continue
        if is_manager:
            verdict = take_down_verdict(cluster, [nid], names, allow_outage=allow_outage)
        else:
            verdict = {"ok": True, "rule": "none", "reason": "%s is a worker: its restart does not touch the Raft "
                       "members" % h["name"]}
        step["verdict"] = verdict
        if verdict["ok"] and not step["driver"]:
            if verdict.get("outage") and [n["id"] for n in cluster if n["manager"]] == [nid]:
                step["driver"] = h["name"]  # the only manager drives its own drain and give-back
            else:
                verdict = dict(verdict, ok=False)
                step["verdict"] = verdict
                problems.append(
                    "%s: refusing to restart it: no other manager of the inventory answers as an active swarm "
                    "manager to drain it and watch it come back (asked: %s)"
                    % (h["name"], describe_candidates([c for c in candidates or [] if c["name"] != h["name"]])))
        elif not verdict["ok"]:
            problems.append("%s: refusing to restart it, nothing was restarted: %s" % (h["name"], verdict["reason"]))
        steps.append(step)
    return {
        "ok": not problems,
        "problems": problems,
        "parallel": parallel,
        "serial_reloads": serial_reloads,
        "steps": steps,
        "cluster_driver": cluster_driver,
        "in_swarm": [h["name"] for h in hosts if (h.get("swarm") or {}).get("state") not in ("inactive", "", None)],
    }


# --------------------------------------------------------------------------- 3. removal plan


def requested_removals(value, absent_hosts=()):
    """Hosts asked to leave: `-e swarm_remove_nodes=a,b` (string or list), then the hosts
    marked swarm_node_state: absent; trimmed, without empties or duplicates, in order."""
    if value is None:
        value = []
    if isinstance(value, str):
        value = value.split(",")
    names = [str(v).strip() for v in value] + [str(h) for h in absent_hosts or []]
    return list(dict.fromkeys(n for n in names if n))


def removal_plan(requested, swarm_hosts, managers, hosts):
    """Who drives a removal and what it is told about each requested host.

    requested:   inventory hostnames to remove (requested_removals).
    swarm_hosts: every host of swarm_managers + swarm_workers.
    managers:    swarm_managers in inventory order.
    hosts:       {name: {swarm: {state, node_id, manager} or None when the host did not
                 answer, advertise_addr, default_ipv4, ansible_host, in_play}}.

    Returns {requested, unknown, active_managers, driver, targets, problem}: the driver is
    the first manager of the inventory, not being removed, that answered as an active
    manager; targets carry the NodeID the host reported, else its address and hostname.
    """
    unknown = [h for h in requested if h not in swarm_hosts]
    active = [m for m in managers
              if (hosts.get(m) or {}).get("in_play", True)
              and ((hosts.get(m) or {}).get("swarm") or {}).get("state") == "active"
              and ((hosts.get(m) or {}).get("swarm") or {}).get("manager")]
    driver = next((m for m in active if m not in requested), "")
    targets = []
    for h in requested:
        info = hosts.get(h) or {}
        sw = info.get("swarm") or {}
        addr = info.get("advertise_addr") or (info.get("default_ipv4") if info.get("swarm") is not None
                                              else info.get("ansible_host")) or ""
        entry = {"name": h, "hostname": h, "left": sw.get("state") == "inactive"}
        if sw.get("node_id"):
            entry["node_id"] = sw["node_id"]
        if addr:
            entry["addr"] = addr
        targets.append(entry)
    problem = ""
    if unknown:
        problem = ("Nothing was changed: swarm_remove_nodes names %s, which %s not in swarm_managers or "
                   "swarm_workers of this inventory (inventory hostnames are expected)"
                   % (", ".join(unknown), "is" if len(unknown) == 1 else "are"))
    elif requested and not driver:
        if active and not [m for m in active if m not in requested]:
            problem = ("Nothing was changed: removing %s would leave no manager (the active managers are %s); the "
                       "last manager of a swarm cannot be demoted or removed. Keep at least one, and a majority "
                       "of them reachable" % (", ".join(requested), ", ".join(active)))
        else:
            problem = ("Nothing was changed: no host of swarm_managers outside %s answered as an active swarm "
                       "manager; the removal needs one to drive it" % ", ".join(requested))
    return {"requested": list(requested), "unknown": unknown, "active_managers": active, "driver": driver,
            "targets": targets, "problem": problem}


# --------------------------------------------------------------------------- 4. availability bookkeeping

#: Node label that records, durably on the node, the availability to give back after a
#: drain this project made (set in the same node update as the drain, removed by the
#: give-back). A run killed in between leaves it, and the next run gives that back.
RESTORE_LABEL = "fleet.docker.restore-availability"
AVAILABILITIES = ("active", "pause", "drain")


def recorded_availability(labels):
    """The availability a node's labels say to give back, or None."""
    value = (labels or {}).get(RESTORE_LABEL)
    return value if value in AVAILABILITIES else None


def availability_to_give_back(current, labels):
    """What the node had before this project drained it: the record wins over `current`
    (after a killed run, `current` is the drain itself)."""
    return recorded_availability(labels) or current


def drain_spec(spec, availability="drain"):
    """A node spec drained to `availability`, with the availability to give back recorded.

    An existing record is kept (it holds the availability from before an earlier,
    interrupted drain); otherwise the current availability is recorded.
    """
    spec = dict(spec or {})
    labels = dict(spec.get("Labels") or {})
    if recorded_availability(labels) is None:
        labels[RESTORE_LABEL] = spec.get("Availability") or "active"
    spec["Labels"] = labels
    spec["Availability"] = availability
    return spec


def give_back_spec(spec, fallback=None):
    """A node spec with the recorded availability given back and the record removed.

    Without a record, `fallback` (when given) is set; otherwise the availability stays.
    """
    spec = dict(spec or {})
    labels = dict(spec.get("Labels") or {})
    wanted = recorded_availability(labels) or fallback
    labels.pop(RESTORE_LABEL, None)
    spec["Labels"] = labels
    if wanted:
        spec["Availability"] = wanted
    return spec


def restart_work(plan):
    """Whether restart_plan's result leaves anything for the apply phase to do (or refuse):
    a reload or restart in parallel, one host at a time, or a swarm node; a refusal to show;
    or a give-back a manager may do: one of the play (cluster_driver) or, when a host of the
    play is in a swarm, one outside the play that the phase first asks. When not, the role
    skips that phase in one task."""
    return bool(plan.get("parallel") or plan.get("serial_reloads") or plan.get("steps") or plan.get("problems")
                or (plan.get("give_back") and (plan.get("cluster_driver") or plan.get("in_swarm"))))


def give_back_needed(reports):
    """Whether a run must ask a manager to give back recorded availabilities.

    reports: what each host of the play said (daemon_json's restore_records): a list of the
    nodes that carry a record as that active manager lists them, or None where the host
    could not tell (not an active manager, no leader, no answer). Skipped only when at least
    one manager listed the nodes and none listed a record; unknown means ask.
    """
    lists = [r for r in reports or [] if r is not None]
    if not lists:
        return True
    return any(len(r) > 0 for r in lists)


def pending_give_backs(nodes):
    """[{id, hostname, from, to}] for nodes that carry a record (an interrupted drain)."""
    out = []
    for n in nodes or []:
        if RESTORE_LABEL in (n.get("labels") or {}):
            out.append({"id": n["id"], "hostname": n.get("hostname", ""), "from": n.get("availability", ""),
                        "to": recorded_availability(n["labels"]) or n.get("availability", "")})
    return out


# --------------------------------------------------------------------------- 5. recovery, restore, init plan
#
# What a node can tell (seen on Docker 26.1.5 in the lab, 2026-12-01):
#   * a manager's /info has Swarm.Error "... does not have a leader ..." and an empty
#     Cluster.ID while its Raft group has no leader; swarm_cluster_info on it fails;
#   * a worker's /info is the same with and without a leader among its managers
#     (LocalNodeState active, Error empty, the same RemoteManagers): a worker cannot say
#     whether a leader exists, only WHICH managers exist (RemoteManagers addresses).
# So a split-brain guard asks every reachable manager whether it sees a leader, and uses
# every reachable node's RemoteManagers to find managers nobody could ask.

SWARM_PORT = 2377

#: Statuses of a manager in a recovery's accounting; the first two stop a recovery.
SEES_LEADER = "sees a leader"
UNACCOUNTED = "unaccounted for"
#: A manager whose API does not answer while a dockerd process runs on it (hung, or slow to
#: start): its Raft member may still be part of a majority, so it stops a recovery too,
#: unless the operator names it lost. "engine down" is a host with no dockerd process.
UNRESPONSIVE = "engine not answering"
ACCOUNTED = ("target", "no leader", "engine down", "not in a swarm", "worker now", "lost")


def parse_names(value):
    """Names from a list or a comma-separated string ("mgr2, mgr3" -> ["mgr2", "mgr3"])."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    out = []
    for item in value:
        item = str(item).strip()
        if item and item not in out:
            out.append(item)
    return out


def _ip(addr):
    """"10.0.0.5:2377" -> "10.0.0.5" (addresses without a port are returned as they are)."""
    addr = (addr or "").strip()
    if addr.count(":") == 1:
        return addr.split(":", 1)[0]
    return addr


def host_report(fact, cluster_read=None):
    """What one reachable host says, from its fleet_docker_host fact and, for a manager,
    the result of swarm_cluster_info run on it (None: not read).

    sees_leader: True when the read found a leader with quorum, False when a manager read
    failed or found none, None when nothing tells (workers, hosts not read)."""
    fact = fact or {}
    sw = fact.get("swarm") or {}
    engine = bool((fact.get("docker") or {}).get("reachable"))
    sees = None
    if cluster_read is not None and engine and sw.get("manager"):
        cluster = (cluster_read or {}).get("cluster") or {}
        sees = bool(cluster.get("has_quorum")) and not (cluster_read or {}).get("failed")
    addresses = list(fact.get("ipv4_addresses") or [])
    if sw.get("node_addr") and sw["node_addr"] not in addresses:
        addresses.append(sw["node_addr"])
    return {
        "engine": engine,
        "state": sw.get("state") or ("unknown" if not engine else "inactive"),
        "manager": bool(sw.get("manager")),
        "node_id": sw.get("node_id") or "",
        "cluster_id": sw.get("cluster_id") or "",
        "remote_managers": [_ip(a) for a in (sw.get("remote_managers") or [])],
        "addresses": addresses,
        "sees_leader": sees,
        # whether a dockerd process runs (None: the fact does not say; treated as running)
        "engine_process": (fact.get("docker") or {}).get("process"),
    }


def _manager_status(name, report, target):
    if name == target:
        return "target"
    if report is None:
        return UNACCOUNTED
    if not report["engine"]:
        return "engine down" if report.get("engine_process") is False else UNRESPONSIVE
    if report["sees_leader"]:
        return SEES_LEADER
    if report["state"] == "inactive":
        return "not in a swarm"
    if report["state"] == "active" and not report["manager"]:
        return "worker now"
    return "no leader"


def account_managers(managers, reports, target="", lost=None, inventory_addrs=None):
    """Every manager the inventory or any reachable node knows of, with a status.

    managers:        inventory hostnames of the present managers (swarm_managers).
    reports:         {hostname: host_report()} of the hosts Ansible reached (managers AND
                     workers); a manager missing from it was not reached.
    target:          the host a recovery acts on (its own status is "target").
    lost:            names the operator declares lost (-e swarm_recover_lost=mgr2,mgr3):
                     inventory hostnames or manager addresses (ip or ip:port).
    inventory_addrs: {hostname: address} known from the inventory for hosts that were not
                     reached (swarm_advertise_addr), to match RemoteManagers entries.

    Returns {'managers': {name: status}, 'addresses': {ip: status} (RemoteManagers entries no
    inventory host accounts for), 'leader_seen_by': [names], 'unaccounted': [names and ips],
    'lost': [names], 'unknown_lost': [lost names that match nothing]}.
    """
    lost = parse_names(lost)
    lost_ips = set(_ip(x) for x in lost)
    inventory_addrs = dict(inventory_addrs or {})
    statuses = {}
    for name in managers:
        status = _manager_status(name, reports.get(name), target)
        if status in (UNACCOUNTED, UNRESPONSIVE) and name in lost:
            status = "lost"
        statuses[name] = status
    # Which inventory host each address belongs to (reached hosts by their own addresses).
    owner = {}
    for name, report in reports.items():
        for ip in report["addresses"]:
            owner.setdefault(ip, name)
    for name, addr in inventory_addrs.items():
        if addr and name not in reports:
            owner.setdefault(_ip(addr), name)
    seen_ips = []
    for name in sorted(reports):
        for ip in reports[name]["remote_managers"]:
            if ip and ip not in seen_ips:
                seen_ips.append(ip)
    addresses = {}
    # Lost inventory managers whose address nobody knows may stand for that many unknown addresses.
    spare_lost = len([m for m in managers if statuses.get(m) == "lost" and not inventory_addrs.get(m)])
    spare_unreached = len([m for m in managers if statuses.get(m) == UNACCOUNTED and not inventory_addrs.get(m)])
    for ip in seen_ips:
        name = owner.get(ip)
        if name is not None:
            if name not in statuses:
                # a host of the inventory outside swarm_managers holds a manager address
                statuses[name] = _manager_status(name, reports.get(name), target)
                if statuses[name] in (UNACCOUNTED, UNRESPONSIVE) and name in lost:
                    statuses[name] = "lost"
            continue
        if ip in lost_ips:
            addresses[ip] = "lost"
        elif spare_lost > 0:
            spare_lost -= 1
            addresses[ip] = "lost"
        elif spare_unreached > 0:
            # most likely the address of an unreached inventory manager, which is listed already
            spare_unreached -= 1
            addresses[ip] = "unreached manager"
        else:
            addresses[ip] = UNACCOUNTED
    leader_seen_by = sorted(n for n, r in reports.items() if r["sees_leader"] and n != target)
    if target in reports and reports[target]["sees_leader"]:
        leader_seen_by.insert(0, target)
    known = set(managers) | set(reports) | set(inventory_addrs)
    return {
        "managers": statuses,
        "addresses": addresses,
        "leader_seen_by": leader_seen_by,
        "unaccounted": [n for n in managers if statuses[n] == UNACCOUNTED]
        + sorted(n for n in statuses if n not in managers and statuses[n] == UNACCOUNTED)
        + [ip for ip in seen_ips if addresses.get(ip) == UNACCOUNTED],
        "unresponsive": [n for n in managers if statuses[n] == UNRESPONSIVE]
        + sorted(n for n in statuses if n not in managers and statuses[n] == UNRESPONSIVE),
        "lost": [n for n in statuses if statuses[n] == "lost"] + [ip for ip in seen_ips if addresses.get(ip) == "lost"],
        "unknown_lost": [x for x in lost if x not in known and _ip(x) not in seen_ips],
    }


def _lost_hint(names):
    return "-e swarm_recover_lost=%s" % ",".join(names)


def split_brain_verdict(action, accounting, target):
    """(ok, reason) of the split-brain guard before a force-new-cluster, a restore or an init.

    Refused when any node other than a recover's own target still sees a leader, or when a
    manager is unaccounted for (nobody could ask it, and the operator did not name it lost).
    """
    seen = [n for n in accounting["leader_seen_by"] if not (action == "recover" and n == target)]
    if seen:
        return False, (
            "%s see%s a leader: the swarm has quorum. %s would fork it into two swarms with the same cluster ID; "
            "fix the network or Docker of the host that is cut off instead (it rejoins by itself)"
            % (", ".join(seen), "s" if len(seen) == 1 else "", _ACTION_TEXT[action])
        )
    if accounting.get("unresponsive"):
        names = accounting["unresponsive"]
        return False, (
            "the Docker engine of %s does not answer while dockerd runs there (hung, or still starting): %s Raft "
            "member may still be part of a majority. %s could fork a live swarm. Wait for it or restart Docker "
            "there (systemctl restart docker), stop it (systemctl stop docker), or, if it is really gone, name %s: %s"
            % (", ".join(names), "its" if len(names) == 1 else "their", _ACTION_TEXT[action],
               "it" if len(names) == 1 else "them", _lost_hint(names))
        )
    if accounting["unaccounted"]:
        names = accounting["unaccounted"]
        return False, (
            "managers unaccounted for: %s (Ansible does not reach %s, so nobody can say whether %s still %s "
            "quorum among themselves). %s could fork a live swarm. Reach them, or, if they are really gone, name "
            "them: %s"
            % (", ".join(names), "it" if len(names) == 1 else "them", "it" if len(names) == 1 else "they",
               "holds" if len(names) == 1 else "hold", _ACTION_TEXT[action], _lost_hint(names))
        )
    return True, "every manager is accounted for (%s)" % ", ".join(
        "%s: %s" % (n, s) for n, s in list(accounting["managers"].items()) + list(accounting["addresses"].items()))


_ACTION_TEXT = {
    "recover": "Forcing a new cluster",
    "restore": "Restoring a backup",
    "init": "Creating a swarm",
}


def recovery_plan(target, managers, reports, target_reads=None, lost=None, inventory_addrs=None, action="recover",
                  restored=False):
    """Whether `swarm_recover` forces a new cluster on `target`, only resets hosts, or refuses.

    target_reads: swarm_cluster_info results read on the target (several reads: an election
                  takes seconds); any read with quorum means the target is healthy.
    reports:      host_report() of every reachable host (managers AND workers); a manager's
                  report carries what swarm_cluster_info said on it.
    action:       "recover" (force-new-cluster from the target's state) or "restore" (the
                  preflight of a restore, before the target's state is replaced).
    restored:     the target's state was just put back from a backup: its RemoteManagers are
                  those of backup time, not evidence of live managers (the live swarm was
                  checked by the restore's preflight), so they are not counted.

    Returns force (bool), healthy (the target sees quorum), refuse (bool), reason, the
    accounting, summary (leader and figures when healthy), error (why the target has none),
    down (hosts whose engine does not answer, or that Ansible does not reach).
    """
    reads = [r for r in (target_reads or []) if isinstance(r, dict)]
    with_quorum = [r for r in reads if (r.get("cluster") or {}).get("has_quorum") and not r.get("failed")]
    healthy = bool(with_quorum)
    last = (with_quorum or reads or [{}])[-1]
    reports = dict(reports)
    if target in reports:
        reports[target] = dict(reports[target], sees_leader=healthy)
        if restored:
            reports[target]["remote_managers"] = []
    accounting = account_managers(managers, reports, target=target, lost=lost, inventory_addrs=inventory_addrs)
    refuse, reason = False, ""
    target_report = reports.get(target)
    if target_report is None:
        refuse, reason = True, "%s is not reached by Ansible" % target
    elif action == "recover" and not target_report["engine"]:
        refuse, reason = True, ("%s cannot be recovered from: its Docker engine does not answer "
                                "(start it: systemctl start docker)" % target)
    elif action == "recover" and not (target_report["state"] in ("active", "pending")
                                      and (target_report["manager"] or target_report["state"] == "pending")):
        refuse, reason = True, (
            "%s cannot be recovered from: its swarm state is %s%s (fleet_docker_host.swarm); pick a manager that holds "
            "the swarm state (docker info: Is Manager: true)"
            % (target, target_report["state"], " as a worker" if target_report["state"] == "active" else ""))
    if not refuse and not (action == "recover" and healthy):
        ok, why = split_brain_verdict(action, accounting, target)
        refuse, reason = not ok, why
    elif not refuse:
        reason = "%s has quorum: nothing to force" % target
    leader = ""
    for n in last.get("nodes") or []:
        if n.get("leader"):
            leader = n.get("hostname", "")
    cluster = last.get("cluster") or {}
    summary = ("leader %s, %s of %s managers reachable, cluster %s" % (
        leader or "?", cluster.get("reachable_count"), cluster.get("manager_count"), cluster.get("id"))) if healthy else ""
    down = [n for n in managers if n not in reports or not reports[n]["engine"]]
    down += sorted(n for n, r in reports.items() if not r["engine"] and n not in down)
    return {
        "force": not refuse and not healthy,
        "healthy": healthy,
        "refuse": refuse,
        "reason": reason,
        "accounting": accounting,
        "summary": summary,
        "error": "" if healthy else (last.get("msg") or ""),
        "down": down,
    }


def stuck_hosts(facts, exclude=()):
    """Hosts whose engine answers but that wait for a leader: state pending/error, or an active
    manager that sees no cluster (still in an old Raft group; seen on Docker 26 after a forced
    cluster). facts: {hostname: fleet_docker_host}."""
    out = []
    for name, fact in facts.items():
        if name in exclude or not (fact.get("docker") or {}).get("reachable"):
            continue
        sw = fact.get("swarm") or {}
        stuck = sw.get("state") == "active" and sw.get("manager") and not sw.get("cluster_id")
        if sw.get("state") in ("pending", "error") or stuck:
            out.append(name)
    return out


def reset_plan(target, facts, view, states=None, stuck=None, restore=False):
    """Who a recovery resets (docker swarm leave --force) and which node entries it removes.

    target: the recovered manager; facts: {hostname: fleet_docker_host} of the other hosts
    Ansible reached (the target may be in it, it is skipped); view: swarm_cluster_info's
    result on the target after the recovery (cluster, nodes); states: {hostname:
    swarm_node_state} (absent hosts are never reset); stuck: hosts found stuck before the
    settle (stuck_hosts); restore: the whole control plane was lost (after a restore).

    A host of this swarm is reset when its engine answers, it is in some swarm state, and it
    is unknown to the recovered swarm, stuck, a manager the swarm cannot reach (another Raft
    group), or (restore) any other manager or a worker that is not Ready. A host in another
    swarm (no ID, cluster or manager address in common) is reported as foreign, never reset.
    """
    states = states or {}
    stuck = list(stuck or [])
    nodes = view.get("nodes") or []
    own_id = (view.get("cluster") or {}).get("local_node_id", "")
    cluster_id = (view.get("cluster") or {}).get("id", "")
    addrs = set(n.get("manager_addr") for n in nodes if n.get("manager_addr"))
    addrs |= set("%s:%d" % (n.get("addr"), SWARM_PORT) for n in nodes if n.get("role") == "manager")
    reset, foreign, stale = [], [], {}
    for name in facts:
        if name == target:
            continue
        fact = facts[name]
        sw = fact.get("swarm") or {}
        node = next((n for n in nodes if n.get("id") == sw.get("node_id")), None)
        listed = bool(node) and sw.get("node_id") != own_id
        cut_off = listed and node.get("manager") and node.get("reachability") == "unreachable"
        restore_reset = restore and (sw.get("manager") or (node or {}).get("state", "") != "ready")
        if not ((fact.get("docker") or {}).get("reachable") and sw.get("state") != "inactive"
                and states.get(name, "present") == "present"
                and (not listed or name in stuck or cut_off or restore_reset)):
            continue
        ours = (listed or sw.get("node_id") == own_id or (cluster_id and sw.get("cluster_id") == cluster_id)
                or any(a in addrs for a in sw.get("remote_managers") or []))
        (reset if ours else foreign).append(name)
        if ours:
            for n in nodes:
                if n.get("id") != own_id and (n.get("id") == sw.get("node_id")
                                              or (n.get("hostname") == name and n.get("state") in ("down", "unknown"))):
                    stale.setdefault(n["id"], name)
    if restore:
        for n in nodes:
            if (n.get("id") != own_id and n.get("role") == "manager" and n.get("reachability") != "reachable"
                    and n.get("state") != "ready"):
                stale.setdefault(n["id"], n.get("hostname", ""))
    return {"hosts": reset, "foreign": foreign,
            "stale_ids": [{"id": k, "host": v} for k, v in stale.items()]}


def cluster_plan(hosts, managers_group, inputs, facts, in_play, absent=(), lost=None):
    """The swarm role's cluster decision: which manager to use, init or not, who joins.

    hosts:          swarm hosts in inventory order (swarm_managers first, then swarm_workers).
    managers_group: hosts of swarm_managers.
    inputs:         {hostname: {'state', 'advertise_addr', 'role'}} (the role's __swarm_me).
    facts:          {hostname: fleet_docker_host} of the hosts still in the play.
    in_play:        hosts still in the play (the others failed or are unreachable).
    absent:         hosts marked swarm_node_state: absent.
    lost:           managers the operator declares lost (swarm_recover_lost): only they may
                    be missing when a swarm is created.

    Returns chosen, chosen_addr, init, present_managers, joiners, members, managers,
    leaving, addrs, errors (the same keys as the role's old Jinja decision).
    Init happens only when no reachable host is in a swarm, the bootstrap manager (first
    present, not lost, host of swarm_managers) is reachable, and every other present manager
    answered or is named lost: an unreachable manager may hold the existing swarm.
    """
    lost = parse_names(lost)
    absent = set(absent)
    errors, managers, absent_managers, members, joiners, leaving = [], [], [], [], [], []
    clusters, addrs = {}, {}
    for h in hosts:
        if h not in in_play:
            continue
        me = inputs.get(h) or {}
        fact = facts.get(h) or {}
        sw = fact.get("swarm") or {}
        present = me.get("state", "present") == "present"
        addr = me.get("advertise_addr") or fact.get("default_ipv4") or ""
        addrs[h] = addr
        if present and not addr:
            errors.append("%s: swarm_advertise_addr is empty and the host has no default IPv4 address "
                          "(fleet_docker_host.default_ipv4); set swarm_advertise_addr" % h)
        elif present and addr not in (fact.get("ipv4_addresses") or []):
            errors.append("%s: swarm_advertise_addr %s is not an address of this host "
                          "(fleet_docker_host.ipv4_addresses: %s)" % (h, addr, ", ".join(fact.get("ipv4_addresses") or [])))
        state = sw.get("state")
        if state == "active":
            if present:
                members.append(h)
            else:
                leaving.append(sw.get("node_id"))
            if sw.get("manager"):
                (managers if present else absent_managers).append(h)
                if sw.get("cluster_id"):
                    clusters.setdefault(sw["cluster_id"], []).append(h)
                elif present:
                    errors.append(
                        "%s: a manager that sees no leader (fleet_docker_host.swarm.cluster_id is empty): the swarm "
                        "lost quorum, or this manager is cut off from it (back with old state after a recovery); "
                        "see docs/runbooks/recover-lost-quorum.md" % h)
        elif not present:
            leaving.append(h)
        elif state == "inactive":
            joiners.append(h)
        else:
            errors.append("%s: its swarm state is %s (fleet_docker_host.swarm.state); only inactive (joins) or active "
                          "(member) can be handled: unlock, finish or leave that swarm by hand" % (h, _json_str(state)))
    for h in hosts:
        if h in absent and h not in in_play:
            leaving.append(h)  # unreachable, but leaving all the same: counted by hostname
    if len(clusters) > 1:
        parts = ["cluster %s: %s" % (cid, ", ".join(hs)) for cid, hs in clusters.items()]
        errors.append("split cluster: managers of this inventory belong to different swarms (%s). Hosts of one of "
                      "them are in a different swarm; nothing is forced out: make them leave it by hand" % "; ".join(parts))
    candidates = managers + absent_managers
    present_managers = [h for h in managers_group if h not in absent]
    init = not candidates and not errors
    bootstrap = next((h for h in present_managers if h not in lost), "")
    if init and members:
        errors.append("%s are in a swarm, but no reachable host of this inventory is a manager of it: refusing to "
                      "create a second swarm. Bring a manager back (or fix the inventory)" % ", ".join(members))
    elif init and not bootstrap:
        errors.append("every present host of swarm_managers is named lost (swarm_recover_lost): no manager to create "
                      "the swarm on")
    elif init and bootstrap not in in_play:
        errors.append("no reachable host is in a swarm and the bootstrap manager %s (first present host of "
                      "swarm_managers) is not reachable: refusing to create the swarm elsewhere, it may hold the "
                      "existing one" % bootstrap)
    elif init:
        missing = [h for h in present_managers if h not in in_play and h not in lost]
        if missing:
            errors.append("no reachable host is in a swarm, but %s of swarm_managers did not answer (unreachable, or "
                          "Docker down): %s may hold the existing swarm. Creating a swarm now could make a second one. "
                          "Reach %s, or, if %s really gone, name %s: %s"
                          % (", ".join(missing), "it" if len(missing) == 1 else "they",
                             "it" if len(missing) == 1 else "them", "it is" if len(missing) == 1 else "they are",
                             "it" if len(missing) == 1 else "them", _lost_hint(missing)))
    ok_init = init and not errors
    in_clusters = [h for hs in clusters.values() for h in hs]
    if candidates:
        chosen = ([h for h in candidates if h in in_clusters] + candidates)[0]
        chosen_addr = ((facts.get(chosen) or {}).get("swarm") or {}).get("node_addr", "")
    else:
        chosen = bootstrap
        chosen_addr = addrs.get(chosen, "")
    return {
        "chosen": chosen,
        "chosen_addr": chosen_addr,
        "init": ok_init,
        "present_managers": present_managers,
        "joiners": [h for h in joiners if not (ok_init and h == chosen)],
        "members": members,
        "managers": managers,
        "leaving": leaving,
        "addrs": addrs,
        "errors": errors,
    }


def strangers(members, facts, node_ids):
    """The members (hosts the cluster plan counts in the swarm) whose NodeID is not in the
    node list of the manager they would be joined through: they are in a different swarm,
    and nothing may change until they leave it by hand (never forced out)."""
    ids = set(node_ids or [])
    return [h for h in members or [] if ((facts.get(h) or {}).get("swarm") or {}).get("node_id") not in ids]


def _json_str(value):
    return '"%s"' % value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)

# --------------------------------------------------------------------------- 6. backup plan


def backup_plan(managers, node_ids, cluster, nodes, requested="", stamp=""):
    """Which manager swarm_backup copies, which manager drives it, and whether it may.

    managers:  inventory hostnames of the managers whose engine answers as an active manager
               (inventory order).
    node_ids:  {hostname: NodeID} of those hosts.
    cluster, nodes: swarm_cluster_info's `cluster` and `nodes`, read on one of them.
    requested: swarm_backup_host ("" = the first reachable manager that is not the leader).
    stamp:     the run's UTC time stamp (names the archive).

    Docker is stopped on the copied manager, which stays a Raft member: that is a take-down,
    allowed when the other reachable managers still are a majority of ALL managers
    (floor(N/2)+1), or when the swarm has one manager (its control plane is away for the copy).
    """
    # swarm.majority() until section 1's Raft rules land (the same arithmetic, floor(N/2)+1)
    from ansible_collections.fleet.docker.plugins.module_utils.swarm import majority

    reachable = cluster.get("reachable_managers") or []
    leader = cluster.get("leader", "")
    non_leaders = [h for h in managers if node_ids.get(h) in reachable and node_ids.get(h) != leader]
    host = requested or (non_leaders + list(managers) + [""])[0]
    node_id = node_ids.get(host, "")
    via = next((h for h in managers if h != host), host)
    count = cluster.get("manager_count", 0)
    left = cluster.get("reachable_count", 0) - 1
    needed = majority(count)
    by_id = dict((n.get("id"), n) for n in nodes or [])
    unreachable = [by_id.get(i, {}).get("hostname", i) for i in cluster.get("unreachable_managers") or []]
    ok, reason = True, ""
    if not managers:
        ok, reason = False, ("no host of swarm_managers answers as an active swarm manager "
                             "(fleet_docker_host.swarm.state/manager). With every manager down, take the copy by hand "
                             "(systemctl stop docker; tar -czf ... -C /var/lib/docker swarm)")
    elif host not in managers or node_id not in reachable:
        ok, reason = False, ("swarm_backup_host %s is not a reachable manager of cluster %s (reachable managers of "
                             "the inventory: %s)" % (host, cluster.get("id", ""), ", ".join(managers)))
    elif count != 1 and left < needed:
        ok, reason = False, ("stopping Docker on %s would leave %d reachable manager(s) of %d; a majority needs %d "
                             "(unreachable now: %s). Bring the unreachable managers back first"
                             % (host, left, count, needed, ", ".join(unreachable)))
    name = "swarm-%s-%s-%s.tar.gz" % (host, cluster.get("id", ""), stamp)
    return {
        "ok": ok,
        "reason": reason,
        "host": host,
        "node_id": node_id,
        "via": via,
        "leader": bool(node_id) and node_id == leader,
        "stamp": stamp,
        "name": name,
        "availability": by_id.get(node_id, {}).get("availability") or "active",
    }


# --------------------------------------------------------------------------- 7. join preflight

#: The TCP ports a join needs between nodes (facts.md, "Ports between nodes"), and what they
#: are for, as the refusals name them. UDP 7946 and 4789 (VXLAN) cannot be probed without a
#: peer that answers on them; they are documented, not checked.
PREFLIGHT_PORTS = {2377: "swarm management (Raft, joins)", 7946: "gossip (node discovery)"}

#: Identity fields two swarm hosts must not share, with how a refusal names them.
PREFLIGHT_IDENTITY = (
    ("hostname", "the same hostname",
     "swarm node names would collide; give each host its own hostname"),
    ("machine_id", "the same /etc/machine-id",
     "a cloned machine (moby#46167); give it its own: rm /etc/machine-id && systemd-machine-id-setup"),
    ("engine_id", "the same Docker engine ID (docker info: ID)",
     "a cloned /var/lib/docker; on one of them stop docker, remove /var/lib/docker/engine-id, start docker"),
)


def join_preflight_plan(cluster, facts, roles):
    """Which hosts check what before the swarm role creates the swarm or joins hosts to it.

    cluster: the cluster_plan result (chosen, chosen_addr, init, joiners, members, addrs).
    facts:   {hostname: fleet_docker_host} (members are probed at the address the swarm has
             for them, swarm.node_addr).
    roles:   {hostname: 'manager' | 'worker'} (the wanted role of each joiner).

    Returns hosts (every host that reports its clock and identity: members and new nodes),
    new (the hosts not in the swarm yet: joiners, and the bootstrap manager on init),
    listen ({host: [ports]}: stand-in listeners on new nodes, which have no dockerd
    listening yet, for exactly the ports someone probes), expect ({host: [port, ...]}: one
    entry per probe a stand-in listener will receive, so it closes once all have arrived),
    probe ({host: [{host, addr, port}]}),
    reference (the host every clock is compared with: the manager the others join through).
    Pairs probed: each joiner -> the manager it joins through, 2377; each joiner -> every other
    node, 7946; that manager -> each joiner, 7946, and 2377 when the joiner becomes a manager.
    Nothing is checked when nobody joins.
    """
    chosen = cluster.get("chosen") or ""
    joiners = [h for h in cluster.get("joiners") or [] if h != chosen]
    if not joiners or not chosen:
        return {"hosts": [], "new": [], "listen": {}, "expect": {}, "probe": {}, "reference": chosen}
    init = bool(cluster.get("init"))
    new = ([chosen] if init else []) + joiners
    hosts = []
    for h in list(cluster.get("members") or []) + new:
        if h not in hosts:
            hosts.append(h)
    addrs = cluster.get("addrs") or {}

    def addr(h):
        if h == chosen and cluster.get("chosen_addr"):
            return cluster["chosen_addr"]
        if h not in new:
            node_addr = ((facts.get(h) or {}).get("swarm") or {}).get("node_addr")
            if node_addr:
                return node_addr
        return addrs.get(h, "")

    probe = dict((h, []) for h in hosts)
    for j in joiners:
        probe[j].append({"host": chosen, "addr": addr(chosen), "port": 2377})
        probe[j].extend({"host": p, "addr": addr(p), "port": 7946} for p in hosts if p != j)
    for j in joiners:
        probe[chosen].append({"host": j, "addr": addr(j), "port": 7946})
        if roles.get(j) == "manager":
            probe[chosen].append({"host": j, "addr": addr(j), "port": 2377})
    listen, expect = {}, {}
    for items in probe.values():
        for item in items:
            if item["host"] in new:
                ports = listen.setdefault(item["host"], [])
                if item["port"] not in ports:
                    ports.append(item["port"])
                expect.setdefault(item["host"], []).append(item["port"])
    for ports in list(listen.values()) + list(expect.values()):
        ports.sort()
    return {"hosts": hosts, "new": new, "listen": listen, "expect": expect,
            "probe": dict((h, items) for h, items in probe.items() if items), "reference": chosen}


def _port_name(port):
    return "%s/tcp (%s)" % (port, PREFLIGHT_PORTS.get(port, "swarm"))


def join_preflight_verdict(plan, reports, max_skew):
    """The preflight's refusals, one per problem, each naming the host(s) and the port.

    plan:     join_preflight_plan's result.
    reports:  {hostname: {'in_use': [ports], 'probes': [{host, addr, port, ok, error}],
              'clock_offset': seconds (host clock minus the controller's) or None,
              'identity': {hostname, machine_id, engine_id}}} of the hosts that answered.
    max_skew: the largest clock difference allowed between a host and the reference (s).

    A host of the plan without a report is refused by name (its checks did not run).
    Identity clashes count only where a new node is one of the pair (two members that
    already share a name are not this run's doing; they are still in the report).
    """
    errors = []
    hosts = plan.get("hosts") or []
    new = plan.get("new") or []
    ref = plan.get("reference") or ""
    for h in hosts:
        if h not in reports:
            errors.append("%s: its preflight checks did not run (no report); nothing was changed" % h)
    for h in hosts:
        for port in sorted((reports.get(h) or {}).get("in_use") or []):
            errors.append("%s: port %s is already in use by another process on this host, and Docker must "
                          "listen on it to be a swarm node; stop that process" % (h, _port_name(port)))
    for h in hosts:
        for item in (reports.get(h) or {}).get("probes") or []:
            if not item.get("ok"):
                errors.append("%s cannot reach %s at %s:%s (%s): the %s port; open it from %s to %s"
                              % (h, item.get("host"), item.get("addr"), _port_name(item.get("port")),
                                 item.get("error") or "no answer", "management" if item.get("port") == 2377
                                 else "gossip", h, item.get("host")))
    ref_offset = (reports.get(ref) or {}).get("clock_offset")
    if ref_offset is not None:
        for h in hosts:
            offset = (reports.get(h) or {}).get("clock_offset")
            if h == ref or offset is None:
                continue
            diff = offset - ref_offset
            if abs(diff) > max_skew:
                errors.append("%s's clock is %.0f s %s %s's (more than swarm_preflight_clock_skew, %s s): swarm TLS "
                              "certificates are checked against the clock; synchronise the clocks (NTP) first"
                              % (h, abs(diff), "ahead of" if diff > 0 else "behind", ref, max_skew))
    for key, what, hint in PREFLIGHT_IDENTITY:
        seen = {}
        for h in hosts:
            value = ((reports.get(h) or {}).get("identity") or {}).get(key) or ""
            if value:
                seen.setdefault(value, []).append(h)
        for value, group in seen.items():
            if len(group) > 1 and any(h in new for h in group):
                errors.append("%s report %s (%s): %s" % (" and ".join(group), what, value, hint))
    return errors


# --------------------------------------------------------------------------- 8. labels plan


def labels_plan(hosts, inputs, facts, in_play):
    """Role swarm_labels: the manager to call and the nodes to label.

    hosts:   swarm hosts in inventory order (swarm_managers first).
    inputs:  {host: {'state', 'labels'}} of the hosts in the play.
    facts:   {host: fleet_docker_host}.
    in_play: hosts still in the play.

    manager: the first host still in the play that is an active swarm manager, present
             hosts before hosts marked absent (a leaving manager is the last resort), or ""
             when there is none. nodes: [{node_id, name, labels}] of present hosts with a
             NodeID; outside: present hosts without one (in no swarm); wanted: {node_id: labels}.
    """
    playing = [h for h in hosts if h in in_play]
    present = [h for h in playing if (inputs.get(h) or {}).get("state", "present") == "present"]

    def swarm(h):
        return (facts.get(h) or {}).get("swarm") or {}

    manager = next((h for h in present + playing if swarm(h).get("state") == "active" and swarm(h).get("manager")), "")
    nodes = [{"node_id": swarm(h)["node_id"], "name": h, "labels": (inputs.get(h) or {}).get("labels") or {}}
             for h in present if swarm(h).get("node_id")]
    return {
        "manager": manager,
        "nodes": nodes,
        "outside": [h for h in present if not swarm(h).get("node_id")],
        "wanted": dict((n["node_id"], n["labels"]) for n in nodes),
    }
