#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_cluster_info
short_description: Swarm cluster facts, quorum figures and a removal simulation, read from one manager
version_added: 0.1.0
description:
  - Reads the node list from the manager it runs on and returns the cluster's managers, which of them are
    reachable, the leader, the quorum size (majority) and how many manager failures the cluster tolerates,
    plus each node's ID, hostname, role, availability, state, address and labels.
  - Works when some managers are unreachable (they are listed in RV(cluster.unreachable_managers)). When the
    managers have no leader (quorum lost) the node list cannot be read; the module then fails with a message
    saying so and returns what the local engine knows.
  - With O(simulate_removal), answers "would demoting or removing these nodes keep a majority of reachable
    managers?" without changing anything (RV(simulation)).
  - Run it on a manager, for example with C(delegate_to) and C(run_once).
extends_documentation_fragment:
  - fleet.docker.engine.swarm_manager
  - fleet.docker.engine.api
  - fleet.docker.engine.attributes
  - fleet.docker.engine.info_module
  - fleet.docker.engine.actiongroup_swarm
options:
  simulate_removal:
    description:
      - NodeIDs or hostnames of nodes that would be demoted or removed. A hostname must match exactly one
        node, or exactly one that is not Down.
      - Workers in the list do not change the quorum; managers do.
    type: list
    elements: str
    default: []
  names:
    description:
      - Optional display names (for example inventory hostnames) by NodeID, used in RV(simulation.reason).
    type: dict
    default: {}
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Read the cluster from the first manager
  fleet.docker.swarm_cluster_info:
  delegate_to: "{{ groups['swarm_managers'][0] }}"
  run_once: true
  register: cluster

- name: Would removing mgr2 and mgr3 keep a majority?
  fleet.docker.swarm_cluster_info:
    simulate_removal: [mgr2, mgr3]
  delegate_to: mgr1
  run_once: true
  register: what_if

- name: Refuse when it would not
  ansible.builtin.assert:
    that: what_if.simulation.ok
    fail_msg: "{{ what_if.simulation.reason }}"
"""

RETURN = r"""
cluster:
  description: Cluster-wide figures.
  returned: success
  type: dict
  contains:
    id:
      description: The swarm's cluster ID.
      type: str
    nodes:
      description: Number of nodes (Down ones included).
      type: int
    managers:
      description: NodeIDs of the managers (Raft members).
      type: list
      elements: str
    reachable_managers:
      description: NodeIDs of the managers that are reachable.
      type: list
      elements: str
    unreachable_managers:
      description: NodeIDs of the managers that are not reachable.
      type: list
      elements: str
    workers:
      description: NodeIDs of the workers.
      type: list
      elements: str
    leader:
      description: NodeID of the leader, empty when none is known.
      type: str
    manager_count:
      description: Number of managers.
      type: int
    reachable_count:
      description: Number of reachable managers.
      type: int
    quorum:
      description: Managers that must be reachable (majority, floor(N/2)+1).
      type: int
    tolerance:
      description: Manager failures the cluster survives (floor((N-1)/2)).
      type: int
    has_quorum:
      description: Whether enough managers are reachable now.
      type: bool
    failures_left:
      description: How many more managers may become unreachable before quorum is lost.
      type: int
    local_node_id:
      description: NodeID of the manager the module ran on.
      type: str
  sample:
    id: 3x1kq0q2v1u8m0ld7n0f3tq2p
    managers: [a1, b2, c3]
    reachable_managers: [a1, b2]
    unreachable_managers: [c3]
    leader: a1
    manager_count: 3
    quorum: 2
    tolerance: 1
    has_quorum: true
    failures_left: 0
nodes:
  description: Every node of the swarm.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: NodeID.
      type: str
    hostname:
      description: Hostname the node reported.
      type: str
    role:
      description: Role in the node's spec (C(manager) or C(worker)).
      type: str
    manager:
      description: Whether the node is a Raft member now (differs from RV(nodes[].role) briefly after a promotion or demotion).
      type: bool
    availability:
      description: C(active), C(pause) or C(drain).
      type: str
    state:
      description: C(ready), C(down), C(unknown) or C(disconnected).
      type: str
    reachability:
      description: Manager reachability (C(reachable), C(unreachable), C(unknown)); empty for workers.
      type: str
    leader:
      description: Whether the node is the leader.
      type: bool
    addr:
      description: The node's address.
      type: str
    manager_addr:
      description: The manager's Raft address (host:port); empty for workers.
      type: str
    labels:
      description: Node labels (the owner label included).
      type: dict
    engine_version:
      description: Docker Engine version of the node.
      type: str
    version:
      description: Version index of the node object.
      type: int
simulation:
  description: The answer to O(simulate_removal).
  returned: when O(simulate_removal) is not empty
  type: dict
  contains:
    leaving:
      description: NodeIDs that would leave.
      type: list
      elements: str
    leaving_managers:
      description: The managers among them.
      type: list
      elements: str
    managers_before:
      description: Managers now.
      type: int
    reachable_before:
      description: Reachable managers now.
      type: int
    managers_after:
      description: Managers that would remain.
      type: int
    reachable_after:
      description: Reachable managers that would remain.
      type: int
    needed:
      description: Majority of the remaining managers.
      type: int
    tolerance_after:
      description: Failures the remaining managers would tolerate.
      type: int
    unreachable_after:
      description: Names of remaining managers that are not reachable.
      type: list
      elements: str
    ok:
      description: Whether the removal keeps a majority (and is not the last manager).
      type: bool
    reason:
      description: Why, in one sentence.
      type: str
  sample:
    ok: false
    reason: "removing mgr2, mgr3 would leave 1 reachable manager of 1; a majority needs 1"
"""

from ansible_collections.fleet.docker.plugins.module_utils.swarm import (
    NodeLookupError,
    SwarmClient,
    SwarmUnavailable,
    cluster_summary,
    node_summary,
    quorum_after,
    resolve_node,
)


def main():
    client = SwarmClient(
        argument_spec=dict(
            simulate_removal=dict(type="list", elements="str", default=[]),
            names=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    params = client.module.params
    local = client.require_manager()
    try:
        nodes = [node_summary(n) for n in client.node_list()]
    except SwarmUnavailable as exc:
        client.fail(
            "the managers cannot list the nodes: %s. With no leader the swarm has lost quorum: running tasks "
            "keep running but nothing can be changed; bring managers back, or recover with "
            "`docker swarm init --force-new-cluster` on a surviving manager" % exc,
            cluster=dict(id=(local.get("Cluster") or {}).get("ID", ""), local_node_id=local.get("NodeID", ""),
                         manager_count=local.get("Managers", 0), nodes=local.get("Nodes", 0), has_quorum=False),
        )
    cluster = cluster_summary(nodes)
    cluster["id"] = client.cluster_id(local)
    cluster["local_node_id"] = local.get("NodeID", "")
    result = dict(changed=False, cluster=cluster, nodes=nodes)
    if params["simulate_removal"]:
        leaving = []
        for ref in params["simulate_removal"]:
            try:
                leaving.append(resolve_node(nodes, ref)["id"])
            except NodeLookupError as exc:
                client.fail("simulate_removal: %s" % exc, **result)
        result["simulation"] = quorum_after(nodes, leaving, names=params["names"], action="removing")
    client.module.exit_json(**result)


if __name__ == "__main__":
    main()
