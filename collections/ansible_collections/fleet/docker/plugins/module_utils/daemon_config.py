# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic behind fleet.docker.daemon_json and fleet.docker.daemon_apply.

Everything here is a plain function over plain data (no I/O) so it can be unit
tested without a host: normalisation of the managed keys, type checks, parsing of
the systemd unit's dockerd flags, the merge that keeps keys the modules do not
own, reload-versus-restart classification, and the small state files kept next
to daemon.json (the list of managed keys and the "pending" marker).

Sources for the rules are in the project's facts.md (moby daemon/config,
daemon/reload.go, dockerd.md "Configuration reload behavior").
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import os
import re
import shlex

# --------------------------------------------------------------------------- constants

# Keys dockerd applies on SIGHUP (facts.md; moby daemon/reload.go). reload.go only
# touches a key when it is present in the file (IsValueSet), so REMOVING one of these
# keys is not applied by a reload: removals always need a restart.
RELOADABLE_KEYS = frozenset([
    "debug",
    "labels",
    "live-restore",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
    "max-download-attempts",
    "default-runtime",
    "runtimes",
    "authorization-plugin",
    "authorization-plugins",
    "insecure-registries",
    "registry-mirrors",
    "shutdown-timeout",
])
# `features` is accepted on reload, but some features (containerd-snapshotter, cdi) are
# read only at start (facts.md, "Reload is not always safe"): a change needs a restart.

#: Keys whose reload can kill dockerd some seconds later (a plugin that does not answer:
#: dockerd retries it for ~15 s, then exits and crash-loops). Their reloads go one host at
#: a time, each waited out and checked to keep its PID (planner.restart_plan).
PLUGIN_KEYS = ("authorization-plugins", "authorization-plugin")

#: Where dockerd discovers legacy plugins (socket or spec files), as in moby pkg/plugins.
PLUGIN_DIRS = ("/run/docker/plugins", "/etc/docker/plugins", "/usr/lib/docker/plugins")
PLUGIN_FILE_SUFFIXES = (".sock", ".spec", ".json")
AUTHZ_INTERFACE = "docker.authz/1.0"

ACTIONS = ("none", "reload", "restart")

# Log drivers built into dockerd (used when the engine does not answer /info).
BUILTIN_LOG_DRIVERS = (
    "awslogs", "etwlogs", "fluentd", "gcplogs", "gelf", "journald", "json-file",
    "local", "logentries", "none", "splunk", "syslog",
)

LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")

SWARM_STATES_WITH_STATE = ("active", "pending", "locked", "error")

# JSON types of the common daemon.json keys (dockerd.md "Daemon configuration file").
_BOOL_KEYS = (
    "debug", "experimental", "icc", "init", "ip-forward", "ip-masq", "ip6tables", "iptables",
    "ipv6", "live-restore", "no-new-privileges", "raw-logs", "selinux-enabled", "tls",
    "tlsverify", "userland-proxy",
)
_INT_KEYS = (
    "max-concurrent-downloads", "max-concurrent-uploads", "max-download-attempts",
    "mtu", "network-control-plane-mtu", "oom-score-adjust", "shutdown-timeout",
    "swarm-raft-election-tick", "swarm-raft-heartbeat-tick",
)
_STR_KEYS = (
    "api-cors-header", "bip", "bip6", "bridge", "cgroup-parent", "containerd",
    "containerd-namespace", "containerd-plugins-namespace", "data-root", "default-cgroupns-mode",
    "default-gateway", "default-gateway-v6", "default-ipc-mode", "default-runtime",
    "default-shm-size", "exec-root", "fixed-cidr", "fixed-cidr-v6", "group", "host-gateway-ip",
    "init-path", "ip", "log-driver", "log-format", "log-level", "metrics-addr", "pidfile",
    "seccomp-profile", "storage-driver", "swarm-default-advertise-addr", "tlscacert", "tlscert",
    "tlskey", "userland-proxy-path", "userns-remap",
)
_STR_LIST_KEYS = (
    "allow-nondistributable-artifacts", "authorization-plugins", "cdi-spec-dirs", "dns",
    "dns-opts", "dns-search", "exec-opts", "hosts", "insecure-registries", "labels",
    "node-generic-resources", "registry-mirrors", "storage-opts",
)
_DICT_LIST_KEYS = ("default-address-pools",)
_DICT_KEYS = (
    "builder", "default-network-opts", "default-ulimits", "features", "log-opts", "proxies",
    "runtimes",
)

