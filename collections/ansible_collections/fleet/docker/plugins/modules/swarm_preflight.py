#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_preflight
short_description: Before a join - clock and identity of the host, stand-in listeners and TCP probes between nodes, in one call
version_added: "1.0.0"
description:
  - The swarm role's join preflight (roles/swarm/tasks/ports.yml), run on every host concerned at once
    before any swarm change; the plan (who listens, who probes what, how many probes each listener
    receives) and the verdict are C(planner.join_preflight_plan) and C(planner.join_preflight_verdict),
    unit-tested.
  - Reports this host's identity (hostname, C(/etc/machine-id), the engine ID of C(docker info)) and its
    clock offset to O(reference_time).
  - Opens a stand-in listener on each port of O(listen) - a host that is not in a swarm yet has no dockerd
    listening on 2377 or 7946, so the probes of its peers need something to reach. A port another process
    holds is reported in RV(in_use) (Docker could not listen on it either).
  - Connects to each O(probe) target in parallel. The peers run this module at the same time but not at
    the same instant, so a refused connection is tried again until O(rendezvous) seconds have passed; a
    connection that gets no answer within O(connect_timeout) counts as blocked.
  - The listeners stay open until the O(expect) probes have arrived, or O(rendezvous) seconds after this
    host's own probes ended, and are closed when the module returns, so that dockerd can bind the ports
    when it joins. Nothing outlives the call.
  - Only TCP is probed; UDP 7946 and 4789 (VXLAN) need a peer that answers and are not checked.
extends_documentation_fragment:
  - fleet.docker.engine
options:
  listen:
    description: Ports to open stand-in listeners on.
    type: list
    elements: int
    default: []
  expect:
    description:
      - The probes this host's listeners will receive, one port per probing peer (C(planner.join_preflight_plan)'s
        C(expect)); the listeners close as soon as all have arrived.
    type: list
    elements: int
    default: []
  reference_time:
    description:
      - The controller's clock (seconds since the epoch) when the task was sent; RV(clock_offset) is this
        host's clock minus it. Includes the connection's latency (well under a second on a healthy link).
    type: float
  probe:
    description: Targets to connect to.
    type: list
    elements: dict
    default: []
    suboptions:
      host:
        description: Inventory name of the target (for the report).
        type: str
        required: true
      addr:
        description: Address to connect to.
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        required: true
  connect_timeout:
    description: Seconds each connection attempt waits for an answer before the port counts as blocked.
    type: float
    default: 5
  rendezvous:
    description:
      - Seconds a refused probe is tried again (the peer may not have opened its listener yet), and that the
        listeners wait for the expected probes after this host's own probes ended.
    type: float
    default: 20
attributes:
  check_mode:
    support: full
    details: Runs the same in check mode; the listeners live only as long as the call.
  diff_mode:
    support: none
requirements:
  - Linux on the host
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: A joining worker, probed by the manager (7946) and probing it (2377, 7946)
  fleet.docker.swarm_preflight:
    listen: [7946]
    expect: [7946]
    probe: [{host: mgr1, addr: 10.0.0.11, port: 2377}, {host: mgr1, addr: 10.0.0.11, port: 7946}]
    reference_time: "{{ now(fmt='%s.%f') }}"
"""

RETURN = r"""
identity:
  description: C(hostname), C(machine_id), C(engine_id) (empty when unknown).
  returned: always
  type: dict
clock_offset:
  description: This host's clock minus O(reference_time), in seconds; null without O(reference_time).
  returned: always
  type: float
listening:
  description: Ports a stand-in listener held during the call.
  returned: always
  type: list
  elements: int
in_use:
  description: Ports of O(listen) that another process holds.
  returned: always
  type: list
  elements: int
probes:
  description: One entry per O(probe) target - C(host), C(addr), C(port), C(ok), C(error) (empty when ok).
  returned: always
  type: list
  elements: dict
accepted:
  description: The probes the listeners received, C(addr:port) of the prober and this host's port.
  returned: always
  type: list
  elements: str
