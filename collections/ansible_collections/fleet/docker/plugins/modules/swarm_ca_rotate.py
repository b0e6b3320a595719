#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_ca_rotate
short_description: Rotate a swarm's root CA (docker swarm ca --rotate) and wait until every node has the new root
version_added: "1.0.0"
description:
  - Does what C(docker swarm ca --rotate) does, through the API - reads the swarm (C(GET /swarm)) and sends its
    spec back unchanged except C(CAConfig.ForceRotate), which is raised by one (C(POST /swarm/update) with the
    swarm's version and C(rotateWorkerToken), C(rotateManagerToken), C(rotateManagerUnlockKey) all false). The
    swarm then makes a new root CA, reissues every node's certificate and switches its trust root.
  - With O(wait), polls until the rotation is over - the swarm no longer reports C(RootRotationInProgress), its
    trust root differs from the one before, and every node that is not Down reports the swarm's C(TLSInfo)
    (C(docker node ls) shows TLS STATUS Ready everywhere). The decision is
    C(status_report.rotation_progress), unit-tested.
  - Refuses, changing nothing, while a node is not Ready (Down, unknown, disconnected), naming it - Swarm keeps
    a root rotation in progress until every node it lists has a certificate from the new root, Down nodes
    included (seen on Docker 26.1.5). Bring the node back or remove it (C(docker node rm)) first. The check
    runs in check mode too.
  - Join tokens change with a root rotation (their fingerprint part names the CA); the swarm makes new ones by
    itself. playbooks/swarm.yml reads tokens from a manager on every run.
extends_documentation_fragment:
  - fleet.docker.engine.swarm_manager
  - fleet.docker.engine.api
  - fleet.docker.engine.attributes
  - fleet.docker.engine.actiongroup_swarm
options:
  wait:
    description: Wait until the rotation is over on every node.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait (with O(wait)) before failing with the nodes still without the new root.
    type: int
    default: 300
attributes:
  check_mode:
    support: full
    details: Reports C(changed=true) and rotates nothing.
  diff_mode:
    support: none
  idempotent:
    support: none
    details: Every run rotates the root CA again.
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Rotate the root CA on one manager and wait for every node
  fleet.docker.swarm_ca_rotate:
    wait_timeout: 600
  delegate_to: "{{ groups['swarm_managers'][0] }}"
  run_once: true
  register: rotation
"""

RETURN = r"""
before:
  description: Fingerprint (sha256 prefix of the DER) of the root CA before the rotation.
  returned: success
  type: str
  sample: "sha256:4f1c0e2a9b7d3e11"
after:
  description: Fingerprint of the root CA after the rotation (the same as RV(before) in check mode or without O(wait)).
  returned: success
  type: str
force_rotate:
  description: The C(CAConfig.ForceRotate) value sent (before + 1).
  returned: success
  type: int
done:
  description: Whether the rotation was seen finished on every node.
  returned: success
  type: bool
waiting:
  description: Hostnames of nodes that are up and do not have the new root yet.
  returned: success
  type: list
  elements: str
down:
  description: Hostnames of nodes that are Down (not waited for).
  returned: success
  type: list
  elements: str
reason:
  description: The last rotation check, in one sentence.
  returned: success
  type: str
seconds:
  description: Seconds from the update to the end of the wait.
  returned: success
  type: int
"""

import copy
import time

from ansible_collections.fleet.docker.plugins.module_utils.status_report import (
    fingerprint,
    rotation_blockers,
    rotation_progress,
)
from ansible_collections.fleet.docker.plugins.module_utils.swarm import SwarmClient


def rotate_spec(swarm):
    """(spec to send, new ForceRotate): the swarm's own spec with ForceRotate raised by one."""
    spec = copy.deepcopy(swarm.get("Spec") or {})
    ca = spec.setdefault("CAConfig", {})
    ca["ForceRotate"] = int(ca.get("ForceRotate") or 0) + 1
    return spec, ca["ForceRotate"]


def update_params(version):
    """Query of POST /swarm/update: the swarm's version, no token or key rotation."""
    return {"version": version, "rotateWorkerToken": "false", "rotateManagerToken": "false",
            "rotateManagerUnlockKey": "false"}


def main():
    client = SwarmClient(
        argument_spec=dict(
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    params = client.module.params
    client.require_manager()
    try:
        swarm = client.get_json("/swarm")
        nodes = client.node_list()
    except Exception as exc:  # SwarmUnavailable, the client's APIError
        client.fail("cannot read the swarm from this manager: %s. Without a leader (lost quorum) the root CA cannot be "
                    "rotated" % exc)
    blockers = rotation_blockers(nodes)
    if blockers:
        client.fail("Nothing was changed: not every node is Ready: %s. Swarm keeps a root CA rotation in progress until "
                    "every node it lists has a new certificate, Down nodes included; bring them back, or remove the ones "
                    "that will not come back (docker node rm <NodeID>, docs/runbooks/remove-node.md), then rotate"
                    % ", ".join(blockers), not_ready=blockers)
    old_root = (swarm.get("TLSInfo") or {}).get("TrustRoot", "")
    spec, force = rotate_spec(swarm)
    _done, detail = rotation_progress(swarm, nodes)
    result = dict(changed=True, before=fingerprint(old_root), after=fingerprint(old_root), force_rotate=force,
                  done=False, waiting=detail["waiting"], down=detail["down"], reason="", seconds=0)
    if client.module.check_mode:
        result["reason"] = "check mode: would raise CAConfig.ForceRotate to %d" % force
        client.module.exit_json(**result)
    start = time.time()
    try:
        client.post_json("/swarm/update", params=update_params((swarm.get("Version") or {}).get("Index")), data=spec)
    except Exception as exc:
        client.fail("the swarm refused the root CA rotation: %s" % exc, **result)
    if not params["wait"]:
        result["reason"] = "rotation started; not waiting"
        client.module.exit_json(**result)

    state = {}

    def probe():
        try:
            state["swarm"] = client.get_json("/swarm")
            done, state["detail"] = rotation_progress(state["swarm"], client.node_list(), old_root)
        except Exception as exc:  # a leader election during the wait: read again
            state.setdefault("detail", {"waiting": [], "down": [], "reason": str(exc)})
            return False, str(exc)
        return done, state["detail"]["reason"]

    done, reason = client.wait_for(probe, params["wait_timeout"], interval=2.0)
    detail = state.get("detail") or {}
    result.update(done=done, waiting=detail.get("waiting", []), down=detail.get("down", []), reason=reason,
                  seconds=int(time.time() - start),
                  after=fingerprint(((state.get("swarm") or {}).get("TLSInfo") or {}).get("TrustRoot", "")))
    if not done:
        client.fail("the root CA rotation did not finish within %ds: %s" % (params["wait_timeout"], reason), **result)
    client.module.exit_json(**result)


if __name__ == "__main__":
    main()
