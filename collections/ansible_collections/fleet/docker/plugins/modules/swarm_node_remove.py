#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_node_remove
short_description: Plan the safe removal of swarm nodes, and remove a node that has left, by NodeID
version_added: 0.1.0
description:
  - The manager side of a safe removal. The whole procedure (the role C(swarm_node_remove) runs it) is, for each
    node in turn, 1. this module with O(state=planned) for every node at once, 2. M(fleet.docker.swarm_node_drain)
    with C(demote=true) (quorum re-checked), 3. C(docker swarm leave) on the node itself
    (M(community.docker.docker_swarm) C(state=absent), no force), 4. this module with O(state=absent).
  - O(state=planned) changes nothing. It resolves each node to the NodeID the swarm knows (by NodeID, else the
    advertise address, else the hostname), reports the nodes that are already gone, and B(refuses) when removing all
    the managers among them would leave fewer reachable managers than a majority of the remaining ones, or no
    manager at all. It also refuses a node that is not reachable (C(down)) unless O(force) is set.
  - O(state=absent) removes one node. It waits until the managers see it C(down) (after C(swarm leave) that takes
    about 15 seconds), then removes it by NodeID. A node that is still a manager is refused (demote first). With
    O(force), a node that is C(down) without having left (it is unreachable) is removed with C(node rm --force).
    Down entries left by earlier joins of the same host (each rejoin gets a new NodeID) are removed too.
  - A node that is already gone is not an error; the module then reports C(changed=false).
extends_documentation_fragment:
  - fleet.docker.engine.swarm_manager
  - fleet.docker.engine.api
  - fleet.docker.engine.attributes
  - fleet.docker.engine.actiongroup_swarm
options:
  nodes:
    description: The nodes to remove. With O(state=absent), exactly one.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Inventory hostname, used in messages and as the hostname to match when nothing else does.
        type: str
        required: true
      node_id:
        description: NodeID, when the node itself told it (preferred).
        type: str
      addr:
        description: The node's advertise address, to match the swarm's C(Status.Addr).
        type: str
      hostname:
        description: The node's hostname when it differs from O(nodes[].name).
        type: str
      left:
        description:
          - The host itself answered and is in no swarm. A C(down) entry of it is then a node that left (not an
            unreachable one), removed without O(force).
        type: bool
        default: false
  state:
    description: C(planned) resolves and checks; C(absent) removes one node.
    type: str
    choices: [planned, absent]
    default: planned
  force:
    description:
      - Allow removing nodes that are unreachable (C(down) without having left). They are removed with
        C(node rm --force) after demotion. Use it only for nodes that are gone for good or compromised.
    type: bool
    default: false
  down_timeout:
    description: Seconds to wait, with O(state=absent), until the managers see the node C(down).
    type: int
    default: 90
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: full
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Check that removing wrk3 and mgr3 keeps quorum, and find their NodeIDs
  fleet.docker.swarm_node_remove:
    nodes:
      - {name: wrk3, node_id: "{{ hostvars['wrk3'].fleet_docker_host.swarm.node_id }}"}
      - {name: mgr3, addr: 10.0.0.13}
    state: planned
  delegate_to: mgr1
  run_once: true
  register: plan

- name: After `swarm leave` on wrk3, remove it by NodeID
  fleet.docker.swarm_node_remove:
    nodes: [{name: wrk3, node_id: "{{ plan.nodes[0].node_id }}"}]
    state: absent
  delegate_to: mgr1
"""

RETURN = r"""
nodes:
  description: One entry per requested node.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The requested name.
      type: str
    node_id:
      description: The NodeID it resolved to (empty when gone).
      type: str
    present:
      description: Whether the swarm lists a live (not down) entry for it, or a down one that has not left.
      type: bool
    state:
      description: The node's state (ready, down, ...), or C(gone).
      type: str
    manager:
      description: Whether it is a manager (Raft member) now.
      type: bool
    stale_ids:
      description: NodeIDs of down entries of the same host from earlier joins.
      type: list
      elements: str
    removed:
      description: With O(state=absent), the NodeIDs removed (or that would be, in check mode).
      type: list
      elements: str
quorum:
  description: With O(state=planned), the quorum check for all the managers among the nodes.
  returned: with state=planned
  type: dict
waited:
  description: Seconds spent waiting for the node to be down.
  returned: with state=absent
  type: float
