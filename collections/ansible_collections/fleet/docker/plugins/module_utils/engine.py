# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker Engine API access for every fleet.docker module (stdlib only).

EngineClient is the collection's one HTTP client: JSON over the engine's unix socket
(default) or tcp:// with TLS options, errors as APIError/NotFound with the engine's
own message, EngineUnavailable when nothing answers. It imports nothing from other
collections (community.docker 5 made its client private). LocalEngine is the
GET-only view the daemon.json modules use on the Docker host itself: they must keep
working while dockerd does not answer (info() is then None), which is when an operator
needs them most. The rest is the host facts every fleet module reports (swarm
identity and IPv4 addresses).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import time

import http.client as http_client
from urllib.parse import quote, urlencode

DEFAULT_SOCKET = "/var/run/docker.sock"
SWARM_MEMBER_STATES = ("active", "pending", "locked", "error")


class EngineUnavailable(Exception):
    """The engine does not answer (status: the HTTP status when it answered an error)."""

    status = None


class APIError(EngineUnavailable):
    """The engine answered with an error status; str() carries the engine's own message."""

    def __init__(self, message, status=None, explanation=None):
        EngineUnavailable.__init__(self, message)
        self.status = status
        self.explanation = explanation if explanation is not None else message


class NotFound(APIError):
    """The engine answered 404 (no such node, service, container, ...)."""


class _UnixHTTPConnection(http_client.HTTPConnection):
    def __init__(self, path, timeout):
        http_client.HTTPConnection.__init__(self, "localhost", timeout=timeout)
        self._path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class _HTTPSConnection(http_client.HTTPSConnection):
    """HTTPS whose certificate is checked against server_hostname (tls_hostname), not the address."""

    def __init__(self, host, port, timeout, context, server_hostname):
        http_client.HTTPSConnection.__init__(self, host, port, timeout=timeout, context=context)
        self._server_hostname = server_hostname or host

    def connect(self):
        http_client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_hostname)


def parse_docker_host(docker_host):
    """(scheme, address) for a DOCKER_HOST value.

    unix:///path -> ("unix", "/path"); tcp://host:port and http(s)://host:port ->
    ("tcp"|"https", (host, port)). A bare path is a unix socket. Raises ValueError
    for what this client cannot reach (ssh://, npipe://, fd://).
    """
    value = (docker_host or DEFAULT_HOST).strip()
    if value.startswith("/"):
        return "unix", value
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "tcp", value
    scheme = scheme.lower()
    if scheme == "unix":
        if not rest.startswith("/"):
            raise ValueError("docker_host %r: a unix socket needs an absolute path (unix:///var/run/docker.sock)" % value)
        return "unix", rest
    if scheme not in ("tcp", "http", "https"):
        raise ValueError("docker_host %r: only unix://, tcp://, http:// and https:// are supported "
                         "(for ssh:// forward the socket, e.g. ssh -L)" % value)
    rest = rest.rstrip("/")
    if rest.startswith("["):
        host, port = rest[1:].partition("]")[::2]
        port = port.lstrip(":")
    elif rest.count(":") == 1:
        host, port = rest.split(":")
    else:
        host, port = rest, ""
    if not host:
        raise ValueError("docker_host %r has no host" % value)
    if port and not port.isdigit():
        raise ValueError("docker_host %r: port %r is not a number" % (value, port))
    default_port = 2376 if scheme == "https" else 2375
    return ("https" if scheme == "https" else "tcp"), (host, int(port) if port else default_port)


DEFAULT_HOST = "unix://" + DEFAULT_SOCKET


