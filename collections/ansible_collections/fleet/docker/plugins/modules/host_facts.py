#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: host_facts
short_description: This host's Docker engine, swarm identity and IPv4 addresses, without fact gathering
version_added: 0.1.0
description:
  - Reads the local engine's C(/info) over its unix socket and the host's IPv4 addresses
    with C(ip -j), and sets the C(fleet_docker_host) fact.
  - Cheaper than C(ansible.builtin.setup) with the network subset, and carries what the swarm
    roles need (NodeID, swarm state, manager or not) in the same round trip.
  - Works when the engine does not answer (C(docker.reachable=false), swarm state C(unknown)).
  - M(fleet.docker.daemon_json) sets the same fact, so a play that ran it already has it.
extends_documentation_fragment:
  - fleet.docker.engine
  - fleet.docker.engine.facts
options:
  cluster_wait:
    description:
      - Seconds to keep reading, on a swarm manager whose engine reports no cluster ID (a leader
        election is going on), until it does. Past that the fact has an empty C(cluster_id), because the
        swarm has no leader (lost quorum) or this manager is cut off from it.
    type: int
    default: 0
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
requirements:
  - iproute2 (C(ip)) on the host
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Read swarm identity and addresses
  fleet.docker.host_facts:

- name: Read them, waiting up to 20 s for a manager to know its swarm again after an election
  fleet.docker.host_facts:
    cluster_wait: 20

- name: Show this node's ID
  ansible.builtin.debug:
    msg: "{{ fleet_docker_host.swarm.node_id }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to the host.
  returned: always
  type: dict
  contains:
    fleet_docker_host:
      description: The engine, its swarm identity and the host's IPv4 addresses.
      type: dict
      contains:
        docker:
          description: >-
            C(reachable) (bool), C(server_version), and C(process): whether a dockerd process runs (true when the
            engine answers; read from /proc when it does not, so that a hung engine is told from a stopped one;
            null when /proc cannot be read).
          type: dict
        swarm:
          description: >-
            C(state) (LocalNodeState, or C(unknown) when the engine does not answer), C(node_id),
            C(cluster_id) (managers only; empty while the manager cannot read the swarm, e.g. during a
            leader election), C(manager) (bool), C(node_addr), C(remote_managers), C(autolock) (managers:
            the swarm's autolock setting; null when not known, e.g. on a worker).
          type: dict
        default_ipv4:
          description: The IPv4 address of the interface holding the default route, or empty.
          type: str
        ipv4_addresses:
          description: Every IPv4 address on the host.
          type: list
          elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleet.docker.plugins.module_utils.engine import LocalEngine, host_facts, info_with_cluster


def main():
    module = AnsibleModule(
        argument_spec=dict(
            docker_socket=dict(type="path", default="/var/run/docker.sock"),
            cluster_wait=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    info = info_with_cluster(LocalEngine(module.params["docker_socket"]), wait=module.params["cluster_wait"])
    facts = host_facts(module.run_command, info)
    module.exit_json(changed=False, ansible_facts={"fleet_docker_host": facts})


if __name__ == "__main__":
    main()
