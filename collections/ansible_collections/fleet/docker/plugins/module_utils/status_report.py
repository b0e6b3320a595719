# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The swarm status report and the CA rotation check, as pure functions.

fleet.docker.swarm_status reads the API (nodes, services, tasks, GET /swarm) on one
manager and hands the raw objects to build_report(); everything after that (rows,
warnings, Markdown, HTML, the text table) happens here, without an engine, so every
rule is unit-tested. fleet.docker.swarm_ca_rotate uses rotation_blockers() to decide
whether a root CA rotation may start and rotation_progress() to decide when it is over.

Sections:
  1. Certificates        cert_info() (a small DER reader: notAfter, subject, issuer)
  2. Versions            version_matches()
  3. Per node            tls_status(), unlock_state(), node_rows()
  4. Warnings            cluster_warnings()
  5. Report              build_report()
  6. CA rotation         rotation_blockers(), rotation_progress()
  7. Rendering           render_table(), render_markdown(), render_html()

What is measured where (the report says it per node in certificate.source):
  - TLS status: each node's Description.TLSInfo (trust root + issuer of its certificate,
    as the node reported it) against the swarm's TLSInfo, the rule of `docker node ls`'s
    TLS STATUS column (Ready / Needs Rotation / Unknown).
  - Node certificate expiry: the certificate itself (notAfter). The API does not carry it:
    the module reads the file of the manager it runs on, and takes the certificates the
    other hosts gave (the playbook reads each host's swarm-node.crt, a public certificate).
    A certificate is matched to its node by its subject (CN = NodeID, O = cluster ID).
  - Root CA expiry: the swarm's TrustRoot certificate (GET /swarm).

Nothing secret enters the report: the join tokens and the unlock key are never read
into it (GET /swarm's JoinTokens are dropped before anything is built).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import datetime
import hashlib
import re

try:
    from html import escape as _html_escape
except ImportError:  # pragma: no cover - Python 2
    from cgi import escape as _html_escape

# --------------------------------------------------------------------------- 1. certificates

_PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.*?)\s*-----END CERTIFICATE-----", re.S)
_OIDS = {b"\x55\x04\x03": "cn", b"\x55\x04\x0a": "o", b"\x55\x04\x0b": "ou"}
OWNER_LABEL = "fleet.docker.owned-labels"


class CertificateError(ValueError):
    """Text that is not a readable X.509 certificate."""


def pem_to_der(pem):
    """DER bytes of the first certificate in a PEM text (a chain starts with the leaf)."""
    match = _PEM_RE.search(pem or "")
    if not match:
        raise CertificateError("no PEM certificate found")
    try:
        return base64.b64decode("".join(match.group(1).split()))
    except (binascii.Error, ValueError) as exc:
        raise CertificateError("bad base64 in the PEM block: %s" % exc) from exc


def _tlv(data, pos):
    """(tag, value bytes, next position) of the DER element at `pos`."""
    if pos + 2 > len(data):
        raise CertificateError("truncated DER")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        size = length & 0x7F
        if size == 0 or size > 4 or pos + size > len(data):
            raise CertificateError("bad DER length")
        length = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    if pos + length > len(data):
        raise CertificateError("truncated DER")
    return tag, data[pos:pos + length], pos + length


def _children(data):
    out, pos = [], 0
    while pos < len(data):
        tag, value, pos = _tlv(data, pos)
        out.append((tag, value))
    return out


def _name(value):
    """{cn, o, ou} of an X.501 Name (first value of each)."""
    out = {}
    for _set_tag, rdn in _children(value):
        for _seq_tag, atv in _children(rdn):
            parts = _children(atv)
            if len(parts) == 2 and parts[0][0] == 0x06:
                key = _OIDS.get(parts[0][1])
                if key and key not in out:
                    out[key] = parts[1][1].decode("utf-8", "replace")
    return out


def _time(tag, value):
    text = value.decode("ascii")
    if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ (RFC 5280: YY >= 50 is 19YY)
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    elif tag != 0x18:  # GeneralizedTime YYYYMMDDHHMMSSZ
        raise CertificateError("unexpected time tag 0x%02x" % tag)
    if not text.endswith("Z") or len(text) != 15:
        raise CertificateError("unsupported time %r" % value)
    return datetime.datetime.strptime(text, "%Y%m%d%H%M%SZ")


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt else ""


def cert_info(pem):
    """What the report needs from a PEM certificate; CertificateError when unreadable."""
    der = pem_to_der(pem)
    try:
        cert = _children(_tlv(der, 0)[1])
        tbs = _children(cert[0][1])
        if tbs and tbs[0][0] == 0xA0:  # explicit [0] version
            tbs = tbs[1:]
        issuer, validity, subject = tbs[2][1], _children(tbs[3][1]), tbs[4][1]
        not_before = _time(*validity[0])
        not_after = _time(*validity[1])
        return {
            "subject": _name(subject),
            "issuer": _name(issuer),
            "not_before": not_before,
            "not_after": not_after,
            "sha256": hashlib.sha256(der).hexdigest(),
        }
    except (IndexError, ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, CertificateError):
            raise
        raise CertificateError("not an X.509 certificate: %s" % exc) from exc


def days_left(not_after, now):
    return round((not_after - now).total_seconds() / 86400.0, 1)


def fingerprint(pem):
    """Short sha256 fingerprint of a certificate ("" when it cannot be read)."""
    try:
        return "sha256:" + hashlib.sha256(pem_to_der(pem)).hexdigest()[:16]
    except CertificateError:
        return ""


# --------------------------------------------------------------------------- 2. versions

_EPOCH = re.compile(r"^\d+:")


def version_matches(engine, pinned):
    """Does an engine's reported version satisfy a pin?

    The engine reports an upstream version ("26.1.5", Debian's "26.1.5+dfsg1"); a pin may be
    a prefix ("26.1"), the same, or an apt version with epoch and revision
    ("5:26.1.5-1~debian.12~bookworm", "26.1.5+dfsg1-9"). They match when one is the other
    followed by a separator (. + - ~), after dropping an apt epoch.
    """
    engine = _EPOCH.sub("", (engine or "").strip())
    pinned = _EPOCH.sub("", (pinned or "").strip())
    if not engine or not pinned:
        return False
    if engine == pinned:
        return True
    if engine.startswith(pinned):
        return engine[len(pinned)] in ".+-~"  # pin 26.1 or 26.1.5: engine 26.1.5+dfsg1
    if pinned.startswith(engine):
        return pinned[len(engine)] in "+-~"  # apt revision: pin 26.1.5+dfsg1-9, engine 26.1.5+dfsg1
    return False


# --------------------------------------------------------------------------- 3. per node

TLS_READY = "ready"
TLS_NEEDS_ROTATION = "needs-rotation"
TLS_UNKNOWN = "unknown"
_TLS_KEYS = ("TrustRoot", "CertIssuerSubject", "CertIssuerPublicKey")


def tls_status(node_tls, swarm_tls):
    """`docker node ls`'s TLS STATUS: ready when the node's TLSInfo equals the swarm's."""
    node_tls, swarm_tls = node_tls or {}, swarm_tls or {}
    if not any(swarm_tls.get(k) for k in _TLS_KEYS) or not any(node_tls.get(k) for k in _TLS_KEYS):
        return TLS_UNKNOWN
    if all((node_tls.get(k) or "") == (swarm_tls.get(k) or "") for k in _TLS_KEYS):
        return TLS_READY
    return TLS_NEEDS_ROTATION


def unlock_state(autolock, manager, reachability, host_state=""):
    """Unlock column of one node.

    n/a: workers (autolock protects the managers' Raft keys); off: autolock is off;
    locked: the host itself says so (its engine reports LocalNodeState locked);
    unlocked: a reachable manager (a locked one cannot take part in Raft);
    unknown: an unreachable manager whose host did not answer.
    """
    if host_state == "locked":
        return "locked"
    if not manager:
        return "n/a"
    if not autolock:
        return "off"
    if reachability == "reachable" or host_state == "active":
        return "unlocked"
    return "unknown"


def _certificates(certs, cluster_id):
    """{NodeID: cert_info} of readable certificates of this cluster (CN = NodeID, O = cluster)."""
    out = {}
    for source, pem in certs:
        try:
            info = cert_info(pem)
        except CertificateError:
            continue
        subject = info["subject"]
        if not subject.get("cn") or (cluster_id and subject.get("o") not in (cluster_id, None)):
            continue
        if subject["cn"] not in out:
            out[subject["cn"]] = dict(info, source=source)
    return out


def node_rows(nodes, swarm, tasks=(), services=(), hosts=(), local_cert="", local_node_id="",
              now=None, threshold_days=14, expected_engine=""):
    """One row per node (raw GET /nodes entries), sorted managers first, then by hostname."""
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    swarm = swarm or {}
    swarm_tls = swarm.get("TLSInfo") or {}
    autolock = bool(((swarm.get("Spec") or {}).get("EncryptionConfig") or {}).get("AutoLockManagers"))
    by_node_id = dict((h.get("node_id"), h) for h in hosts if h.get("node_id"))
    certs = [("local file", local_cert)] if local_cert else []
    certs += [("host " + h.get("name", "?"), h.get("certificate") or "") for h in hosts if h.get("certificate")]
    cert_by_node = _certificates(certs, swarm.get("ID", ""))
    service_names = dict((s.get("ID"), (s.get("Spec") or {}).get("Name", s.get("ID"))) for s in services)
    running = {}
    for t in tasks:
        if (t.get("Status") or {}).get("State") == "running" and t.get("NodeID"):
            per = running.setdefault(t["NodeID"], {})
            name = service_names.get(t.get("ServiceID"), t.get("ServiceID", "?"))
            per[name] = per.get(name, 0) + 1
    rows = []
    for node in nodes:
        spec = node.get("Spec") or {}
        desc = node.get("Description") or {}
        status = node.get("Status") or {}
        mstat = node.get("ManagerStatus") or {}
        node_id = node.get("ID", "")
        host = by_node_id.get(node_id, {})
        manager = bool(mstat)
        cert = cert_by_node.get(node_id)
        certificate = None
        if cert:
            certificate = {
                "source": cert["source"],
                "not_after": iso(cert["not_after"]),
                "days_left": days_left(cert["not_after"], now),
                "role": {"swarm-manager": "manager", "swarm-worker": "worker"}.get(cert["subject"].get("ou", ""), ""),
            }
        labels = dict(spec.get("Labels") or {})
        row = {
            "id": node_id,
            "hostname": desc.get("Hostname", ""),
            "inventory_name": host.get("name", ""),
            "local": node_id == local_node_id,
            "role": spec.get("Role", ""),
            "manager": manager,
            "leader": bool(mstat.get("Leader")),
            "reachability": mstat.get("Reachability", ""),
            "availability": spec.get("Availability", ""),
            "state": status.get("State", ""),
            "addr": status.get("Addr", ""),
            "labels": labels,
            "engine_version": (desc.get("Engine") or {}).get("EngineVersion", ""),
            "tls_status": tls_status(desc.get("TLSInfo"), swarm_tls),
            "trust_root": fingerprint((desc.get("TLSInfo") or {}).get("TrustRoot", "")),
            "certificate": certificate,
            "unlock": unlock_state(autolock, manager, mstat.get("Reachability", ""), host.get("swarm_state", "")),
            "tasks": dict(sorted(running.get(node_id, {}).items())),
            "warnings": [],
        }
        row["warnings"] = node_warnings(row, threshold_days, expected_engine,
                                        bool(swarm.get("RootRotationInProgress")))
        rows.append(row)
    rows.sort(key=lambda r: (not r["manager"], r["hostname"], r["id"]))
    return rows


def node_warnings(row, threshold_days=14, expected_engine="", rotation_in_progress=False):
    """Warnings about one node row (strings, without the node's name)."""
    out = []
    if row["state"] == "down":
        out.append("node is Down (availability %s)" % row["availability"])
    elif row["state"] and row["state"] != "ready":
        out.append("node state is %s" % row["state"])
    if row["manager"] and row["reachability"] != "reachable":
        out.append("manager is %s" % (row["reachability"] or "not reachable"))
    if row["unlock"] == "locked":
        out.append("swarm is locked on this node: unlock it (docker swarm unlock) with the unlock key")
    cert = row["certificate"]
    if cert and cert["days_left"] < 0:
        out.append("node certificate expired at %s" % cert["not_after"])
    elif cert and cert["days_left"] < threshold_days:
        out.append("node certificate expires at %s (in %s days; threshold %s)"
                   % (cert["not_after"], cert["days_left"], threshold_days))
    if row["tls_status"] == TLS_NEEDS_ROTATION and not rotation_in_progress:
        out.append("TLS needs rotation: its certificate or trust root is not the swarm's current root CA")
    if expected_engine and not version_matches(row["engine_version"], expected_engine):
        out.append("engine %s differs from the pinned %s" % (row["engine_version"] or "(unknown)", expected_engine))
    return out


# --------------------------------------------------------------------------- 4. warnings


def cluster_warnings(rows, swarm_info, threshold_days=14):
    """Swarm-wide warnings, then each node's (prefixed with its hostname)."""
    out = []
    count = sum(1 for r in rows if r["manager"])
    if count and count % 2 == 0:
        out.append("%d managers: an even count tolerates no more failures than %d (tolerance %d); use an odd number"
                   % (count, count - 1, (count - 1) // 2))
    if count > 7:
        out.append("%d managers: more than 7 slows Raft down without adding useful fault tolerance (Docker "
                   "recommends at most 7)" % count)
    ca = swarm_info.get("ca") or {}
    if ca.get("not_after") and ca["days_left"] < threshold_days:
        out.append("root CA certificate %s at %s (in %s days; threshold %s): rotate it (playbooks/swarm_rotate_ca.yml)"
                   % ("expired" if ca["days_left"] < 0 else "expires", ca["not_after"], ca["days_left"], threshold_days))
    if swarm_info.get("root_rotation_in_progress"):
        pending = [r["hostname"] for r in rows if r["tls_status"] != TLS_READY and r["state"] != "down"]
        out.append("root CA rotation in progress: %s" % (
            "waiting for " + ", ".join(pending) if pending else "every node has the new certificate; finishing"))
    for r in rows:
        out.extend("%s: %s" % (r["hostname"] or r["id"], w) for w in r["warnings"])
    return out


# --------------------------------------------------------------------------- 5. report


def swarm_summary(swarm, rows, now):
    """The swarm-wide part of the report (never the join tokens)."""
    swarm = swarm or {}
    spec = swarm.get("Spec") or {}
    tls = swarm.get("TLSInfo") or {}
    ca = {"fingerprint": fingerprint(tls.get("TrustRoot", "")), "not_after": "", "days_left": None, "subject": ""}
    try:
        info = cert_info(tls.get("TrustRoot", ""))
        ca.update(not_after=iso(info["not_after"]), days_left=days_left(info["not_after"], now),
                  subject=info["subject"].get("cn", ""))
    except CertificateError:
        pass
    managers = [r for r in rows if r["manager"]]
    leader = [r["hostname"] for r in managers if r["leader"]]
    expiry = (spec.get("CAConfig") or {}).get("NodeCertExpiry") or 0
    return {
        "id": swarm.get("ID", ""),
        "created_at": swarm.get("CreatedAt", ""),
        "autolock": bool((spec.get("EncryptionConfig") or {}).get("AutoLockManagers")),
        "root_rotation_in_progress": bool(swarm.get("RootRotationInProgress")),
        "ca": ca,
        "node_cert_lifetime_days": round(expiry / 1e9 / 86400.0, 1) if expiry else None,
        "ca_force_rotate": (spec.get("CAConfig") or {}).get("ForceRotate", 0),
        "nodes": len(rows),
        "managers": len(managers),
        "workers": len(rows) - len(managers),
        "reachable_managers": sum(1 for r in managers if r["reachability"] == "reachable"),
        "quorum": len(managers) // 2 + 1 if managers else 0,
        "tolerance": (len(managers) - 1) // 2 if managers else 0,
        "leader": leader[0] if leader else "",
    }


def service_rows(services, tasks, rows):
    """Each service with its desired replicas and its running tasks per node (hostname)."""
    names = dict((r["id"], r["hostname"] or r["id"]) for r in rows)
    out = []
    for s in services:
        spec = s.get("Spec") or {}
        mode = spec.get("Mode") or {}
        per = {}
        for t in tasks:
            if t.get("ServiceID") == s.get("ID") and (t.get("Status") or {}).get("State") == "running":
                host = names.get(t.get("NodeID"), t.get("NodeID", "?"))
                per[host] = per.get(host, 0) + 1
        out.append({
            "name": spec.get("Name", s.get("ID", "")),
            "mode": "global" if "Global" in mode else "replicated",
            "replicas": None if "Global" in mode else (mode.get("Replicated") or {}).get("Replicas", 0),
            "running": sum(per.values()),
            "tasks_by_node": dict(sorted(per.items())),
        })
    out.sort(key=lambda s: s["name"])
    return out


def build_report(nodes, swarm, services=(), tasks=(), hosts=(), local_cert="", local_node_id="",
                 now=None, threshold_days=14, expected_engine="", via=""):
    """The whole report as plain data (what the JSON file holds)."""
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    swarm = dict(swarm or {})
    swarm.pop("JoinTokens", None)
    rows = node_rows(nodes, swarm, tasks, services, hosts, local_cert, local_node_id, now,
                     threshold_days, expected_engine)
    info = swarm_summary(swarm, rows, now)
    for row in rows:
        if row["certificate"] is None and row["state"] != "down":
            row["certificate_note"] = "not read: the host did not hand in its swarm-node.crt"
    return {
        "checked_at": iso(now),
        "via": via,
        "swarm": info,
        "thresholds": {"cert_expiry_warning_days": threshold_days, "expected_engine_version": expected_engine},
        "nodes": rows,
        "services": service_rows(services, tasks, rows),
        "warnings": cluster_warnings(rows, info, threshold_days),
    }


# --------------------------------------------------------------------------- 6. CA rotation


def rotation_blockers(nodes):
    """Nodes that keep a root CA rotation from finishing: "hostname (state)" of each node not Ready.

    swarmkit reports RootRotationInProgress until every node it lists, Down ones included,
    has a certificate from the new root (seen on Docker 26.1.5: with a worker Down the
    rotation stayed in progress until it came back). So a rotation is started only when
    every node is Ready; a node that will not come back is removed first.
    """
    out = []
    for n in nodes:
        state = (n.get("Status") or {}).get("State", "")
        if state != "ready":
            out.append("%s (%s)" % ((n.get("Description") or {}).get("Hostname") or n.get("ID", ""), state or "unknown"))
    return sorted(out)


def rotation_progress(swarm, nodes, old_root=""):
    """Is a root CA rotation over? (done, detail dict).

    Done when the swarm no longer reports RootRotationInProgress, its TrustRoot differs from
    `old_root` (the one before the rotation; skipped when empty) and every node reports the
    swarm's TLSInfo (trust root and issuer), i.e. `docker node ls` shows TLS STATUS Ready
    everywhere. Nodes not Ready are listed in `down` (see rotation_blockers).
    """
    swarm = swarm or {}
    tls = swarm.get("TLSInfo") or {}
    root = tls.get("TrustRoot", "")
    waiting, down = [], []
    for n in nodes:
        name = (n.get("Description") or {}).get("Hostname") or n.get("ID", "")
        if (n.get("Status") or {}).get("State", "") != "ready":
            down.append(name)
        if tls_status((n.get("Description") or {}).get("TLSInfo"), tls) != TLS_READY:
            waiting.append(name)
    in_progress = bool(swarm.get("RootRotationInProgress"))
    new_root = bool(root) and (not old_root or root.strip() != old_root.strip())
    done = not in_progress and new_root and not waiting
    if done:
        reason = "every node has the new root CA %s" % fingerprint(root)
    elif in_progress:
        reason = "rotation in progress; nodes without the new root: %s" % (", ".join(sorted(waiting)) or "none")
    elif not new_root:
        reason = "the swarm still reports the old root CA"
    else:
        reason = "nodes without the new root: %s" % ", ".join(sorted(waiting))
    if down:
        reason += " (not Ready: %s)" % ", ".join(sorted(down))
    return done, {"done": done, "in_progress": in_progress, "trust_root": fingerprint(root),
                  "waiting": sorted(waiting), "down": sorted(down), "reason": reason}


# --------------------------------------------------------------------------- 7. rendering


def visible_labels(labels):
    """Labels to show (the owner bookkeeping label is left to the JSON)."""
    return dict((k, v) for k, v in sorted((labels or {}).items()) if k != OWNER_LABEL)


def _cert_text(row):
    cert = row.get("certificate")
    if not cert:
        return "unknown"
    return "%s (%sd)" % (cert["not_after"][:10], cert["days_left"])


TABLE_COLUMNS = (
    ("NODE", lambda r: r["hostname"]),
    ("ROLE", lambda r: r["role"]),
    ("LEADER", lambda r: "leader" if r["leader"] else (r["reachability"] if r["manager"] else "")),
    ("AVAIL", lambda r: r["availability"]),
    ("STATE", lambda r: r["state"]),
    ("LABELS", lambda r: ",".join("%s=%s" % kv for kv in visible_labels(r["labels"]).items()) or "-"),
    ("ENGINE", lambda r: r["engine_version"]),
    ("TLS", lambda r: r["tls_status"]),
    ("CERT EXPIRY", _cert_text),
    ("UNLOCK", lambda r: r["unlock"]),
)


def render_table(report):
    """The node table as text lines (fixed-width columns), then the warnings."""
    cells = [[c[0] for c in TABLE_COLUMNS]]
    cells += [[str(fn(r)) for _h, fn in TABLE_COLUMNS] for r in report["nodes"]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(TABLE_COLUMNS))]
    lines = ["  ".join(v.ljust(widths[i]) for i, v in enumerate(row)).rstrip() for row in cells]
    sw = report["swarm"]
    lines.append("swarm %s: %d managers (quorum %d, tolerates %d), %d workers; leader %s; autolock %s; root CA %s "
                 "valid until %s%s" % (sw["id"], sw["managers"], sw["quorum"], sw["tolerance"], sw["workers"],
                                       sw["leader"] or "none", "on" if sw["autolock"] else "off", sw["ca"]["fingerprint"],
                                       sw["ca"]["not_after"] or "?",
                                       "; ROOT ROTATION IN PROGRESS" if sw["root_rotation_in_progress"] else ""))
    lines.extend("WARNING: " + w for w in report["warnings"])
    if not report["warnings"]:
        lines.append("no warnings")
    return lines


def _md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report):
    sw = report["swarm"]
    out = ["# Swarm status", "",
           "Swarm `%s`, checked at %s through %s." % (sw["id"], report["checked_at"], report["via"] or "a manager"), "",
           "- Managers: %d (quorum %d, tolerates %d failure%s), reachable %d; leader: %s"
           % (sw["managers"], sw["quorum"], sw["tolerance"], "" if sw["tolerance"] == 1 else "s",
              sw["reachable_managers"], sw["leader"] or "none"),
           "- Workers: %d" % sw["workers"],
           "- Autolock: %s" % ("on" if sw["autolock"] else "off"),
           "- Root CA: %s, valid until %s%s" % (
               sw["ca"]["fingerprint"] or "unknown", sw["ca"]["not_after"] or "unknown",
               " (rotation in progress)" if sw["root_rotation_in_progress"] else ""),
           "- Node certificate lifetime: %s days" % (sw["node_cert_lifetime_days"] or "unknown"),
           "", "## Warnings", ""]
    out += ["- " + _md(w) for w in report["warnings"]] or ["None."]
    out += ["", "## Nodes", "",
            "| " + " | ".join(h for h, _fn in TABLE_COLUMNS) + " |",
            "|" + "---|" * len(TABLE_COLUMNS)]
    out += ["| " + " | ".join(_md(fn(r)) for _h, fn in TABLE_COLUMNS) + " |" for r in report["nodes"]]
    out += ["", "## Services", ""]
    if report["services"]:
        out += ["| service | mode | desired | running | tasks per node |", "|---|---|---|---|---|"]
        out += ["| %s | %s | %s | %d | %s |" % (
            _md(s["name"]), s["mode"], "-" if s["replicas"] is None else s["replicas"], s["running"],
            _md(", ".join("%s: %d" % kv for kv in s["tasks_by_node"].items()) or "-"))
            for s in report["services"]]
    else:
        out.append("None.")
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}
.summary li{margin:.2em 0}.warnings li{color:#a40000}
.group{display:flex;flex-wrap:wrap;gap:1em}
.node{border:2px solid #3b6ea5;border-radius:6px;padding:.6em .8em;min-width:15em;background:#fff}
.node.worker{border-color:#5a8f3c}.node.down{border-color:#a40000;background:#fff0f0}
.node h3{margin:0 0 .3em 0;font-size:1em;display:flex;align-items:center;gap:.4em}
.badge{font-size:.75em;border-radius:3px;padding:0 .3em;background:#3b6ea5;color:#fff}
.badge.leader{background:#b8860b}.node dl{margin:0;display:grid;grid-template-columns:auto auto;gap:0 .6em;font-size:.85em}
.node dt{color:#666}.node dd{margin:0}.node ul{margin:.3em 0 0 0;padding-left:1.1em;font-size:.85em}
.node .warn{color:#a40000}.node.has-warnings{border-left-width:6px;border-left-color:#d9822b}
.node .sub{margin:.4em 0 0 0;font-size:.75em;color:#666;text-transform:uppercase}
.badge.worker{background:#5a8f3c}.node{max-width:24em}table{border-collapse:collapse;font-size:.85em}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}
"""


def _h(text):
    return _html_escape(str(text), quote=True)


def _dot(state):
    color = {"ready": "#2e7d32", "down": "#a40000"}.get(state, "#b8860b")
    return ('<svg width="10" height="10" viewBox="0 0 10 10" aria-hidden="true">'
            '<circle cx="5" cy="5" r="4.5" fill="%s"/></svg>' % color)


def _node_box(row):
    role = "manager" if row["manager"] else "worker"
    classes = "node %s%s%s" % (role, " down" if row["state"] == "down" else "", " has-warnings" if row["warnings"] else "")
    head = "%s <span class=\"name\">%s</span> <span class=\"badge %s\">%s</span>" % (
        _dot(row["state"]), _h(row["hostname"]), role, role)
    if row["leader"]:
        head += " <span class=\"badge leader\">leader</span>"
    facts = [("state", row["state"]), ("availability", row["availability"]),
             ("reachability", row["reachability"] or "-"), ("engine", row["engine_version"]),
             ("TLS", row["tls_status"]), ("certificate", _cert_text(row)), ("unlock", row["unlock"]),
             ("node ID", row["id"])]
    parts = ['<div class="%s" data-node-id="%s" data-hostname="%s" data-role="%s" data-leader="%s" '
             'data-state="%s" data-availability="%s" data-tls="%s">'
             % (classes, _h(row["id"]), _h(row["hostname"]), role, "true" if row["leader"] else "false",
                _h(row["state"]), _h(row["availability"]), _h(row["tls_status"])),
             "<h3>%s</h3>" % head, "<dl>"]
    parts += ["<dt>%s</dt><dd class=\"f-%s\">%s</dd>" % (_h(k), _h(k.replace(" ", "-").lower()), _h(v)) for k, v in facts]
    parts.append("</dl>")
    labels = visible_labels(row["labels"])
    parts.append('<p class="sub">labels</p><ul class="labels">%s</ul>' % ("".join(
        '<li data-label="%s">%s=%s</li>' % (_h(k), _h(k), _h(v)) for k, v in labels.items()) or "<li>none</li>"))
    parts.append('<p class="sub">running tasks</p><ul class="tasks">%s</ul>' % ("".join(
        '<li data-service="%s">%s: %d</li>' % (_h(k), _h(k), v) for k, v in row["tasks"].items()) or "<li>none</li>"))
    if row["warnings"]:
        parts.append('<p class="sub">warnings</p><ul class="warnings">%s</ul>' % "".join(
            '<li class="warn">%s</li>' % _h(w) for w in row["warnings"]))
    parts.append("</div>")
    return "".join(parts)


def render_html(report):
    """One self-contained page: inline CSS and SVG, no script, no external reference."""
    sw = report["swarm"]
    managers = [r for r in report["nodes"] if r["manager"]]
    workers = [r for r in report["nodes"] if not r["manager"]]
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
           "<title>Swarm status %s</title><style>%s</style></head><body>" % (_h(sw["id"]), _CSS),
           "<h1>Swarm status</h1>",
           '<ul class="summary" data-swarm-id="%s" data-managers="%d" data-workers="%d" data-warnings="%d">'
           % (_h(sw["id"]), sw["managers"], sw["workers"], len(report["warnings"])),
           "<li>Swarm %s, checked at %s through %s</li>"
           % (_h(sw["id"]), _h(report["checked_at"]), _h(report["via"] or "a manager")),
           "<li>%d managers (quorum %d, tolerates %d), %d reachable; leader %s</li>"
           % (sw["managers"], sw["quorum"], sw["tolerance"], sw["reachable_managers"], _h(sw["leader"] or "none")),
           "<li>Workers: %d</li>" % sw["workers"],
           "<li>Autolock %s</li>" % ("on" if sw["autolock"] else "off"),
           "<li>Root CA %s valid until %s%s</li>"
           % (_h(sw["ca"]["fingerprint"] or "unknown"), _h(sw["ca"]["not_after"] or "unknown"),
              " (rotation in progress)" if sw["root_rotation_in_progress"] else ""),
           "</ul>", "<h2>Warnings</h2>"]
    if report["warnings"]:
        out.append('<ul class="warnings">%s</ul>' % "".join("<li>%s</li>" % _h(w) for w in report["warnings"]))
    else:
        out.append('<p class="warnings">None.</p>')
    out.append('<h2>Managers</h2><div class="group managers">%s</div>' % "".join(_node_box(r) for r in managers))
    out.append('<h2>Workers</h2><div class="group workers">%s</div>' % (
        "".join(_node_box(r) for r in workers) or "<p>None.</p>"))
    out.append("<h2>Services</h2>")
    if report["services"]:
        out.append("<table><tr><th>service</th><th>mode</th><th>desired</th><th>running</th><th>tasks per node</th></tr>")
        for s in report["services"]:
            out.append('<tr data-service="%s"><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%s</td></tr>' % (
                _h(s["name"]), _h(s["name"]), s["mode"], "-" if s["replicas"] is None else s["replicas"], s["running"],
                _h(", ".join("%s: %d" % kv for kv in s["tasks_by_node"].items()) or "-")))
        out.append("</table>")
    else:
        out.append("<p>None.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
