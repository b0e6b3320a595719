# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The autolock decision (module_utils/autolock.py) as a filter, for role swarm's preflight."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: autolock_check
short_description: Role swarm's autolock preflight (may autolock be turned on or off with this key file)
version_added: 0.3.0
description:
  - C(swarm_autolock | fleet.docker.autolock_check(path, content, swarm)) - see module_utils/autolock.py
    C(autolock_plan). C(path) is C(swarm_unlock_key_file) (empty - none named), C(content) the file's text
    (null - it does not exist), C(swarm) V(none) (this run creates the swarm), V(off), V(on) or null
    (not known - the manager's facts lack the swarm's spec).
  - Before the swarm's key is read, a valid key in the file counts as matching an autolocked (or unknown)
    swarm; fleet.docker.swarm_autolock then compares it with the swarm's own key.
options: {}
author:
  - fleet maintainers
"""

from ansible_collections.fleet.docker.plugins.module_utils import autolock as al


def swarm_autolock_state(cluster, hostvars):
    """The swarm's autolock (module_utils.autolock.swarm_autolock_state) from the cluster plan
    and the chosen manager's fleet_docker_host."""
    cluster = cluster or {}
    try:
        fact = hostvars[cluster.get("chosen")].get("fleet_docker_host") or {}
    except (KeyError, TypeError, AttributeError):
        fact = {}
    return al.swarm_autolock_state(bool(cluster.get("init")), (fact.get("swarm") or {}).get("autolock"))


def autolock_check(wanted, path, content, swarm):
    state = al.file_state(path, content)
    if swarm in (None, "", "on", "unknown"):
        swarm = "on"
        if state == "other":
            state = "match"  # checked against the swarm's key by the module
    return al.autolock_plan(bool(wanted), state, swarm, path)


class FilterModule(object):
    def filters(self):
        return {"autolock_check": autolock_check, "swarm_autolock_state": swarm_autolock_state}
