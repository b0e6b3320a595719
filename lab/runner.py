"""Run ansible-playbook against a lab and read its result: seconds, recap, task count.

Shared by lab/e2e.py (asserts correctness) and lab/bench.py (prints figures).
"""

import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECAP = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)\s+ignored=(?P<ignored>\d+)"
)
TASK = re.compile(r"^TASK \[(?P<name>.*)\]")


class PlayResult:
    def __init__(self, seconds, rc, output):
        self.seconds = seconds
        self.rc = rc
        self.output = output
        self.recap = {}
        self.tasks = 0
        for line in output.splitlines():
            m = RECAP.match(line.strip())
            if m:
                self.recap[m.group("host")] = {k: int(v) for k, v in m.groupdict().items() if k != "host"}
            elif TASK.match(line):
                self.tasks += 1

    def total(self, key):
        return sum(r[key] for r in self.recap.values())

    @property
    def ok(self):
        return self.rc == 0 and self.total("failed") == 0 and self.total("unreachable") == 0


def run_playbook(inventory, playbook, *extra, echo=False, env=None):
    """Run a playbook from the repository root; return a PlayResult. `env` adds to the environment."""
    cmd = ["ansible-playbook", "-i", inventory, playbook] + list(extra)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_NOCOLOR="1", **(env or {}))
    t = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if echo:
                sys.stdout.write(line)
                sys.stdout.flush()
        proc.wait()
    finally:
        if proc.poll() is None:  # interrupted (Ctrl-C, SIGTERM): stop the run before the lab goes
            proc.terminate()
            proc.wait(timeout=60)
    return PlayResult(time.monotonic() - t, proc.returncode, "".join(lines))


def run_ansible(inventory, pattern, *extra):
    """Run an ad-hoc `ansible` command from the repository root; (seconds, rc, output)."""
    cmd = ["ansible", "-i", inventory, pattern] + list(extra)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_NOCOLOR="1")
    t = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300)
    return time.monotonic() - t, proc.returncode, proc.stdout


def labctl(*args):
    subprocess.run([sys.executable, os.path.join(ROOT, "lab", "labctl.py")] + list(args), cwd=ROOT, check=True)
