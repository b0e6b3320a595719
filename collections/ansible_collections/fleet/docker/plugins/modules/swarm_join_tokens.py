#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_join_tokens
short_description: Rotate a swarm's join tokens without touching its settings; report token fingerprints
version_added: 0.1.0
description:
  - Rotates the worker and/or manager join token of the swarm, like C(docker swarm join-token --rotate).
    Nodes that already joined are not affected; only joins with the old token are refused from then on.
  - The swarm's settings are sent back exactly as they are (read, then C(POST /swarm/update) with the same
    spec and version). M(community.docker.docker_swarm) with O(community.docker.docker_swarm#module:rotate_worker_token)
    sends a spec built from its own options instead, which resets settings it was not given (seen on
    Docker 26 - task history limit, certificate expiry, dispatcher heartbeat and Raft ticks went back to
    zero/defaults).
  - Never returns the tokens. It returns a short fingerprint of each (the first 12 hex digits of its
    SHA-256), so a run can show that a token changed without printing it.
  - Without O(rotate) it only reports the fingerprints.
  - Run it on a manager, for example with C(delegate_to) and C(run_once). The swarm must have a leader.
extends_documentation_fragment:
  - fleet.docker.engine.swarm_manager
  - fleet.docker.engine.api
  - fleet.docker.engine.attributes
  - fleet.docker.engine.actiongroup_swarm
options:
  rotate:
    description: Which join tokens to rotate.
    type: list
    elements: str
    choices: [worker, manager]
    default: []
attributes:
  check_mode:
    support: full
    details:
      - Reports C(changed) for the tokens it would rotate; the fingerprints stay those of the current tokens.
  diff_mode:
    support: none
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Rotate both join tokens on one manager
  fleet.docker.swarm_join_tokens:
    rotate: [worker, manager]
  delegate_to: "{{ groups['swarm_managers'][0] }}"
  run_once: true
  register: tokens

- name: Show that they changed (fingerprints, never the tokens)
  ansible.builtin.debug:
    msg: "worker {{ tokens.before.worker }} -> {{ tokens.after.worker }}"
"""

RETURN = r"""
rotated:
  description: The tokens that were rotated (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [worker, manager]
before:
  description: Fingerprints (first 12 hex digits of the SHA-256) of the tokens before.
  returned: always
  type: dict
  contains:
    worker:
      description: Worker token fingerprint.
      type: str
    manager:
      description: Manager token fingerprint.
      type: str
  sample: {worker: 3f9a0c2d41b7, manager: 9e01aa7c5d23}
after:
  description: Fingerprints of the tokens after (equal to RV(before) in check mode).
  returned: always
  type: dict
  contains:
    worker:
      description: Worker token fingerprint.
      type: str
    manager:
      description: Manager token fingerprint.
      type: str
cluster_id:
  description: The swarm's cluster ID.
  returned: always
  type: str
spec_unchanged:
  description: Whether the swarm's spec read after the rotation equals the one read before (always true in check mode).
  returned: always
  type: bool
"""

import hashlib

from ansible_collections.fleet.docker.plugins.module_utils.swarm import APIError, SwarmClient

TOKEN_KEYS = {"worker": "Worker", "manager": "Manager"}
ROTATE_PARAMS = {"worker": "rotateWorkerToken", "manager": "rotateManagerToken"}


def fingerprint(token):
    """First 12 hex digits of the token's SHA-256 ('' for no token): shows change, reveals nothing."""
    if not token:
        return ""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def fingerprints(swarm):
    tokens = swarm.get("JoinTokens") or {}
    return dict((kind, fingerprint(tokens.get(key))) for kind, key in TOKEN_KEYS.items())


def update_params(version, rotate):
    """Query parameters of POST /swarm/update that rotate `rotate` and change nothing else."""
    params = {"version": version}
    for kind in sorted(set(rotate)):
        params[ROTATE_PARAMS[kind]] = "true"
    return params


def main():
    client = SwarmClient(
        argument_spec=dict(rotate=dict(type="list", elements="str", choices=list(TOKEN_KEYS), default=[])),
        supports_check_mode=True,
    )
    client.require_manager()
    rotate = sorted(set(client.module.params["rotate"]))
    try:
        swarm = client.get_json("/swarm")
    except APIError as exc:
        client.fail("cannot read the swarm from this manager: %s. Without a leader (lost quorum) the join tokens "
                    "cannot be read or rotated" % exc)
    before = fingerprints(swarm)
    result = dict(changed=bool(rotate), rotated=rotate, before=before, after=before,
                  cluster_id=swarm.get("ID", ""), spec_unchanged=True)
    if rotate and not client.check_mode:
        try:
            client.post_json("/swarm/update", params=update_params((swarm.get("Version") or {}).get("Index"), rotate),
                             data=swarm.get("Spec") or {})
            after = client.get_json("/swarm")
        except APIError as exc:
            client.fail("rotating the %s join token%s failed: %s" % (
                " and ".join(rotate), "s" if len(rotate) > 1 else "", exc), **result)
        result["after"] = fingerprints(after)
        result["spec_unchanged"] = (after.get("Spec") or {}) == (swarm.get("Spec") or {})
        unchanged = [kind for kind in rotate if result["after"][kind] == before[kind]]
        if unchanged:
            client.fail("the swarm accepted the update, but the %s join token did not change" % " and ".join(unchanged),
                        **result)
    client.module.exit_json(**result)


if __name__ == "__main__":
    main()
