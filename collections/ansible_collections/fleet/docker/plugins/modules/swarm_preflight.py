#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_preflight
short_description: Before a join - stand-in listeners, TCP probes between nodes, clock and identity of the host
version_added: "1.0.0"
description:
  - One step of the swarm role's join preflight (roles/swarm/tasks/ports.yml), run before any swarm
    change; the plan (who listens, who probes what) and the verdict are C(planner.join_preflight_plan)
    and C(planner.join_preflight_verdict), unit-tested.
  - O(state=open) reports this host's identity (hostname, C(/etc/machine-id), the engine ID of
    C(docker info)) and its clock offset to O(reference_time), and opens a stand-in listener on each
    port of O(listen) - a host that is not in a swarm yet has no dockerd listening on 2377 or 7946, so
    the probes of its peers need something to reach. The listener is a background process that accepts
    and closes connections, and exits by itself as soon as the O(expect) probes have arrived (so the
    success path needs no closing step, and dockerd can bind the ports when the host joins), or at
    O(listen_timeout) at the latest. A port another process holds is reported in RV(in_use) (Docker could
    not listen on it either). A listener left by an earlier, interrupted run is stopped first.
  - O(state=probe) connects to each O(probe) target (in parallel, O(connect_timeout) each) and reports
    which answered. O(state=close) stops this host's listener (the swarm role runs it only when the
    preflight refuses, since a listener whose expected probes never came would otherwise stay until
    O(listen_timeout)).
  - Two rounds, not one, because Ansible runs a task on at most C(forks) hosts at once, and every listener
    must be open before the first probe, and must not close before the last.
  - Only TCP is probed; UDP 7946 and 4789 (VXLAN) need a peer that answers and are not checked.
extends_documentation_fragment:
  - fleet.docker.engine
options:
  state:
    description: Which step to run on this host.
    type: str
    choices: [open, probe, close]
    required: true
  listen:
    description: Ports to open stand-in listeners on (O(state=open)).
    type: list
    elements: int
    default: []
  expect:
    description:
      - The probes the listener will receive, one port per probing peer (C(planner.join_preflight_plan)'s
        C(expect)); it exits once all have arrived (O(state=open)). Empty - it stays until O(state=close) or
        O(listen_timeout).
    type: list
    elements: int
    default: []
  reference_time:
    description:
      - The controller's clock (seconds since the epoch) when the task was sent; RV(clock_offset) is this
        host's clock minus it (O(state=open)). Includes the connection's latency (well under a second on
        a healthy link).
    type: float
  probe:
    description: Targets to connect to (O(state=probe)).
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
    description: Seconds each probe waits for the connection.
    type: float
    default: 5
  retry_hosts:
    description:
      - Targets (inventory names) that are swarm members already - their dockerd serves the port. A
        refused probe to one of them is asked again once a second for up to O(retry_for) seconds, since
        dockerd opens 7946 only once its agent has a session with a leader, seconds after a start or a
        forced new cluster. A refused probe to any other host is asked once more, a second later; a probe
        that times out is never asked again.
    type: list
    elements: str
    default: []
  retry_for:
    description: Seconds a refused probe to a host of O(retry_hosts) is asked again.
    type: float
    default: 60
  listen_timeout:
    description: Seconds after which a stand-in listener exits by itself (if the play dies before O(state=close)).
    type: int
    default: 300
  state_file:
    description: Where the listener's process ID is recorded (on a tmpfs, so a reboot forgets it).
    type: path
    default: /run/fleet-swarm-preflight.json
attributes:
  check_mode:
    support: full
    details: Runs the same in check mode; the listeners are temporary and exit by themselves.
  diff_mode:
    support: none
requirements:
  - Linux (/proc) on the host
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Open stand-in listeners and report the clock
  fleet.docker.swarm_preflight:
    state: open
    listen: [7946]
    expect: [7946]
    reference_time: "{{ now(fmt='%s.%f') }}"

