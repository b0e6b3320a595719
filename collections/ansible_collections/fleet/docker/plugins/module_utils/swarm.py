# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swarm logic shared by the fleet.docker swarm modules.

The file is organized in sections; keep new helpers in the section they belong to
(pure functions first, API access last) so the pure parts stay unit-testable without
an engine:

  1. Constants
  2. Quorum arithmetic            majority(), tolerance() (from module_utils.planner)
  3. Nodes: summaries and lookup  node_summary(), cluster_summary(), resolve_node(), resolve_host()
  4. Quorum planning              quorum_after() (planner.membership_verdict)
  5. Labels with ownership        parse_owned(), label_problems(), plan_labels()
  6. Roles                        plan_roles(), with_promotions()
  7. Node spec updates            update_node_with_retry()  (version + retry, API-agnostic)
  8. Client                       SwarmClient (AnsibleModule + engine.EngineClient:
                                  docker_host/TLS options, no Docker SDK, no other collection)

Everything acts on NodeIDs. Hostnames repeat (a node that rejoins gets a new ID and
the old one stays listed as Down), so they are only accepted as a convenience where
they resolve to exactly one live node (resolve_node).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import time

from ansible_collections.fleet.docker.plugins.module_utils.planner import (  # noqa: F401 (re-exported)
    RESTORE_LABEL,
    majority,
    membership_verdict,
    tolerance,
)

# --------------------------------------------------------------------------- 1. constants

#: The node label that records which label keys this project manages on that node
#: (comma-separated, sorted). It lives on the node, so it survives between runs and
#: controllers, and labels set by hand (not listed) are never removed.
OWNED_LABELS_KEY = "fleet.docker.owned-labels"

ROLES = ("manager", "worker")

#: Fragment of the error swarmkit returns when a node update carries a stale version.
OUT_OF_SEQUENCE = "update out of sequence"

# --------------------------------------------------------------------------- 1b. membership (join / leave)


def member_step(wanted, local_state, force=False):
    """What fleet.docker.swarm_member does on a host: (step, problem).

    wanted:      'joined', 'initialized' (a new swarm on this node) or 'left'.
    local_state: the engine's Swarm.LocalNodeState (inactive, pending, active, error, locked).
    step:        'join', 'init', 'leave' or 'none'; problem: '' or why nothing may be done.
    A node that is already active is never re-joined (it may be in another swarm: the
    caller checks its NodeID against the cluster), nor is a swarm created on it;
    pending/error/locked nodes are refused for a join or an init (they must be sorted out by
    hand) and left only with force.
    """
    state = local_state or "inactive"
    if wanted in ("joined", "initialized"):
        if state == "inactive":
            return ("join" if wanted == "joined" else "init"), ""
        if state == "active":
            return "none", ""
        return "none", ("its swarm state is %r (%s); it is not joined again: sort it out "
                        "(docker swarm leave, or unlock it) and run again"
                        % (state, {"pending": "a join is under way or stuck",
                                   "locked": "the swarm is locked on this node"}.get(state, "the node reports an error")))
    if state == "inactive":
        return "none", ""
    if state == "active" or force:
        return "leave", ""
    return "none", "its swarm state is %r; leaving it needs force=true" % state


# --------------------------------------------------------------------------- 2. quorum arithmetic


def _plural(count, word):
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


# --------------------------------------------------------------------------- 3. nodes


