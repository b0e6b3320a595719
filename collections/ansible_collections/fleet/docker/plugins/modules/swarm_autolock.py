#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_autolock
short_description: Turn swarm autolock on or off, check the controller's copy of the unlock key, rotate the key
version_added: 0.3.0
description:
  - Sets C(Spec.EncryptionConfig.AutoLockManagers) of the swarm (C(docker swarm update --autolock)), sending
    the rest of the spec back exactly as it is; reads the unlock key (C(GET /swarm/unlockkey)); with
    O(rotate=true) replaces it (C(docker swarm unlock-key --rotate)).
  - The decision is C(module_utils/autolock.py) C(autolock_plan) - the file's state (O(key_file), O(key))
    against the swarm's. A file that holds another key than the swarm's is refused by name and nothing
    changes; the module never asks for the file to be overwritten. When the file must be written
    (created), RV(unlock_key) carries the key and RV(write_file) is true.
  - Run it on a manager (C(delegate_to), C(run_once)). The swarm must have a leader.
  - The result carries the unlock key - use C(no_log=true) on the task.
extends_documentation_fragment:
  - fleet.docker.engine.swarm_manager
  - fleet.docker.engine.api
  - fleet.docker.engine.attributes
  - fleet.docker.engine.actiongroup_swarm
options:
  autolock:
    description: Autolock wanted on (V(true)) or off (V(false)).
    type: bool
    required: true
  key_file:
    description: The controller's key file (C(swarm_unlock_key_file)), named in messages; empty - none named.
    type: str
    default: ""
  key:
    description: The content of O(key_file); omitted when the file does not exist.
    type: str
  rotate:
    description:
      - Rotate the unlock key. Needs autolock on and O(key) equal to the swarm's current key (so the
        controller's copy never falls behind without the operator knowing). RV(unlock_key) is the new key.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details:
      - Reports what it would change; RV(unlock_key) is returned only for a key that already exists.
  diff_mode:
    support: none
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Turn autolock on; the key comes back once, for the controller's file
  fleet.docker.swarm_autolock:
    autolock: true
    key_file: /secure/swarm-unlock.key
    key: "{{ lookup('ansible.builtin.file', '/secure/swarm-unlock.key', errors='ignore') or omit }}"
  delegate_to: "{{ groups['swarm_managers'][0] }}"
  run_once: true
  no_log: true
  register: autolock

- name: Write the key file (created once, never overwritten)
  ansible.builtin.copy:
    content: "{{ autolock.unlock_key }}\n"
    dest: /secure/swarm-unlock.key
    mode: "0600"
    force: false
  delegate_to: localhost
  run_once: true
  no_log: true
  when: autolock.write_file
"""

RETURN = r"""
action:
  description: V(none), V(enable), V(disable) (from C(autolock_plan)).
  returned: always
  type: str
autolock:
  description: Autolock at the end (what it would be, in check mode).
  returned: always
  type: bool
file:
  description: The key file's state - V(unnamed), V(missing), V(invalid), V(match), V(other).
  returned: always
  type: str
write_file:
  description: RV(unlock_key) must be written to O(key_file) (it did not exist).
  returned: always
  type: bool
rotated:
  description: The key was rotated (or would be, in check mode).
  returned: always
  type: bool
unlock_key:
  description: The swarm's unlock key, only when RV(write_file) or RV(rotated) (empty otherwise).
  returned: always
  type: str
key_fingerprint:
  description: First 12 hex digits of the SHA-256 of the swarm's key at the end (shows change, reveals nothing).
  returned: always
  type: str
reason:
  description: What was done, or why it was refused.
  returned: always
  type: str
"""

import copy
import hashlib

from ansible_collections.fleet.docker.plugins.module_utils import autolock as al
from ansible_collections.fleet.docker.plugins.module_utils.swarm import APIError, SwarmClient


def fingerprint(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12] if key else ""


def is_on(swarm):
    return bool(((swarm.get("Spec") or {}).get("EncryptionConfig") or {}).get("AutoLockManagers"))


def read_key(client):
    return ((client.get_json("/swarm/unlockkey") or {}).get("UnlockKey") or "").strip()


def update(client, swarm, params=None, autolock=None):
    spec = copy.deepcopy(swarm.get("Spec") or {})
    if autolock is not None:
        spec.setdefault("EncryptionConfig", {})["AutoLockManagers"] = bool(autolock)
    query = {"version": (swarm.get("Version") or {}).get("Index")}
    query.update(params or {})
    client.post_json("/swarm/update", params=query, data=spec)


def run(client):
    p = client.module.params
    client.require_manager()
    try:
        swarm = client.get_json("/swarm")
        on = is_on(swarm)
        key = read_key(client) if on else ""
    except APIError as exc:
        client.fail("cannot read the swarm or its unlock key from this manager: %s. Without a leader (lost quorum) "
                    "autolock cannot be changed" % exc)
    state = al.file_state(p["key_file"], p["key"], key)
    plan = al.autolock_plan(p["autolock"], state, "on" if on else "off", p["key_file"])
    result = dict(changed=False, action=plan["action"], autolock=on, file=state, write_file=plan["write_file"],
                  rotated=False, unlock_key="", key_fingerprint=fingerprint(key), reason=plan["reason"])
    if not plan["ok"]:
        client.fail(plan["reason"], **result)
    if p["rotate"] and not (p["autolock"] and on and state == "match"):
        client.fail("refusing to rotate the unlock key: %s" % (
            "autolock is off (swarm_autolock: true first)" if not (p["autolock"] and on)
            else "%s does not hold the swarm's current key (file: %s)" % (p["key_file"] or "no key file", state)),
            **result)
    try:
        if plan["action"] in ("enable", "disable"):
            result.update(changed=True, autolock=plan["action"] == "enable")
            if not client.check_mode:
                update(client, swarm, autolock=plan["action"] == "enable")
                key = read_key(client) if plan["action"] == "enable" else ""
        if p["rotate"]:
            result.update(changed=True, rotated=True)
            if not client.check_mode:
                update(client, swarm, params={"rotateManagerUnlockKey": "true"})
                new = read_key(client)
                if not new or new == key:
                    client.fail("the swarm accepted the rotation but its unlock key did not change", **result)
                key = new
    except APIError as exc:
        client.fail("updating the swarm failed (%s): %s" % (plan["action"] if not p["rotate"] else "rotate", exc),
                    **result)
    result["key_fingerprint"] = fingerprint(key)
    if (plan["write_file"] or result["rotated"]) and key:
        result["unlock_key"] = key
    if plan["write_file"] and not key and not client.check_mode:
        client.fail("autolock is on but the swarm returned no unlock key", **result)
    return result


def main():
    client = SwarmClient(
        argument_spec=dict(
            autolock=dict(type="bool", required=True),
            key_file=dict(type="str", default=""),
            key=dict(type="str", no_log=True),
            rotate=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    client.module.exit_json(**run(client))


if __name__ == "__main__":
    main()