"""

import errno
import os
import select
import socket
import threading
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fleet.docker.plugins.module_utils.engine import LocalEngine


class Listeners(object):
    """Stand-in listeners served by a thread until every expected probe has arrived (or the
    deadline set by wait()), closed by close()."""

    def __init__(self, ports):
        self.socks, self.in_use, self.accepted = [], [], []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        for port in ports:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("0.0.0.0", port))
                sock.listen(64)
                self.socks.append(sock)
            except (IOError, OSError) as exc:
                sock.close()
                if exc.errno != errno.EADDRINUSE:
                    self.close()
                    raise
                self.in_use.append(port)
        self.listening = [s.getsockname()[1] for s in self.socks]
        self._thread = threading.Thread(target=self._serve)
        self._thread.daemon = True
        if self.socks:
            self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                ready = select.select(self.socks, [], [], 0.05)[0]
            except (select.error, OSError, ValueError):
                return
            for sock in ready:
                try:
                    conn, peer = sock.accept()
                    conn.close()
                except (IOError, OSError):
                    continue
                with self._lock:
                    self.accepted.append("%s:%d>%d" % (peer[0], peer[1], sock.getsockname()[1]))

    def received(self, expect):
        """True when every expected probe (one port per prober) has arrived."""
        with self._lock:
            got = [int(a.rsplit(">", 1)[1]) for a in self.accepted]
        return all(got.count(port) >= expect.count(port) for port in set(expect))

    def wait(self, expect, deadline):
        while self.socks and not self.received(expect) and time.time() < deadline:
            time.sleep(0.02)

    def close(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        for sock in self.socks:
            sock.close()


def probe_one(target, timeout, until):
    """Connect to target; a refused or unreachable connection is tried again until `until`
    (the peer may not listen yet), an attempt without an answer counts as blocked."""
    out = {"host": target["host"], "addr": target["addr"], "port": target["port"], "ok": False, "error": ""}
    while True:
        try:
            socket.create_connection((target["addr"], target["port"]), timeout=timeout).close()
            out["ok"], out["error"] = True, ""
            return out
        except socket.timeout:
            out["error"] = "timed out after %gs" % timeout
            return out
        except (IOError, OSError) as exc:
            out["error"] = os.strerror(exc.errno) if exc.errno else str(exc)
        if time.time() + 0.1 >= until:
            return out
        time.sleep(0.1)


def probe_all(targets, timeout, until):
    results = [None] * len(targets)

    def one(i, target):
        results[i] = probe_one(target, timeout, until)

    threads = [threading.Thread(target=one, args=(i, t)) for i, t in enumerate(targets)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results


def identity(socket_path):
    machine_id = ""
    for name in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(name) as fh:
                machine_id = fh.read().strip()
        except (IOError, OSError):
            continue
        if machine_id:
            break
    info = LocalEngine(socket_path, timeout=10).info() or {}
    return {"hostname": info.get("Name") or socket.gethostname(), "machine_id": machine_id,
            "engine_id": info.get("ID") or ""}


def preflight(listen, expect, targets, connect_timeout, rendezvous, socket_path):
    """Open the listeners, probe the peers while reading the identity, wait for the expected
    probes, close. Returns the report (without the clock offset)."""
    start = time.time()
    listeners = Listeners(listen)
    try:
        probes = []
        prober = threading.Thread(target=lambda: probes.extend(probe_all(targets, connect_timeout,
                                                                         start + rendezvous)))
        prober.start()
        ident = identity(socket_path)
        prober.join()
        listeners.wait(expect, time.time() + rendezvous)
    finally:
        listeners.close()
    return {"identity": ident, "listening": listeners.listening, "in_use": listeners.in_use,
            "probes": probes, "accepted": list(listeners.accepted)}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            docker_socket=dict(type="path", default="/var/run/docker.sock"),
            listen=dict(type="list", elements="int", default=[]),
            expect=dict(type="list", elements="int", default=[]),
            reference_time=dict(type="float"),
            probe=dict(type="list", elements="dict", default=[], options=dict(
                host=dict(type="str", required=True),
                addr=dict(type="str", required=True),
                port=dict(type="int", required=True),
            )),
            connect_timeout=dict(type="float", default=5),
            rendezvous=dict(type="float", default=20),
        ),
        supports_check_mode=True,
    )
    p = module.params
    now = time.time()
    offset = None if p["reference_time"] is None else round(now - p["reference_time"], 3)
    try:
        report = preflight(p["listen"], p["expect"], p["probe"], p["connect_timeout"], p["rendezvous"],
                           p["docker_socket"])
    except (IOError, OSError) as exc:
        module.fail_json(msg="%s: could not open the preflight's stand-in listeners on %s: %s"
                         % (socket.gethostname(), p["listen"], exc))
    module.exit_json(changed=False, clock_offset=offset, **report)


if __name__ == "__main__":
    main()