def node_summary(node):
    """Flat view of one `GET /nodes` entry.

    `role` is the role in the node's spec (what was asked); `manager` says whether
    the node is a Raft member now (has ManagerStatus). They differ for a few seconds
    after a promotion or demotion. Quorum arithmetic uses `manager`.
    """
    spec = node.get("Spec") or {}
    desc = node.get("Description") or {}
    status = node.get("Status") or {}
    mstat = node.get("ManagerStatus") or {}
    addr = status.get("Addr") or ""
    manager_addr = mstat.get("Addr") or ""
    if addr in ("", "0.0.0.0") and manager_addr:
        # The leader sometimes reports 0.0.0.0 as its address (moby#35437).
        addr = manager_addr.rsplit(":", 1)[0]
    return {
        "id": node.get("ID", ""),
        "hostname": desc.get("Hostname", ""),
        "role": spec.get("Role", ""),
        "availability": spec.get("Availability", ""),
        "state": status.get("State", ""),
        "addr": addr,
        "labels": dict(spec.get("Labels") or {}),
        "manager": bool(mstat),
        "reachability": mstat.get("Reachability", ""),
        "leader": bool(mstat.get("Leader")),
        "manager_addr": manager_addr,
        "engine_version": (desc.get("Engine") or {}).get("EngineVersion", ""),
        "version": (node.get("Version") or {}).get("Index", 0),
    }


def cluster_summary(nodes):
    """Managers, reachability, leader and quorum figures from node summaries."""
    managers = [n for n in nodes if n["manager"]]
    reachable = [n for n in managers if n["reachability"] == "reachable"]
    leader = [n["id"] for n in managers if n["leader"]]
    count = len(managers)
    return {
        "nodes": len(nodes),
        "managers": [n["id"] for n in managers],
        "reachable_managers": [n["id"] for n in reachable],
        "unreachable_managers": [n["id"] for n in managers if n["reachability"] != "reachable"],
        "workers": [n["id"] for n in nodes if not n["manager"]],
        "leader": leader[0] if leader else "",
        "manager_count": count,
        "reachable_count": len(reachable),
        "quorum": majority(count),
        "tolerance": tolerance(count),
        "has_quorum": count > 0 and len(reachable) >= majority(count),
        "failures_left": max(len(reachable) - majority(count), 0),
    }


class NodeLookupError(Exception):
    """A node reference matches no node, or more than one."""


def resolve_node(nodes, ref):
    """The summary a NodeID or hostname refers to.

    An exact NodeID always wins. A hostname must match exactly one node, or exactly
    one that is not Down (rejoined nodes leave a Down namesake behind).
    """
    for n in nodes:
        if n["id"] == ref:
            return n
    named = [n for n in nodes if n["hostname"] == ref]
    if len(named) == 1:
        return named[0]
    if not named:
        raise NodeLookupError("no node of this swarm has the ID or hostname %r" % ref)
    live = [n for n in named if n["state"] != "down"]
    if len(live) == 1:
        return live[0]
    raise NodeLookupError(
        "hostname %r matches %d nodes (%s); pass the NodeID instead"
        % (ref, len(named), ", ".join("%s %s" % (n["id"], n["state"]) for n in named))
    )


def resolve_host(nodes, node_id=None, addr=None, hostname=None):
    """(entry or None, stale NodeIDs) for an inventory host that is to leave the swarm.

    The NodeID the host itself reported wins. Otherwise the advertise address, then the
    hostname. Among the matches one live (not down) entry stands for the host and the
    down ones are stale entries of earlier joins; with only down entries, the newest one
    stands for it. Several live matches raise NodeLookupError (set the NodeID).
    """
    if node_id:
        for n in nodes:
            if n["id"] == node_id:
                return n, []
    matches = [n for n in nodes if addr and n["addr"] == addr]
    if not matches and hostname:
        matches = [n for n in nodes if n["hostname"] == hostname]
    live = [n for n in matches if n["state"] != "down"]
    down = sorted((n for n in matches if n["state"] == "down"), key=lambda n: n["version"])
    if len(live) > 1:
        raise NodeLookupError("%s matches %d live nodes (%s): set its NodeID" % (
            hostname or addr, len(live), ", ".join(n["id"] for n in live)))
    if live:
        return live[0], [n["id"] for n in down]
    if down:
        return down[-1], [n["id"] for n in down[:-1]]
    return None, []


def node_names(nodes, names=None):
    """{node id: name for messages}: the caller's names (inventory hostnames) first."""
    out = dict((n["id"], n["hostname"] or n["id"]) for n in nodes)
    out.update(names or {})
    return out


# --------------------------------------------------------------------------- 4. quorum planning


