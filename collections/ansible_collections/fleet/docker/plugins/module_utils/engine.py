# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local Docker engine access for modules that must work while dockerd is down.

The daemon.json modules run on the Docker host itself and must keep working when
the engine does not answer (that is when an operator needs them most), so they do
not use community.docker's client (which fails when it cannot connect). This is a
small stdlib HTTP client over the engine's unix socket, plus the host facts every
fleet module reports (swarm identity and IPv4 addresses).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import time

import http.client as http_client

DEFAULT_SOCKET = "/var/run/docker.sock"
SWARM_MEMBER_STATES = ("active", "pending", "locked", "error")


class EngineUnavailable(Exception):
    """The engine socket does not answer (status: the HTTP status when it answered an error)."""

    status = None


class _UnixHTTPConnection(http_client.HTTPConnection):
    def __init__(self, path, timeout):
        http_client.HTTPConnection.__init__(self, "localhost", timeout=timeout)
        self._path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class LocalEngine(object):
    """GET-only JSON access to the local engine's API."""

    def __init__(self, socket_path=DEFAULT_SOCKET, timeout=10):
        self.socket_path = socket_path
        self.timeout = timeout

    def get(self, path):
        conn = _UnixHTTPConnection(self.socket_path, self.timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, socket.error, http_client.HTTPException) as exc:
            raise EngineUnavailable("%s: %s" % (self.socket_path, exc)) from exc
        finally:
            conn.close()
        if resp.status >= 400:
            err = EngineUnavailable("GET %s answered %d: %s" % (path, resp.status, body[:200]))
            err.status = resp.status
            raise err
        return json.loads(body.decode("utf-8"))

    def info(self):
        """`docker info` as a dict, or None when the engine does not answer."""
        try:
            return self.get("/info")
        except (EngineUnavailable, ValueError):
            return None


def _lacks_cluster(info):
    sw = (info or {}).get("Swarm") or {}
    return (sw.get("LocalNodeState") == "active" and bool(sw.get("ControlAvailable"))
            and not (sw.get("Cluster") or {}).get("ID"))


def info_with_cluster(engine, wait=0, interval=1.0, sleep=time.sleep, clock=time.monotonic):
    """/info (None when the engine does not answer), with the cluster section on a manager.

    A manager's /info carries the swarm's ID only when its own inspect of the swarm worked;
    during a leader election it comes back without it. Then `GET /swarm` is tried, and both
    are read again for up to `wait` seconds. What is returned may still lack it (a swarm
    that lost quorum): callers report an empty cluster ID.
    """
    deadline = clock() + wait
    while True:
        info = engine.info()
        if not _lacks_cluster(info):
            return info
        try:
            found = engine.get("/swarm").get("ID")
        except (EngineUnavailable, ValueError, AttributeError):
            found = None
        if found:
            info["Swarm"]["Cluster"] = dict(info["Swarm"].get("Cluster") or {}, ID=found)
            return info
        if clock() >= deadline:
            return info
        sleep(interval)


def swarm_identity(info):
    """This engine's place in a swarm, from /info (None info -> unknown)."""
    if info is None:
        return {"state": "unknown", "node_id": "", "cluster_id": "", "manager": False,
                "node_addr": "", "remote_managers": []}
    sw = info.get("Swarm") or {}
    return {
        "state": sw.get("LocalNodeState") or "inactive",
        "node_id": sw.get("NodeID") or "",
        "cluster_id": ((sw.get("Cluster") or {}).get("ID")) or "",
        "manager": bool(sw.get("ControlAvailable")),
        "node_addr": sw.get("NodeAddr") or "",
        "remote_managers": sorted(m.get("Addr", "") for m in (sw.get("RemoteManagers") or [])),
    }


def ipv4_addresses(run_command):
    """(default_ipv4, [all IPv4 addresses]) using iproute2's JSON output.

    run_command is AnsibleModule.run_command (kept injectable for tests).
    """
    default_dev = None
    rc, out, _ = run_command(["ip", "-j", "-4", "route", "show", "default"])
    if rc == 0 and out.strip():
        try:
            routes = json.loads(out)
            if routes:
                default_dev = routes[0].get("dev")
        except ValueError:
            pass
    addrs, default_ip = [], ""
    rc, out, _ = run_command(["ip", "-j", "-4", "addr", "show"])
    if rc == 0 and out.strip():
        try:
            for link in json.loads(out):
                for a in link.get("addr_info") or []:
                    if a.get("family", "inet") != "inet" or not a.get("local"):
                        continue
                    addrs.append(a["local"])
                    if link.get("ifname") == default_dev and not default_ip:
                        default_ip = a["local"]
        except ValueError:
            pass
    return default_ip, addrs


def host_facts(run_command, info):
    """The `fleet_docker_host` fact: engine, swarm identity, addresses."""
    default_ip, addrs = ipv4_addresses(run_command)
    return {
        "docker": {
            "reachable": info is not None,
            "server_version": (info or {}).get("ServerVersion", ""),
        },
        "swarm": swarm_identity(info),
        "default_ipv4": default_ip,
        "ipv4_addresses": addrs,
    }
