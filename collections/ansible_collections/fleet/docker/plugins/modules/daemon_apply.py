#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: daemon_apply
short_description: Reload or restart dockerd after a daemon.json change, wait for it, roll back when it does not come back
version_added: 0.1.0
description:
  - Reloads (SIGHUP through C(systemctl reload)) or restarts the Docker unit and waits, bounded by
    O(timeout), until the engine answers again.
  - A reload must keep dockerd's PID, the engine must still answer, and dockerd's journal must not
    report that it refused the file.
  - When dockerd does not come back, the module reads dockerd's own error from the journal since
    the restart, restores the previous daemon.json (from the backup M(fleet.docker.daemon_json)
    made, or removes the file when there was none before), restarts again, waits, and fails with
    what was applied, dockerd's error, and whether Docker runs again.
  - Clears the pending marker M(fleet.docker.daemon_json) leaves next to the file once the daemon
    runs the file's content.
  - With O(swarm_check) (default), a node that was an active swarm member before a restart must come back
    C(active); one that comes back C(inactive) (its swarm state is not where dockerd looks, e.g. a moved
    C(data-root)) or not active within O(timeout) is rolled back like a daemon that does not start, and
    the module fails with the reason.
  - With O(settle), a reload is waited out for that many seconds and dockerd must still run with the same
    PID and answer (a plugin that does not answer makes dockerd exit about 15 seconds after a reload).
extends_documentation_fragment:
  - fleet.docker.engine
options:
  action:
    description: What to do; usually RV(fleet.docker.daemon_json#module:action).
    type: str
    required: true
    choices: [none, reload, restart]
  path:
    description: Path of daemon.json (its pending marker holds the rollback information).
    type: path
    default: /etc/docker/daemon.json
  backup_file:
    description:
      - Backup to restore when the daemon does not come back. Default - the one recorded in the
        pending marker (the configuration the daemon ran before the unapplied change).
    type: path
  rollback:
    description: Restore the previous file and restart again when the daemon does not come back.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the daemon after each reload or restart.
    type: int
    default: 120
  unit:
    description: The systemd unit that runs dockerd.
    type: str
    default: docker.service
  swarm_check:
    description:
      - After a restart, require a node that was an active swarm member to be C(active) again; otherwise roll
        back and fail.
    type: bool
    default: true
  settle:
    description:
      - Seconds to wait after a successful reload before checking again that dockerd keeps its PID and answers.
        C(0) checks right away only. Use it for reloads of plugin keys (RV(fleet.docker.daemon_json#module:serial_reload)).
    type: int
    default: 0
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - Before a restart the unit's failed state and start-rate counter are reset
    (C(systemctl reset-failed)), so a series of deliberate restarts is not refused by
    C(StartLimitBurst).
  - Restarting dockerd stops the host's containers that are not covered by C(live-restore); on a
    swarm node restart one node at a time.
requirements:
  - systemd, journald
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Write daemon.json
  fleet.docker.daemon_json:
    config:
      log-opts:
        max-size: 10m
  register: daemon

- name: Apply it (reload or restart, with rollback)
  fleet.docker.daemon_apply:
    action: "{{ daemon.action }}"
  when: daemon.action != 'none'
"""

RETURN = r"""
action:
  description: What was done (C(restart) when a reload was asked for but the unit was not running).
  returned: always
  type: str
  sample: reload
pid_before:
  description: dockerd's PID before.
  returned: always
  type: int
pid_after:
  description: dockerd's PID after (equal to RV(pid_before) after a reload).
  returned: success
  type: int
seconds:
  description: How long the daemon took to answer again.
  returned: success
  type: float
daemon_errors:
  description: dockerd's own error lines from the journal, when it did not come back.
  returned: failure
  type: list
  elements: str
rolled_back:
  description: Whether the previous daemon.json was put back.
  returned: failure
  type: bool
docker_running:
  description: Whether the engine answers at the end (after a rollback).
  returned: failure
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleet.docker.plugins.module_utils.daemon_apply import Applier


def main():
    module = AnsibleModule(
        argument_spec=dict(
            action=dict(type="str", required=True, choices=["none", "reload", "restart"]),
            path=dict(type="path", default="/etc/docker/daemon.json"),
            backup_file=dict(type="path"),
            rollback=dict(type="bool", default=True),
            timeout=dict(type="int", default=120),
            unit=dict(type="str", default="docker.service"),
            swarm_check=dict(type="bool", default=True),
            settle=dict(type="int", default=0),
            docker_socket=dict(type="path", default="/var/run/docker.sock"),
        ),
        supports_check_mode=True,
    )
    Applier(module).run()


if __name__ == "__main__":
    main()