def quorum_after(nodes, leaving, names=None, action="removing"):
    """Would the swarm keep a majority of reachable managers without `leaving`?

    nodes:   node summaries (node_summary) of the whole swarm.
    leaving: NodeIDs that are demoted or removed (workers among them do not count).
    names:   optional {node id: name} for the reason text.
    action:  verb for the reason text ("removing", "demoting").

    The membership rule of module_utils.planner (majority of the managers that REMAIN,
    never the last one). Only for demotions and removals: a restart keeps the manager a
    member and is judged by planner.take_down_verdict (majority of ALL managers).
    """
    return membership_verdict(nodes, leaving, names, action=action)


# --------------------------------------------------------------------------- 5. labels


def parse_owned(value):
    """Owned label keys recorded in the owner label's value ("a,b" -> ["a", "b"])."""
    return sorted(set(k.strip() for k in (value or "").split(",") if k.strip()))


def format_owned(keys):
    return ",".join(sorted(set(keys)))


def label_problems(labels, owner_key=OWNED_LABELS_KEY):
    """What is wrong with a desired labels dict (empty list when nothing)."""
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return ["must be a dict of label: string, got %s" % type(labels).__name__]
    problems = []
    for key in sorted(labels, key=str):
        value = labels[key]
        if not isinstance(key, str) or not key.strip():
            problems.append("key %r must be a non-empty string" % (key,))
            continue
        if "," in key:
            problems.append("key %r must not contain a comma (keys are recorded in %s)" % (key, owner_key))
        if key == owner_key:
            problems.append("key %r is reserved: it records the labels this project owns" % key)
        if key == RESTORE_LABEL:
            problems.append("key %r is reserved: it records the availability to give back after a drain" % key)
        if not isinstance(value, str):
            problems.append("%s must be a string, got %s %r (quote it in YAML)" % (key, type(value).__name__, value))
    return problems


def plan_labels(desired, current, owner_key=OWNED_LABELS_KEY):
    """New labels of a node from the desired ones, its current ones and ownership.

    desired: labels the inventory wants (this project owns exactly these keys after).
    current: the node's labels now, the owner label included.

    Keys owned before and no longer desired are removed; desired keys are set (a key
    set by hand that becomes desired is adopted); every other key is left alone.
    """
    desired = dict(desired or {})
    current = dict(current or {})
    owned_before = parse_owned(current.get(owner_key))
    new = dict(current)
    # The availability record of an interrupted drain is never an owned label (planner section 4).
    removed = sorted(k for k in owned_before if k not in desired and k in current and k != RESTORE_LABEL)
    for key in removed:
        del new[key]
    new.update(desired)
    owned_after = sorted(desired)
    if owned_after:
        new[owner_key] = format_owned(owned_after)
    else:
        new.pop(owner_key, None)
    return {
        "labels": new,
        "owned_before": owned_before,
        "owned_after": owned_after,
        "added": sorted(k for k in desired if k not in current),
        "removed": removed,
        "updated": sorted(k for k in desired if k in current and current[k] != desired[k]),
        "adopted": sorted(k for k in desired if k in current and k not in owned_before),
        "changed": new != current,
    }


# --------------------------------------------------------------------------- 6. roles


def plan_roles(nodes, wanted):
    """(promote, demote): NodeIDs whose spec role differs from `wanted` {id: role}."""
    by_id = dict((n["id"], n) for n in nodes)
    promote, demote = [], []
    for node_id, role in wanted.items():
        node = by_id.get(node_id)
        if node is None or role not in ROLES or node["role"] == role:
            continue
        (promote if role == "manager" else demote).append(node_id)
    return promote, demote


def with_promotions(nodes, promote):
    """Node summaries as they will be once `promote` (NodeIDs) are reachable managers.

    Only Ready nodes are counted: a promotion of a Down node cannot complete. Callers
    must wait for the promotions and check the real state again before relying on it.
    """
    out = []
    for n in nodes:
        if n["id"] in promote and n["state"] == "ready" and not n["manager"]:
            n = dict(n, role="manager", manager=True, reachability="reachable")
        out.append(n)
    return out


