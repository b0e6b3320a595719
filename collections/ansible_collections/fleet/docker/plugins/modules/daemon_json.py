#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: daemon_json
short_description: Manage keys of the Docker daemon's daemon.json, validated, with a reload-or-restart verdict
version_added: 0.1.0
description:
  - Merges the keys given in O(config) into C(/etc/docker/daemon.json) on the Docker host and
    keeps every key it does not manage. It records which keys it manages in a small sidecar file
    (C(.daemon.json.fleet-managed)) so that a key dropped from O(config) is removed from the file
    on the next run, while keys it never managed are left alone.
  - Normalises C(log-opts) values to strings (C(max-file 3) becomes C("3"); dockerd refuses
    numbers) and C(insecure-registries) entries (an C(http://) or C(https://) prefix and a trailing
    C(/) are stripped, duplicates dropped, each entry must be C(host[:port]), C([IPv6][:port]) or a CIDR).
  - Refuses, before anything is written, with a message naming the key and the reason - a key the
    systemd unit also passes as a dockerd flag (for example C(hosts) against C(-H fd://); parsed
    from C(systemctl show) and the unit's EnvironmentFile), a wrong JSON type for a known key, a log
    driver the engine does not know, C(live-restore) on a swarm node, an unknown C(log-level), an
    C(authorization-plugins) entry that is not installed on the host (no socket or spec file in
    C(/run/docker/plugins), C(/etc/docker/plugins), C(/usr/lib/docker/plugins), no enabled managed plugin
    with the C(docker.authz/1.0) interface). C(dockerd --validate) accepts an unknown authz plugin, but
    dockerd exits some 15 seconds after the reload and crash-loops.
  - Validates the staged file with C(dockerd --validate) together with the unit's own flags where
    the engine has it (Engine 23 and later), otherwise relies on the structural checks above.
  - Writes atomically, with a backup, only when the content changes; output is sorted and indented
    so re-runs are byte-identical.
  - Reports in RV(action) whether the running daemon needs nothing, a reload (SIGHUP; every changed
    key is live-reloadable; C(features) is not, some features are read only at start) or a restart.
    RV(serial_reload) says when a reload touches a plugin key and must go one host at a time, each
    waited out (M(fleet.docker.daemon_apply) O(fleet.docker.daemon_apply#module:settle)). A change
    written but never applied (the play died before
    M(fleet.docker.daemon_apply) ran) is remembered in a pending marker next to the file, so the next
    run still reports the reload or restart.
  - Works while dockerd is down (reads the engine over its unix socket when it answers).
  - Sets the C(fleet_docker_host) fact like M(fleet.docker.host_facts).
extends_documentation_fragment:
  - fleet.docker.engine
  - fleet.docker.engine.facts
options:
  config:
    description:
      - The daemon.json keys to manage, with their values.
      - Keys not listed here and never listed before are kept as they are in the file.
    type: dict
    required: true
  path:
    description: Path of daemon.json.
    type: path
    default: /etc/docker/daemon.json
  replace:
    description:
      - Make the file contain exactly O(config), dropping keys this module does not manage.
    type: bool
    default: false
  validate:
    description:
      - Run C(dockerd --validate) on the staged file (when the engine supports it).
      - The module's own checks always run.
    type: bool
    default: true
  unit:
    description: The systemd unit that runs dockerd (its flags are checked for conflicts).
    type: str
    default: docker.service
  registry_ca_certs:
    description:
      - CA certificates (PEM text) of registries to trust, keyed by C(host:port). Each is written to
        O(certs_dir)/C(<host:port>)/C(ca.crt); dockerd reads these on every connection, so no
        reload is needed.
    type: dict
    default: {}
  certs_dir:
    description: Directory of per-registry certificates.
    type: path
    default: /etc/docker/certs.d
  secret_keys:
    description:
      - Keys whose values are secrets, as top-level keys or dotted paths (C(log-opts.splunk-url)).
        Their values are shown as C(<redacted>) in the diff and in RV(config), and kept out of the
        rest of the module's output.
      - Always redacted, whether listed or not - the userinfo of every URL (C(proxies) with
        C(http://user:pass@proxy:3128) is shown as C(http://user:<redacted>@proxy:3128)) and the
        value of every key whose name says it is a secret (password, token, secret, credential,
        api-key, private-key).
      - The file itself keeps the real values.
    type: list
    elements: str
    default: []
  apply:
    description:
      - Reload or restart dockerd in this same call, as M(fleet.docker.daemon_apply) would (wait, roll back
        when it does not come back, clear the pending marker), but B(only) on a host that is provably in no
        swarm - its engine answered with swarm state C(inactive), or dockerd is down and no swarm state is on
        disk - and not for a reload of plugin keys (RV(serial_reload)).
      - Everywhere else nothing is applied and RV(applied) is C(none) - swarm nodes go through the rolling,
        quorum-guarded path of the role docker_daemon.
      - Never in check mode.
    type: bool
    default: false
  apply_timeout:
    description:
      - With O(apply), seconds to wait for the daemon after the reload or restart
        (M(fleet.docker.daemon_apply)'s C(timeout)).
    type: int
    default: 120
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  facts:
    support: full
notes:
  - Removing a key always needs a restart - dockerd's reload only applies keys present in the file.
  - Pair with M(fleet.docker.daemon_apply), which reloads or restarts, waits, rolls back on
    failure and clears the pending marker.
requirements:
  - systemd (for the flag-conflict check; skipped without C(systemctl))
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Configure logging and trust a plain-HTTP registry
  fleet.docker.daemon_json:
    config:
      log-driver: json-file
      log-opts:
        max-size: 10m
        max-file: 3
      insecure-registries:
        - http://registry.example:5000
  register: daemon

- name: Reload or restart dockerd when needed
  fleet.docker.daemon_apply:
    action: "{{ daemon.action }}"
  when: daemon.action != 'none'
"""

RETURN = r"""
action:
  description: What the running daemon needs to pick the file up.
  returned: always
  type: str
  choices: [none, reload, restart]
  sample: reload
changed_keys:
  description: Keys added, removed or changed (including an earlier unapplied change).
  returned: always
  type: list
  elements: str
  sample: [insecure-registries]
pending:
  description: True when (part of) RV(action) comes from an earlier run that wrote the file but never applied it.
  returned: always
  type: bool
backup_file:
  description: Backup of the previous file made by this run; empty when nothing was written or there was no previous file.
  returned: always
  type: str
  sample: /etc/docker/daemon.json.1234.2025-01-01@10:00:00~
previous_absent:
  description: True when this run created the file (there was none to back up).
  returned: always
  type: bool
validated_by:
  description: >-
    C(dockerd --validate) when the staged file was checked by dockerd with the unit's flags,
    C(structural) when only this module's checks ran, C(unchanged) when the content did not change.
  returned: always
  type: str
  sample: dockerd --validate
config:
  description: The full content of the file after this run, with secret values shown as C(<redacted>) (see O(secret_keys)).
  returned: always
  type: dict
managed_keys:
  description: Keys this module manages from now on.
  returned: always
  type: list
  elements: str
path:
  description: Path of daemon.json.
  returned: always
  type: str
applied:
  description: >-
    What this call did to the daemon with O(apply) - C(none), C(reload) or C(restart) (C(restart) also when a
    reload was due but dockerd did not run). When not C(none), RV(action) has been applied and nothing more is due.
  returned: always
  type: str
  choices: [none, reload, restart]
apply_result:
  description: With RV(applied), dockerd's PID before and after and how long it took to answer again.
  returned: always
  type: dict
  sample: {pid_before: 812, pid_after: 1022, seconds: 1.4}
serial_reload:
  description: True when RV(action) is a reload that touches a plugin key (C(authorization-plugins)); such
    reloads go one host at a time, each waited out and checked to keep its PID.
  returned: always
  type: bool
engine_state:
  description: >-
    C(up) when the engine answered, C(down) when dockerd does not run, C(unresponsive) when dockerd runs
    (or systemd cannot say) but its API did not answer within 10 seconds - then the swarm state is unknown
    and nothing may reload or restart it unguarded.
  returned: always
  type: str
  choices: [up, down, unresponsive]
ca_certs_written:
  description: C(host:port) names whose CA certificate was written.
  returned: always
  type: list
  elements: str
restore_records:
  description: >-
    On an active swarm manager, the nodes (hostname, else NodeID) that carry the availability record of an
    interrupted drain (M(fleet.docker.swarm_restore_availability) gives it back), as this manager lists
    them; C(null) where the engine cannot tell (not an active manager, no leader, no answer). Read-only.
  returned: always
  type: list
  elements: str
ansible_facts:
  description: Facts to add to the host.
  returned: always
  type: dict
  contains:
    fleet_docker_host:
      description: The same fact as M(fleet.docker.host_facts) sets (engine, swarm identity, IPv4 addresses).
      type: dict
"""

import json
import os
import socket
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleet.docker.plugins.module_utils import daemon_config as dc
from ansible_collections.fleet.docker.plugins.module_utils.daemon_apply import DEFAULTS as APPLY_DEFAULTS
from ansible_collections.fleet.docker.plugins.module_utils.daemon_apply import Applier
from ansible_collections.fleet.docker.plugins.module_utils.planner import applies_in_place, pending_give_backs
from ansible_collections.fleet.docker.plugins.module_utils.swarm import node_summary
from ansible_collections.fleet.docker.plugins.module_utils.engine import EngineUnavailable, LocalEngine, host_facts


def _read(path):
    try:
        with open(path, "r") as fh:
            return fh.read()
    except (IOError, OSError):
        return None


def _read_json(path):
    text = _read(path)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


class DaemonJson(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.path = self.p["path"]
        self.record_path, self.pending_path = dc.state_paths(self.path)
        self.errors = []

    # ------------------------------------------------------------------ host inspection

    def unit(self):
        """(dockerd path, unit args, MainPID) from systemd; (None, [], 0) without systemd."""
        systemctl = self.module.get_bin_path("systemctl")
        if not systemctl:
            return None, [], 0
        rc, out, _err = self.module.run_command([
            systemctl, "show", self.p["unit"], "-p", "ExecStart", "-p", "EnvironmentFiles",
            "-p", "Environment", "-p", "MainPID"])
        if rc != 0:
            return None, [], 0
        dockerd, args = dc.unit_dockerd_args(out, _read)
        pid = dc.parse_systemctl_show(out).get("MainPID", ["0"])[0]
        return dockerd, args, int(pid) if pid.isdigit() else 0

    def swarm_state(self, info, data_root):
        if info is not None:
            return ((info.get("Swarm") or {}).get("LocalNodeState")) or "inactive"
        # Engine down: swarm state on disk is what makes dockerd refuse live-restore.
        if os.path.exists(os.path.join(data_root, "swarm", "docker-state.json")):
            return "active"
        return "unknown"

    def engine_version(self, info, dockerd):
        if info is not None and info.get("ServerVersion"):
            return dc.parse_version(info["ServerVersion"])
        if dockerd:
            rc, out, _err = self.module.run_command([dockerd, "--version"])
            if rc == 0:
                return dc.parse_version(out)
        return None

    def installed_plugins(self, engine, info):
        """Names of the plugins dockerd can find on this host: legacy socket/spec files and,
        when the engine answers, its enabled managed authz plugins."""
        paths = []
        for directory in dc.PLUGIN_DIRS:
            try:
                entries = os.listdir(directory)
            except OSError:
                continue
            for entry in entries:
                full = os.path.join(directory, entry)
                paths.append(full)
                if os.path.isdir(full):
                    try:
                        paths.extend(os.path.join(full, e) for e in os.listdir(full))
                    except OSError:
                        pass
        names = dc.plugin_names_from_files(paths)
        if info is not None:
            try:
                names += dc.authz_plugins_of_engine(engine.get("/plugins"))
            except (EngineUnavailable, ValueError):
                pass
        return names

    def restore_records(self, engine, info):
        """Nodes that carry an interrupted drain's record, as this manager lists them (read-only);
        None when this engine cannot tell (not an active manager, no leader, no answer)."""
        sw = (info or {}).get("Swarm") or {}
        if sw.get("LocalNodeState") != "active" or not sw.get("ControlAvailable"):
            return None
        try:
            nodes = engine.get("/nodes")
        except (EngineUnavailable, ValueError):
            return None
        if not isinstance(nodes, list):
            return None
        return [r["hostname"] or r["id"] for r in pending_give_backs([node_summary(n) for n in nodes])]

    # ------------------------------------------------------------------ validation

    def validate(self, text, dockerd, unit_args, version):
        if not self.p["validate"] or not dockerd or not dc.supports_validate(version):
            return "structural"
        directory = self.module.tmpdir if self.module.check_mode else os.path.dirname(self.path)
        fd, staged = tempfile.mkstemp(prefix=".daemon.json.staged.", dir=directory)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
            cmd = [dockerd, "--validate", "--config-file", staged] + dc.drop_config_file_args(unit_args)
            rc, out, err = self.module.run_command(cmd)
        finally:
            os.unlink(staged)
        if rc != 0:
            said = (err or out).strip().replace(staged, self.path)
            self.module.fail_json(
                msg="refused before writing %s: dockerd --validate (with %s's flags) rejects the new "
                    "configuration: %s" % (self.path, self.p["unit"], said),
                validated_by="dockerd --validate")
        return "dockerd --validate"

    # ------------------------------------------------------------------ writing

    def write_json(self, path, data):
        fd, tmp = tempfile.mkstemp(prefix=".fleet.", dir=os.path.dirname(path))
        with os.fdopen(fd, "w") as fh:
            fh.write(dc.dumps(data))
        os.chmod(tmp, 0o644)
        self.module.atomic_move(tmp, path)

    def write_daemon_json(self, text, existed):
        fd, tmp = tempfile.mkstemp(prefix=".daemon.json.", dir=os.path.dirname(self.path))
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        if not existed:
            os.chmod(tmp, 0o644)
        self.module.atomic_move(tmp, self.path)

    def ca_certs_to_write(self):
        todo = []
        for name in sorted(self.p["registry_ca_certs"]):
            pem = self.p["registry_ca_certs"][name]
            try:
                norm = dc.normalize_registry(name)
            except dc.ConfigError as exc:
                self.errors.append("registry_ca_certs: %s" % exc.reason)
                continue
            if "/" in norm or not isinstance(pem, str) or not pem.strip():
                self.errors.append("registry_ca_certs: %r needs a host[:port] name and PEM text" % name)
                continue
            text = pem if pem.endswith("\n") else pem + "\n"
            dest = os.path.join(self.p["certs_dir"], norm, "ca.crt")
            if _read(dest) != text:
                todo.append((norm, dest, text))
        return todo

    # ------------------------------------------------------------------ main

    def run(self):
        module = self.module
        engine = LocalEngine(self.p["docker_socket"])
        info = engine.info()
        facts = host_facts(module.run_command, info)

        # 1. Desired keys, normalised and type-checked.
        try:
            desired = dc.normalize_config(self.p["config"])
        except dc.ConfigError as exc:
            module.fail_json(msg="refused before writing %s: %s" % (self.path, exc))
        self.errors.extend(dc.type_errors(desired))
        self.errors.extend(dc.check_secret_keys(self.p["secret_keys"]))

        # 2. Current file, what we managed before, what is still pending.
        existed = os.path.exists(self.path)
        old_text = _read(self.path) if existed else ""
        if existed and old_text is None:
            module.fail_json(msg="cannot read %s" % self.path)
        try:
            old = dc.loads_file(old_text, self.path)
        except dc.ConfigError as exc:
            module.fail_json(msg="refused: %s" % exc.reason)
        record = _read_json(self.record_path)
        previously_managed = (record or {}).get("managed_keys") or []
        new, managed = dc.merge(old, desired, previously_managed, self.p["replace"])
        new_text = dc.dumps(new)
        # What the diff and the result show: secrets redacted, and kept out of the rest too.
        shown_old, hidden_old = dc.redact(old, self.p["secret_keys"])
        shown_new, hidden_new = dc.redact(new, self.p["secret_keys"])
        module.no_log_values.update(hidden_old | hidden_new | dc.redact(self.p["config"], self.p["secret_keys"])[1])
        # A file that only differs in formatting is rewritten, but the daemon needs nothing.
        content_changed = new_text != old_text

        # 3. Checks against this engine and this unit.
        dockerd, unit_args, daemon_pid = self.unit()
        dockerd = dockerd or module.get_bin_path("dockerd")
        log_drivers = ((info or {}).get("Plugins") or {}).get("Log") or dc.BUILTIN_LOG_DRIVERS
        swarm = self.swarm_state(info, new.get("data-root") or "/var/lib/docker")
        self.errors.extend(dc.semantic_errors(new, log_drivers, swarm))
        self.errors.extend(dc.flag_conflicts(new, dc.flag_keys(unit_args), self.p["unit"]))
        if new.get("authorization-plugins") and new.get("authorization-plugins") != old.get("authorization-plugins"):
            self.errors.extend(dc.authz_errors(new, self.installed_plugins(engine, info), socket.gethostname()))
        ca_todo = self.ca_certs_to_write()
        if self.errors:
            module.fail_json(msg="refused before writing %s: %s" % (self.path, "; ".join(self.errors)),
                             errors=self.errors)

        validated_by = "unchanged"
        if content_changed:
            version = self.engine_version(info, dockerd)
            validated_by = self.validate(new_text, dockerd, unit_args, version)

        # 4. What the daemon needs: this change, plus an earlier one never applied.
        added, removed, changed_ = dc.diff_keys(old, new)
        action = dc.classify(added, removed, changed_)
        marker = _read_json(self.pending_path)
        stale_marker = bool(marker) and not dc.pending_still_due(marker, daemon_pid)
        if stale_marker:
            marker = None
        pending = bool(marker) and marker.get("action") in ("reload", "restart")
        changed_keys = sorted(set(added + removed + changed_))
        if pending:
            action = dc.stronger(action, marker["action"])
            changed_keys = sorted(set(changed_keys) | set(marker.get("changed_keys") or []))
        if action == "reload" and info is None:
            action = "restart"  # nothing answers a SIGHUP

        # 5. Write: pending marker first, then the file, then the record of managed keys.
        backup_file = ""
        if not module.check_mode:
            if stale_marker:
                os.unlink(self.pending_path)
            if content_changed:
                if existed:
                    backup_file = module.backup_local(self.path)
                if action != "none":
                    self.write_json(self.pending_path, dc.pending_marker(
                        action, changed_keys, backup_file, not existed,
                        (record or {}).get("managed_keys") if record is not None else None,
                        daemon_pid, earlier=marker if pending else None))
                self.write_daemon_json(new_text, existed)
            if sorted(previously_managed) != managed or record is None:
                self.write_json(self.record_path, {"managed_keys": managed})
            for _name, dest, text in ca_todo:
                directory = os.path.dirname(dest)
                if not os.path.isdir(directory):
                    os.makedirs(directory, 0o755)
                fd, tmp = tempfile.mkstemp(prefix=".ca.", dir=directory)
                with os.fdopen(fd, "w") as fh:
                    fh.write(text)
                os.chmod(tmp, 0o644)
                module.atomic_move(tmp, dest)

        engine_state = "up" if info is not None else (
            "down" if daemon_pid == 0 and module.get_bin_path("systemctl") else "unresponsive")
        serial_reload = dc.needs_serial_reload(action, changed_keys)

        # 6. On a host provably in no swarm, apply it here (one call instead of two).
        applied, apply_result = "none", {}
        if self.p["apply"] and not module.check_mode and applies_in_place(action, serial_reload, engine_state, swarm):
            params = dict(APPLY_DEFAULTS, action=action, path=self.path, unit=self.p["unit"],
                          timeout=self.p["apply_timeout"], docker_socket=self.p["docker_socket"])
            ok, apply_result = Applier(module, params).apply()
            if not ok:
                module.fail_json(action=action, applied="none", changed_keys=changed_keys, engine_state=engine_state,
                                 validated_by=validated_by, path=self.path, **apply_result)
            applied = apply_result.get("action", action)

        result = dict(
            restore_records=self.restore_records(engine, info),
            changed=content_changed or bool(ca_todo) or applied != "none",
            action=action,
            applied=applied,
            apply_result=dict((k, v) for k, v in apply_result.items() if k in ("pid_before", "pid_after", "seconds")),
            serial_reload=serial_reload,
            engine_state=engine_state,
            changed_keys=changed_keys,
            pending=pending,
            backup_file=backup_file,
            previous_absent=not existed,
            validated_by=validated_by,
            config=shown_new,
            managed_keys=managed,
            path=self.path,
            ca_certs_written=[n for n, _d, _t in ca_todo],
            ansible_facts={"fleet_docker_host": facts},
        )
        if module._diff:
            result["diff"] = dict(before=dc.dumps(shown_old) if existed else "", after=dc.dumps(shown_new),
                                  before_header=self.path, after_header=self.path)
        module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config=dict(type="dict", required=True),
            path=dict(type="path", default="/etc/docker/daemon.json"),
            replace=dict(type="bool", default=False),
            validate=dict(type="bool", default=True),
            unit=dict(type="str", default="docker.service"),
            docker_socket=dict(type="path", default="/var/run/docker.sock"),
            registry_ca_certs=dict(type="dict", default={}),
            certs_dir=dict(type="path", default="/etc/docker/certs.d"),
            secret_keys=dict(type="list", elements="str", default=[], no_log=False),
            apply=dict(type="bool", default=False),
            apply_timeout=dict(type="int", default=120),
        ),
        supports_check_mode=True,
    )
    DaemonJson(module).run()


if __name__ == "__main__":
    main()