KEY_TYPES = {}
for _k in _BOOL_KEYS:
    KEY_TYPES[_k] = "bool"
for _k in _INT_KEYS:
    KEY_TYPES[_k] = "int"
for _k in _STR_KEYS:
    KEY_TYPES[_k] = "str"
for _k in _STR_LIST_KEYS:
    KEY_TYPES[_k] = "list of str"
for _k in _DICT_LIST_KEYS:
    KEY_TYPES[_k] = "list of dict"
for _k in _DICT_KEYS:
    KEY_TYPES[_k] = "dict"

# dockerd flag name -> daemon.json key, where they differ (moby cmd/dockerd/config*.go;
# "named options" carry the plural key name). Every other long flag is its own key.
FLAG_ALIASES = {
    "host": "hosts",
    "insecure-registry": "insecure-registries",
    "registry-mirror": "registry-mirrors",
    "label": "labels",
    "dns-opt": "dns-opts",
    "log-opt": "log-opts",
    "storage-opt": "storage-opts",
    "exec-opt": "exec-opts",
    "authorization-plugin": "authorization-plugins",
    "default-ulimit": "default-ulimits",
    "node-generic-resource": "node-generic-resources",
    "feature": "features",
    "default-address-pool": "default-address-pools",
    "default-network-opt": "default-network-opts",
    "cdi-spec-dir": "cdi-spec-dirs",
    "graph": "data-root",
}
SHORT_FLAGS = {
    "H": "hosts",
    "D": "debug",
    "l": "log-level",
    "b": "bridge",
    "G": "group",
    "g": "data-root",
    "s": "storage-driver",
    "p": "pidfile",
}
# Flags that are not daemon.json keys, or that dockerd merges instead of refusing
# (moby config.go skipDuplicates: runtimes from --add-runtime are merged).
NOT_CONFLICTING_FLAGS = frozenset(["config-file", "validate", "add-runtime", "version", "help"])

_DNS_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$")


class ConfigError(Exception):
    """A refused input: `key` names the daemon.json key, the message says why."""

    def __init__(self, key, reason):
        Exception.__init__(self, "%s: %s" % (key, reason))
        self.key = key
        self.reason = reason


# --------------------------------------------------------------------------- normalisation


