"""module_utils/status_report.py: the swarm status report and the CA rotation check.

Certificates below were made once for these tests (EC P-256, fixed dates); swarm-style
subjects: CN = NodeID, O = cluster ID, OU = swarm-manager / swarm-worker.
"""

import datetime
import json
import re

import pytest

from ansible_collections.fleet.docker.plugins.module_utils import status_report as sr

NOW = datetime.datetime(2026, 12, 1, 12, 0, 0)

CA_PEM = """\
-----BEGIN CERTIFICATE-----
MIIBEjCBuqADAgECAgID6DAKBggqhkjOPQQDAjATMREwDwYDVQQDDAhzd2FybS1j
YTAeFw0yNjExMDEwMDAwMDBaFw00NjEwMjcwMDAwMDBaMBMxETAPBgNVBAMMCHN3
YXJtLWNhMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGYm+dMKKzmcdOmw9Q8F9
Lq1zTdxa3Le5gZYBtxGHeMvx0V78gOXeJtgJHVWGC2k4/g70B0XdN65+/pKRPIuX
BDAKBggqhkjOPQQDAgNHADBEAiBX6SBt321C9k/aiWdStsFYUM0hozu1cd1sE2X3
ztCQ1QIgBx5gwCMlaBz6PgXDzK9boTNQUCVjjwKezTacrSDm+OI=
-----END CERTIFICATE-----
"""

CA2_PEM = """\
-----BEGIN CERTIFICATE-----
MIIBFTCBvKADAgECAgID6DAKBggqhkjOPQQDAjATMREwDwYDVQQDDAhzd2FybS1j
YTAgFw0yNjEyMDEwMDAwMDBaGA8yMDUxMDEwMjAzMDQwNVowEzERMA8GA1UEAwwI
c3dhcm0tY2EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATrBGmpe4aZvzKMIeQT
YJ/DNSQtNAfLc3KVQIrbFo4YqXbPucKU3srHM7qZpASTflmU6bn94mVFRaJwsPhK
X6BHMAoGCCqGSM49BAMCA0gAMEUCIQDBE3RL6+kP9o0SyOIh2v1mS4wjLUBU13JI
3fSf7vuiPQIgDqMa8SdNIF0D0f9qKEPgZLmal6nfMnE/oaKbsExh9bE=
-----END CERTIFICATE-----
"""

MGR_PEM = """\
-----BEGIN CERTIFICATE-----
MIIBPzCB5aADAgECAgID6DAKBggqhkjOPQQDAjATMREwDwYDVQQDDAhzd2FybS1j
YTAeFw0yNjExMDEwMDAwMDBaFw0yNzAxMzAxMjAwMDBaMD4xETAPBgNVBAoMCGNs
dXN0ZXIxMRYwFAYDVQQLDA1zd2FybS1tYW5hZ2VyMREwDwYDVQQDDAhub2RlMWFi
YzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGI2Pd/KW0jidw1EIGUMD4UKxIcb
16Yyy/VNzI6GJEr1Xz8sQ4jrlgQ1NGKXf+iBMajC3AQYwaMH91aDj6tCuXUwCgYI
KoZIzj0EAwIDSQAwRgIhAM2Jvi12mt3VRvbyBX6S9VnTurmjgAsbv+tbvVhavLpr
AiEA4xSsnKoMNNyAjvnGucNHh/sjW0PE7xkVMiFAZpZAlqg=
-----END CERTIFICATE-----
"""

WRK_PEM = """\
-----BEGIN CERTIFICATE-----
MIIBPjCB5KADAgECAgID6DAKBggqhkjOPQQDAjATMREwDwYDVQQDDAhzd2FybS1j
YTAeFw0yNjExMjAwMDAwMDBaFw0yNjEyMDUwMDAwMDBaMD0xETAPBgNVBAoMCGNs
dXN0ZXIxMRUwEwYDVQQLDAxzd2FybS13b3JrZXIxETAPBgNVBAMMCG5vZGUyZGVm
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYjY938pbSOJ3DUQgZQwPhQrEhxvX
pjLL9U3MjoYkSvVfPyxDiOuWBDU0Ypd/6IExqMLcBBjBowf3VoOPq0K5dTAKBggq
hkjOPQQDAgNJADBGAiEAlrHdlA/YnU8j+oN/en0Zo4RogTQT3rs12NfoAnhoI28C
IQCMHYTpjVbMguqJOGeH4VHZDtn/WV2YKNLneiqfoJJ7fA==
-----END CERTIFICATE-----
"""

