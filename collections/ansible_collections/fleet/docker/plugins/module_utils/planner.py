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

# --------------------------------------------------------------------------- 2. restart plan

# --------------------------------------------------------------------------- 3. removal plan

# --------------------------------------------------------------------------- 4. availability bookkeeping

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
    }


def _manager_status(name, report, target):
    if name == target:
        return "target"
    if report is None:
        return UNACCOUNTED
    if not report["engine"]:
        return "engine down"
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
        if status == UNACCOUNTED and name in lost:
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
                if statuses[name] == UNACCOUNTED and name in lost:
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
        if sw.get("state") in ("pending", "error") or (sw.get("state") == "active" and sw.get("manager")
                                                      and not sw.get("cluster_id")):
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
