#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_nodes
short_description: Declarative roles and owned labels for many swarm nodes, in one call on a manager
version_added: 0.1.0
description:
  - Brings the listed nodes (by NodeID) to the wanted role and labels, in one call on one manager.
  - Every listed NodeID must belong to this swarm. A NodeID the cluster does not list (the host is in a
    different swarm, or left this one) fails the module before anything changes; nothing is forced out.
  - Promotions are applied first, demotions last. Demotions are quorum-guarded. When demoting the listed
    nodes, together with the O(leaving) ones, would leave fewer reachable managers than a majority of the
    remaining managers, or no manager at all, the module fails before changing anything and says why.
    Ready nodes being promoted count as the managers they will be; the module then waits for the
    promotions and checks the real state again before it demotes anything.
  - "Labels with ownership: the keys this project manages on a node are recorded on the node itself in the
    O(labels_owner_key) label. A key that was owned and is no longer wanted is removed; keys set by hand
    (never owned) are left alone; a wanted key that was set by hand is adopted."
  - Node updates carry the node's current version and are retried when the API answers
    C(update out of sequence). While the managers elect a leader (a few seconds after a manager went
    away) the module waits for one, up to 20 seconds.
  - Warns when the swarm would end up with an even number of managers (it tolerates no more failures than
    one manager fewer) or more than 7.
extends_documentation_fragment:
  - fleet.docker.engine.swarm_manager
  - fleet.docker.engine.api
  - fleet.docker.engine.attributes
  - fleet.docker.engine.actiongroup_swarm
options:
  nodes:
    description: The nodes to converge.
    type: list
    elements: dict
    required: true
    suboptions:
      node_id:
        description: The node's NodeID (not its hostname; hostnames repeat after a rejoin).
        type: str
        required: true
      name:
        description: Name for messages and results, for example the inventory hostname.
        type: str
      role:
        description: Wanted role; omit to leave the role alone.
        type: str
        choices: [manager, worker]
      labels:
        description:
          - Wanted labels (string values). Omit to leave labels alone; V({}) removes every owned label.
        type: dict
  leaving:
    description:
      - NodeIDs or hostnames of nodes that are about to be removed (for example hosts with
        C(swarm_node_state=absent)). They are not changed here, but the quorum check of demotions counts them as gone.
      - References the swarm does not know are ignored (the node is gone already).
    type: list
    elements: str
    default: []
  labels_owner_key:
    description: The label that records the owned label keys on each node.
    type: str
    default: fleet.docker.owned-labels
  wait:
    description:
      - Wait until promoted nodes are reachable managers and demoted nodes have left the Raft group.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for promotions and demotions to complete.
    type: int
    default: 90
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Converge roles of all inventory nodes (one call on one manager)
  fleet.docker.swarm_nodes:
    nodes:
      - {node_id: "{{ hostvars['mgr2'].fleet_docker_host.swarm.node_id }}", name: mgr2, role: manager}
      - {node_id: "{{ hostvars['wrk1'].fleet_docker_host.swarm.node_id }}", name: wrk1, role: worker}
  delegate_to: mgr1
  run_once: true

- name: Owned labels (keys removed from the inventory are removed from the node)
  fleet.docker.swarm_nodes:
    nodes:
      - node_id: "{{ hostvars['wrk1'].fleet_docker_host.swarm.node_id }}"
        name: wrk1
        labels: {tier: app, zone: a}
  delegate_to: mgr1
  run_once: true
"""

RETURN = r"""
nodes:
  description: One entry per listed node, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    node_id:
      description: NodeID.
      type: str
    name:
      description: The given name, else the node's hostname.
      type: str
    hostname:
      description: Hostname the node reported.
      type: str
    changed:
      description: Whether this node was (or in check mode would be) updated.
      type: bool
    role:
      description: C(before) and C(after) role.
      type: dict
    labels:
      description: >-
        C(added), C(removed), C(updated), C(adopted) (hand-set keys now owned) and C(owned) (keys owned after);
        absent when labels were not managed for this node.
      type: dict
promoted:
  description: Names of promoted nodes.
  returned: always
  type: list
  elements: str
demoted:
  description: Names of demoted nodes.
  returned: always
  type: list
  elements: str
managers_after:
  description: Managers the swarm has (in check mode would have) after the changes, leaving nodes not counted.
  returned: always
  type: int