OTH_PEM = """\
-----BEGIN CERTIFICATE-----
MIIBQTCB6KADAgECAgID6DAKBggqhkjOPQQDAjATMREwDwYDVQQDDAhzd2FybS1j
YTAeFw0yNjExMjAwMDAwMDBaFw0yNjEyMDUwMDAwMDBaMEExFTATBgNVBAoMDG90
aGVyY2x1c3RlcjEVMBMGA1UECwwMc3dhcm0td29ya2VyMREwDwYDVQQDDAhub2Rl
OXp6ejBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGI2Pd/KW0jidw1EIGUMD4UK
xIcb16Yyy/VNzI6GJEr1Xz8sQ4jrlgQ1NGKXf+iBMajC3AQYwaMH91aDj6tCuXUw
CgYIKoZIzj0EAwIDSAAwRQIhANrI0Cz8+R5G1YdxwMBHBYzCoNHhohpb1lMJZx2/
L4mdAiB2+ZfS2RSI2gnjneTsK+nUjwP2nJ1y5o+hNnLNhLr74Q==
-----END CERTIFICATE-----
"""


def tls(root=CA_PEM, subject="c3ViamVjdA==", key="a2V5"):
    return {"TrustRoot": root, "CertIssuerSubject": subject, "CertIssuerPublicKey": key}


def node(node_id, hostname, role="worker", state="ready", availability="active", leader=False,
         reachability="reachable", labels=None, engine="26.1.5+dfsg1", tls_info=None):
    n = {
        "ID": node_id,
        "Spec": {"Role": role, "Availability": availability, "Labels": labels or {}},
        "Description": {"Hostname": hostname, "Engine": {"EngineVersion": engine},
                        "TLSInfo": tls() if tls_info is None else tls_info},
        "Status": {"State": state, "Addr": "10.0.0.%d" % (len(hostname) + 1)},
    }
    if role == "manager":
        n["ManagerStatus"] = {"Leader": leader, "Reachability": reachability, "Addr": "10.0.0.1:2377"}
    return n


def swarm(autolock=False, in_progress=False, root=CA_PEM):
    return {
        "ID": "cluster1", "CreatedAt": "2026-11-01T00:00:00Z", "Version": {"Index": 12},
        "Spec": {"CAConfig": {"NodeCertExpiry": 7776000000000000, "ForceRotate": 0},
                 "EncryptionConfig": {"AutoLockManagers": autolock}},
        "TLSInfo": tls(root), "RootRotationInProgress": in_progress,
        "JoinTokens": {"Worker": "SWMTKN-1-secretworker", "Manager": "SWMTKN-1-secretmanager"},
    }


# --------------------------------------------------------------------------- certificates

@pytest.mark.parametrize("pem, subject, not_after", [
    (CA_PEM, {"cn": "swarm-ca"}, datetime.datetime(2046, 10, 27)),
    # notAfter in 2051: GeneralizedTime instead of UTCTime
    (CA2_PEM, {"cn": "swarm-ca"}, datetime.datetime(2051, 1, 2, 3, 4, 5)),
    (MGR_PEM, {"cn": "node1abc", "o": "cluster1", "ou": "swarm-manager"}, datetime.datetime(2027, 1, 30, 12)),
    (WRK_PEM, {"cn": "node2def", "o": "cluster1", "ou": "swarm-worker"}, datetime.datetime(2026, 12, 5)),
    # a chain: the leaf comes first
    (WRK_PEM + CA_PEM, {"cn": "node2def", "o": "cluster1", "ou": "swarm-worker"}, datetime.datetime(2026, 12, 5)),
])
def test_cert_info(pem, subject, not_after):
    info = sr.cert_info(pem)
    assert info["subject"] == subject
    assert info["not_after"] == not_after
    assert info["not_before"] < not_after
    assert info["issuer"] == {"cn": "swarm-ca"}


