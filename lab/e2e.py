#!/usr/bin/env python3
"""End to end on a throwaway lab, reached over SSH + sudo the way real hosts are.

  1. lab up (its own name, network and inventory: a running demo lab is not touched)
  1b. SSH host keys are checked: with a known_hosts file that does not know the node, or
     knows another key for it, Ansible is refused (before any connection to the node is
     kept open: a reused ControlMaster connection would not check again)
  2. site.yml --check --diff on the fresh lab: says what it would do, fails nowhere
  3. site.yml: first converge
  4. site.yml again: must report changed=0 on every host
  5. site.yml --check --diff on the converged lab: changed=0, failed=0
  6. lab/demo_push.yml: push to the registry from a worker, pull elsewhere, the Jenkins
     stand-in received the build (the playbook asserts it)
  7. lab down (E2E_KEEP=1 keeps the lab for debugging)

Prints the figures it saw; exits non-zero at the first step that fails.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner import ROOT, labctl, run_ansible, run_playbook  # noqa: E402

NAME = os.environ.get("E2E_LAB", "fleet-e2e")
INV_DIR = os.path.join(ROOT, "lab", ".state", NAME)
INV = os.path.join(INV_DIR, "hosts.yml")


def step(title, result, expect_changed_zero=False):
    verdict = result.ok and (not expect_changed_zero or result.total("changed") == 0)
    print("e2e: %-34s %6.1fs  tasks=%-3d changed=%-3d failed=%d  %s" % (
        title, result.seconds, result.tasks, result.total("changed"), result.total("failed"),
        "ok" if verdict else "FAILED"), flush=True)
    if not verdict:
        print(result.output[-6000:])
        if expect_changed_zero and result.ok:
            for host, r in sorted(result.recap.items()):
                print("  %s changed=%d" % (host, r["changed"]))
        raise SystemExit(1)


def host_key_refused(title, known_hosts_text):
    """ansible -m ping on the first manager with this known_hosts must be refused by ssh."""
    path = os.path.join(INV_DIR, "test.known_hosts")
    with open(path, "w") as fh:
        fh.write(known_hosts_text)
    with open(INV) as fh:  # managers come first in the generated inventory
        host = re.search(r"\{ansible_host: ([^}\s]+)\}", fh.read()).group(1)
    seconds, rc, out = run_ansible(INV, "swarm_managers[0]", "-m", "ansible.builtin.ping",
                                   "-e", "ansible_ssh_common_args='-o UserKnownHostsFile=%s'" % path)
    refused = rc != 0 and "UNREACHABLE" in out and "Host key verification failed" in out
    print("e2e: %-34s %6.1fs  %s  %s" % (title, seconds, host, "refused: ok" if refused else "NOT REFUSED: FAILED"),
          flush=True)
    if not refused:
        print(out[-3000:])
        raise SystemExit(1)
    return host


def other_key_line(host):
    key = os.path.join(INV_DIR, "other_host_key")
    if not os.path.exists(key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True, timeout=60)
    with open(key + ".pub") as fh:
        kind, blob = fh.read().split()[:2]
    return "%s %s %s\n" % (host, kind, blob)


def main():
    lab = ["--name", NAME, "--network", NAME, "--inventory", INV]
    try:
        labctl("up", *lab)
        host = host_key_refused("unknown SSH host key", "")
        host_key_refused("changed SSH host key", other_key_line(host))
        step("check mode on a fresh lab", run_playbook(INV_DIR, "site.yml", "--check", "--diff"))
        step("first converge", run_playbook(INV_DIR, "site.yml"))
        step("second converge (changed=0)", run_playbook(INV_DIR, "site.yml"), expect_changed_zero=True)
        step("check mode, converged (changed=0)", run_playbook(INV_DIR, "site.yml", "--check", "--diff"),
             expect_changed_zero=True)
        step("registry push -> Jenkins stand-in", run_playbook(INV_DIR, "lab/demo_push.yml"))
    finally:
        if os.environ.get("E2E_KEEP") != "1":
            labctl("down", *lab)
    print("e2e: passed")


if __name__ == "__main__":
    main()
