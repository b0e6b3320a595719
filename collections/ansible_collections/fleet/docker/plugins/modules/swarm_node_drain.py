#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_node_drain
short_description: Drain a swarm node and wait until its tasks run elsewhere, or give it back its availability
version_added: 0.1.0
description:
  - With O(availability=drain) (the default), optionally demotes the node first (O(demote)), sets its
    availability to C(drain), then B(waits) until every replicated task that was meant to run on it runs
    (state C(running)) on another node. Docker's own drain does not wait for the replacements
    (docker/docs#25871); removing or restarting a node before they run loses capacity.
  - On timeout it fails and names the tasks still pending with the orchestrator's reason (for example
    C(no suitable node)), and stops there; nothing after it should run.
  - Global-service tasks on a drained node just stop; they are not waited for. Standalone containers
    (C(docker run)) are not moved by a drain.
  - With O(availability=active) or C(pause), sets that availability and, with O(wait), waits until the node
    is C(ready) (and C(reachable) when it is a manager), as at the end of a restart or maintenance window.
  - B(Quorum guard.) When the node is a manager, the module drains or demotes it and O(quorum_check) is on, it
    refuses before changing anything when the Raft rule for O(purpose) says no (module_utils/planner.py). A
    C(restart) (or any take-down) keeps the manager a Raft member, so floor(N/2)+1 of ALL N managers must stay
    reachable without it; a C(demote) or C(remove) shrinks N, so a majority of the managers that remain must
    stay reachable, and never the last manager. The message names the node, the figures and the rule.
  - B(The availability to give back is recorded on the node.) The drain sets the node label
    C(fleet.docker.restore-availability) to the availability it had, in the same node update. An existing
    record is kept (it is from an interrupted earlier drain). O(availability=restore) gives back what the
    record says and removes it; RV(previous_availability) reports the record when there is one. Giving
    availability back is never refused by the quorum guard.
  - Run it on a manager that is not the node itself (C(delegate_to)), since the node may go away next.
extends_documentation_fragment:
  - fleet.docker.engine.swarm_manager
  - fleet.docker.engine.api
  - fleet.docker.engine.attributes
  - fleet.docker.engine.actiongroup_swarm
options:
  node:
    description: NodeID (preferred) or hostname of the node. A hostname must match exactly one live node.
    type: str
    required: true
  name:
    description: Display name for messages, for example the inventory hostname.
    type: str
  availability:
    description:
      - Availability to set. C(drain) also waits for the tasks when O(wait) is on.
      - C(restore) gives back the availability recorded on the node by an earlier drain (label
        C(fleet.docker.restore-availability)) and removes the record; without a record it leaves the
        availability as it is.
    type: str
    choices: [active, drain, pause, restore]
    default: drain
  purpose:
    description:
      - Why the node is drained, which picks the Raft rule of the quorum guard. C(restart) - the manager is
        taken down and comes back (a restart, a stop for a backup) - needs floor(N/2)+1 of all N managers
        reachable without it. C(demote) and C(remove) need a majority of the remaining managers.
      - Default C(demote) with O(demote=true), C(restart) otherwise.
    type: str
    choices: [restart, demote, remove]
  allow_control_plane_outage:
    description:
      - With O(purpose=restart) on a swarm of 1 or 2 managers, all reachable, accept that the control plane
        is down while the manager restarts (running tasks keep running, nothing can be changed). Never
        allowed with 3 or more managers or with a manager already unreachable.
    type: bool
    default: false
  demote:
    description:
      - Demote the node to worker first when it is a manager (quorum-guarded; waits until it has left the
        Raft membership). Only with O(availability=drain).
    type: bool
    default: false
  quorum_check:
    description:
      - Refuse (before any change) when the node is a manager and the swarm would not keep a majority of
        reachable managers without it. Use it before anything that takes the node away (restart, removal).
      - Always on when O(demote) is on.
    type: bool
    default: true
  wait:
    description: Wait for the tasks (drain) or for the node to be ready (active, pause).
    type: bool
    default: true
  wait_ready:
    description:
      - Wait until the node is C(ready) (and C(reachable) when it is a manager). Defaults to true with
        O(availability=active) or C(pause) and false with C(drain). Set it true after a restart, whatever the
        availability, so the next node is not taken down before this one is back.
    type: bool
  wait_timeout:
    description: Seconds to wait before failing.
    type: int
    default: 120