- name: Probe the manager's management port
  fleet.docker.swarm_preflight:
    state: probe
    probe: [{host: mgr1, addr: 10.0.0.11, port: 2377}]

- name: Close the listener (when the preflight refused)
  fleet.docker.swarm_preflight:
    state: close
"""

RETURN = r"""
identity:
  description: C(hostname), C(machine_id), C(engine_id) (empty when unknown) (O(state=open)).
  returned: state is open
  type: dict
clock_offset:
  description: This host's clock minus O(reference_time), in seconds; null without O(reference_time).
  returned: state is open
  type: float
listening:
  description: Ports a stand-in listener holds now.
  returned: state is open
  type: list
  elements: int
in_use:
  description: Ports of O(listen) that another process holds.
  returned: state is open
  type: list
  elements: int
probes:
  description: One entry per O(probe) target - C(host), C(addr), C(port), C(ok), C(error) (empty when ok).
  returned: state is probe
  type: list
  elements: dict
accepted:
  description: Addresses the stopped listener accepted connections from (O(state=close)).
  returned: state is close
  type: list
  elements: str
"""

import errno
import json
import os
import select
import signal
import socket
import threading
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fleet.docker.plugins.module_utils.engine import LocalEngine

MARKER = "fleet-swarm-preflight"


def _start_time(pid):
    """Field 22 of /proc/<pid>/stat (start time in clock ticks), or None when the process is gone
    (or has exited and waits to be reaped)."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (IOError, OSError, IndexError):
        return None
    return None if len(fields) < 20 or fields[0] in ("Z", "X") else fields[19]


def _read_state(path):
    try:
        with open(path) as fh:
            return json.load(fh)
    except (IOError, OSError, ValueError):
        return None


def stop_listener(path, wait=5.0):
    """Stop the listener recorded in path if it is still the same process; its accepted peers."""
    state = _read_state(path) or {}
    pid = state.get("pid")
    if isinstance(pid, int) and state.get("marker") == MARKER and _start_time(pid) == state.get("start"):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
        deadline = time.time() + wait
        while _start_time(pid) == state.get("start") and time.time() < deadline:
            time.sleep(0.05)
    accepted = (_read_state(path + ".accepted") or {}).get("accepted") or []
    for name in (path, path + ".accepted"):
        try:
            os.unlink(name)
        except OSError:
            pass
    return accepted


def received(accepted, expect):
    """Whether every expected probe (one port per prober) is among the accepted connections
    ('addr:port' strings, port = this host's)."""
    got = [int(a.rsplit(":", 1)[1]) for a in accepted]
    return bool(expect) and all(got.count(port) >= expect.count(port) for port in set(expect))


