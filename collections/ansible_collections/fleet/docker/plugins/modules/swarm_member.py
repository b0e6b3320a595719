#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_member
short_description: Create a swarm on this host or join it to one (returning its NodeID), or make it leave, in one light call
version_added: 0.1.0
description:
  - O(state=joined) - joins the engine this module talks to (usually the host it runs on) to the swarm of
    O(remote_addrs) with O(join_token), then reads C(/info) until the node is active and has a NodeID, and
    returns it with the same C(fleet_docker_host) fact M(fleet.docker.host_facts) sets. So no second call is
    needed to learn the new NodeID.
  - O(state=initialized) - creates a new swarm on the engine (C(docker swarm init), O(autolock) as asked),
    waits the same way, and also returns the swarm's join tokens in RV(swarm_facts) (so no second call is
    needed to read them). Whether a swarm must be created at all is the caller's decision (the swarm role's
    C(planner.cluster_plan)).
  - A node that is already active is left as it is (it is never re-joined; whether it is in the B(right)
    swarm is for the caller to check, by NodeID, on a manager). A node whose swarm state is C(pending),
    C(error) or C(locked) is refused with the reason.
  - O(state=left) - C(docker swarm leave) without force (a manager must be demoted first; the engine refuses
    otherwise, and the message says so). O(force=true) is for a node being reset. An inactive node is left
    alone. No facts are returned then (the task is usually delegated to the node that leaves).
  - Replaces M(community.docker.docker_swarm) for join and leave inside this project - the collection's
    stdlib client, no Docker SDK import on the host.
extends_documentation_fragment:
  - fleet.docker.engine.api
  - fleet.docker.engine.attributes
  - fleet.docker.engine.facts
  - fleet.docker.engine.actiongroup_swarm