def _to_opt_string(key, name, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise ConfigError(key, "value of %r must be a string, number or boolean (dockerd wants strings), got %s"
                      % (name, type(value).__name__))


def normalize_log_opts(value, key="log-opts"):
    """log-opts values as strings (dockerd refuses numbers: docker/cli#1528)."""
    if not isinstance(value, dict):
        raise ConfigError(key, "must be a dict of option: value, got %s" % type(value).__name__)
    return dict((str(name), _to_opt_string(key, name, v)) for name, v in value.items())


def normalize_registry(entry):
    """One insecure-registries entry -> canonical form, or ConfigError.

    Accepts host, host:port, [IPv6], [IPv6]:port and CIDR; strips an http:// or
    https:// prefix and trailing '/'; any other scheme is an error (moby#29988).
    """
    key = "insecure-registries"
    if not isinstance(entry, str):
        raise ConfigError(key, "entry %r must be a string" % (entry,))
    text = entry.strip()
    if "://" in text:
        scheme, rest = text.split("://", 1)
        if scheme.lower() not in ("http", "https"):
            raise ConfigError(key, "entry %r has scheme %s://; only http:// or https:// may be given "
                                   "(dockerd strips them), anything else is an error" % (entry, scheme))
        text = rest
    text = text.rstrip("/")
    if not text:
        raise ConfigError(key, "entry %r is empty" % (entry,))
    if "/" in text:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ConfigError(key, "entry %r is neither host[:port] nor a CIDR (a path is not allowed)" % (entry,)) from None
        prefix = text.split("/", 1)[0]
        # Keep the user's address (dockerd accepts host bits), canonical prefix length.
        return "%s/%d" % (prefix, net.prefixlen)
    host, port = _split_host_port(entry, text)
    if port is not None:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(key, "entry %r has an invalid port %r" % (entry, port))
        return "%s:%s" % (host, int(port))
    return host


def _split_host_port(entry, text):
    key = "insecure-registries"
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ConfigError(key, "entry %r has an unclosed '['" % (entry,))
        addr, rest = text[1:end], text[end + 1:]
        try:
            ipaddress.IPv6Address(addr)
        except ValueError:
            raise ConfigError(key, "entry %r: %r is not an IPv6 address" % (entry, addr)) from None
        if rest and not rest.startswith(":"):
            raise ConfigError(key, "entry %r has junk after ']'" % (entry,))
        return "[%s]" % addr, (rest[1:] if rest else None)
    if text.count(":") > 1:
        raise ConfigError(key, "entry %r: write an IPv6 address in brackets, e.g. [%s]:5000" % (entry, text))
    host, sep, port = text.partition(":")
    if sep and not port:
        raise ConfigError(key, "entry %r has an empty port" % (entry,))
    if not _valid_host(host):
        raise ConfigError(key, "entry %r: %r is not a DNS name or IPv4 address" % (entry, host))
    return host, (port if sep else None)


def _valid_host(host):
    if not host or len(host) > 253:
        return False
    try:
        ipaddress.IPv4Address(host)
        return True
    except ValueError:
        pass
    if re.match(r"^[0-9.]+$", host):  # looks like an IPv4 address but is not one
        return False
    return all(_DNS_LABEL.match(label) for label in host.split("."))


def normalize_insecure_registries(value):
    if not isinstance(value, list):
        raise ConfigError("insecure-registries", "must be a list, got %s" % type(value).__name__)
    out = []
    for entry in value:
        norm = normalize_registry(entry)
        if norm not in out:
            out.append(norm)
    return out


def normalize_config(config):
    """The managed keys with log-opts and insecure-registries normalised (new dict)."""
    out = dict(config)
    if "log-opts" in out:
        out["log-opts"] = normalize_log_opts(out["log-opts"])
    if "insecure-registries" in out:
        out["insecure-registries"] = normalize_insecure_registries(out["insecure-registries"])
    return out


# --------------------------------------------------------------------------- checks


def _type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


def type_errors(config):
    """Messages for known keys whose value has the wrong JSON type."""
    errors = []
    for key in sorted(config):
        want = KEY_TYPES.get(key)
        if want is None:
            continue
        value = config[key]
        got = _type_name(value)
        ok = {
            "bool": got == "bool",
            "int": got == "int",
            "str": got == "str",
            "dict": got == "dict",
            "list of str": got == "list" and all(isinstance(v, str) for v in value),
            "list of dict": got == "list" and all(isinstance(v, dict) for v in value),
        }[want]
        if not ok:
            if got == "list" and want.startswith("list"):
                got = "list with %s" % ", ".join(sorted(set(_type_name(v) for v in value)))
            errors.append("%s: must be %s, got %s (%r)" % (key, want, got, value))
    if isinstance(config.get("features"), dict):
        for name, v in sorted(config["features"].items()):
            if not isinstance(v, bool):
                errors.append("features: %r must be true or false, got %s" % (name, _type_name(v)))
    return errors


def semantic_errors(config, log_drivers, swarm_state):
    """Refusals that dockerd --validate does not catch (or catches too late)."""
    errors = []
    driver = config.get("log-driver")
    if isinstance(driver, str) and driver not in log_drivers and driver != "none":
        errors.append("log-driver: %r is not a log driver this engine knows (known: %s)"
                      % (driver, ", ".join(sorted(set(log_drivers) | set(["none"])))))
    level = config.get("log-level")
    if level is not None and level not in LOG_LEVELS:
        errors.append("log-level: %r is not one of %s" % (level, ", ".join(LOG_LEVELS)))
    if config.get("live-restore") is True and swarm_state in SWARM_STATES_WITH_STATE:
        errors.append("live-restore: true is refused on a swarm node (this engine's swarm state is %s); "
                      "dockerd would not start: \"--live-restore daemon configuration is incompatible "
                      "with swarm mode\"" % swarm_state)
    return errors


def plugin_names_from_files(paths):
    """Legacy plugin names from files found under PLUGIN_DIRS: `<dir>/<name>.sock|.spec|.json`
    or `<dir>/<name>/<name>.sock`."""
    names = set()
    for path in paths:
        base = os.path.basename(path)
        for suffix in PLUGIN_FILE_SUFFIXES:
            if base.endswith(suffix) and len(base) > len(suffix):
                names.add(base[:-len(suffix)])
    return sorted(names)


def authz_plugins_of_engine(plugins):
    """Names of enabled managed plugins with the authz interface, from `GET /plugins`
    ("name:tag" and "name" when the tag is latest)."""
    names = set()
    for plugin in plugins or []:
        types = ((plugin.get("Config") or {}).get("Interface") or {}).get("Types") or []
        types = [t if isinstance(t, str)
                 else "%s.%s/%s" % (t.get("Prefix", ""), t.get("Capability", ""), t.get("Version", ""))
                 for t in types]
        if not plugin.get("Enabled") or AUTHZ_INTERFACE not in types:
            continue
        name = plugin.get("Name") or ""
        names.add(name)
        if name.endswith(":latest"):
            names.add(name[:-len(":latest")])
    return sorted(names)


def missing_authz_plugins(config, installed):
    """authorization-plugins entries of `config` that are not in `installed` (names)."""
    wanted = config.get("authorization-plugins") or []
    if isinstance(wanted, str):
        wanted = [wanted]
    have = set(installed or [])
    return [n for n in wanted if isinstance(n, str) and n not in have and n + ":latest" not in have]


def authz_errors(config, installed, host="this host"):
    """The refusal for authz plugins that are not installed (empty list when all are)."""
    missing = missing_authz_plugins(config, installed)
    if not missing:
        return []
    return ["authorization-plugins: %s %s not installed on %s (no socket or spec in %s, no enabled managed "
            "plugin with %s); dockerd --validate accepts it, but dockerd would exit ~15 s after the reload and "
            "crash-loop. Installed: %s" % (", ".join(missing), "is" if len(missing) == 1 else "are", host,
                                           ", ".join(PLUGIN_DIRS), AUTHZ_INTERFACE,
                                           ", ".join(sorted(installed or [])) or "none")]


def needs_serial_reload(action, changed_keys):
    """True when a reload touches a plugin key (one host at a time, waited out)."""
    return action == "reload" and any(k in PLUGIN_KEYS for k in changed_keys or [])


def swarm_regression(before, after):
    """Why a restart must be rolled back because the node left its swarm ('' when it did not).

    before/after: LocalNodeState before and after the restart. A node that was an active
    swarm member and comes back `inactive` lost its swarm state (data-root moved, state
    removed): that is a failure, like a daemon that does not start. `locked` is not: a manager
    of an autolocked swarm always comes back locked and waits for its unlock key (the rolling
    restart unlocks it next).
    """
    if before != "active" or after in ("active", "locked"):
        return ""
    if after == "inactive":
        return ("the node was an active swarm member before the restart and came back with swarm state "
                "inactive (its swarm state is not where dockerd looks: data-root moved?)")
    return "the node was an active swarm member before the restart and is %s after it" % (after or "unknown")


# --------------------------------------------------------------------------- systemd unit flags


def parse_systemctl_show(text):
    """`systemctl show -p A -p B` output -> {property: [values]} (a property may repeat)."""
    props = {}
    for line in text.splitlines():
        if "=" not in line:
            continue
        name, value = line.split("=", 1)
        props.setdefault(name, []).append(value)
    return props


def parse_exec_start(value):
    """argv of one ExecStart= value as `systemctl show` prints it.

    Format: `{ path=/usr/sbin/dockerd ; argv[]=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS ; ... }`
    """
    m = re.search(r"argv\[\]=(.*?) ; (?:ignore_errors|flags)=", value)
    if not m:
        m = re.search(r"argv\[\]=(.*?)(?: ;|\s*}\s*$)", value)
    if not m:
        return []
    return _split_words(m.group(1))


def _split_words(text):
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def parse_env_file(text):
    """KEY=VALUE lines of an EnvironmentFile (also tolerates `export KEY=...`)."""
    env = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith(";"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].strip()
        if "=" not in line:
            continue
        name, value = line.split("=", 1)
        name = name.strip()
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            continue
        words = _split_words(value)
        env[name] = " ".join(words) if len(words) != 1 else words[0]
    return env


def parse_environment_property(values):
    """`Environment=` lines of systemctl show -> dict."""
    env = {}
    for value in values:
        for word in _split_words(value):
            if "=" in word:
                name, val = word.split("=", 1)
                env[name] = val
    return env


def environment_files(values):
    """`EnvironmentFiles=/etc/default/docker (ignore_errors=yes)` lines -> paths."""
    paths = []
    for value in values:
        path = value.split(" (", 1)[0].strip()
        if path:
            paths.append(path)
    return paths


def expand_argv(argv, env):
    """systemd's variable expansion: $VAR alone splits into words, ${VAR} is one word."""
    out = []
    for word in argv:
        m = re.match(r"^\$([A-Za-z_][A-Za-z0-9_]*)$", word)
        if m:
            out.extend(_split_words(env.get(m.group(1), "")))
            continue
        out.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda mm: env.get(mm.group(1), ""), word))
    return [w for w in out if w != ""]


