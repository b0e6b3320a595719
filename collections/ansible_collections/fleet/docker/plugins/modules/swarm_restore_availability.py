#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_restore_availability
short_description: Give back the availability that interrupted drains recorded on swarm nodes
version_added: 0.1.0
description:
  - M(fleet.docker.swarm_node_drain) records, in the same node update as a drain before a restart, the
    availability to give back in the node label C(fleet.docker.restore-availability). A run that dies
    between the drain and the give-back leaves the node drained with that record.
  - This module finds every node of the swarm that carries the record, sets the recorded availability
    and removes the record. Run it first, before anything else drains or restarts, so that capacity lost
    by an interrupted run comes back. No quorum check applies - giving availability back takes nothing away.
  - When the managers have no leader (quorum lost), nothing can be changed; the module warns and
    changes nothing.
extends_documentation_fragment:
  - fleet.docker.engine.swarm_manager
  - fleet.docker.engine.api
  - fleet.docker.engine.attributes
  - fleet.docker.engine.actiongroup_swarm
options: {}
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
- name: Give back what an interrupted rolling restart left drained
  fleet.docker.swarm_restore_availability:
  delegate_to: mgr1
  run_once: true
"""

RETURN = r"""
restored:
  description: Nodes given back their recorded availability (or that would be, in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{id: 8c4m1pqsz0x1v2w3b4n5m6a7s, hostname: wrk1, from: drain, to: active}]
"""

from ansible_collections.fleet.docker.plugins.module_utils.planner import give_back_spec, pending_give_backs
from ansible_collections.fleet.docker.plugins.module_utils.swarm import SwarmClient, SwarmUnavailable, node_summary


def main():
    client = SwarmClient(argument_spec=dict(), supports_check_mode=True)
    client.require_manager()
    try:
        nodes = [node_summary(n) for n in client.node_list(leader_wait=15)]
    except SwarmUnavailable as exc:
        client.module.warn("cannot give back recorded availabilities: the managers cannot list the nodes "
                           "(no leader: quorum lost?): %s" % exc)
        client.module.exit_json(changed=False, restored=[])
    todo = pending_give_backs(nodes)
    if not client.check_mode:
        for entry in todo:
            client.update_node(entry["id"], give_back_spec)
    client.module.exit_json(changed=bool(todo), restored=todo)


if __name__ == "__main__":
    main()
