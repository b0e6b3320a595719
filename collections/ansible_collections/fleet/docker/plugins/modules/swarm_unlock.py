#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_unlock
short_description: Unlock a locked swarm manager (autolock) with the current or the previous unlock key
version_added: 0.3.0
description:
  - With autolock on, a manager whose dockerd restarted comes back C(locked) and is not a working Raft
    member until it is unlocked (C(docker swarm unlock)). This module waits until the local engine
    answers, and when its swarm state is C(locked) sends O(key), then O(previous_key) (a manager that was
    down while the key was rotated still needs the old one), with C(POST /swarm/unlock), and waits until
    the state is C(active).
  - A node that is not locked is left alone (C(changed=false)). A locked node that none of the keys unlocks
    fails the module, naming the node and the keys tried (never the keys themselves).
  - Run it on the node itself (C(delegate_to)); it talks to the local engine.
extends_documentation_fragment:
  - fleet.docker.engine.swarm_manager
  - fleet.docker.engine.api
  - fleet.docker.engine.attributes
  - fleet.docker.engine.actiongroup_swarm
options:
  key:
    description: The current unlock key (C(SWMKEY-1-...)), usually read from C(swarm_unlock_key_file) on the controller.
    type: str
  previous_key:
    description: The key before the last rotation, tried when O(key) is refused.
    type: str
  name:
    description: The node's name in messages (for example its inventory hostname).
    type: str
    default: this node
  wait_timeout:
    description: Seconds to wait for the engine to answer (and leave C(pending)), and for C(active) after the unlock.
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    details:
      - Reports C(changed) when the node is locked; sends nothing.
  diff_mode:
    support: none
notes:
  - Give the keys with C(no_log=true) on the task.
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Unlock a restarted manager
  fleet.docker.swarm_unlock:
    key: "{{ lookup('ansible.builtin.file', swarm_unlock_key_file) }}"
    name: "{{ inventory_hostname }}"
  no_log: true
"""

RETURN = r"""
locked:
  description: The node was locked when the module looked.
  returned: always
  type: bool
used:
  description: Which key unlocked it - V(current) or V(previous); empty when nothing was sent.
  returned: always
  type: str
tried:
  description: Keys the engine refused (V(current), V(previous)).
  returned: always
  type: list
  elements: str
state:
  description: The node's swarm state at the end (C(LocalNodeState)).
  returned: always
  type: str
"""

import time

from ansible_collections.fleet.docker.plugins.module_utils import autolock
from ansible_collections.fleet.docker.plugins.module_utils.engine import EngineUnavailable
from ansible_collections.fleet.docker.plugins.module_utils.swarm import APIError, SwarmClient


def read_state(client):
    try:
        return ((client.api.get_json("/info") or {}).get("Swarm") or {}).get("LocalNodeState") or "inactive"
    except EngineUnavailable:
        return None


def run(client, sleep=time.sleep, clock=time.monotonic):
    p = client.module.params
    keys = autolock.unlock_keys(p["key"], p["previous_key"])
    by_label = dict(keys)
    deadline = clock() + p["wait_timeout"]
    tried, used, locked = [], "", False
    while True:
        state = read_state(client)
        step = autolock.unlock_step(state, keys, tried)
        if state == "locked":
            locked = True
        result = dict(changed=locked, locked=locked, used=used, tried=tried, state=state or "unknown")
        if step["done"]:
            if not step["ok"]:
                client.fail("%s: %s" % (p["name"], step["reason"]), **result)
            return result
        if step["try"] is None:
            if clock() >= deadline:
                client.fail("%s: %s after %ds" % (p["name"], step["reason"], p["wait_timeout"]), **result)
            sleep(1)
            continue
        if client.check_mode:
            result["changed"] = True
            return result
        try:
            client.api.post_json("/swarm/unlock", data={"UnlockKey": by_label[step["try"]]})
        except APIError as exc:
            if exc.status is not None and exc.status < 500 and "invalid key" not in str(exc).lower():
                client.fail("%s: POST /swarm/unlock failed: %s" % (p["name"], exc), **result)
            tried.append(step["try"])
            continue
        used = step["try"]
        while clock() < deadline and read_state(client) == "locked":
            sleep(1)
        state = read_state(client)
        result.update(used=used, state=state or "unknown")
        if state == "locked":
            client.fail("%s: the engine accepted the %s key but still reports locked after %ds"
                        % (p["name"], used, p["wait_timeout"]), **result)
        return result


def main():
    client = SwarmClient(
        argument_spec=dict(
            key=dict(type="str", no_log=True),
            previous_key=dict(type="str", no_log=True),
            name=dict(type="str", default="this node"),
            wait_timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    client.module.exit_json(**run(client))


if __name__ == "__main__":
    main()