@pytest.mark.parametrize("text", [
    "", "hello", "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----",
    "-----BEGIN CERTIFICATE-----\nMIIBEjCBuqADAgECAgID6DAKBggq\n-----END CERTIFICATE-----",  # truncated
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
])
def test_cert_info_refuses_garbage(text):
    with pytest.raises(sr.CertificateError):
        sr.cert_info(text)


def test_fingerprint_differs_per_root_and_is_empty_for_garbage():
    assert sr.fingerprint(CA_PEM).startswith("sha256:") and len(sr.fingerprint(CA_PEM)) == 23
    assert sr.fingerprint(CA_PEM) != sr.fingerprint(CA2_PEM)
    assert sr.fingerprint("nope") == ""


# --------------------------------------------------------------------------- versions

@pytest.mark.parametrize("engine, pinned, ok", [
    ("26.1.5", "26.1.5", True),
    ("26.1.5+dfsg1", "26.1.5", True),          # Debian's upstream version
    ("26.1.5+dfsg1", "26.1.5+dfsg1-9+b9", True),  # apt version of docker.io
    ("26.1.5", "5:26.1.5-1~debian.12~bookworm", True),  # apt version of docker-ce
    ("26.1.5", "26.1", True),                  # a prefix pin
    ("26.1.5", "26", True),
    ("26.1.50", "26.1.5", False),
    ("26.1", "26.1.5", False),
    ("27.0.1", "26.1.5", False),
    ("20.10.24+dfsg1", "26.1.5", False),
    ("", "26.1.5", False),
    ("26.1.5", "", False),
])
def test_version_matches(engine, pinned, ok):
    assert sr.version_matches(engine, pinned) is ok


# --------------------------------------------------------------------------- per node

@pytest.mark.parametrize("node_tls, swarm_tls, status", [
    (tls(), tls(), "ready"),
    (tls(root=CA2_PEM), tls(), "needs-rotation"),        # old trust root
    (tls(subject="b3RoZXI="), tls(), "needs-rotation"),  # certificate from another issuer
    (tls(key="b3RoZXI="), tls(), "needs-rotation"),
    ({}, tls(), "unknown"),
    (None, tls(), "unknown"),
    (tls(), {}, "unknown"),
])
def test_tls_status(node_tls, swarm_tls, status):
    assert sr.tls_status(node_tls, swarm_tls) == status


@pytest.mark.parametrize("autolock, manager, reach, host_state, out", [
    (False, False, "", "", "n/a"),
    (True, False, "", "active", "n/a"),
    (False, True, "reachable", "", "off"),
    (True, True, "reachable", "", "unlocked"),
    (True, True, "unreachable", "active", "unlocked"),
    (True, True, "unreachable", "", "unknown"),
    (True, True, "unreachable", "locked", "locked"),
    (False, True, "unreachable", "locked", "locked"),  # the host's own word wins
])
def test_unlock_state(autolock, manager, reach, host_state, out):
    assert sr.unlock_state(autolock, manager, reach, host_state) == out


def lab(**kw):
    nodes = [
        node("node1abc", "m1", "manager", leader=True, labels={"zone": "a", sr.OWNER_LABEL: "zone"}),
        node("node3ghi", "m2", "manager"),
        node("node2def", "w1", labels={"tier": "app"}),
    ]
    services = [{"ID": "s1", "Spec": {"Name": "web", "Mode": {"Replicated": {"Replicas": 3}}}},
                {"ID": "s2", "Spec": {"Name": "agent", "Mode": {"Global": {}}}}]
    tasks = [
        {"ServiceID": "s1", "NodeID": "node2def", "Status": {"State": "running"}},
        {"ServiceID": "s1", "NodeID": "node2def", "Status": {"State": "running"}},
        {"ServiceID": "s1", "NodeID": "node1abc", "Status": {"State": "running"}},
        {"ServiceID": "s1", "NodeID": "node3ghi", "Status": {"State": "shutdown"}},
        {"ServiceID": "s2", "NodeID": "node3ghi", "Status": {"State": "running"}},
    ]
    args = dict(nodes=nodes, swarm=swarm(), services=services, tasks=tasks,
                hosts=[{"name": "w1-inv", "node_id": "node2def", "swarm_state": "active", "certificate": WRK_PEM},
                       {"name": "stray", "node_id": "", "swarm_state": "active", "certificate": OTH_PEM}],
                local_cert=MGR_PEM, local_node_id="node1abc", now=NOW, threshold_days=14, via="m1")
    args.update(kw)
    return sr.build_report(**args)


