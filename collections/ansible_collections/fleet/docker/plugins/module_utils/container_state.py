# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a container, and the files it reads, exactly as a role last made them?

Used by fleet.docker.container_state: a cheap read-only check (stdlib, the engine's
unix socket through module_utils/engine.py) that lets a role skip its expensive path
(file/copy tasks, community.docker.docker_container) when nothing differs. Every
function answers with a list of reasons; an empty list means "in sync". Anything the
check cannot establish is a reason too, so a doubt always sends the role down its
full path.

Reasons never show label values or file digests: a role's label may be a hash of
files that hold secrets.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import hashlib
import os
import pwd
import re
import stat

from urllib.parse import quote

from ansible_collections.fleet.docker.plugins.module_utils.engine import EngineUnavailable

FILE_STATES = ("file", "directory", "absent")
_MODE_RE = re.compile(r"^[0-7]{3,4}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_MISSING = object()


# --------------------------------------------------------------------------- input


def check_file_specs(files):
    """Messages for malformed `files` entries (the caller's mistakes, not drift)."""
    errors = []
    for path, spec in sorted((files or {}).items()):
        spec = spec or {}
        if not os.path.isabs(path):
            errors.append("files: %s is not an absolute path" % path)
        state = spec.get("state") or "file"
        if state not in FILE_STATES:
            errors.append("files[%s].state must be one of %s, got %s" % (path, ", ".join(FILE_STATES), state))
        mode = spec.get("mode")
        if mode is not None and not _MODE_RE.match(str(mode)):
            errors.append("files[%s].mode must be an octal string such as '0644', got %s" % (path, mode))
        digest = spec.get("sha256")
        if digest is not None and not _SHA256_RE.match(str(digest)):
            errors.append("files[%s].sha256 must be 64 lowercase hex digits" % path)
        if state != "file" and digest is not None:
            errors.append("files[%s].sha256 is only meaningful with state=file" % path)
        if state == "absent" and any(spec.get(k) is not None for k in ("mode", "owner", "group")):
            errors.append("files[%s]: mode/owner/group make no sense with state=absent" % path)
    return errors


# --------------------------------------------------------------------------- files


def file_facts(path, state="file", want_sha256=False):
    """What is at `path` (reads the filesystem).

    A `file` is looked at without following links (ansible.builtin.copy replaces a link
    at its destination); a `directory` through links (as ansible.builtin.file does).
    """
    try:
        st = os.stat(path) if state == "directory" else os.lstat(path)
    except FileNotFoundError:
        return {"exists": False}
    except OSError as exc:
        return {"exists": None, "error": str(exc)}
    if stat.S_ISREG(st.st_mode):
        kind = "file"
    elif stat.S_ISDIR(st.st_mode):
        kind = "directory"
    elif stat.S_ISLNK(st.st_mode):
        kind = "link"
    else:
        kind = "other"
    facts = {"exists": True, "type": kind, "mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid}
    if want_sha256 and kind == "file":
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 16), b""):
                    digest.update(chunk)
        except OSError as exc:
            return {"exists": None, "error": str(exc)}
        facts["sha256"] = digest.hexdigest()
    return facts


def resolve_id(name, kind):
    """uid/gid of a user/group name or number; None when unknown."""
    if name is None:
        return None
    text = str(name)
    if text.isdigit():
        return int(text)
    try:
        return pwd.getpwnam(text).pw_uid if kind == "user" else grp.getgrnam(text).gr_gid
    except KeyError:
        return None


def compare_file(path, spec, facts, resolve=resolve_id):
    """Reasons why `facts` (from file_facts) do not match `spec`."""
    state = spec.get("state") or "file"
    if facts.get("exists") is None:
        return ["%s: cannot be read (%s)" % (path, facts.get("error", "unknown error"))]
    if state == "absent":
        return ["%s: exists, expected absent" % path] if facts["exists"] else []
    if not facts["exists"]:
        return ["%s: missing" % path]
    if facts["type"] != state:
        return ["%s: is a %s, expected a %s" % (path, facts["type"], state)]
    reasons = []
    if spec.get("sha256") is not None and facts.get("sha256") != spec["sha256"]:
        reasons.append("%s: content differs" % path)
    if spec.get("mode") is not None and facts["mode"] != int(str(spec["mode"]), 8):
        reasons.append("%s: mode %04o, expected %04o" % (path, facts["mode"], int(str(spec["mode"]), 8)))
    for key, kind, actual in (("owner", "user", facts["uid"]), ("group", "group", facts["gid"])):
        if spec.get(key) is None:
            continue
        wanted = resolve(spec[key], kind)
        if wanted is None:
            reasons.append("%s: %s %s does not exist on this host" % (path, kind, spec[key]))
        elif actual != wanted:
            reasons.append("%s: %s id %d, expected %s (%d)" % (path, key, actual, spec[key], wanted))
    return reasons