# --------------------------------------------------------------------------- 7. node spec updates


def update_node_with_retry(inspect, update, node_id, mutate, attempts=5, delay=0.5, sleep=time.sleep):
    """Apply `mutate(spec) -> spec` to a node; True when an update was sent.

    The API wants the node's current version with every update and answers a stale one
    with "update out of sequence" (the node object changes on its own, e.g. while a
    promotion completes). Each attempt reads the node again and re-applies `mutate`
    to the fresh spec, so `mutate` must be declarative (same input -> same output).

    inspect(node_id) -> node dict; update(node_id, version, spec) raises on failure.
    """
    for attempt in range(1, attempts + 1):
        node = inspect(node_id)
        spec = copy.deepcopy(node.get("Spec") or {})
        new_spec = mutate(copy.deepcopy(spec))
        if new_spec == spec:
            return False
        try:
            update(node_id, (node.get("Version") or {}).get("Index"), new_spec)
            return True
        except Exception as exc:  # the client's APIError; kept generic for tests
            if OUT_OF_SEQUENCE not in str(exc) or attempt == attempts:
                raise
            sleep(delay)
    return False  # pragma: no cover - the loop returns or raises


# --------------------------------------------------------------------------- 8. client

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.fleet.docker.plugins.module_utils.engine import (
    DEFAULT_HOST,
    APIError,
    EngineClient,
    EngineUnavailable,
    NotFound,
)

#: What the module bodies import from here: APIError (the engine answered an error), NotFound (404).
ENGINE_ERRORS = (APIError, NotFound)


def connection_argument_spec():
    """The Engine connection options (doc fragment fleet.docker.engine.api), as community.docker names them."""
    return dict(
        docker_host=dict(type="str", default=DEFAULT_HOST, aliases=["docker_url"],
                         fallback=(env_fallback, ["DOCKER_HOST"])),
        tls_hostname=dict(type="str", fallback=(env_fallback, ["DOCKER_TLS_HOSTNAME"])),
        api_version=dict(type="str", default="auto", aliases=["docker_api_version"],
                         fallback=(env_fallback, ["DOCKER_API_VERSION"])),
        timeout=dict(type="int", default=60, fallback=(env_fallback, ["DOCKER_TIMEOUT"])),
        ca_path=dict(type="path", aliases=["ca_cert", "tls_ca_cert", "cacert_path"]),
        client_cert=dict(type="path", aliases=["tls_client_cert", "cert_path"]),
        client_key=dict(type="path", aliases=["tls_client_key", "key_path"]),
        tls=dict(type="bool", default=False, fallback=(env_fallback, ["DOCKER_TLS"])),
        validate_certs=dict(type="bool", default=False, aliases=["tls_verify"],
                            fallback=(env_fallback, ["DOCKER_TLS_VERIFY"])),
    )


def client_options(params, environ=None):
    """EngineClient keyword arguments from module params (DOCKER_CERT_PATH fills unset TLS files)."""
    import os

    environ = os.environ if environ is None else environ
    opts = dict((k, params.get(k)) for k in ("docker_host", "tls_hostname", "api_version", "timeout", "ca_path",
                                             "client_cert", "client_key", "tls", "validate_certs"))
    cert_dir = environ.get("DOCKER_CERT_PATH")
    if cert_dir:
        for key, name in (("ca_path", "ca.pem"), ("client_cert", "cert.pem"), ("client_key", "key.pem")):
            if not opts[key] and os.path.exists(os.path.join(cert_dir, name)):
                opts[key] = os.path.join(cert_dir, name)
    return opts


class SwarmUnavailable(Exception):
    """The engine answered but cannot serve swarm data (no leader, not a manager)."""