def test_report_rows_certificates_and_tasks():
    r = lab()
    rows = dict((n["hostname"], n) for n in r["nodes"])
    assert [n["hostname"] for n in r["nodes"]] == ["m1", "m2", "w1"]  # managers first
    assert rows["m1"]["leader"] and not rows["m2"]["leader"]
    assert rows["m1"]["certificate"] == {"source": "local file", "not_after": "2027-01-30T12:00:00Z",
                                         "days_left": 60.0, "role": "manager"}
    assert rows["w1"]["certificate"]["source"] == "host w1-inv"
    assert rows["w1"]["certificate"]["days_left"] == 3.5
    assert rows["m2"]["certificate"] is None and "not read" in rows["m2"]["certificate_note"]
    assert rows["w1"]["tasks"] == {"web": 2} and rows["m2"]["tasks"] == {"agent": 1}
    assert rows["w1"]["inventory_name"] == "w1-inv" and rows["m1"]["local"]
    assert [n["unlock"] for n in r["nodes"]] == ["off", "off", "n/a"]
    svc = dict((s["name"], s) for s in r["services"])
    assert svc["web"] == {"name": "web", "mode": "replicated", "replicas": 3, "running": 3,
                          "tasks_by_node": {"m1": 1, "w1": 2}}
    assert svc["agent"]["replicas"] is None and svc["agent"]["tasks_by_node"] == {"m2": 1}
    assert r["swarm"]["ca"]["not_after"] == "2046-10-27T00:00:00Z"
    assert r["swarm"]["node_cert_lifetime_days"] == 90.0
    assert (r["swarm"]["managers"], r["swarm"]["quorum"], r["swarm"]["tolerance"]) == (2, 2, 0)


def test_a_certificate_of_another_cluster_is_not_used():
    r = lab(nodes=[node("node9zzz", "x1")], local_cert="")
    assert r["nodes"][0]["certificate"] is None


def test_no_secret_reaches_the_report_or_its_renderings():
    r = lab()
    for text in (json.dumps(r), sr.render_markdown(r), sr.render_html(r), "\n".join(sr.render_table(r))):
        assert "SWMTKN" not in text and "secret" not in text


def warnings_of(**kw):
    return lab(**kw)["warnings"]


@pytest.mark.parametrize("case, kw, expected, absent", [
    ("two managers: even count", {}, ["2 managers: an even count tolerates no more failures than 1"], []),
    ("worker cert within threshold", {}, ["w1: node certificate expires at 2026-12-05T00:00:00Z (in 3.5 days"], ["m1: node"]),
    ("threshold above both", {"threshold_days": 100},
     ["m1: node certificate expires at 2027-01-30", "w1: node certificate expires"], []),
    ("threshold below both", {"threshold_days": 3}, [], ["node certificate"]),
    ("expired", {"now": datetime.datetime(2026, 12, 6)}, ["w1: node certificate expired at 2026-12-05"], []),
    ("root CA within threshold", {"threshold_days": 365 * 21}, ["root CA certificate expires at 2046-10-27"], []),
    ("engine pin differs", {"expected_engine": "27.0.0"},
     ["m1: engine 26.1.5+dfsg1 differs from the pinned 27.0.0", "m2: engine", "w1: engine"], []),
    ("engine pin matches", {"expected_engine": "26.1.5"}, [], ["engine"]),
    ("no pin", {}, [], ["engine"]),
])
def test_warnings(case, kw, expected, absent):
    got = warnings_of(**kw)
    for text in expected:
        assert any(text in w for w in got), (case, text, got)
    for text in absent:
        assert not any(text in w for w in got), (case, text, got)