def _serve(socks, path, lifetime, expect):
    """The listener (a daemon): accept and close until the expected probes arrived, SIGTERM,
    or the lifetime is over."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    accepted = []
    deadline = time.time() + lifetime
    while not stop and time.time() < deadline and not received(accepted, expect):
        try:
            ready = select.select(socks, [], [], 0.5)[0]
        except (select.error, OSError):
            continue
        for sock in ready:
            try:
                conn, peer = sock.accept()
                conn.close()
                accepted.append("%s:%d" % (peer[0], sock.getsockname()[1]))
                with open(path + ".accepted", "w") as fh:
                    json.dump({"accepted": accepted}, fh)
            except (IOError, OSError):
                pass
    if received(accepted, expect):  # done: nobody needs this record any more
        for name in (path, path + ".accepted"):
            try:
                os.unlink(name)
            except OSError:
                pass
    os._exit(0)


def open_listeners(ports, path, lifetime, expect=()):
    """Bind each port (in this process, so a port in use is reported), then serve them from a daemon."""
    stop_listener(path)
    socks, in_use = [], []
    for port in ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
            sock.listen(64)
            socks.append(sock)
        except (IOError, OSError) as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE:
                raise
            in_use.append(port)
    if not socks:
        return [], in_use
    pid = os.fork()
    if pid == 0:  # child: detach, then the grandchild serves
        os.setsid()
        if os.fork():
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)  # Ansible's connection must not wait for this process
        keep = set(s.fileno() for s in socks)
        for fd in [int(n) for n in os.listdir("/proc/self/fd")]:
            if fd > 2 and fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        mine = os.getpid()
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"marker": MARKER, "pid": mine, "start": _start_time(mine),
                       "ports": [s.getsockname()[1] for s in socks]}, fh)
        os.rename(tmp, path)
        _serve(socks, path, lifetime, list(expect))
    os.waitpid(pid, 0)
    listening = [s.getsockname()[1] for s in socks]
    for sock in socks:
        sock.close()
    deadline = time.time() + 10
    while (_read_state(path) or {}).get("marker") != MARKER and time.time() < deadline:
        time.sleep(0.02)
    if (_read_state(path) or {}).get("marker") != MARKER:
        raise RuntimeError("the stand-in listener did not start within 10 s")
    return listening, in_use


def probe_all(targets, timeout, retry_hosts=(), retry_for=0.0):
    """Connect to each target in parallel. A refused connection is asked once more a second
    later; to a host of retry_hosts (a swarm member: its dockerd serves the port) it is asked
    once a second until retry_for seconds have passed, since dockerd opens 7946 only once its
    agent has a session with a leader (seconds after a start or a forced new cluster). A
    timeout (a dropped packet) is never asked again."""
    results = [None] * len(targets)
    retry_hosts = set(retry_hosts or ())
    started = time.time()

    def one(i, target):
        out = {"host": target["host"], "addr": target["addr"], "port": target["port"], "ok": False, "error": ""}
        deadline = started + (retry_for if target["host"] in retry_hosts else 1.0)
        while True:
            try:
                socket.create_connection((target["addr"], target["port"]), timeout=timeout).close()
                out["ok"], out["error"] = True, ""
                break
            except socket.timeout:
                out["error"] = "timed out after %gs" % timeout
                break
            except (IOError, OSError) as exc:
                out["error"] = os.strerror(exc.errno) if exc.errno else str(exc)
                if time.time() >= deadline:
                    break
                time.sleep(1)
        results[i] = out

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


def main():
    module = AnsibleModule(
        argument_spec=dict(
            docker_socket=dict(type="path", default="/var/run/docker.sock"),
            state=dict(type="str", required=True, choices=["open", "probe", "close"]),
            listen=dict(type="list", elements="int", default=[]),
            expect=dict(type="list", elements="int", default=[]),
            reference_time=dict(type="float"),
            probe=dict(type="list", elements="dict", default=[], options=dict(
                host=dict(type="str", required=True),
                addr=dict(type="str", required=True),
                port=dict(type="int", required=True),
            )),
            connect_timeout=dict(type="float", default=5),
            retry_hosts=dict(type="list", elements="str", default=[]),
            retry_for=dict(type="float", default=60),
            listen_timeout=dict(type="int", default=300),
            state_file=dict(type="path", default="/run/fleet-swarm-preflight.json"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["state"] == "open":
        now = time.time()
        offset = None if p["reference_time"] is None else round(now - p["reference_time"], 3)
        try:
            listening, in_use = open_listeners(p["listen"], p["state_file"], p["listen_timeout"], p["expect"])
        except (IOError, OSError, RuntimeError) as exc:
            module.fail_json(msg="%s: could not open the preflight's stand-in listeners on %s: %s"
                             % (socket.gethostname(), p["listen"], exc))
        module.exit_json(changed=False, identity=identity(p["docker_socket"]), clock_offset=offset,
                         listening=listening, in_use=in_use)
    if p["state"] == "probe":
        probes = probe_all(p["probe"], p["connect_timeout"], p["retry_hosts"], p["retry_for"])
        module.exit_json(changed=False, probes=probes)
    module.exit_json(changed=False, accepted=stop_listener(p["state_file"]))


if __name__ == "__main__":
    main()