class SwarmClient(object):
    """An AnsibleModule plus the collection's Engine API client (module_utils/engine.py) and swarm calls.

    Modules build it like an AnsibleModule (argument_spec, supports_check_mode,
    required_if, ...); the Engine connection options (docker_host, TLS, timeout) are
    merged into their argument_spec. No Docker SDK and no other collection is needed.
    """

    def __init__(self, argument_spec=None, supports_check_mode=False, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec or {})
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        try:
            self.api = EngineClient(**client_options(self.module.params))
        except (ValueError, OSError) as exc:
            self.fail("cannot set up the Docker API client for %s: %s" % (self.module.params["docker_host"], exc))

    @property
    def check_mode(self):
        return self.module.check_mode

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def _call(self, method, pathfmt, *args, **kwargs):
        try:
            return self.api.call_json(method, pathfmt, *args, **kwargs)
        except APIError:
            raise
        except EngineUnavailable as exc:
            self.fail("cannot reach the Docker engine at %s: %s" % (self.api.docker_host, exc))

    def get_json(self, pathfmt, *args, **kwargs):
        """Parsed JSON of GET pathfmt ({0}, {1} filled with the quoted args); params= the query."""
        return self._call("GET", pathfmt, *args, **kwargs)

    def post_json(self, pathfmt, *args, **kwargs):
        """POST with data= sent as JSON; the parsed answer (None when empty)."""
        return self._call("POST", pathfmt, *args, **kwargs)

    def delete_call(self, pathfmt, *args, **kwargs):
        self._call("DELETE", pathfmt, *args, **kwargs)

    def local_swarm(self):
        """`docker info`'s Swarm section of the engine this module talks to."""
        try:
            return self.get_json("/info").get("Swarm") or {}
        except Exception as exc:
            self.fail("cannot read the engine's info: %s" % exc)

    def require_manager(self):
        """The local Swarm info; fails the module when this engine is not a manager."""
        local = self.local_swarm()
        if not local.get("ControlAvailable"):
            state = local.get("LocalNodeState") or "inactive"
            if state == "active":
                why = "it is a worker"
            else:
                why = "its swarm state is %r" % state
            self.fail("this host is not a swarm manager (%s); run the module on a manager" % why,
                      swarm_state=state)
        return local

    def cluster_id(self, local):
        """The swarm's ID: from /info, else `GET /swarm` ("" when neither answers).

        A manager's /info carries the cluster section only if its own inspect of the
        swarm worked; right after a leader election it can come back without it.
        """
        found = (local.get("Cluster") or {}).get("ID", "")
        if found:
            return found
        try:
            return self.get_json("/swarm").get("ID", "")
        except Exception:
            return ""

    def node_list(self, leader_wait=0):
        """Raw `GET /nodes`; SwarmUnavailable when the managers have no leader.

        leader_wait: seconds to keep retrying while there is no leader (an election after
        a manager went away takes a few seconds; a lost quorum never ends).
        """
        deadline = time.time() + leader_wait
        while True:
            try:
                return self.get_json("/nodes")
            except APIError as exc:
                if time.time() >= deadline:
                    raise SwarmUnavailable(str(exc)) from exc
            time.sleep(1)

    def task_list(self, service_ids=None):
        """`GET /tasks`, optionally only those of some services."""
        filters = {"service": list(service_ids)} if service_ids else {}
        return self.get_json("/tasks", params={"filters": json.dumps(filters)})

    def service_list(self):
        return self.get_json("/services")

    def node_inspect(self, node_id):
        return self.get_json("/nodes/{0}", node_id)

    def node_update(self, node_id, version, spec):
        self.post_json("/nodes/{0}/update", node_id, params={"version": version}, data=spec)

    def update_node(self, node_id, mutate, attempts=5):
        """update_node_with_retry against this engine."""
        return update_node_with_retry(self.node_inspect, self.node_update, node_id, mutate, attempts=attempts)

    def wait_for(self, probe, timeout, interval=1.0):
        """Poll `probe() -> (done, detail)` until done or `timeout` seconds; (done, detail)."""
        deadline = time.time() + timeout
        while True:
            done, detail = probe()
            if done or time.time() >= deadline:
                return done, detail
            time.sleep(interval)
