# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reload or restart dockerd, wait, roll back: the body of fleet.docker.daemon_apply.

Also used by fleet.docker.daemon_json (option apply) to apply a change in the same call
on a host that is in no swarm. Options as daemon_apply documents them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import time

from ansible_collections.fleet.docker.plugins.module_utils import daemon_config as dc
from ansible_collections.fleet.docker.plugins.module_utils.engine import LocalEngine

#: daemon_apply's defaults, for callers that build the options themselves.
DEFAULTS = dict(action="none", path="/etc/docker/daemon.json", backup_file=None, rollback=True, timeout=120,
                unit="docker.service", swarm_check=True, settle=0, docker_socket="/var/run/docker.sock")

_UNIT_PROPS = ("ActiveState", "SubState", "Result", "MainPID", "InvocationID")


class Applier(object):
    def __init__(self, module, params=None):
        """params: daemon_apply's options (default: the module's own), see that module's DOCUMENTATION."""
        self.module = module
        self.p = params if params is not None else module.params
        self.unit = self.p["unit"]
        self.systemctl = module.get_bin_path("systemctl", required=True)
        self.journalctl = module.get_bin_path("journalctl")
        self.engine = LocalEngine(self.p["docker_socket"], timeout=5)
        self.record_path, self.pending_path = dc.state_paths(self.p["path"])

    # ------------------------------------------------------------------ systemd

    def state(self):
        cmd = [self.systemctl, "show", self.unit]
        for prop in _UNIT_PROPS:
            cmd += ["-p", prop]
        rc, out, err = self.module.run_command(cmd)
        if rc != 0:
            self.module.fail_json(msg="systemctl show %s failed: %s" % (self.unit, err.strip()))
        props = dict((k, v[0]) for k, v in dc.parse_systemctl_show(out).items())
        pid = props.get("MainPID", "0")
        props["MainPID"] = int(pid) if pid.isdigit() else 0
        return props

    def systemctl_run(self, *args):
        return self.module.run_command([self.systemctl] + list(args))

    def cursor(self):
        if not self.journalctl:
            return None
        rc, out, _err = self.module.run_command(
            [self.journalctl, "-u", self.unit, "-n", "0", "--show-cursor", "-o", "cat", "--no-pager"])
        for line in out.splitlines():
            if line.startswith("-- cursor: "):
                return line[len("-- cursor: "):].strip()
        return None

    def journal_since(self, cursor, since):
        if not self.journalctl:
            return ""
        cmd = [self.journalctl, "-u", self.unit, "-o", "cat", "--no-pager"]
        cmd += ["--after-cursor", cursor] if cursor else ["--since", "@%d" % int(since - 1)]
        rc, out, _err = self.module.run_command(cmd)
        return out if rc == 0 else ""

    # ------------------------------------------------------------------ reload / restart

    def reload(self, pid_before):
        """(ok, reason). dockerd logs "Reloaded configuration" or why it refused the file."""
        cursor, since = self.cursor(), time.time()
        rc, _out, err = self.systemctl_run("reload", self.unit)
        if rc != 0:
            return False, ["systemctl reload %s failed: %s" % (self.unit, err.strip())], cursor, since
        deadline = time.time() + self.p["timeout"]
        # dockerd logs "Reloaded configuration" at info level; with log-level warn or
        # above only a refusal (error level) would show, so wait briefly for that.
        quiet = self.configured_log_level() in ("warn", "error", "fatal")
        confirm_by = time.time() + min(self.p["timeout"], 3 if quiet else 20)
        confirmed = not self.journalctl
        while not confirmed and time.time() < confirm_by:
            journal = self.journal_since(cursor, since)
            if "unable to configure the Docker daemon" in journal or "Error reconfiguring" in journal:
                return False, dc.daemon_errors(journal), cursor, since
            confirmed = "Reloaded configuration" in journal
            if not confirmed:
                time.sleep(0.5)
        st = self.state()
        if st["MainPID"] != pid_before:
            return False, ["dockerd's PID changed from %s to %s during a reload" % (pid_before, st["MainPID"])], \
                cursor, since
        if self.wait_answer(deadline) is None:
            return False, ["the engine stopped answering after the reload"], cursor, since
        if not confirmed and not quiet:
            self.module.warn("dockerd's journal did not confirm the reload; it still answers with PID %s" % pid_before)
        return True, [], cursor, since

    def configured_log_level(self):
        try:
            with open(self.p["path"]) as fh:
                return (json.load(fh) or {}).get("log-level") or "info"
        except (IOError, OSError, ValueError, AttributeError):
            return "info"

    def start_restart(self):
        # A failed unit (or one that hit StartLimitBurst) refuses to start until reset;
        # its socket unit too, when dockerd is socket-activated (-H fd://).
        self.systemctl_run("reset-failed", self.unit)
        if self.unit.endswith(".service"):
            self.systemctl_run("reset-failed", self.unit[:-len(".service")] + ".socket")
        return self.systemctl_run("restart", "--no-block", self.unit)

    def wait_restart(self, before):
        """(ok, reason) after `systemctl restart --no-block`: a NEW invocation must be active and answer."""
        deadline = time.time() + self.p["timeout"]
        while time.time() < deadline:
            st = self.state()
            new_run = (st.get("InvocationID") and st.get("InvocationID") != before.get("InvocationID")) or \
                (st["MainPID"] not in (0, before["MainPID"]))
            if new_run and (st["ActiveState"] == "failed" or st["SubState"] == "auto-restart"):
                return False, "%s is %s/%s (result %s)" % (self.unit, st["ActiveState"], st["SubState"], st["Result"])
            if new_run and st["ActiveState"] == "active" and st["MainPID"]:
                if self.wait_answer(deadline) is not None:
                    return True, ""
            time.sleep(0.5)
        st = self.state()
        return False, "%s did not answer within %ss (unit %s/%s)" % (
            self.unit, self.p["timeout"], st["ActiveState"], st["SubState"])

    def restart(self):
        before = self.state()
        cursor, since = self.cursor(), time.time()
        rc, _out, err = self.start_restart()
        if rc != 0:
            return False, ["systemctl restart %s failed: %s" % (self.unit, err.strip())], cursor, since
        ok, reason = self.wait_restart(before)
        if ok:
            return True, [], cursor, since
        errors = dc.daemon_errors(self.journal_since(cursor, since))
        return False, errors or [reason], cursor, since

    def swarm_state(self):
        info = self.engine.info()
        return ((info or {}).get("Swarm") or {}).get("LocalNodeState") or ("inactive" if info else "")

    def wait_swarm(self, before):
        """'' when the node is back in its swarm (or was in none), else why not."""
        if before != "active":
            return ""
        deadline = time.time() + self.p["timeout"]
        while True:
            now = self.swarm_state()
            why = dc.swarm_regression(before, now)
            if not why or now == "inactive":  # inactive does not change by itself
                return why
            if time.time() >= deadline:
                return "%s (waited %ss)" % (why, self.p["timeout"])
            time.sleep(1)

    def settle_check(self, pid_before):
        """'' when dockerd still runs with the same PID and answers after the settle period."""
        time.sleep(self.p["settle"])
        st = self.state()
        if st["MainPID"] != pid_before:
            return ("dockerd did not survive the reload: %ss later its PID is %s (was %s), unit %s/%s"
                    % (self.p["settle"], st["MainPID"] or "none", pid_before, st["ActiveState"], st["SubState"]))
        if self.engine.info() is None:
            return "dockerd stopped answering within %ss after the reload" % self.p["settle"]
        return ""

    def wait_answer(self, deadline):
        while True:
            info = self.engine.info()
            if info is not None:
                return info
            if time.time() >= deadline:
                return None
            time.sleep(0.5)

    # ------------------------------------------------------------------ rollback

    def rollback(self, marker):
        """Put the previous file back: (restored?, a sentence saying what was done)."""
        path = self.p["path"]
        backup = self.p["backup_file"] or (marker or {}).get("rollback_file") or ""
        if backup:
            if not os.path.exists(backup):
                return None, "the backup %s is missing, nothing was restored" % backup
            tmp = "%s.fleet-rollback" % path
            with open(backup, "rb") as src, open(tmp, "wb") as dst:
                dst.write(src.read())
            self.module.atomic_move(tmp, path)
            done = "the previous %s was restored from %s" % (path, backup)
        elif marker and marker.get("previous_absent"):
            if os.path.exists(path):
                os.unlink(path)
            done = "%s was removed (there was none before)" % path
        else:
            return None, "no backup is known for %s, nothing was restored" % path
        if marker is not None and "previous_managed" in marker:
            if marker["previous_managed"] is None:
                if os.path.exists(self.record_path):
                    os.unlink(self.record_path)
            else:
                with open(self.record_path, "w") as fh:
                    fh.write(dc.dumps({"managed_keys": marker["previous_managed"]}))
        return True, done

    def clear_marker(self):
        if os.path.exists(self.pending_path):
            os.unlink(self.pending_path)

    # ------------------------------------------------------------------ main

    def run(self):
        """Apply, then exit or fail the module with the result."""
        ok, result = self.apply()
        if ok:
            self.module.exit_json(**result)
        self.module.fail_json(**result)

    def apply(self):
        """(ok, result): the keys daemon_apply returns, with msg when not ok. Never exits."""
        module, action = self.module, self.p["action"]
        marker = None
        try:
            with open(self.pending_path) as fh:
                marker = json.load(fh)
        except (IOError, OSError, ValueError):
            marker = None
        if action == "none":
            return True, dict(changed=False, action="none", pid_before=0)
        st = self.state()
        if action == "reload" and st["ActiveState"] != "active":
            action = "restart"  # nothing to send SIGHUP to: start it
        if module.check_mode:
            return True, dict(changed=True, action=action, pid_before=st["MainPID"],
                              msg="would %s %s" % (action, self.unit))

        t0 = time.time()
        swarm_before = self.swarm_state() if self.p["swarm_check"] else ""
        if action == "reload":
            ok, errors, cursor, since = self.reload(st["MainPID"])
            if ok and self.p["settle"] > 0:
                why = self.settle_check(st["MainPID"])
                if why:
                    ok = False
                    errors = [why] + dc.daemon_errors(self.journal_since(cursor, since))
        else:
            ok, errors, _c, _s = self.restart()
            if ok and swarm_before == "active":
                why = self.wait_swarm(swarm_before)
                if why:
                    ok, errors = False, [why]
        if ok:
            after = self.state()
            self.clear_marker()
            return True, dict(changed=True, action=action, pid_before=st["MainPID"], pid_after=after["MainPID"],
                              seconds=round(time.time() - t0, 1))

        what = "%s of %s to apply %s" % (action, self.unit, ", ".join((marker or {}).get("changed_keys") or [])
                                         or self.p["path"])
        said = " | ".join(errors) or "(dockerd logged no error)"
        host = socket.gethostname()
        if not self.p["rollback"]:
            return False, dict(msg="%s: %s failed. dockerd said: %s. Rollback is off: %s was left as it is."
                               % (host, what, said, self.p["path"]),
                               daemon_errors=errors, rolled_back=False,
                               docker_running=self.engine.info() is not None, pid_before=st["MainPID"])
        restored, done = self.rollback(marker)
        running = self.engine.info() is not None if action == "reload" else False
        again = ""
        if restored and action == "reload" and running and self.state()["MainPID"] == st["MainPID"]:
            # dockerd refused the reload and kept its old configuration: nothing to restart.
            again = "dockerd kept running its previous configuration (PID %s) and answers" % st["MainPID"]
            self.clear_marker()
        elif restored:
            ok2, errors2, _c, _s = self.restart()
            running = ok2
            if ok2:
                self.clear_marker()
                again = "%s was restarted with it and answers again (PID %s)" % (self.unit, self.state()["MainPID"])
            else:
                again = "%s does NOT run again after the rollback either: %s" % (self.unit, " | ".join(errors2))
        else:
            running = self.engine.info() is not None
            again = "docker %s" % ("answers" if running else "does NOT answer")
        return False, dict(
            msg="%s: %s failed. dockerd said: %s. %s; %s." % (host, what, said, done[:1].upper() + done[1:], again),
            daemon_errors=errors, rolled_back=bool(restored), docker_running=running, pid_before=st["MainPID"])