def flag_keys(args):
    """dockerd arguments -> {daemon.json key: 'flag as written'}."""
    keys = {}
    i = 0
    while i < len(args):
        arg = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else None
        takes_next = nxt is not None and not nxt.startswith("-")
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg[2:].partition("=")
            if name not in NOT_CONFLICTING_FLAGS:
                key = FLAG_ALIASES.get(name, name)
                shown = arg if eq or not takes_next else "%s %s" % (arg, nxt)
                keys.setdefault(key, []).append(shown)
        elif arg.startswith("-") and len(arg) > 1 and arg[1] != "-":
            short = arg[1]
            key = SHORT_FLAGS.get(short)
            if key:
                inline = arg[2:].lstrip("=")
                shown = arg if inline or not takes_next else "%s %s" % (arg, nxt)
                keys.setdefault(key, []).append(shown)
        i += 1
    return dict((k, ", ".join(v)) for k, v in keys.items())


def unit_dockerd_args(show_text, read_file):
    """(dockerd path, [args]) from `systemctl show <unit> -p ExecStart -p EnvironmentFiles -p Environment`.

    read_file(path) returns the file's text or None; it is injected for tests.
    """
    props = parse_systemctl_show(show_text)
    env = {}
    for path in environment_files(props.get("EnvironmentFiles", [])):
        text = read_file(path)
        if text is not None:
            env.update(parse_env_file(text))
    env.update(parse_environment_property(props.get("Environment", [])))
    for value in props.get("ExecStart", []):
        argv = parse_exec_start(value)
        if argv:
            argv = expand_argv(argv, env)
            return argv[0], argv[1:]
    return None, []