def check_files(files, facts_of=file_facts, resolve=resolve_id):
    """(reasons, {path: {exists, in_sync}}) for every entry of `files`."""
    reasons, report = [], {}
    for path in sorted(files or {}):
        spec = files[path] or {}
        state = spec.get("state") or "file"
        facts = facts_of(path, state, spec.get("sha256") is not None)
        found = compare_file(path, spec, facts, resolve)
        reasons.extend(found)
        report[path] = {"exists": facts.get("exists"), "in_sync": not found}
    return reasons, report


# --------------------------------------------------------------------------- container


def lookup(data, dotted):
    """data['A']['B'] for 'A.B' (list indexes as numbers); _MISSING when absent."""
    for part in dotted.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return _MISSING
    return data


def compare_container(name, inspect, state="running", image=None, image_id=None, labels=None, attributes=None):
    """Reasons why a container's inspect data differs from what is expected.

    image: the reference the container must have been created from (Config.Image, as
    community.docker.docker_container compares it); image_id: what that reference
    resolves to on the host now (the container must run exactly that image).
    """
    if inspect is None:
        missing = ["container %s does not exist" % name]
        return missing + (["image %s is not on the host" % image] if image is not None and image_id is None else [])
    reasons = []
    seen = inspect.get("State") or {}
    if seen.get("Status") in ("removing", "dead"):
        reasons.append("container %s is %s" % (name, seen["Status"]))
    elif state == "running":
        if not seen.get("Running"):
            reasons.append("container %s is not running (%s)" % (name, seen.get("Status") or "unknown state"))
        elif seen.get("Paused") or seen.get("Restarting"):
            reasons.append("container %s is %s" % (name, "paused" if seen.get("Paused") else "restarting"))
    elif state == "stopped" and seen.get("Running"):
        reasons.append("container %s is running, expected stopped" % name)
    if image is not None:
        created_from = (inspect.get("Config") or {}).get("Image")
        if created_from != image:
            reasons.append("container %s was created from %s, expected %s" % (name, created_from, image))
        if image_id is None:
            reasons.append("image %s is not on the host" % image)
        elif inspect.get("Image") != image_id:
            reasons.append("container %s runs image %s, but %s is now %s"
                           % (name, _short(inspect.get("Image")), image, _short(image_id)))
    actual_labels = (inspect.get("Config") or {}).get("Labels") or {}
    for key in sorted(labels or {}):
        if key not in actual_labels:
            reasons.append("container %s: label %s is missing" % (name, key))
        elif actual_labels[key] != str(labels[key]):
            reasons.append("container %s: label %s has another value" % (name, key))
    for path in sorted(attributes or {}):
        actual = lookup(inspect, path)
        if actual is _MISSING:
            reasons.append("container %s: %s is not set, expected %r" % (name, path, attributes[path]))
        elif actual != attributes[path]:
            reasons.append("container %s: %s is %r, expected %r" % (name, path, actual, attributes[path]))
    return reasons


def _short(image_id):
    text = str(image_id or "")
    return text[:19] if text.startswith("sha256:") else text[:12]


def _get_or_none(engine, path):
    """engine.get(path), None on 404; other errors propagate."""
    try:
        return engine.get(path)
    except EngineUnavailable as exc:
        if exc.status == 404:
            return None
        raise


def check_container(engine, name, state="running", image=None, labels=None, attributes=None):
    """(reasons, {exists, in_sync, id, image_id, running}) from the engine (an object with .get(path))."""
    try:
        inspect = _get_or_none(engine, "/containers/%s/json" % quote(name, safe=""))
        image_id = None
        if image is not None:
            found = _get_or_none(engine, "/images/%s/json" % quote(image, safe="/:@"))
            image_id = (found or {}).get("Id")
    except (EngineUnavailable, ValueError) as exc:
        return ["the engine did not answer the check (%s)" % exc], {"exists": None, "in_sync": False}
    reasons = compare_container(name, inspect, state, image, image_id, labels, attributes)
    summary = {"exists": inspect is not None, "in_sync": not reasons}
    if inspect is not None:
        summary.update(id=inspect.get("Id", ""), image_id=inspect.get("Image", ""),
                       running=bool((inspect.get("State") or {}).get("Running")))
    return reasons, summary