attributes:
  check_mode:
    support: full
    details: Reports what would change and which tasks would have to move; does not wait.
  diff_mode:
    support: none
  idempotent:
    support: full
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Demote and drain wrk3, wait until its tasks run elsewhere (removal, step 1)
  fleet.docker.swarm_node_drain:
    node: "{{ hostvars['wrk3'].fleet_docker_host.swarm.node_id }}"
    name: wrk3
    demote: true
    wait_timeout: 300
  delegate_to: mgr1

- name: Drain mgr2 before restarting its engine (refused if quorum would not survive it)
  fleet.docker.swarm_node_drain:
    node: "{{ hostvars['mgr2'].fleet_docker_host.swarm.node_id }}"
    name: mgr2
  delegate_to: mgr1
  register: drained

- name: Give mgr2 the availability recorded by the drain and wait until it is Ready again
  fleet.docker.swarm_node_drain:
    node: "{{ drained.node_id }}"
    name: mgr2
    availability: restore
    wait_ready: true
  delegate_to: mgr1
"""

RETURN = r"""
node_id:
  description: NodeID of the node.
  returned: success
  type: str
hostname:
  description: The node's hostname as the swarm knows it.
  returned: success
  type: str
was_manager:
  description: Whether the node was a manager when the module started.
  returned: success
  type: bool
demoted:
  description: Whether the module demoted it (or would, in check mode).
  returned: success
  type: bool
previous_availability:
  description:
    - Availability to give back after a restart - the one recorded on the node by an earlier, interrupted
      drain when there is one, else the availability before the module ran.
  returned: success
  type: str
availability:
  description: Availability after the module ran (or would, in check mode).
  returned: success
  type: str
moved:
  description: Replicated tasks that ran on the node and now run elsewhere, with the node they run on.
  returned: success
  type: list
  elements: dict
  sample: [{task: web.2, node_id: 8c4m1pqsz0x1v2w3b4n5m6a7s}]
pending:
  description: Tasks still not running elsewhere (empty on success; in check mode, every task that would move).
  returned: always
  type: list
  elements: dict
waited:
  description: Seconds spent waiting.
  returned: success
  type: float
quorum:
  description: The quorum check's result (see RV(fleet.docker.swarm_cluster_info#module:simulation)), when it ran.
  returned: when the node is a manager and the check ran
  type: dict