def drop_config_file_args(args):
    """The unit's flags without --config-file (the caller passes its own)."""
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--config-file":
            skip = True
            continue
        if arg.startswith("--config-file="):
            continue
        out.append(arg)
    return out


def flag_conflicts(config, unit_flag_keys, unit="docker.service"):
    """Keys set both in daemon.json and as a flag of the unit (dockerd refuses to start)."""
    errors = []
    for key in sorted(config):
        if key in unit_flag_keys:
            errors.append(
                "%s: %s already passes %s on dockerd's command line; dockerd refuses to start when a "
                "directive is \"specified both as a flag and in the configuration file\". Remove %s "
                "from the configuration, or override ExecStart in a systemd drop-in (an empty "
                "ExecStart= then ExecStart=/usr/sbin/dockerd without the flag)"
                % (key, unit, unit_flag_keys[key], key))
    return errors


# --------------------------------------------------------------------------- merge and classification


def merge(existing, desired, previously_managed, replace=False):
    """(new content, managed keys).

    Keys in `desired` are set; keys this module managed before but that are no longer
    desired are removed; any other key of the existing file is kept, unless `replace`.
    """
    if replace:
        return dict(desired), sorted(desired)
    new = dict(existing)
    for key in previously_managed:
        if key not in desired:
            new.pop(key, None)
    new.update(desired)
    return new, sorted(desired)


