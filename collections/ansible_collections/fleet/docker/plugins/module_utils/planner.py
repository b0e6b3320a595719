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


def pending_give_backs(nodes):
    """[{id, hostname, from, to}] for nodes that carry a record (an interrupted drain)."""
    out = []
    for n in nodes or []:
        if RESTORE_LABEL in (n.get("labels") or {}):
            out.append({"id": n["id"], "hostname": n.get("hostname", ""), "from": n.get("availability", ""),
                        "to": recorded_availability(n["labels"]) or n.get("availability", "")})
    return out


# --------------------------------------------------------------------------- 5. recovery, restore, init plan

# --------------------------------------------------------------------------- 6. backup plan