"""

import time

from ansible_collections.fleet.docker.plugins.module_utils.evacuation import (
    describe_pending,
    evacuation_status,
    replicated_slots_on,
)
from ansible_collections.fleet.docker.plugins.module_utils.swarm import (
    NodeLookupError,
    SwarmClient,
    SwarmUnavailable,
    node_summary,
    resolve_node,
)
from ansible_collections.fleet.docker.plugins.module_utils.planner import (
    RESTORE_LABEL,
    availability_to_give_back,
    drain_spec,
    give_back_spec,
    raft_verdict,
)


def _current(client, node_id):
    return node_summary(client.node_inspect(node_id))


def main():
    client = SwarmClient(
        argument_spec=dict(
            node=dict(type="str", required=True),
            name=dict(type="str"),
            availability=dict(type="str", default="drain", choices=["active", "drain", "pause", "restore"]),
            purpose=dict(type="str", choices=["restart", "demote", "remove"]),
            allow_control_plane_outage=dict(type="bool", default=False),
            demote=dict(type="bool", default=False),
            quorum_check=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_ready=dict(type="bool"),
            wait_timeout=dict(type="int", default=120),
        ),
        supports_check_mode=True,
    )
    p = client.module.params
    client.require_manager()
    try:
        nodes = [node_summary(n) for n in client.node_list(leader_wait=15)]
    except SwarmUnavailable as exc:
        client.fail("the managers cannot list the nodes (no leader: quorum lost?): %s" % exc)
    try:
        node = resolve_node(nodes, p["node"])
    except NodeLookupError as exc:
        client.fail("node: %s" % exc)
    name = p["name"] or node["hostname"] or node["id"]
    result = dict(changed=False, node_id=node["id"], hostname=node["hostname"], was_manager=node["manager"],
                  demoted=False, availability=node["availability"],
                  previous_availability=availability_to_give_back(node["availability"], node["labels"]),
                  moved=[], pending=[], waited=0.0)
    draining = p["availability"] == "drain"
    if p["demote"] and not draining:
        client.fail("demote is only done with availability=drain (a demoted node is on its way out)")

    purpose = p["purpose"] or ("demote" if p["demote"] else "restart")
    if p["demote"] and purpose == "restart":
        client.fail("demote is a change of Raft membership: use purpose demote or remove with it")

    # 1. Quorum guard, before any change. Only a drain (or demotion) takes the node away; giving
    #    availability back is never refused.
    if node["manager"] and draining and (p["quorum_check"] or p["demote"]):
        q = raft_verdict(nodes, purpose, [node["id"]], names={node["id"]: name},
                         allow_outage=p["allow_control_plane_outage"])
        result["quorum"] = q
        if not q["ok"]:
            client.fail("Nothing was changed: %s" % q["reason"], **result)
    if p["availability"] == "restore":
        target = give_back_spec({"Availability": node["availability"], "Labels": node["labels"]})["Availability"]
    else:
        target = p["availability"]

    # Replicated slots that run on the node now (read before the drain changes them).
    slots = []
    services = []
    if draining:
        services = client.service_list()
        slots = replicated_slots_on(client.task_list(), node["id"], services)

    if client.check_mode:
        result["demoted"] = bool(p["demote"] and node["role"] == "manager")
        result["availability"] = target
        result["changed"] = result["demoted"] or node["availability"] != target or (
            not draining and RESTORE_LABEL in node["labels"])
        if draining and result["changed"]:
            result["pending"] = evacuation_status([], node["id"], slots, services)[1]
        client.module.exit_json(**result)

    started = time.time()
    # 2. Demote, and wait until the node has left the Raft membership.
    if p["demote"] and node["role"] == "manager":
        def to_worker(spec):
            spec["Role"] = "worker"
            return spec

        client.update_node(node["id"], to_worker)
        result.update(changed=True, demoted=True)
        done, _detail = client.wait_for(lambda: (not _current(client, node["id"])["manager"], None), p["wait_timeout"])
        if not done:
            client.fail("demotion of %s did not complete within %ss: it is still a Raft member"
                        % (name, p["wait_timeout"]), **result)

    # 3. Availability; a drain records what to give back (same node update), a give-back removes it.
    def set_availability(spec):
        if draining and purpose == "restart":
            return drain_spec(spec)  # comes back: record what to give back
        if draining:
            spec["Availability"] = "drain"  # on its way out (demote/remove): nothing to give back
            return spec
        if p["availability"] == "restore":
            return give_back_spec(spec)
        # an explicit availability wins; the record (if any) is done with
        return dict(give_back_spec(spec), Availability=p["availability"])

    if client.update_node(node["id"], set_availability):
        result["changed"] = True
    result["availability"] = target

    # 4. Wait: tasks running elsewhere (drain) or the node back (active/pause).
    if p["wait"] and draining and slots:
        service_ids = sorted(set(s for s, _slot in slots))

        def evacuated():
            moved, pending = evacuation_status(client.task_list(service_ids), node["id"], slots,
                                               client.service_list())
            result.update(moved=moved, pending=pending)
            return not pending, None

        done, _detail = client.wait_for(evacuated, p["wait_timeout"])
        if not done:
            result["waited"] = round(time.time() - started, 1)
            client.fail("drain of %s timed out after %ss: %d of %d tasks are still not running elsewhere: %s. "
                        "The node stays drained; fix the cause (constraints, resources) and run again"
                        % (name, p["wait_timeout"], len(result["pending"]), len(slots),
                           describe_pending(result["pending"])), **result)
    wait_ready = p["wait_ready"] if p["wait_ready"] is not None else (p["wait"] and not draining)
    if wait_ready:
        def back():
            now = _current(client, node["id"])
            ok = now["state"] == "ready" and (not now["manager"] or now["reachability"] == "reachable")
            return ok, now

        done, now = client.wait_for(back, p["wait_timeout"])
        if not done:
            client.fail("%s is not back after %ss: state %s%s" % (
                name, p["wait_timeout"], now["state"],
                ", manager %s" % now["reachability"] if now["manager"] else ""), **result)
    result["waited"] = round(time.time() - started, 1)
    client.module.exit_json(**result)


if __name__ == "__main__":
    main()
