# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swarm autolock decisions, as pure functions (no engine, no Ansible).

The planner's companion for autolock (kept in its own file so that module_utils/planner.py
stays the Raft/restart/removal planner). Used by the modules fleet.docker.swarm_autolock
and fleet.docker.swarm_unlock and, through the filter fleet.docker.autolock_plan, by role
swarm before anything changes. Unit tests: tests/unit/plugins/module_utils/test_autolock.py
enumerate every combination of their inputs.

The rules (docs: Docker "Lock your swarm to protect its encryption key"):
  * With autolock on, a manager whose dockerd restarts comes back `locked`: it holds its
    Raft data encrypted with a key-encryption key only the unlock key opens, and it is not
    Reachable (not a working Raft member) until `docker swarm unlock` is given that key.
  * Turning autolock on creates the swarm's unlock key; `unlock-key --rotate` replaces it.
    A manager that was down during a rotation still needs the PREVIOUS key once.
  * The unlock key is written once to a file on the controller the operator names
    (swarm_unlock_key_file) and never overwritten silently: a file that does not hold
    this swarm's key is refused by name, nothing changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

#: The shape of an unlock key as `docker swarm unlock-key -q` prints it.
KEY_PATTERN = re.compile(r"^SWMKEY-1-[A-Za-z0-9+/=_-]{20,}$")

#: Swarm states for autolock_plan: no swarm yet (the run creates it), autolock off, on.
SWARM_STATES = ("none", "off", "on")

#: Controller file states for autolock_plan.
FILE_STATES = ("unnamed", "missing", "invalid", "match", "other")

KEY_FILE_HINT = ("ansible-vault or a secrets manager can hold it afterwards; the file must stay readable by the "
                 "controller for rolling restarts")


def key_valid(key):
    """Does `key` look like an unlock key (SWMKEY-1-...)?"""
    return bool(key) and bool(KEY_PATTERN.match(key.strip()))


def file_state(path, content, swarm_key=None):
    """Classify the controller's key file for autolock_plan.

    path: swarm_unlock_key_file ("" = not named); content: its text, None when it does
    not exist; swarm_key: the swarm's current unlock key ("" or None when unknown / off).
    """
    if not path:
        return "unnamed"
    if content is None:
        return "missing"
    key = content.strip()
    if not key_valid(key):
        return "invalid"
    if swarm_key and key == swarm_key.strip():
        return "match"
    return "other"