def three(*extra, **node_kw):
    return [node("a", "m1", "manager", leader=True), node("b", "m2", "manager"), node("c", "m3", "manager")] + list(extra)


@pytest.mark.parametrize("case, nodes, sw, expected, absent", [
    ("three managers: no count warning", three(), swarm(), [], ["managers:"]),
    ("four managers: even", three(node("d", "m4", "manager")), swarm(), ["4 managers: an even count"], []),
    ("nine managers: even is not it, more than 7 is",
     [node(str(i), "m%d" % i, "manager", leader=i == 0) for i in range(9)], swarm(),
     ["9 managers: more than 7"], ["even"]),
    ("eight managers: both", [node(str(i), "m%d" % i, "manager") for i in range(8)], swarm(),
     ["8 managers: an even count", "8 managers: more than 7"], []),
    ("worker down", three(node("w", "w1", state="down", availability="drain")), swarm(),
     ["w1: node is Down (availability drain)"], []),
    ("manager unreachable and down", [node("a", "m1", "manager", leader=True), node("b", "m2", "manager"),
                                      node("c", "m3", "manager", state="down", reachability="unreachable")], swarm(),
     ["m3: node is Down", "m3: manager is unreachable"], ["m1:", "m2:"]),
    ("stale trust root, no rotation", three(node("w", "w1", tls_info=tls(root=CA2_PEM))), swarm(),
     ["w1: TLS needs rotation"], ["rotation in progress"]),
    ("rotation in progress names the nodes left", three(node("w", "w1", tls_info=tls(root=CA2_PEM))),
     swarm(in_progress=True), ["root CA rotation in progress: waiting for w1"], ["TLS needs rotation"]),
    ("autolock on, one manager unreachable: unlock unknown, no locked warning",
     [node("a", "m1", "manager", leader=True), node("b", "m2", "manager"),
      node("c", "m3", "manager", reachability="unreachable")], swarm(autolock=True), ["m3: manager is unreachable"],
     ["locked"]),
])
def test_cluster_warnings(case, nodes, sw, expected, absent):
    got = sr.build_report(nodes, sw, now=NOW)["warnings"]
    for text in expected:
        assert any(text in w for w in got), (case, text, got)
    for text in absent:
        assert not any(text in w for w in got), (case, text, got)


def test_locked_manager_reported_by_its_host():
    nodes = [node("a", "m1", "manager", leader=True), node("b", "m2", "manager"),
             node("c", "m3", "manager", reachability="unreachable")]
    r = sr.build_report(nodes, swarm(autolock=True), hosts=[{"name": "m3", "node_id": "c", "swarm_state": "locked"}],
                        now=NOW)
    assert [n["unlock"] for n in r["nodes"]] == ["unlocked", "unlocked", "locked"]
    assert any(w.startswith("m3: swarm is locked") for w in r["warnings"])
    assert r["swarm"]["autolock"] is True


def test_clean_swarm_has_no_warnings():
    r = sr.build_report(three(node("w", "w1")), swarm(), now=NOW)
    assert r["warnings"] == []
    assert sr.render_table(r)[-1] == "no warnings"


# --------------------------------------------------------------------------- CA rotation

