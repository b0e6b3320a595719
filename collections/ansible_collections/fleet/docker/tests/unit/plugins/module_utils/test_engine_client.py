"""EngineClient and SwarmClient against real HTTP servers: a unix socket and TLS over TCP.

The servers are small threaded http.server instances in a temporary directory that record
each request and answer what a test tells them, so the client's wire format (paths, query,
JSON bodies), its error mapping and its TLS options are checked on real connections.
"""

import datetime
import json
import os
import socketserver
import ssl
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from ansible_collections.fleet.docker.plugins.module_utils import engine
from ansible_collections.fleet.docker.plugins.module_utils import swarm as sw


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def address_string(self):
        return "test"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.requests.append({"method": self.command, "path": self.path, "body": body,
                                     "content_type": self.headers.get("Content-Type")})
        status, payload = self.server.answers.get((self.command, self.path.split("?")[0]), (404, {"message": "page not found"}))
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _answer


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(server, answers):
    server.requests, server.answers = [], answers
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def unix_engine(tmp_path):
    path = str(tmp_path / "docker.sock")
    server = _serve(UnixServer(path, Handler), {})
    yield server, path
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------- docker_host


@pytest.mark.parametrize("value, expected", [
    (None, ("unix", "/var/run/docker.sock")),
    ("unix:///run/user/1000/docker.sock", ("unix", "/run/user/1000/docker.sock")),
    ("/tmp/d.sock", ("unix", "/tmp/d.sock")),
    ("tcp://10.0.0.5:2376", ("tcp", ("10.0.0.5", 2376))),
    ("tcp://manager1", ("tcp", ("manager1", 2375))),
    ("https://manager1", ("https", ("manager1", 2376))),
    ("tcp://[fd00::5]:2376", ("tcp", ("fd00::5", 2376))),
    ("10.0.0.5:2375", ("tcp", ("10.0.0.5", 2375))),
])
def test_parse_docker_host(value, expected):
    assert engine.parse_docker_host(value) == expected


