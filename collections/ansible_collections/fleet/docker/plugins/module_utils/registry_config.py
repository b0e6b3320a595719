# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role docker_registry's decisions as pure functions (no Ansible, no I/O).

The role hands its variables over as one dict (vars/main.yml `__docker_registry_inputs`,
keys without the `docker_registry_` prefix) through plugins/filter/registry.py:

  input_errors(inputs)       every input problem, one message each (tasks/preflight.yml)
  exposures(inputs)          what an insecure registry exposes (refused unless allow_insecure)
  registry_plan(inputs, to_yaml)   config.yml (rendered by the given YAML dumper: the
                             filter passes Ansible's to_nice_yaml), the files of the config
                             directory, the container spec and its hash, the record, what
                             fleet.docker.container_state compares
  pending_writes(plan, state)      what the full path writes / removes after that check

The values are what the role's Jinja computed before (same strings, same order), so the
files, hashes and messages on a converged host do not change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re

from collections.abc import Mapping
from urllib.parse import quote_from_bytes

# Where the container finds its data.
DATA_DIR = "/var/lib/registry"
HEADER = "Managed by Ansible (role docker_registry): edits here are overwritten."
# Keys of a distribution endpoint, in the order the error message lists them.
ENDPOINT_KEYS = ("name", "disabled", "url", "headers", "timeout", "threshold", "backoff", "ignoredmediatypes", "ignore")
ENDPOINT_IGNORE_KEYS = ("mediatypes", "actions")
BCRYPT_RE = r"^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$"
LOOPBACK_RE = r"^(127[.][0-9.]+|::1|\[::1\]|localhost)$"
JENKINS_URL_RE = r"^https?://[^/?#\s]+(/[^?#\s]*)?$"
ENDPOINT_URL_RE = r"^https?://[^/?#\s]+"
# URL userinfo or a query: a secret distribution prints at info/debug level.
URL_SECRET_RE = r"(://[^/]*@|[?])"
FILE_OWNER = {"owner": "root", "group": "root"}
# Between the parts of applied.sha256's hash: a backslash and an n (see applied_text).
RECORD_SEPARATOR = "\\n"


# --- Jinja's semantics, where the role's inputs may be loosely typed ------------------------
def to_int(value, default=0):
    """Jinja's `int` filter: "5" -> 5, "42.23" -> 42, anything else -> default."""
    try:
        if isinstance(value, str):
            return int(value, 10)
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return default


def _text(value):
    """Jinja's `~` and `string`: str() of anything."""
    return value if isinstance(value, str) else str(value)


def _is_sequence(value):
    """Jinja's `sequence` test (strings and dicts are sequences too)."""
    try:
        len(value)
    except TypeError:
        return False
    return hasattr(value, "__getitem__")


def _match(pattern, value):
    return re.match(pattern, _text(value)) is not None


def _search(pattern, value):
    return re.search(pattern, _text(value)) is not None


def url_quote(value):
    """Jinja's url_quote(for_qs=True), as its `urlencode` filter quotes query values."""
    return quote_from_bytes(_text(value).encode("utf-8"), b"").replace("%20", "+")


def merge_hash(low, high):
    """Ansible's combine(recursive=true) of two dicts: dicts merge, anything else is replaced."""
    if low == {} or low == high:
        return dict(high)
    if high == {}:
        return low
    out = dict(low)
    for key, value in high.items():
        if key in out and isinstance(out[key], Mapping) and isinstance(value, Mapping):
            out[key] = merge_hash(out[key], value)
        else:
            out[key] = value
    return out


def combine(*dicts):
    """combine(d1, d2, ..., recursive=true): the last wins, merged as Ansible's filter does."""
    result = dicts[-1]
    for low in reversed(dicts[:-1]):
        result = merge_hash(low, result)
    return result


def sha256(text):
    return hashlib.sha256(_text(text).encode("utf-8", "surrogateescape")).hexdigest()


# --- Features ---------------------------------------------------------------------------
def tls_on(inputs):
    return len(inputs["tls_cert"]) > 0


def auth_on(inputs):
    return len(inputs["htpasswd_users"]) > 0


def scheme(inputs):
    return "https" if tls_on(inputs) else "http"


def local_address(inputs):
    """The address the registry answers on, seen from its own host (the readiness check)."""
    bind = inputs["bind_address"]
    return "127.0.0.1" if bind in ("0.0.0.0", "::", "") else bind


def loopback(inputs):
    return _match(LOOPBACK_RE, inputs["bind_address"])


# --- Jenkins endpoint -------------------------------------------------------------------
# generic-webhook: <url>/generic-webhook-trigger/invoke with the token in an
# `Authorization: Bearer` header (only in config.yml, 0600, never in a URL).
# build-token-root: the token can only be in the query string (the plugin reads
# req.getParameter("token")), so every URL the registry logs carries it.
def _gwt(inputs):
    return inputs["jenkins_trigger"] == "generic-webhook"


def jenkins_inputs(inputs):
    """{variable: value} of the settings the chosen trigger needs."""
    out = {"docker_registry_jenkins_url": inputs["jenkins_url"], "docker_registry_jenkins_token": inputs["jenkins_token"]}
    if not _gwt(inputs):
        out["docker_registry_jenkins_job"] = inputs["jenkins_job"]
    return out


def jenkins_missing(inputs):
    return sorted(k for k, v in jenkins_inputs(inputs).items() if not v)


def jenkins_enabled(inputs):
    """On as soon as one of its settings is set (the checks then want all of them)."""
    return len(jenkins_missing(inputs)) < len(jenkins_inputs(inputs))


def jenkins_endpoint(inputs):
    base = re.sub("/+$", "", _text(inputs["jenkins_url"]))
    token = inputs["jenkins_token"]
    if _gwt(inputs):
        url = base + "/generic-webhook-trigger/invoke"
    else:
        # query values percent-encoded (`folder/job` -> `folder%2Fjob`, as Jenkins decodes them)
        url = base + "/buildByToken/build?" + "&".join(
            "%s=%s" % (url_quote(k), url_quote(v)) for k, v in (("job", inputs["jenkins_job"]), ("token", token)))
    endpoint = {
        "name": "jenkins",
        "url": url,
        "timeout": inputs["jenkins_timeout"],
        "threshold": to_int(inputs["jenkins_threshold"]),
        "backoff": inputs["jenkins_backoff"],
        "ignore": {"mediatypes": inputs["jenkins_ignored_mediatypes"], "actions": inputs["jenkins_ignored_actions"]},
    }
    if _gwt(inputs):
        endpoint["headers"] = {"Authorization": ["Bearer " + _text(token)]}
    return endpoint


def endpoints(inputs):
    """The notification endpoints as given, then the Jenkins one when it is on."""
    return list(inputs["notification_endpoints"]) + ([jenkins_endpoint(inputs)] if jenkins_enabled(inputs) else [])


# --- config.yml -------------------------------------------------------------------------
def registry_config(inputs):
    """config.yml as data: the base, TLS, auth and notifications when on, the overrides last."""
    mount = inputs["config_mount"]
    base = {
        "version": "0.1",
        "log": {"level": inputs["log_level"], "fields": {"service": "registry"}},
        "storage": {
            "filesystem": {"rootdirectory": DATA_DIR},
            "delete": {"enabled": inputs["storage_delete_enabled"]},
            "cache": {"blobdescriptor": "inmemory"},
        },
        "http": {"addr": ":5000", "headers": {"X-Content-Type-Options": ["nosniff"]}},
        "health": {"storagedriver": {"enabled": True, "interval": "10s", "threshold": 3}},
    }
    tls = {"http": {"tls": {"certificate": _text(mount) + "/tls.crt", "key": _text(mount) + "/tls.key"}}}
    auth = {"auth": {"htpasswd": {"realm": inputs["auth_realm"], "path": _text(mount) + "/htpasswd"}}}
    eps = endpoints(inputs)
    notifications = {"endpoints": eps}
    if inputs["notification_events"]:
        notifications["events"] = inputs["notification_events"]
    return combine(base, tls if tls_on(inputs) else {}, auth if auth_on(inputs) else {},
                   {"notifications": notifications} if eps else {}, inputs["config_overrides"])


def config_text(config_yaml):
    """The file: the managed-by comment (Ansible's `comment` filter), then the YAML."""
    return "#\n# " + HEADER + "\n#\n" + config_yaml


def htpasswd_text(users):
    return "".join("%s:%s\n" % (_text(user["name"]), _text(user["password_hash"])) for user in users)


def registry_files(inputs, text):
    """The files of the config directory, TLS and htpasswd enabled only with their feature."""
    return [
        {"name": "config.yml", "enabled": True, "content": text, "mode": "0600"},  # it holds the Jenkins token
        {"name": "tls.crt", "enabled": tls_on(inputs), "content": _text(inputs["tls_cert"]).strip() + "\n", "mode": "0644"},
        {"name": "tls.key", "enabled": tls_on(inputs), "content": _text(inputs["tls_key"]).strip() + "\n", "mode": "0600"},
        {"name": "htpasswd", "enabled": auth_on(inputs), "content": htpasswd_text(inputs["htpasswd_users"]), "mode": "0600"},
    ]


# --- The container ----------------------------------------------------------------------
def container_spec(inputs):
    """EVERY parameter tasks/container.yml passes to docker_container, except the label (the
    hash of this dict). Nothing secret is in it: the label may be seen by `docker inspect`."""
    return {
        "name": inputs["container_name"],
        "image": inputs["image"],
        "pull": "missing",
        "state": "started",
        "restart_policy": inputs["restart_policy"],
        "published_ports": ["%s:%d:5000" % (_text(inputs["bind_address"]), to_int(inputs["port"]))],
        "volumes": ["%s:%s" % (_text(inputs["storage"]), DATA_DIR),
                    "%s:%s:ro" % (_text(inputs["config_dir"]), _text(inputs["config_mount"]))],
    }


def spec_hash(spec):
    """sha256 of the spec as `to_json(sort_keys=true)` writes it (the container's label)."""
    return sha256(json.dumps(spec, sort_keys=True))


def applied_path(inputs):
    """The root-only record of what the running container was started with."""
    return _text(inputs["config_dir"]) + "/applied.sha256"


def applied_text(spec_sha256, files):
    """applied.sha256's content: a hash over the spec's hash and every enabled file (secrets
    included, so it is kept in a 0600 file, not in a label). The parts are joined with a
    backslash and an n (two characters), as the role's Jinja always joined them: another
    separator would change every record, and re-create every registry once."""
    return sha256(RECORD_SEPARATOR.join([spec_sha256] + [f["content"] for f in files if f["enabled"]]))


def dir_entry(inputs):
    return dict({"path": inputs["config_dir"], "state": "directory", "mode": "0755"}, **FILE_OWNER)


def state_files(config_dir, files, record_path, record_text):
    """{path: wanted state} for fleet.docker.container_state: the directory, the enabled files
    by the sha256 of their content (never the content), the disabled ones absent, the record."""
    out = {config_dir: dict({"state": "directory", "mode": "0755"}, **FILE_OWNER)}
    for f in files:
        path = _text(config_dir) + "/" + f["name"]
        if f["enabled"]:
            out[path] = dict({"sha256": sha256(f["content"]), "mode": f["mode"]}, **FILE_OWNER)
        else:
            out[path] = {"state": "absent"}
    out[record_path] = dict({"sha256": sha256(record_text), "mode": "0600"}, **FILE_OWNER)
    return out


def _seen(state, path):
    files = (state or {}).get("files") or {}
    seen = files.get(path) if isinstance(files, Mapping) else None
    return seen if isinstance(seen, Mapping) else {}


def applied_in_sync(state, record_path):
    """Whether the running container was started with the files the role writes now (a check
    that could not tell counts as "not")."""
    return bool(_seen(state, record_path).get("in_sync", False))


def pending_writes(plan, state):
    """After the check (`state`: fleet.docker.container_state's result, {} when unknown):
    files - the enabled files it did not find in sync, as fleet.docker.files entries;
    finish - the record when it is not in sync, then the disabled files it did not find absent
    (a check that could not tell counts as "not");
    applied_in_sync - see applied_in_sync()."""
    config_dir, record_path, record_text = plan["config_dir"], plan["applied_path"], plan["applied_text"]
    writes, removals = [], []
    for f in plan["files"]:
        path = _text(config_dir) + "/" + f["name"]
        seen = _seen(state, path)
        if f["enabled"]:
            if not seen.get("in_sync", False):
                writes.append(dict({"path": path, "content": f["content"], "mode": f["mode"]}, **FILE_OWNER))
        elif seen.get("exists") is not False:
            removals.append({"path": path, "state": "absent"})
    in_sync = applied_in_sync(state, record_path)
    finish = [] if in_sync else [dict({"path": record_path, "content": record_text, "mode": "0600"}, **FILE_OWNER)]
    return {"files": writes, "finish": finish + removals, "applied_in_sync": in_sync}


def registry_plan(inputs, to_yaml):
    """Everything the role writes and runs, from its inputs (checked by input_errors first).
    to_yaml(data) -> text renders config.yml (Ansible's to_nice_yaml(indent=2, width=4096))."""
    config = registry_config(inputs)
    text = config_text(to_yaml(config))
    files = registry_files(inputs, text)
    spec = container_spec(inputs)
    spec_sha256 = spec_hash(spec)
    record_path = applied_path(inputs)
    record_text = applied_text(spec_sha256, files)
    return {
        "tls": tls_on(inputs),
        "auth": auth_on(inputs),
        "scheme": scheme(inputs),
        "local_address": local_address(inputs),
        "config_dir": inputs["config_dir"],
        "config": config,
        "config_text": text,
        "files": files,
        "container_spec": spec,
        "spec_hash": spec_sha256,
        "applied_path": record_path,
        "applied_text": record_text,
        "dir_entry": dir_entry(inputs),
        "state_files": state_files(inputs["config_dir"], files, record_path, record_text),
    }


# --- Exposure (refused unless docker_registry_allow_insecure) ---------------------------
def endpoint_secrets(inputs):
    """Secrets the registry would print at start at info/debug level ("configuring endpoint
    <name> (<url>) ... headers=<headers>"): Jenkins, endpoint headers, URL userinfo or query."""
    eps = [ep for ep in inputs["notification_endpoints"] if isinstance(ep, Mapping)]
    return (jenkins_enabled(inputs)
            or any("headers" in ep for ep in eps)
            or any(_search(URL_SECRET_RE, ep["url"]) for ep in eps if "url" in ep))


def exposures(inputs):
    found = []
    tls, auth = tls_on(inputs), auth_on(inputs)
    if jenkins_enabled(inputs) and not (tls and auth) and not loopback(inputs):
        missing = (["TLS"] if not tls else []) + (["htpasswd auth"] if not auth else [])
        found.append("the registry triggers a Jenkins job on every push but has no " + " and ".join(missing)
                     + " and listens on " + _text(inputs["bind_address"]) + ":" + _text(inputs["port"])
                     + ": anyone who reaches it can push images and start deployments (set docker_registry_tls_cert/_tls_key"
                     " and docker_registry_htpasswd_users, see inventory/example, or bind it to loopback with"
                     " docker_registry_bind_address)")
    if inputs["log_level"] in ("info", "debug") and endpoint_secrets(inputs):
        found.append("docker_registry_log_level " + _text(inputs["log_level"]) + " makes the registry log"
                     " every notification endpoint with its URL and headers at start (the Jenkins token"
                     " and endpoint credentials end up in `docker logs`; use warn or error)")
    return found


# --- Input checks (tasks/preflight.yml fails with every message) ------------------------
def _port_errors(inputs):
    port = _text(inputs["port"])
    if not (_match("^[0-9]+$", port) and 1 <= to_int(port) <= 65535):
        return ["docker_registry_port must be a port number (1-65535), got " + port]
    return []


def _storage_errors(inputs):
    storage = inputs["storage"]
    if not storage:
        return ["docker_registry_storage must be a volume name or an absolute path, got an empty value"]
    if "/" in storage and not storage.startswith("/"):
        return ["docker_registry_storage must be a volume name or an absolute path, got " + storage]
    return []


def _jenkins_errors(inputs):
    if not jenkins_enabled(inputs):
        return []
    errors = []
    missing = jenkins_missing(inputs)
    if missing:
        errors.append("the Jenkins notification (docker_registry_jenkins_trigger " + _text(inputs["jenkins_trigger"])
                      + ") needs " + ", ".join(sorted(jenkins_inputs(inputs))) + " all set; empty: " + ", ".join(missing))
    url, job = inputs["jenkins_url"], inputs["jenkins_job"]
    if url and not _match(JENKINS_URL_RE, url):
        errors.append("docker_registry_jenkins_url must be an http:// or https:// URL without query"
                      " or fragment (e.g. https://jenkins.example.com), got " + _text(url))
    if job and (job.startswith("/") or job.endswith("/")):
        errors.append("docker_registry_jenkins_job must be a job name or folder/job, without leading"
                      " or trailing /, got " + job)
    if inputs["jenkins_ignored_actions"] and not inputs["jenkins_ignored_mediatypes"]:
        errors.append("docker_registry_jenkins_ignored_mediatypes must not be empty while"
                      " docker_registry_jenkins_ignored_actions is set: distribution 2.x ignores"
                      " ignore.actions without ignore.mediatypes (distribution#2916)")
    return errors


def _headers_ok(headers):
    return (isinstance(headers, Mapping)
            and all(_is_sequence(v) for v in headers.values())
            and not any(isinstance(v, str) for v in headers.values()))


def _endpoint_errors(inputs):
    errors, names = [], []
    jenkins = jenkins_enabled(inputs)
    for index, ep in enumerate(inputs["notification_endpoints"]):
        where = "docker_registry_notification_endpoints[%d]" % index
        if not isinstance(ep, Mapping):
            errors.append(where + " must be a dict (a distribution endpoint)")
            continue
        if "name" in ep:
            where += " (" + _text(ep["name"]) + ")"
        # in the endpoint's own key order (the old Jinja listed them in set order)
        unknown = [k for k in ep if k not in ENDPOINT_KEYS]
        if unknown:
            errors.append(where + ": unknown key(s) " + ", ".join(_text(k) for k in unknown)
                          + "; known: " + ", ".join(ENDPOINT_KEYS))
        name = ep.get("name")
        if not isinstance(name, str) or not name:
            errors.append(where + ": name is required")
        elif name in names or (name == "jenkins" and jenkins):
            errors.append(where + ": the name " + name + " is used twice"
                          " (the endpoint built from docker_registry_jenkins_* is named jenkins)")
        else:
            names.append(name)
        url = ep.get("url")
        if not isinstance(url, str) or not _match(ENDPOINT_URL_RE, url):
            errors.append(where + ": url is required and must be an http:// or https:// URL")
        if "headers" in ep and not _headers_ok(ep["headers"]):
            errors.append(where + ": headers must be a dict of lists of strings, e.g. {Authorization: [Bearer xyz]}")
        if "ignore" in ep:
            ignore = ep["ignore"]
            if not isinstance(ignore, Mapping) or [k for k in ignore if k not in ENDPOINT_IGNORE_KEYS]:
                errors.append(where + ": ignore must be a dict with mediatypes and/or actions")
            elif ignore.get("actions", []) and not ignore.get("mediatypes", []) and not ep.get("ignoredmediatypes", []):
                errors.append(where + ": ignore.actions is ignored by distribution 2.x unless a media type"
                              " is ignored too (distribution#2916); add ignore.mediatypes,"
                              " e.g. [application/octet-stream]")
    return errors


def _tls_errors(inputs):
    errors = []
    tls, cert, key = tls_on(inputs), inputs["tls_cert"], inputs["tls_key"]
    if tls and not key:
        errors.append("docker_registry_tls_key is empty while docker_registry_tls_cert is set (TLS needs both)")
    elif tls and "PRIVATE KEY-----" not in key:
        errors.append("docker_registry_tls_key is not a PEM private key")
    elif key and not tls:
        errors.append("docker_registry_tls_cert is empty while docker_registry_tls_key is set (TLS needs both)")
    if tls and "-----BEGIN CERTIFICATE-----" not in cert:
        errors.append("docker_registry_tls_cert is not a PEM certificate")
    return errors


def _htpasswd_errors(inputs):
    errors = []
    for index, user in enumerate(inputs["htpasswd_users"]):
        where = "docker_registry_htpasswd_users[%d]" % index
        if not isinstance(user, Mapping) or "name" not in user or "password_hash" not in user:
            errors.append(where + " must be a dict with name and password_hash")
        elif not user["name"] or ":" in user["name"] or _search(r"\s", user["name"]):
            errors.append(where + ": name must be non-empty, without : or spaces")
        elif not _match(BCRYPT_RE, user["password_hash"]):
            errors.append(where + " (" + _text(user["name"]) + "): password_hash is not a bcrypt hash"
                          " ($2y$/$2b$/$2a$...); the registry accepts bcrypt only (htpasswd -nbB NAME PASSWORD)")
    return errors


def input_errors(inputs):
    """Every problem with the role's inputs, one message each, in a fixed order: port, storage,
    Jenkins, endpoints, TLS, htpasswd, then the refusal of an exposed registry."""
    errors = (_port_errors(inputs) + _storage_errors(inputs) + _jenkins_errors(inputs) + _endpoint_errors(inputs)
              + _tls_errors(inputs) + _htpasswd_errors(inputs))
    found = exposures(inputs)
    if found and not inputs["allow_insecure"]:
        errors.append("refusing an exposed registry: " + "; ".join(found)
                      + "; or accept this with docker_registry_allow_insecure: true")
    return errors