quorum:
  description: The quorum check of the demotions (see RV(fleet.docker.swarm_cluster_info#module:simulation)).
  returned: when nodes are demoted
  type: dict
  sample:
    ok: true
    reason: "demoting mgr3 leaves 2 reachable managers of 2; a majority needs 2 (tolerates 0 more failures)"
diff:
  description: Role and labels before and after, by node name, for the nodes that change.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.fleet.docker.plugins.module_utils.swarm import (
    NodeLookupError,
    SwarmClient,
    SwarmUnavailable,
    label_problems,
    node_summary,
    plan_labels,
    plan_roles,
    quorum_after,
    resolve_node,
    with_promotions,
)

#: Seconds to wait for a leader before giving up (an election takes a few seconds).
LEADER_WAIT = 20


class NodesManager(object):
    def __init__(self, client):
        self.client = client
        self.params = client.module.params
        self.owner = self.params["labels_owner_key"]
        self.local = client.require_manager()
        self.nodes = self._list()
        self.cluster_id = client.cluster_id(self.local)
        self.by_id = dict((n["id"], n) for n in self.nodes)

    def _list(self):
        try:
            return [node_summary(n) for n in self.client.node_list(leader_wait=LEADER_WAIT)]
        except SwarmUnavailable as exc:
            self.client.fail("the managers cannot list the nodes (%s) after %ds: the swarm has no leader, nothing "
                             "can be changed until quorum is back" % (exc, LEADER_WAIT))

    # -- validation ----------------------------------------------------------------

    def validate(self):
        """Every problem with the request, all at once, before anything changes."""
        errors, seen = [], set()
        for entry in self.params["nodes"]:
            name = entry.get("name") or entry["node_id"]
            if entry["node_id"] in seen:
                errors.append("%s: node ID %s is listed twice" % (name, entry["node_id"]))
            seen.add(entry["node_id"])
            if entry["node_id"] not in self.by_id:
                errors.append(
                    "%s: node ID %s is not a node of this swarm (cluster %s): the host is in a different swarm or "
                    "has left this one. It is not forced out: make it leave (docker swarm leave) and run again"
                    % (name, entry["node_id"], self.cluster_id or "?")
                )
            for problem in label_problems(entry.get("labels"), self.owner):
                errors.append("%s: labels: %s" % (name, problem))
        if errors:
            self.client.fail("; ".join(errors))

    def leaving_ids(self):
        ids = []
        for ref in self.params["leaving"]:
            try:
                ids.append(resolve_node(self.nodes, ref)["id"])
            except NodeLookupError:
                continue
        return ids

    # -- planning ------------------------------------------------------------------

    def plan(self):
        plans = []
        for entry in self.params["nodes"]:
            node = self.by_id[entry["node_id"]]
            want_role = entry.get("role") or node["role"]
            labels = entry.get("labels")
            lab = plan_labels(labels, node["labels"], self.owner) if labels is not None else None
            item = dict(node_id=node["id"], name=entry.get("name") or node["hostname"], hostname=node["hostname"],
                        role=dict(before=node["role"], after=want_role))
            if lab is not None:
                item["labels"] = dict(added=lab["added"], removed=lab["removed"], updated=lab["updated"],
                                      adopted=lab["adopted"], owned=lab["owned_after"])
            item["changed"] = want_role != node["role"] or bool(lab and lab["changed"])
            item["_labels"] = labels
            item["_after_labels"] = lab["labels"] if lab is not None else node["labels"]
            plans.append(item)
        return plans

    def mutate_for(self, item):
        role, labels, owner = item["role"]["after"], item["_labels"], self.owner

        def mutate(spec):
            if spec.get("Role") != role:
                spec["Role"] = role
            if labels is not None:
                new = plan_labels(labels, spec.get("Labels") or {}, owner)["labels"]
                if new != (spec.get("Labels") or {}):
                    spec["Labels"] = new
            return spec

        return mutate

    # -- run -----------------------------------------------------------------------

    def quorum_check(self, nodes, demote, leaving, names):
        shown = dict(names)
        for i in leaving:
            shown[i] = "%s (leaving)" % names.get(i, self.by_id[i]["hostname"])
        return quorum_after(nodes, demote + leaving, names=shown, action="demoting")

    def apply(self, items, result, plans):
        for item in items:
            result["changed"] = True
            if self.client.check_mode:
                continue
            try:
                self.client.update_node(item["node_id"], self.mutate_for(item))
            except Exception as exc:
                self.client.fail("updating %s (%s) failed: %s" % (item["name"], item["node_id"], exc),
                                 nodes=self._public(plans), **result)

    def run(self):
        self.validate()
        names = dict((e["node_id"], e.get("name") or self.by_id[e["node_id"]]["hostname"]) for e in self.params["nodes"])
        leaving = self.leaving_ids()
        wanted = dict((e["node_id"], e["role"]) for e in self.params["nodes"] if e.get("role"))
        promote, demote = plan_roles(self.nodes, wanted)
        result = dict(changed=False, promoted=[names[i] for i in promote], demoted=[names[i] for i in demote])

        if demote:
            # Before anything changes: promotions come first, so count the Ready ones as the
            # reachable managers they will be. The real state is checked again before demoting.
            quorum = self.quorum_check(with_promotions(self.nodes, promote), demote, leaving, names)
            result["quorum"] = quorum
            if not quorum["ok"]:
                self.client.fail("refusing to demote %s: %s. Nothing was changed."
                                 % (", ".join(names[i] for i in demote), quorum["reason"]), **result)

        plans = self.plan()
        after_role = dict((n["id"], n["role"]) for n in self.nodes)
        after_role.update((p["node_id"], p["role"]["after"]) for p in plans)
        managers_after = len([i for i, r in after_role.items() if r == "manager" and i not in leaving])
        result["managers_after"] = managers_after
        if managers_after and managers_after % 2 == 0:
            self.client.module.warn(
                "the swarm will have %d managers: an even count tolerates no more failures (%d) than %d managers; "
                "use an odd number" % (managers_after, (managers_after - 1) // 2, managers_after - 1))
        if managers_after > 7:
            self.client.module.warn("the swarm will have %d managers; Docker recommends at most 7" % managers_after)

        # Promotions and label-only updates first; demotions last, the manager this module
        # runs on (if demoted) at the very end, since it cannot answer as a manager afterwards.
        local_id = self.local.get("NodeID")
        changing = [p for p in plans if p["changed"]]
        first = [p for p in changing if p["node_id"] not in demote]
        first.sort(key=lambda p: p["node_id"] not in promote)
        last = [p for p in changing if p["node_id"] in demote]
        last.sort(key=lambda p: p["node_id"] == local_id)
        self.apply(first, result, plans)
        waiting = not self.client.check_mode and (self.params["wait"] or (promote and demote))
        if waiting and promote:
            self.wait(promote, [], names)
        if last and promote and not self.client.check_mode:
            # Check the real state now that the promotions are done.
            self.nodes = self._list()
            quorum = self.quorum_check(self.nodes, demote, leaving, names)
            result["quorum"] = quorum
            if not quorum["ok"]:
                self.client.fail("promoted %s, but refusing to demote %s: %s"
                                 % (", ".join(result["promoted"]), ", ".join(result["demoted"]), quorum["reason"]),
                                 nodes=self._public(plans), **result)
        self.apply(last, result, plans)
        if not self.client.check_mode and self.params["wait"] and demote:
            self.wait([], [i for i in demote if i != local_id], names)

        result["nodes"] = self._public(plans)
        if self.client.module._diff:
            result["diff"] = dict(
                before=dict((p["name"], dict(role=p["role"]["before"], labels=self.by_id[p["node_id"]]["labels"]))
                            for p in changing),
                after=dict((p["name"], dict(role=p["role"]["after"], labels=p["_after_labels"])) for p in changing),
            )
        return result

    @staticmethod
    def _public(plans):
        out = []
        for p in plans:
            item = dict((k, v) for k, v in p.items() if not k.startswith("_"))
            out.append(item)
        return out

    def wait(self, promote, demote, names):
        if not (promote or demote):
            return

        def probe():
            try:
                now = dict((n["id"], n) for n in (node_summary(x) for x in self.client.node_list()))
            except SwarmUnavailable as exc:  # an election in progress: keep polling
                return False, "no leader (%s)" % exc
            pending = []
            for i in promote:
                n = now.get(i)
                if not n or not n["manager"] or n["reachability"] != "reachable":
                    pending.append("%s not yet a reachable manager (%s)" % (names[i], n and n["reachability"] or "?"))
            for i in demote:
                n = now.get(i)
                if n and n["manager"]:
                    pending.append("%s still a manager" % names[i])
            return not pending, ", ".join(pending)

        done, detail = self.client.wait_for(probe, self.params["wait_timeout"])
        if not done:
            self.client.fail("roles were updated but did not complete within %ds: %s"
                             % (self.params["wait_timeout"], detail))


def main():
    client = SwarmClient(
        argument_spec=dict(
            nodes=dict(type="list", elements="dict", required=True, options=dict(
                node_id=dict(type="str", required=True),
                name=dict(type="str"),
                role=dict(type="str", choices=["manager", "worker"]),
                labels=dict(type="dict"),
            )),
            leaving=dict(type="list", elements="str", default=[]),
            labels_owner_key=dict(type="str", default="fleet.docker.owned-labels", no_log=False),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=90),
        ),
        supports_check_mode=True,
    )
    client.module.exit_json(**NodesManager(client).run())


if __name__ == "__main__":
    main()