@pytest.mark.parametrize("case, sw, nodes, old, done, waiting, down", [
    ("not started: old root still there", swarm(), three(), CA_PEM, False, [], []),
    ("in progress", swarm(root=CA_PEM, in_progress=True), three(), CA_PEM, False, [], []),
    ("finished at the swarm, a node behind", swarm(root=CA2_PEM),
     [node("a", "m1", "manager", tls_info=tls(root=CA2_PEM)), node("w", "w1", tls_info=tls(root=CA_PEM))],
     CA_PEM, False, ["w1"], []),
    ("finished everywhere", swarm(root=CA2_PEM),
     [node("a", "m1", "manager", tls_info=tls(root=CA2_PEM)), node("w", "w1", tls_info=tls(root=CA2_PEM))],
     CA_PEM, True, [], []),
    # swarmkit keeps the rotation in progress while a node is down: never done then
    ("a down node keeps it in progress", swarm(root=CA_PEM, in_progress=True),
     [node("a", "m1", "manager", tls_info=tls(root=CA_PEM)), node("w", "w1", state="down", tls_info=tls(key="b2xk"))],
     CA_PEM, False, ["w1"], ["w1"]),
    ("unknown TLS info is not ready", swarm(root=CA2_PEM),
     [node("a", "m1", "manager", tls_info=tls(root=CA2_PEM)), node("w", "w1", tls_info={})],
     CA_PEM, False, ["w1"], []),
    ("no old root given: matching is enough", swarm(), three(), "", True, [], []),
])
def test_rotation_progress(case, sw, nodes, old, done, waiting, down):
    ok, detail = sr.rotation_progress(sw, nodes, old)
    assert ok is done, (case, detail)
    assert detail["waiting"] == waiting and detail["down"] == down, case
    assert detail["reason"]


@pytest.mark.parametrize("nodes, blockers", [
    (three(node("w", "w1")), []),
    (three(node("w", "w1", availability="drain")), []),  # drained is still Ready: it renews
    (three(node("w", "w1", state="down")), ["w1 (down)"]),
    ([node("a", "m1", "manager", leader=True), node("b", "m2", "manager", state="unknown", reachability="unreachable"),
      node("w", "w1", state="disconnected")], ["m2 (unknown)", "w1 (disconnected)"]),
    ([{"ID": "x"}], ["x (unknown)"]),
])
def test_rotation_blockers(nodes, blockers):
    assert sr.rotation_blockers(nodes) == blockers


# --------------------------------------------------------------------------- rendering

def test_table_columns_and_values():
    lines = sr.render_table(lab())
    assert lines[0].split() == ["NODE", "ROLE", "LEADER", "AVAIL", "STATE", "LABELS", "ENGINE", "TLS", "CERT",
                                "EXPIRY", "UNLOCK"]
    assert lines[1].split()[:6] == ["m1", "manager", "leader", "active", "ready", "zone=a"]  # owner label hidden
    assert "2027-01-30 (60.0d)" in lines[1]
    assert lines[3].split()[:2] == ["w1", "worker"] and "tier=app" in lines[3]
    assert lines[4].startswith("swarm cluster1: 2 managers (quorum 2, tolerates 0), 1 workers; leader m1")
    assert any(line.startswith("WARNING: 2 managers") for line in lines)


def test_markdown_escapes_pipes_and_lists_services():
    r = lab(nodes=[node("a", "m1", "manager", leader=True, labels={"note": "a|b"})])
    md = sr.render_markdown(r)
    assert "note=a\\|b" in md
    # tasks on nodes the list does not hold are shown by NodeID
    assert "| web | replicated | 3 | 3 | node1abc: 1, node2def: 2 |" in md
    assert md.count("\n| m1 |") == 1


def test_html_is_self_contained_and_escaped():
    r = lab(nodes=[node("a", "<m1>", "manager", leader=True, labels={"x": "<script>alert(1)</script>"}),
                   node("w", "w1")])
    html = sr.render_html(r)
    assert "<script" not in html and "&lt;script&gt;" in html and "&lt;m1&gt;" in html
    assert not re.search(r"""(src|href)\s*=|url\(|@import|https?://""", html)
    assert "default-src 'none'" in html


def test_html_boxes_carry_what_the_test_reads():
    html = sr.render_html(lab())
    boxes = re.findall(r'<div class="node (manager|worker)[^"]*" data-node-id="([^"]+)" data-hostname="([^"]+)" '
                       r'data-role="\w+" data-leader="(true|false)"', html)
    assert boxes == [("manager", "node1abc", "m1", "true"), ("manager", "node3ghi", "m2", "false"),
                     ("worker", "node2def", "w1", "false")]
    assert '<li data-label="tier">tier=app</li>' in html and sr.OWNER_LABEL not in html
    assert '<li data-service="web">web: 2</li>' in html
    assert 'class="warn">node certificate expires at 2026-12-05' in html