options:
  state:
    description: V(joined) - a member of a swarm; V(initialized) - the first manager of a new swarm; V(left) - in no swarm.
    type: str
    choices: [joined, initialized, left]
    default: joined
  remote_addrs:
    description: Addresses (C(host) or C(host:port)) of managers of the swarm to join. Required for V(joined).
    type: list
    elements: str
  join_token:
    description: The worker or manager join token (it decides the role the node joins with). Required for V(joined).
    type: str
  advertise_addr:
    description: Address the node advertises to the other nodes. Unset - the engine picks one.
    type: str
  listen_addr:
    description: Address the node listens on for swarm traffic.
    type: str
    default: 0.0.0.0:2377
  autolock:
    description: With V(initialized), create the swarm with autolock on (the managers' Raft data locked by an unlock key).
    type: bool
    default: false
  force:
    description: With V(left), leave also a manager or a node in a C(pending)/C(error)/C(locked) state.
    type: bool
    default: false
  wait:
    description: Seconds to wait after a join or an init until the node reports itself active with a NodeID.
    type: int
    default: 30
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Join the swarm and learn the NodeID in the same call
  fleet.docker.swarm_member:
    state: joined
    remote_addrs: ["10.0.0.11:2377"]
    join_token: "{{ tokens.Worker }}"
    advertise_addr: "{{ ansible_host }}"
  register: joined

- name: Create the swarm (its join tokens are in the result)
  fleet.docker.swarm_member:
    state: initialized
    advertise_addr: 10.0.0.11
  no_log: true
  register: created

- name: Leave the swarm (after the node was drained and demoted)
  fleet.docker.swarm_member:
    state: left
  delegate_to: wrk3
"""

RETURN = r"""
node_id:
  description: The node's NodeID after the call (empty when it is in no swarm, or in check mode before a join).
  returned: always
  type: str
  sample: 8c4m1pqsz0x1v2w3b4n5m6a7s
swarm_state:
  description: The engine's swarm state after the call (C(inactive), C(active), ...).
  returned: always
  type: str
  sample: active
step:
  description: What was done (or would be, in check mode) - C(join), C(init), C(leave) or C(none).
  returned: always
  type: str
swarm_facts:
  description: C(JoinTokens) (C(Worker), C(Manager)) of the swarm just created - secret, run the task with C(no_log).
  returned: when O(state=initialized) created the swarm (not in check mode)
  type: dict
ansible_facts:
  description: Facts to add to the host (O(state=joined) and O(state=initialized)).
  returned: when O(state=joined) or O(state=initialized)
  type: dict
  contains:
    fleet_docker_host:
      description: The same fact as M(fleet.docker.host_facts) sets (engine, swarm identity, IPv4 addresses).
      type: dict
"""

import time

from ansible_collections.fleet.docker.plugins.module_utils.engine import host_facts
from ansible_collections.fleet.docker.plugins.module_utils.swarm import ENGINE_ERRORS, SwarmClient, member_step


def read_info(client):
    try:
        return client.get_json("/info")
    except ENGINE_ERRORS as exc:
        client.fail("cannot read the engine's info: %s" % exc)


def wait_joined(client, seconds, sleep=time.sleep, clock=time.monotonic):
    """/info once the node is active with a NodeID, or the last one read when `seconds` ran out."""
    deadline = clock() + seconds
    while True:
        info = read_info(client)
        sw = info.get("Swarm") or {}
        if sw.get("LocalNodeState") == "active" and sw.get("NodeID"):
            return info
        if clock() >= deadline:
            return info
        sleep(0.5)


def what(step, p):
    """The step in words, for messages."""
    if step == "join":
        return "joining the swarm through %s" % ", ".join(p["remote_addrs"])
    return "creating the swarm" if step == "init" else "leaving the swarm"


def main():
    client = SwarmClient(
        argument_spec=dict(
            state=dict(type="str", default="joined", choices=["joined", "initialized", "left"]),
            remote_addrs=dict(type="list", elements="str"),
            join_token=dict(type="str", no_log=True),
            advertise_addr=dict(type="str"),
            listen_addr=dict(type="str", default="0.0.0.0:2377"),
            autolock=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
            wait=dict(type="int", default=30),
        ),
        required_if=[("state", "joined", ("remote_addrs", "join_token"))],
        supports_check_mode=True,
    )
    module, p = client.module, client.module.params
    info = read_info(client)
    local = info.get("Swarm") or {}
    step, problem = member_step(p["state"], local.get("LocalNodeState"), p["force"])
    if problem:
        client.fail("%s: %s" % ({"joined": "join refused", "initialized": "init refused"}.get(p["state"], "leave refused"),
                                problem),
                    swarm_state=local.get("LocalNodeState") or "inactive", step="none")
    if step != "none" and not client.check_mode:
        try:
            if step == "join":
                data = {"ListenAddr": p["listen_addr"], "RemoteAddrs": p["remote_addrs"], "JoinToken": p["join_token"]}
                if p["advertise_addr"]:
                    data["AdvertiseAddr"] = p["advertise_addr"]
                client.post_json("/swarm/join", data=data)
            elif step == "init":
                data = {"ListenAddr": p["listen_addr"], "ForceNewCluster": False,
                        "Spec": {"EncryptionConfig": {"AutoLockManagers": p["autolock"]}}}
                if p["advertise_addr"]:
                    data["AdvertiseAddr"] = p["advertise_addr"]
                client.post_json("/swarm/init", data=data)
            else:
                client.post_json("/swarm/leave", params={"force": "true" if p["force"] else "false"})
        except ENGINE_ERRORS as exc:
            client.fail("%s failed: %s" % (what(step, p), exc), step=step,
                        swarm_state=local.get("LocalNodeState") or "inactive")
        info = wait_joined(client, p["wait"]) if step in ("join", "init") else read_info(client)
        local = info.get("Swarm") or {}
        if step in ("join", "init") and not (local.get("LocalNodeState") == "active" and local.get("NodeID")):
            client.fail("%s worked, but the node is not active with a NodeID after %ss (state %r)"
                        % (what(step, p), p["wait"], local.get("LocalNodeState")),
                        step=step, swarm_state=local.get("LocalNodeState") or "")
    result = dict(changed=step != "none", step=step, node_id=local.get("NodeID") or "",
                  swarm_state=local.get("LocalNodeState") or "inactive")
    if step == "init" and not client.check_mode:
        try:
            tokens = client.get_json("/swarm").get("JoinTokens") or {}
        except ENGINE_ERRORS as exc:
            client.fail("created the swarm, but cannot read its join tokens: %s" % exc, step=step)
        result["swarm_facts"] = {"JoinTokens": {"Worker": tokens.get("Worker", ""), "Manager": tokens.get("Manager", "")}}
    if p["state"] != "left":
        result["ansible_facts"] = {"fleet_docker_host": host_facts(module.run_command, info)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