class EngineClient(object):
    """JSON over the Engine API: the one HTTP client of the fleet.docker collection (stdlib only).

    docker_host: unix:///path (default), tcp://host:port or https://host:port.
    tls: use TLS (implied by https:// and by validate_certs); validate_certs: verify the
    daemon's certificate against ca_path (and its name against tls_hostname or the host);
    client_cert/client_key: client certificate for the daemon's tlsverify mode.
    api_version: "auto" (unversioned paths: the engine's own version) or e.g. "1.41".
    """

    def __init__(self, docker_host=None, tls=False, validate_certs=False, ca_path=None, client_cert=None,
                 client_key=None, tls_hostname=None, timeout=60, api_version="auto"):
        self.docker_host = docker_host or DEFAULT_HOST
        self.scheme, self.address = parse_docker_host(self.docker_host)
        self.timeout = timeout
        self.api_version = api_version or "auto"
        self.tls = bool(tls or validate_certs or self.scheme == "https")
        if self.scheme == "unix" and self.tls:
            raise ValueError("TLS options need a tcp:// docker_host, not %s" % self.docker_host)
        if bool(client_cert) != bool(client_key):
            raise ValueError("client_cert and client_key go together")
        self._ssl = None
        if self.tls:
            self._ssl = self._ssl_context(validate_certs, ca_path, client_cert, client_key)
        self.tls_hostname = tls_hostname or (self.address[0] if self.scheme != "unix" else None)

    @staticmethod
    def _ssl_context(validate_certs, ca_path, client_cert, client_key):
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if validate_certs:
            ctx.check_hostname = True
            ctx.verify_mode = ssl.CERT_REQUIRED
            if ca_path:
                ctx.load_verify_locations(cafile=ca_path)
            else:
                ctx.load_default_certs()
        else:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if client_cert:
            ctx.load_cert_chain(client_cert, client_key)
        return ctx

    def _connection(self):
        if self.scheme == "unix":
            return _UnixHTTPConnection(self.address, self.timeout)
        host, port = self.address
        if self.tls:
            return _HTTPSConnection(host, port, self.timeout, self._ssl, self.tls_hostname)
        return http_client.HTTPConnection(host, port, timeout=self.timeout)

    def url(self, pathfmt, *args, **kwargs):
        """The request path: args quoted into pathfmt ("/nodes/{0}"), params as the query."""
        params = kwargs.get("params")
        path = pathfmt.format(*[quote(str(a), safe="") for a in args])
        if self.api_version not in ("auto", "latest"):
            path = "/v%s%s" % (self.api_version.lstrip("v"), path)
        query = []
        for key, value in sorted((params or {}).items()):
            if value is None:
                continue
            if isinstance(value, bool):
                value = "1" if value else "0"
            query.append((key, value))
        return path + ("?" + urlencode(query) if query else "")

    def where(self):
        return self.docker_host

    def request(self, method, pathfmt, *args, **kwargs):
        """(status, body bytes); APIError/NotFound for an error status, EngineUnavailable when nothing answers."""
        params = kwargs.get("params")
        data = kwargs.get("data")
        path = self.url(pathfmt, *args, params=params)
        body, headers = None, {}
        if data is not None:
            body = json.dumps(data).encode("utf-8")
            headers["Content-Type"] = "application/json"
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
        except (OSError, socket.error, http_client.HTTPException) as exc:
            raise EngineUnavailable("%s: %s" % (self.where(), exc)) from exc
        finally:
            conn.close()
        if resp.status >= 400:
            explanation = payload.decode("utf-8", "replace").strip()
            try:
                explanation = json.loads(explanation).get("message") or explanation
            except (ValueError, AttributeError):
                pass
            cls = NotFound if resp.status == 404 else APIError
            raise cls("%s %s answered %d: %s" % (method, path, resp.status, explanation[:500]),
                      status=resp.status, explanation=explanation)
        return resp.status, payload

    def call_json(self, method, pathfmt, *args, **kwargs):
        payload = self.request(method, pathfmt, *args, **kwargs)[1]
        if not payload.strip():
            return None
        try:
            return json.loads(payload.decode("utf-8"))
        except ValueError as exc:
            raise APIError("%s %s: the engine's answer is not JSON: %s" % (method, pathfmt, payload[:200])) from exc

    def get_json(self, pathfmt, *args, **kwargs):
        return self.call_json("GET", pathfmt, *args, **kwargs)

    def post_json(self, pathfmt, *args, **kwargs):
        return self.call_json("POST", pathfmt, *args, **kwargs)

    def delete_json(self, pathfmt, *args, **kwargs):
        return self.call_json("DELETE", pathfmt, *args, **kwargs)


class LocalEngine(EngineClient):
    """GET-only JSON access to the local engine over its unix socket."""

    def __init__(self, socket_path=DEFAULT_SOCKET, timeout=10):
        EngineClient.__init__(self, docker_host="unix://" + socket_path, timeout=timeout)
        self.socket_path = socket_path

    def where(self):
        return self.socket_path

    def get(self, path):
        """Parsed JSON of GET path (the path is used as given)."""
        payload = self.request("GET", path.replace("{", "{{").replace("}", "}}"))[1]
        return json.loads(payload.decode("utf-8"))

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
                "node_addr": "", "remote_managers": [], "autolock": None}
    sw = info.get("Swarm") or {}
    return {
        "state": sw.get("LocalNodeState") or "inactive",
        "node_id": sw.get("NodeID") or "",
        "cluster_id": ((sw.get("Cluster") or {}).get("ID")) or "",
        "manager": bool(sw.get("ControlAvailable")),
        "node_addr": sw.get("NodeAddr") or "",
        "remote_managers": sorted(m.get("Addr", "") for m in (sw.get("RemoteManagers") or [])),
        "autolock": swarm_autolock(sw),
    }


def swarm_autolock(swarm_info):
    """Autolock of the swarm from /info's Swarm section: True/False, None when not known.

    Only a manager's /info carries the cluster's spec (and a worker's never does); during
    a leader election it can come back without it, which is why None is not False.
    """
    spec = (swarm_info.get("Cluster") or {}).get("Spec")
    if not spec:
        return None
    return bool((spec.get("EncryptionConfig") or {}).get("AutoLockManagers"))


def ipv4_addresses(run_command):
    """(default_ipv4, [all IPv4 addresses]) using iproute2's JSON output.

    run_command is AnsibleModule.run_command (kept injectable for tests).
    """
    default_dev = None
    rc, out = run_command(["ip", "-j", "-4", "route", "show", "default"])[:2]
    if rc == 0 and out.strip():
        try:
            routes = json.loads(out)
            if routes:
                default_dev = routes[0].get("dev")
        except ValueError:
            pass
    addrs, default_ip = [], ""
    rc, out = run_command(["ip", "-j", "-4", "addr", "show"])[:2]
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


def dockerd_running(proc="/proc"):
    """Whether a dockerd process runs on this host (its /proc/<pid>/comm), or None when /proc
    cannot be read. Tells an engine that is stopped from one that does not answer."""
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(os.path.join(proc, pid, "comm")) as fh:
                if fh.read().strip() == "dockerd":
                    return True
        except (IOError, OSError):
            continue
    return False


def host_facts(run_command, info, proc="/proc"):
    """The `fleet_docker_host` fact: engine, swarm identity, addresses."""
    default_ip, addrs = ipv4_addresses(run_command)
    return {
        "docker": {
            "reachable": info is not None,
            "server_version": (info or {}).get("ServerVersion", ""),
            # only read when the engine does not answer (a recovery tells hung from stopped)
            "process": True if info is not None else dockerd_running(proc),
        },
        "swarm": swarm_identity(info),
        "default_ipv4": default_ip,
        "ipv4_addresses": addrs,
    }