@pytest.mark.parametrize("value, fragment", [
    ("ssh://ops@manager1", "only unix://, tcp://"),
    ("unix://relative.sock", "absolute path"),
    ("tcp://:2375", "has no host"),
    ("tcp://host:port", "is not a number"),
])
def test_parse_docker_host_refuses(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        engine.parse_docker_host(value)


def test_tls_options_need_tcp_and_a_key_pair():
    with pytest.raises(ValueError, match="need a tcp:// docker_host"):
        engine.EngineClient("unix:///var/run/docker.sock", tls=True)
    with pytest.raises(ValueError, match="go together"):
        engine.EngineClient("tcp://h:2376", client_cert="/c.pem")


# --------------------------------------------------------------------------- unix socket


def test_get_post_delete_over_unix_socket(unix_engine):
    server, path = unix_engine
    server.answers.update({
        ("GET", "/nodes/a%2Fb"): (200, {"ID": "a/b"}),
        ("GET", "/tasks"): (200, [{"ID": "t1"}]),
        ("POST", "/nodes/n1/update"): (200, None),
        ("DELETE", "/nodes/n1"): (200, None),
    })
    client = engine.EngineClient("unix://" + path, timeout=5)
    assert client.get_json("/nodes/{0}", "a/b") == {"ID": "a/b"}
    assert client.get_json("/tasks", params={"filters": json.dumps({"service": ["s1"]}), "unset": None}) == [{"ID": "t1"}]
    assert client.post_json("/nodes/{0}/update", "n1", params={"version": 42}, data={"Role": "worker"}) is None
    assert client.delete_json("/nodes/{0}", "n1", params={"force": True}) is None
    reqs = server.requests
    assert reqs[0]["path"] == "/nodes/a%2Fb"
    assert reqs[1]["path"] == "/tasks?filters=%7B%22service%22%3A+%5B%22s1%22%5D%7D"
    assert (reqs[2]["method"], reqs[2]["path"]) == ("POST", "/nodes/n1/update?version=42")
    assert json.loads(reqs[2]["body"]) == {"Role": "worker"}
    assert reqs[2]["content_type"] == "application/json"
    assert (reqs[3]["method"], reqs[3]["path"]) == ("DELETE", "/nodes/n1?force=1")


def test_api_version_prefixes_the_path(unix_engine):
    server, path = unix_engine
    server.answers[("GET", "/v1.41/info")] = (200, {"ServerVersion": "26.1.5"})
    assert engine.EngineClient(path, api_version="1.41").get_json("/info") == {"ServerVersion": "26.1.5"}


def test_errors_carry_status_and_the_engines_message(unix_engine):
    server, path = unix_engine
    server.answers[("GET", "/nodes")] = (503, {"message": "This node is not a swarm manager."})
    server.answers[("POST", "/nodes/n1/update")] = (500, {"message": "update out of sequence"})
    client = engine.EngineClient(path)
    with pytest.raises(engine.NotFound) as missing:
        client.get_json("/nodes/{0}", "gone")
    assert missing.value.status == 404 and "page not found" in str(missing.value)
    with pytest.raises(engine.APIError) as err:
        client.get_json("/nodes")
    assert not isinstance(err.value, engine.NotFound)
    assert err.value.status == 503
    assert err.value.explanation == "This node is not a swarm manager."
    assert str(err.value) == "GET /nodes answered 503: This node is not a swarm manager."
    with pytest.raises(engine.APIError, match=sw.OUT_OF_SEQUENCE):
        client.post_json("/nodes/{0}/update", "n1", data={})


def test_no_engine_is_unavailable_not_an_api_error(tmp_path):
    client = engine.EngineClient("unix://" + str(tmp_path / "none.sock"), timeout=2)
    with pytest.raises(engine.EngineUnavailable) as err:
        client.get_json("/info")
    assert not isinstance(err.value, engine.APIError)
    assert engine.LocalEngine(str(tmp_path / "none.sock")).info() is None


def test_local_engine_reads_info(unix_engine):
    server, path = unix_engine
    server.answers[("GET", "/info")] = (200, {"Swarm": {"LocalNodeState": "inactive"}})
    local = engine.LocalEngine(path)
    assert local.info() == {"Swarm": {"LocalNodeState": "inactive"}}
    with pytest.raises(engine.EngineUnavailable) as err:
        local.get("/containers/x/json")
    assert err.value.status == 404


# --------------------------------------------------------------------------- TLS over TCP


def _cert(name, issuer_key=None, issuer_name=None, ca=False):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name or subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    return key, builder.sign(issuer_key or key, hashes.SHA256())


def _write(tmp_path, stem, key, cert):
    from cryptography.hazmat.primitives import serialization

    cert_path, key_path = tmp_path / (stem + ".pem"), tmp_path / (stem + "-key.pem")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_engine(tmp_path):
    """A TLS daemon stand-in on 127.0.0.1 with a certificate for `localhost` that requires client certificates."""
    ca_key, ca = _cert("fleet test CA", ca=True)
    ca_path = _write(tmp_path, "ca", ca_key, ca)[0]
    s_key, s_cert = _cert("localhost", ca_key, ca.subject)
    server_cert, server_key = _write(tmp_path, "server", s_key, s_cert)
    c_key, c_cert = _cert("operator", ca_key, ca.subject)
    client_cert, client_key = _write(tmp_path, "client", c_key, c_cert)
    other_key, other = _cert("other CA", ca=True)
    other_ca = _write(tmp_path, "other", other_key, other)[0]

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(server_cert, server_key)
    ctx.load_verify_locations(cafile=ca_path)
    ctx.verify_mode = ssl.CERT_REQUIRED
    server = TCPServer(("127.0.0.1", 0), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    _serve(server, {("GET", "/version"): (200, {"ApiVersion": "1.45"})})
    files = dict(ca_path=ca_path, client_cert=client_cert, client_key=client_key, other_ca=other_ca)
    yield "tcp://127.0.0.1:%d" % server.server_address[1], files
    server.shutdown()
    server.server_close()


def test_tls_verified_with_client_certificate(tls_engine):
    host, f = tls_engine
    client = engine.EngineClient(host, validate_certs=True, ca_path=f["ca_path"], client_cert=f["client_cert"],
                                 client_key=f["client_key"], tls_hostname="localhost", timeout=5)
    assert client.get_json("/version") == {"ApiVersion": "1.45"}


def test_tls_without_verification_still_sends_the_client_certificate(tls_engine):
    host, f = tls_engine
    client = engine.EngineClient(host, tls=True, client_cert=f["client_cert"], client_key=f["client_key"], timeout=5)
    assert client.get_json("/version") == {"ApiVersion": "1.45"}


@pytest.mark.parametrize("case", ["wrong CA", "wrong name", "no client certificate", "plain HTTP"])
def test_tls_refusals(tls_engine, case):
    host, f = tls_engine
    opts = dict(validate_certs=True, ca_path=f["ca_path"], client_cert=f["client_cert"], client_key=f["client_key"],
                tls_hostname="localhost", timeout=5)
    if case == "wrong CA":
        opts["ca_path"] = f["other_ca"]
    elif case == "wrong name":
        opts["tls_hostname"] = "manager9.example"  # the certificate is for localhost
    elif case == "no client certificate":
        opts.update(client_cert=None, client_key=None)
    else:
        opts = dict(timeout=5)
    with pytest.raises(engine.EngineUnavailable) as err:
        engine.EngineClient(host, **opts).get_json("/version")
    assert not isinstance(err.value, engine.APIError)


# --------------------------------------------------------------------------- SwarmClient


def _run_module(capsys, args, spec=None, then=None):
    """(value of then(client) or the client, None), or (None, the failure JSON) when the module failed."""
    from ansible.module_utils.testing import patch_module_args

    with patch_module_args(args):
        try:
            client = sw.SwarmClient(argument_spec=spec or {}, supports_check_mode=True)
            return (then(client) if then else client), None
        except SystemExit:
            return None, json.loads(capsys.readouterr().out)


def test_swarm_client_merges_connection_options(monkeypatch, capsys, unix_engine):
    server, path = unix_engine
    server.answers[("GET", "/info")] = (200, {"Swarm": {"ControlAvailable": True, "LocalNodeState": "active",
                                                        "Cluster": {"ID": "c1"}}})
    monkeypatch.setenv("DOCKER_HOST", "unix://" + path)

    def use(client):
        return (client.check_mode, client.module.params["wanted"], client.module.params["timeout"],
                client.cluster_id(client.require_manager()))

    seen, failed = _run_module(capsys, {"_ansible_check_mode": True, "wanted": "x"},
                               spec=dict(wanted=dict(type="str", required=True)), then=use)
    assert failed is None
    assert seen == (True, "x", 60, "c1")


def test_swarm_client_fails_the_module_when_nothing_answers(capsys, tmp_path):
    done, failed = _run_module(capsys, {"docker_host": "unix://" + str(tmp_path / "none.sock")},
                               then=lambda client: client.get_json("/nodes"))
    assert done is None
    assert failed["failed"] is True
    assert failed["msg"].startswith("cannot reach the Docker engine at unix://")


def test_swarm_client_api_errors_reach_the_module_body(capsys, unix_engine):
    server, path = unix_engine
    server.answers[("DELETE", "/nodes/n1")] = (400, {"message": "node n1 is not down and can't be removed"})

    def use(client):
        with pytest.raises(sw.APIError, match="is not down"):
            client.delete_call("/nodes/{0}", "n1", params={"force": "true"})
        return server.requests[-1]["path"]

    seen, failed = _run_module(capsys, {"docker_host": path}, then=use)
    assert failed is None and seen == "/nodes/n1?force=true"


def test_swarm_client_refuses_bad_connection_options(capsys):
    client, failed = _run_module(capsys, {"docker_host": "ssh://ops@m1"})
    assert client is None
    assert "only unix://, tcp://" in failed["msg"]


def test_docker_cert_path_fills_unset_tls_files(tmp_path):
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    params = dict(docker_host="tcp://m1:2376", ca_path=None, client_cert="/mine.pem", client_key=None,
                  tls=False, validate_certs=True, tls_hostname=None, api_version="auto", timeout=60)
    opts = sw.client_options(params, environ={"DOCKER_CERT_PATH": str(tmp_path)})
    assert opts["ca_path"] == os.path.join(str(tmp_path), "ca.pem")
    assert opts["client_cert"] == "/mine.pem"
    assert opts["client_key"] == os.path.join(str(tmp_path), "key.pem")