"""

import time

from ansible_collections.fleet.docker.plugins.module_utils.swarm import (
    APIError,
    NodeLookupError,
    SwarmClient,
    SwarmUnavailable,
    node_summary,
    quorum_after,
    resolve_host,
)


def main():
    client = SwarmClient(
        argument_spec=dict(
            nodes=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                node_id=dict(type="str"),
                addr=dict(type="str"),
                hostname=dict(type="str"),
                left=dict(type="bool", default=False),
            )),
            state=dict(type="str", default="planned", choices=["planned", "absent"]),
            force=dict(type="bool", default=False),
            down_timeout=dict(type="int", default=90),
        ),
        supports_check_mode=True,
    )
    p = client.module.params
    local = client.require_manager()

    def read_nodes():
        try:
            return [node_summary(n) for n in client.node_list(leader_wait=15)]
        except SwarmUnavailable as exc:
            client.fail("the managers cannot list the nodes (no leader: quorum lost?): %s" % exc)

    nodes = read_nodes()
    out, problems = [], []
    for want in p["nodes"]:
        try:
            entry, stale = resolve_host(nodes, want.get("node_id"), want.get("addr"),
                                        want.get("hostname") or want["name"])
        except NodeLookupError as exc:
            problems.append(str(exc))
            continue
        row = dict(name=want["name"], node_id="", present=False, state="gone", manager=False, stale_ids=stale,
                   removed=[], left=want["left"])
        if entry:
            row.update(node_id=entry["id"], state=entry["state"], manager=entry["manager"], present=True)
            if entry["id"] == local.get("NodeID"):
                problems.append("%s is the manager this module runs on; run it on another manager" % want["name"])
        out.append(row)
    if problems:
        client.fail("Nothing was changed: %s" % "; ".join(problems), nodes=out)

    if p["state"] == "planned":
        present = [r for r in out if r["present"]]
        names = dict((r["node_id"], r["name"]) for r in present)
        q = quorum_after(nodes, [r["node_id"] for r in present], names=names, action="removing")
        result = dict(changed=False, nodes=out, quorum=q)
        if not q["ok"]:
            client.fail("Nothing was changed: %s" % q["reason"], **result)
        down = [r["name"] for r in present if r["state"] != "ready" and not r["left"]]
        if down and not p["force"]:
            client.fail("Nothing was changed: %s %s not ready: not reachable, so it cannot drain its tasks or leave the "
                        "swarm itself. If it is gone for good, remove it with force (demote, then node rm --force)"
                        % (", ".join(down), "is" if len(down) == 1 else "are"), **result)
        client.module.exit_json(**result)

    # state=absent: one node.
    if len(out) != 1:
        client.fail("state=absent removes one node at a time; got %d" % len(out))
    row = out[0]
    result = dict(changed=False, nodes=out, waited=0.0)
    if not row["present"] and not row["stale_ids"]:
        client.module.exit_json(**result)  # already gone
    if row["present"] and row["manager"]:
        client.fail("%s is still a manager: demote it first (fleet.docker.swarm_node_drain demote=true)"
                    % row["name"], **result)
    targets = ([row["node_id"]] if row["present"] else []) + row["stale_ids"]
    row["removed"] = targets
    if client.check_mode:
        result["changed"] = True
        client.module.exit_json(**result)

    use_force = bool(p["force"])
    if row["present"] and row["state"] == "ready":
        started = time.time()

        def is_down():
            now = node_summary(client.node_inspect(row["node_id"]))
            return now["state"] == "down", now["state"]

        done, state = client.wait_for(is_down, p["down_timeout"], interval=0.5)  # a GET per try on the manager
        result["waited"] = round(time.time() - started, 1)
        if not done:
            client.fail("%s is still %s after %ss: the managers do not see it down. Did `docker swarm leave` run on "
                        "it? A node that has not left is never removed without force" % (
                            row["name"], state, p["down_timeout"]), **result)
    elif row["present"] and row["state"] != "down" and not (use_force or row["left"]):
        client.fail("%s is %s (neither ready nor down): removing it needs force" % (row["name"], row["state"]),
                    **result)
    for node_id in targets:
        params = {"force": "true"} if use_force else {}
        try:
            client.delete_call("/nodes/{0}", node_id, params=params)
        except APIError as exc:
            if "not found" in str(exc).lower():
                continue
            client.fail("node rm %s (%s) failed: %s" % (node_id, row["name"], exc), **result)
        result["changed"] = True
    client.module.exit_json(**result)


if __name__ == "__main__":
    main()