def diff_keys(old, new):
    """(added, removed, changed) key lists, each sorted."""
    added = sorted(k for k in new if k not in old)
    removed = sorted(k for k in old if k not in new)
    changed = sorted(k for k in new if k in old and old[k] != new[k])
    return added, removed, changed


def classify(added, removed, changed):
    """'none', 'reload' or 'restart' for a set of key changes."""
    if not (added or removed or changed):
        return "none"
    if removed:
        return "restart"
    if all(k in RELOADABLE_KEYS for k in list(added) + list(changed)):
        return "reload"
    return "restart"


def stronger(a, b):
    """The stronger of two actions (restart > reload > none)."""
    return ACTIONS[max(ACTIONS.index(a or "none"), ACTIONS.index(b or "none"))]


def dumps(config):
    """The file's bytes: sorted, indented, newline-terminated (byte-identical on re-runs)."""
    return json.dumps(config, sort_keys=True, indent=2) + "\n"


def loads_file(text, path):
    """daemon.json text -> dict; an empty file is {}; anything but an object is an error."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError("(file)", "%s is not valid JSON (%s); fix or remove it first" % (path, exc)) from exc
    if not isinstance(data, dict):
        raise ConfigError("(file)", "%s holds a JSON %s, not an object" % (path, _type_name(data)))
    return data


# --------------------------------------------------------------------------- redaction

REDACTED = "<redacted>"
# Key names whose values are secrets wherever they appear (log-opts splunk-token, ...).
_SECRET_NAME = re.compile(r"(password|passwd|secret|token|credential|api-?key|private-?key)", re.IGNORECASE)
# scheme://userinfo@ at the start of a string (proxies, registry mirrors, log URLs).
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@?#\s]+)@")


def check_secret_keys(secret_keys):
    """Messages for malformed secret_keys entries (dotted key paths such as proxies.http-proxy)."""
    return ["secret_keys: %r must be a key or a dotted key path (e.g. log-opts.splunk-token)" % (k,)
            for k in secret_keys or [] if not isinstance(k, str) or not k or any(not p for p in k.split("."))]


def redact(config, secret_keys=()):
    """(copy of `config` fit to show, set of the secret strings it hid).

    Hidden: the value under every dotted key path of `secret_keys` (user-declared), the
    value of every key whose name says it is a secret (password, token, secret, credential,
    api-key, private-key), and the userinfo of every URL (`http://user:pass@proxy:3128` is
    shown as `http://user:<redacted>@proxy:3128`; a userinfo without `:` is hidden whole).
    The second value lists the strings hidden, so a module can keep them out of the rest of
    its output too (AnsibleModule.no_log_values).
    """
    paths = set(secret_keys or ())
    secrets = set()

    def leaves(value):
        if isinstance(value, dict):
            for v in value.values():
                leaves(v)
        elif isinstance(value, list):
            for v in value:
                leaves(v)
        elif value is not None and not isinstance(value, bool):
            secrets.add(str(value))

    def hide_userinfo(match):
        user, sep, password = match.group("userinfo").partition(":")
        if sep:
            secrets.add(password)
            return "%s%s:%s@" % (match.group("scheme"), user, REDACTED)
        secrets.add(user)
        return "%s%s@" % (match.group("scheme"), REDACTED)

    def walk(value, path):
        if path and (".".join(path) in paths or _SECRET_NAME.search(path[-1])):
            leaves(value)
            return REDACTED
        if isinstance(value, dict):
            return {k: walk(v, path + [str(k)]) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, path) for v in value]
        if isinstance(value, str):
            return _USERINFO.sub(hide_userinfo, value)
        return value

    return walk(config, []), {s for s in secrets if s}


# --------------------------------------------------------------------------- versions


def parse_version(text):
    """'26.1.5+dfsg1' or 'Docker version 26.1.5+dfsg1, build x' -> (26, 1, 5); None if unknown."""
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not m:
        return None
    return tuple(int(g or 0) for g in m.groups())


def supports_validate(version):
    """`dockerd --validate` exists from Engine 23.0 (moby#42393)."""
    return version is not None and version >= (23, 0, 0)


# --------------------------------------------------------------------------- state files


def state_paths(path):
    """(managed-keys record, pending marker) next to daemon.json."""
    directory, name = os.path.split(path)
    return (os.path.join(directory, ".%s.fleet-managed" % name),
            os.path.join(directory, ".%s.fleet-pending" % name))


def pending_marker(action, changed_keys, rollback_file, previous_absent, previous_managed, daemon_pid,
                   earlier=None):
    """The pending marker, folded into an earlier unapplied one.

    When a change is still pending, the daemon runs the config from before THAT change,
    so rollback information (and the oldest backup) comes from the earlier marker.
    """
    if earlier:
        return {
            "action": stronger(earlier.get("action"), action),
            "changed_keys": sorted(set(earlier.get("changed_keys") or []) | set(changed_keys)),
            "rollback_file": earlier.get("rollback_file", ""),
            "previous_absent": bool(earlier.get("previous_absent")),
            "previous_managed": earlier.get("previous_managed"),
            "daemon_pid": earlier.get("daemon_pid", daemon_pid),
        }
    return {
        "action": action,
        "changed_keys": sorted(changed_keys),
        "rollback_file": rollback_file or "",
        "previous_absent": bool(previous_absent),
        "previous_managed": previous_managed,
        "daemon_pid": daemon_pid,
    }


def pending_still_due(marker, daemon_pid):
    """False when dockerd was restarted since the marker was written (then it runs the file).

    A reload cannot be detected (the PID stays), so a pending reload stays due: one extra
    SIGHUP is harmless.
    """
    if not marker:
        return False
    was = marker.get("daemon_pid") or 0
    if daemon_pid and was and daemon_pid != was:
        return False
    return True


# --------------------------------------------------------------------------- journal


_ERROR_PATTERNS = (
    re.compile(r"level=(?:error|fatal)"),
    re.compile(r"failed to start daemon", re.I),
    re.compile(r"unable to configure the Docker daemon", re.I),
    re.compile(r"specified both as a flag and in the configuration file", re.I),
    re.compile(r"Start request repeated too quickly", re.I),
)


def daemon_errors(journal_text, limit=8):
    """The lines of `journalctl -u docker -o cat` that say why dockerd failed, deduplicated."""
    out, seen = [], set()
    for line in journal_text.splitlines():
        line = line.strip()
        if not line or not any(p.search(line) for p in _ERROR_PATTERNS):
            continue
        key = re.sub(r'time="[^"]*"\s*', "", line)  # auto-restarts repeat the same error
        if key not in seen:
            seen.add(key)
            out.append(line)
    if not out:
        tail = [ln.strip() for ln in journal_text.splitlines() if ln.strip()]
        out = tail[-3:]
    return out[:limit]
