#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: files
short_description: Write, create or remove several files and directories in one call, optionally once a URL answers
version_added: 0.1.0
description:
  - One round trip for what would otherwise be one M(ansible.builtin.file) or M(ansible.builtin.copy) task
    per path (each several round trips) - for the files a container reads and the records written next to them.
  - Entries are handled in the order given. A file is written only when its content, mode, owner or group
    differ (compared as M(fleet.docker.container_state) compares them); it is written to a temporary file
    in the same directory, given its mode and owner, then renamed over the old one (atomic).
  - With O(wait_url), nothing is written before the URL answers with one of O(wait_status) (bounded by
    O(wait_timeout)); used to record what a service was started with only once it runs.
  - The content of the files is never shown (it may hold tokens or keys); the result names paths only.
options:
  files:
    description: The paths, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      state:
        description: V(file) (written with O(files[].content)), V(directory) (created when missing) or V(absent).
        type: str
        choices: [file, directory, absent]
        default: file
      content:
        description: The file's content (state V(file)). Never logged.
        type: str
      mode:
        description: Octal string such as V('0600').
        type: str
      owner:
        description: User name or uid.
        type: str
      group:
        description: Group name or gid.
        type: str
  wait_url:
    description: URL that must answer (HTTP or HTTPS; certificates are not verified) before anything is written.
    type: str
  wait_status:
    description: HTTP statuses that count as an answer.
    type: list
    elements: int
    default: [200]
  wait_timeout:
    description: Seconds to wait for O(wait_url).
    type: int
    default: 30
extends_documentation_fragment:
  - fleet.docker.engine.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: full
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Write the registry's files
  fleet.docker.files:
    files:
      - {path: /etc/docker/registry, state: directory, mode: "0755", owner: root, group: root}
      - {path: /etc/docker/registry/config.yml, content: "{{ config_text }}", mode: "0600", owner: root, group: root}

- name: Once it answers, record what it was started with and remove what it no longer reads
  fleet.docker.files:
    wait_url: http://127.0.0.1:5000/v2/
    wait_status: [200, 401]
    files:
      - {path: /etc/docker/registry/applied.sha256, content: "{{ digest }}", mode: "0600"}
      - {path: /etc/docker/registry/htpasswd, state: absent}
"""

RETURN = r"""
written:
  description: Files written (or that would be, in check mode).
  returned: always
  type: list
  elements: str
created:
  description: Directories created or whose mode/owner was fixed.
  returned: always
  type: list
  elements: str
removed:
  description: Paths removed.
  returned: always
  type: list
  elements: str
waited:
  description: Seconds spent waiting for O(wait_url).
  returned: always
  type: float
"""

import hashlib
import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError
from ansible.module_utils.urls import open_url

from ansible_collections.fleet.docker.plugins.module_utils.container_state import compare_file, file_facts, resolve_id


def spec_of(entry):
    """container_state's file spec for one entry (content as its sha256)."""
    spec = dict((k, entry.get(k)) for k in ("state", "mode", "owner", "group"))
    if (entry.get("state") or "file") == "file":
        spec["sha256"] = hashlib.sha256((entry.get("content") or "").encode("utf-8")).hexdigest()
    return spec


def entry_problems(entry):
    path, state = entry.get("path") or "", entry.get("state") or "file"
    if not os.path.isabs(path):
        return ["%s is not an absolute path" % path]
    if state == "file" and entry.get("content") is None:
        return ["%s: state file needs content" % path]
    if state == "absent" and any(entry.get(k) is not None for k in ("content", "mode", "owner", "group")):
        return ["%s: content/mode/owner/group make no sense with state absent" % path]
    if entry.get("mode") is not None and not str(entry["mode"]).isdigit():
        return ["%s: mode must be an octal string such as '0644'" % path]
    return []


def answer_status(url, timeout=3):
    """The HTTP status of a GET of url, or None when nothing answers."""
    try:
        # a liveness probe of the registry this host just started (its certificate may be self-signed)
        return open_url(url, timeout=timeout, validate_certs=False, use_proxy=False).getcode()
    except HTTPError as exc:
        return exc.code
    except Exception:
        return None


def wait_for(url, statuses, seconds, probe=None, sleep=None, clock=None):
    """(answered, last status or None, seconds waited)."""
    probe, sleep, clock = probe or answer_status, sleep or time.sleep, clock or time.monotonic
    start = clock()
    while True:
        status = probe(url)
        if status in statuses:
            return True, status, clock() - start
        if clock() - start >= seconds:
            return False, status, clock() - start
        sleep(0.5)


def set_attrs(module, path, entry):
    mode = entry.get("mode")
    if mode is not None:
        os.chmod(path, int(str(mode), 8))
    uid, gid = resolve_id(entry.get("owner"), "user"), resolve_id(entry.get("group"), "group")
    if uid is not None or gid is not None:
        os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)


def write_file(module, entry):
    path = entry["path"]
    fd, tmp = tempfile.mkstemp(prefix=".%s.fleet." % os.path.basename(path), dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(entry["content"].encode("utf-8"))
        set_attrs(module, tmp, entry)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="dict", required=True, options=dict(
                path=dict(type="path", required=True),
                state=dict(type="str", default="file", choices=["file", "directory", "absent"]),
                content=dict(type="str", no_log=True),
                mode=dict(type="str"),
                owner=dict(type="str"),
                group=dict(type="str"),
            )),
            wait_url=dict(type="str"),
            wait_status=dict(type="list", elements="int", default=[200]),
            wait_timeout=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    p = module.params
    problems = [m for e in p["files"] for m in entry_problems(e)]
    for e in p["files"]:
        for key, kind in (("owner", "user"), ("group", "group")):
            if e.get(key) is not None and resolve_id(e[key], kind) is None:
                problems.append("%s: %s %s does not exist on this host" % (e["path"], kind, e[key]))
    if problems:
        module.fail_json(msg="nothing was written: %s" % "; ".join(problems))

    waited = 0.0
    if p["wait_url"] and not module.check_mode:
        ok, status, waited = wait_for(p["wait_url"], p["wait_status"], p["wait_timeout"])
        if not ok:
            module.fail_json(msg="nothing was written: %s did not answer with %s within %ss (last: %s)" % (
                p["wait_url"], "/".join(str(s) for s in p["wait_status"]), p["wait_timeout"],
                "HTTP %s" % status if status is not None else "no answer"), waited=round(waited, 1))

    written, created, removed = [], [], []
    for e in p["files"]:
        state, path = e["state"], e["path"]
        spec = spec_of(e)
        facts = file_facts(path, state, state == "file")
        if not compare_file(path, spec, facts):
            continue
        if state == "absent":
            removed.append(path)
            if not module.check_mode:
                if os.path.isdir(path) and not os.path.islink(path):
                    module.fail_json(msg="%s is a directory; state absent removes files only" % path)
                os.unlink(path)
        elif state == "directory":
            created.append(path)
            if not module.check_mode:
                if not os.path.isdir(path):
                    os.makedirs(path)
                set_attrs(module, path, e)
        else:
            written.append(path)
            if not module.check_mode:
                write_file(module, e)
    module.exit_json(changed=bool(written or created or removed), written=written, created=created, removed=removed,
                     waited=round(waited, 1))


if __name__ == "__main__":
    main()