def autolock_plan(wanted, file, swarm, path=""):
    """What role swarm does about autolock on one swarm, and whether it may.

    wanted: swarm_autolock (bool).
    file:   file_state(): unnamed | missing | invalid | match | other ("other": a valid key
            that is not this swarm's, or any key while the swarm has none).
    swarm:  none (no swarm yet: this run creates it) | off | on (Spec.EncryptionConfig).

    Returns {ok, action, write_file, reason}:
      action      none | init (create the swarm with autolock on) | enable | disable;
      write_file  the swarm's key goes to the file (created, never overwritten);
      reason      what is done or why it is refused, naming the file and the way out.
    """
    if swarm not in SWARM_STATES:
        raise ValueError("swarm must be one of %s, got %r" % ("|".join(SWARM_STATES), swarm))
    if file not in FILE_STATES:
        raise ValueError("file must be one of %s, got %r" % ("|".join(FILE_STATES), file))
    where = path or "swarm_unlock_key_file"
    out = {"ok": True, "action": "none", "write_file": False}
    if not wanted:
        if swarm == "on":
            out["action"] = "disable"
            out["reason"] = ("swarm_autolock is false: turning autolock off (restarted managers no longer need a key)%s"
                             % ("; %s is left as it is and unlocks nothing from now on" % where
                                if file not in ("unnamed", "missing") else ""))
        else:
            out["reason"] = "swarm_autolock is false and autolock is off: nothing to do"
        return out
    if file == "unnamed":
        return _refuse("swarm_autolock is true but swarm_unlock_key_file is empty: the unlock key must be written "
                       "to a file on the controller (mode 0600) before autolock is turned on, or a restarted "
                       "manager could never be unlocked. Name the file (e.g. "
                       "swarm_unlock_key_file: ~/.fleet/swarm-unlock.key); %s" % KEY_FILE_HINT)
    if file == "invalid":
        return _refuse("%s exists but does not hold an unlock key (SWMKEY-1-...): refusing to use or overwrite it. "
                       "Put the swarm's key in it (`docker swarm unlock-key -q` on a manager) or name another file"
                       % where)
    if swarm in ("none", "off"):
        if file == "missing":
            out["action"] = "init" if swarm == "none" else "enable"
            out["write_file"] = True
            out["reason"] = ("%s autolock; its new unlock key is written to %s (mode 0600, once)"
                             % ("creating the swarm with" if swarm == "none" else "turning on", where))
            return out
        return _refuse("%s already holds an unlock key, but %s: turning autolock on creates a NEW key and the file "
                       "is never overwritten. The key in it belongs to another swarm or to an earlier autolock "
                       "of this one and unlocks nothing here. Move the file away (or name another "
                       "swarm_unlock_key_file) and run again"
                       % (where, "no swarm exists yet" if swarm == "none" else "this swarm has autolock off"))
    # swarm == "on"
    if file == "missing":
        out["write_file"] = True
        out["reason"] = "autolock is on; the swarm's unlock key is written to %s (mode 0600, once)" % where
    elif file == "match":
        out["reason"] = "autolock is on and %s holds the swarm's unlock key: nothing to do" % where
    else:
        return _refuse("%s does not hold this swarm's unlock key (the key was rotated outside this project, or the "
                       "file belongs to another swarm); nothing was changed and the file is not overwritten. Put "
                       "the current key in it (`docker swarm unlock-key -q` on a manager) or rotate it with "
                       "playbooks/swarm_rotate_unlock_key.yml after fixing the file" % where)
    return out


def swarm_autolock_state(init, autolock_fact):
    """The swarm's autolock as autolock_plan takes it: "none" when this run creates the swarm,
    else "on"/"off" from the chosen manager's fact, "unknown" when the fact does not say."""
    if init:
        return "none"
    if autolock_fact is None:
        return "unknown"
    return "on" if autolock_fact else "off"


def _refuse(reason):
    return {"ok": False, "action": "none", "write_file": False, "reason": reason}


def unlock_keys(current, previous):
    """The keys to try on a locked manager, in order: the current file's, then the previous one's.

    Empty, invalid and repeated keys are left out. Returns [(label, key)] with label
    "current" or "previous" (never the key) for the report.
    """
    out = []
    for label, key in (("current", current), ("previous", previous)):
        key = (key or "").strip()
        if key_valid(key) and key not in [pair[1] for pair in out]:
            out.append((label, key))
    return out


def unlock_step(state, keys, tried=()):
    """The next step of unlocking one node.

    state: /info's Swarm.LocalNodeState (None: dockerd does not answer yet);
    keys:  unlock_keys() result; tried: labels of keys already refused by the engine.

    Returns {done, ok, try, reason}: done and ok when the node needs nothing (not locked),
    try the label of the next key to send, or done and not ok with a reason naming what
    was tried.
    """
    if state is None or state == "pending":
        return {"done": False, "ok": False, "try": None,
                "reason": "waiting: dockerd %s" % ("does not answer yet" if state is None else "is still joining")}
    if state != "locked":
        return {"done": True, "ok": True, "try": None,
                "reason": "swarm state %s: not locked, nothing to unlock" % (state or "inactive")}
    left = [pair[0] for pair in keys if pair[0] not in tried]
    if left:
        return {"done": False, "ok": False, "try": left[0], "reason": "locked: trying the %s key" % left[0]}
    if not keys:
        reason = ("the node is locked (autolock) and no unlock key was given: swarm_unlock_key_file is empty, "
                  "missing or holds no key")
    else:
        reason = ("the node is locked and refused the %s; the key files hold no key this node accepts (rotated "
                  "outside this project, or the wrong file)" % " and the ".join("%s key" % t for t in tried))
    return {"done": True, "ok": False, "try": None, "reason": reason}
