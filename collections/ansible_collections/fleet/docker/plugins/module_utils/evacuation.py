# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where did a drained node's tasks go? Pure functions over the Swarm API's task list.

Draining a node stops its tasks and lets the orchestrator start replacements, but does
not wait for them (facts.md). A node may leave only when every replicated task that ran
on it runs again elsewhere. A replicated task is identified by (service, slot): the
replacement for slot 2 of `web` is a new task with the same service and slot on another
node. Global-service tasks on a drained node just stop and have no replacement, so they
are not waited for.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

RUNNING = "running"


def service_names(services):
    """{service id: name} from GET /services."""
    return dict((s["ID"], (s.get("Spec") or {}).get("Name", s["ID"][:12])) for s in services)


def is_replicated(service):
    mode = (service.get("Spec") or {}).get("Mode") or {}
    return "Replicated" in mode


def task_name(task, names):
    svc = names.get(task.get("ServiceID"), (task.get("ServiceID") or "?")[:12])
    return "%s.%s" % (svc, task.get("Slot")) if task.get("Slot") else "%s.%s" % (svc, task.get("NodeID", "")[:12])


def _state(task):
    return ((task.get("Status") or {}).get("State") or "").lower()


def replicated_slots_on(tasks, node_id, services):
    """The (service id, slot) pairs of replicated tasks the orchestrator wants running on node_id.

    Taken before the drain: desired state running, whatever their current state.
    """
    replicated = set(s["ID"] for s in services if is_replicated(s))
    return sorted(set(
        (t["ServiceID"], t["Slot"])
        for t in tasks
        if t.get("NodeID") == node_id and t.get("DesiredState") == RUNNING
        and t.get("ServiceID") in replicated and t.get("Slot")
    ))


def evacuation_status(tasks, node_id, slots, services):
    """Split the watched slots into (moved, pending).

    moved:   [{"task": "web.2", "node_id": <new node>}] -- a task of that slot runs elsewhere
    pending: [{"task": "web.5", "reason": "..."}]       -- not yet; the reason says why when
             the orchestrator said so (e.g. "no suitable node (1 node not available ...)")
    A slot whose service no longer exists, or whose service was scaled below that slot,
    counts as moved (nothing will ever run it again, and nothing is lost by leaving).
    """
    names = service_names(services)
    by_id = dict((s["ID"], s) for s in services)
    moved, pending = [], []
    for service_id, slot in slots:
        svc = by_id.get(service_id)
        label = "%s.%s" % (names.get(service_id, service_id[:12]), slot)
        replicas = (((svc or {}).get("Spec") or {}).get("Mode") or {}).get("Replicated", {}).get("Replicas")
        if svc is None or (replicas is not None and slot > replicas):
            moved.append({"task": label, "node_id": None})
            continue
        same_slot = [t for t in tasks if t.get("ServiceID") == service_id and t.get("Slot") == slot]
        running_elsewhere = [t for t in same_slot if t.get("NodeID") and t.get("NodeID") != node_id
                             and t.get("DesiredState") == RUNNING and _state(t) == RUNNING]
        if running_elsewhere:
            moved.append({"task": label, "node_id": running_elsewhere[0]["NodeID"]})
            continue
        wanted = [t for t in same_slot if t.get("DesiredState") == RUNNING and t.get("NodeID") != node_id]
        reason = "no replacement task yet"
        if wanted:
            newest = sorted(wanted, key=lambda t: t.get("CreatedAt", ""))[-1]
            status = newest.get("Status") or {}
            reason = "replacement is %s" % (_state(newest) or "unknown")
            detail = status.get("Err") or status.get("Message")
            if detail:
                reason += ": %s" % detail
        pending.append({"task": label, "reason": reason})
    return moved, pending


def describe_pending(pending, limit=10):
    """'web.2 (replacement is pending: no suitable node ...), web.5 (...)'."""
    parts = ["%s (%s)" % (p["task"], p["reason"]) for p in pending[:limit]]
    if len(pending) > limit:
        parts.append("and %d more" % (len(pending) - limit))
    return ", ".join(parts)
