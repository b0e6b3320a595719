"""Callback for lab/bench.py: one JSON line per task with its wall time, role and file.

Enabled by the bench only (ANSIBLE_CALLBACK_PLUGINS + ANSIBLE_CALLBACKS_ENABLED); writes
to the file named by BENCH_TIMING_FILE. A task's time runs from its start to the start of
the next task (or play, or the end), as profile_tasks counts it, so the lines add up to the
run's wall time minus start-up.
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_timing
type: aggregate
short_description: per-task wall times as JSON lines (lab/bench.py)
description: Writes one JSON object per task to the file named by BENCH_TIMING_FILE.
requirements: [enable in callbacks_enabled]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timing"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._path = os.environ.get("BENCH_TIMING_FILE")
        self._fh = open(self._path, "w") if self._path else None  # noqa: SIM115 - closed in stats
        self._t0 = time.monotonic()
        self._play = ""
        self._cur = None

    def _close(self):
        if self._cur is None or self._fh is None:
            self._cur = None
            return
        cur, self._cur = self._cur, None
        cur["seconds"] = round(time.monotonic() - cur.pop("_start"), 4)
        self._fh.write(json.dumps(cur) + "\n")

    def _start(self, task, handler=False):
        self._close()
        role = task._role.get_name() if getattr(task, "_role", None) else ""
        path = task.get_path() or ""
        self._cur = {
            "play": self._play, "role": role, "task": task.get_name(), "action": task.action,
            "path": os.path.relpath(path) if path else "", "handler": handler,
            "offset": round(time.monotonic() - self._t0, 4), "_start": time.monotonic(),
            "hosts": {"ok": 0, "changed": 0, "skipped": 0, "failed": 0}, "items": 0,
        }

    def _count(self, key):
        if self._cur is not None:
            self._cur["hosts"][key] += 1

    def v2_playbook_on_play_start(self, play):
        self._close()
        self._play = play.get_name()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task, handler=True)

    def v2_runner_on_ok(self, result):
        self._count("changed" if result._result.get("changed") else "ok")

    def _item(self):
        if self._cur is not None:
            self._cur["items"] += 1

    def v2_runner_item_on_ok(self, result):
        self._item()

    def v2_runner_item_on_failed(self, result):
        self._item()

    def v2_runner_on_skipped(self, result):
        self._count("skipped")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count("failed")

    def v2_runner_on_unreachable(self, result):
        self._count("failed")

    def v2_playbook_on_stats(self, stats):
        self._close()
        if self._fh is not None:
            self._fh.write(json.dumps({"end": round(time.monotonic() - self._t0, 4)}) + "\n")
            self._fh.close()
            self._fh = None
