# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker Engine packages: every decision of the docker_engine role, as pure functions.

Which packages, which apt source and preferences lines, whether a repository key is the
pinned one, which version to install, and whether a change would restart dockerd on an
active swarm node. The module fleet.docker.engine_packages only gathers the host's state
(os-release, dpkg, files, /info) and calls plan(); the role then acts on the plan with
builtin modules. Nothing here touches the host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import re

DOCKER_REPO_URL = "https://download.docker.com/linux"
# Docker's release key ("Docker Release (CE deb) <docker@docker.com>"), as docs.docker.com
# lists it for the Debian and Ubuntu repositories.
DOCKER_REPO_FINGERPRINT = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"

# Supported releases: (ID, VERSION_ID) -> codename and the distribution's engine packages.
# Debian 13 splits the CLI out of docker.io (docker-cli); Debian 12 and Ubuntu ship it inside.
# containerd comes last: it is held (an unattended upgrade of it restarts containerd under
# dockerd) but not version-pinned, it has versions of its own (1.7.x).
RELEASES = {
    ("debian", "12"): {"codename": "bookworm", "distro": ["docker.io", "containerd"]},
    ("debian", "13"): {"codename": "trixie", "distro": ["docker.io", "docker-cli", "containerd"]},
    ("ubuntu", "22.04"): {"codename": "jammy", "distro": ["docker.io", "containerd"]},
    ("ubuntu", "24.04"): {"codename": "noble", "distro": ["docker.io", "containerd"]},
}
DOCKER_PACKAGES = ["docker-ce", "docker-ce-cli", "containerd.io"]
UNPINNED = ("containerd", "containerd.io")
# Installed alongside, never pinned or held (updating them does not restart dockerd).
EXTRA_PACKAGES = ["python3-docker"]
# What each source conflicts with (removed when switching; Docker's install guide lists
# the distribution's packages; docker.io declares Conflicts: docker-ce).
CONFLICTS = {
    "docker": ["docker.io", "docker-cli", "docker-doc", "docker-compose", "podman-docker", "containerd", "runc"],
    "distro": ["docker-ce", "docker-ce-cli", "containerd.io", "docker-ce-rootless-extras"],
}
SOURCES = ("distro", "docker")


class EnginePackageError(Exception):
    """A refusal or an input that cannot work; the message says what and why."""


# --------------------------------------------------------------------------- os-release


def parse_os_release(text):
    """/etc/os-release as a dict (shell-style KEY=value, quotes removed)."""
    out = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def release_info(os_release):
    """{'id', 'version_id', 'codename', 'distro'} of a supported release, else refuse."""
    rid = (os_release.get("ID") or "").lower()
    ver = os_release.get("VERSION_ID") or ""
    # Debian testing/sid have no VERSION_ID; say so instead of guessing.
    entry = RELEASES.get((rid, ver))
    if entry is None:
        supported = ", ".join("%s %s" % k for k in sorted(RELEASES))
        raise EnginePackageError(
            "unsupported release %s %s (%s); supported: %s"
            % (rid or "?", ver or "?", os_release.get("PRETTY_NAME", "no PRETTY_NAME"), supported))
    codename = os_release.get("VERSION_CODENAME") or entry["codename"]
    return {"id": rid, "version_id": ver, "codename": codename, "distro": list(entry["distro"])}


def engine_packages(source, release):
    """The packages that make up the engine (pinned and held), in install order."""
    if source == "distro":
        return list(release["distro"])
    if source == "docker":
        return list(DOCKER_PACKAGES)
    raise EnginePackageError("docker_engine_source must be one of %s, got %r" % ("|".join(SOURCES), source))


# --------------------------------------------------------------------------- versions (dpkg)


def _order(c):
    if c.isdigit():
        return 0
    if c.isalpha():
        return ord(c)
    if c == "~":
        return -1
    if c:
        return ord(c) + 256
    return 0


def _verrevcmp(a, b):
    """dpkg's verrevcmp (lib/dpkg/version.c) on one upstream or revision part."""
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def split_version(version):
    """(epoch:int, upstream, revision) of a Debian version string."""
    epoch, upstream, revision = 0, version, ""
    if ":" in upstream:
        e, _sep, upstream = upstream.partition(":")
        epoch = int(e) if e.isdigit() else 0
    if "-" in upstream:
        upstream, _sep, revision = upstream.rpartition("-")
    return epoch, upstream, revision


def compare_versions(a, b):
    """<0, 0, >0 as dpkg --compare-versions orders a and b."""
    ea, ua, ra = split_version(a)
    eb, ub, rb = split_version(b)
    if ea != eb:
        return ea - eb
    return _verrevcmp(ua, ub) or _verrevcmp(ra, rb)


_UPSTREAM_SPEC = re.compile(r"^[0-9]+(\.[0-9]+)*$")


def is_exact_spec(spec):
    """A full package version (has a revision or an epoch) rather than an upstream release."""
    return not _UPSTREAM_SPEC.match(spec)


def version_matches(spec, version):
    """Does package `version` satisfy docker_engine_version `spec`?

    - "" matches anything (no pin).
    - an upstream release "26", "26.1", "26.1.5" matches every package of that release
      (26.1.5+dfsg1-9, 5:26.1.5-1~debian.12~bookworm, 26.1.5-0ubuntu1) but not 26.10 or a
      pre-release (28.0.0~rc.1-1);
    - anything else is a full version and must be equal; a missing epoch matches any epoch
      ("27.3.1-1~debian.12~bookworm" matches "5:27.3.1-1~debian.12~bookworm").
    """
    if not spec:
        return True
    if not version:
        return False
    if is_exact_spec(spec):
        if ":" in spec:
            return compare_versions(spec, version) == 0 and spec.split(":", 1)[0] == version.split(":", 1)[0]
        return version == spec or version.split(":", 1)[-1] == spec
    _epoch, upstream, _revision = split_version(version)
    if "~" in upstream:
        return False
    numeric = re.match(r"^[0-9]+(\.[0-9]+)*", upstream)
    if not numeric or numeric.end() < len(upstream) and upstream[numeric.end()] not in "+":
        return False
    have = numeric.group(0).split(".")
    want = spec.split(".")
    return [int(x) for x in have[:len(want)]] == [int(x) for x in want]


def pick_version(spec, available):
    """The highest of `available` (package versions apt offers) that satisfies `spec`."""
    best = None
    for v in available:
        if version_matches(spec, v) and (best is None or compare_versions(v, best) > 0):
            best = v
    return best


# --------------------------------------------------------------------------- apt files


def apt_source(release, arch, url=DOCKER_REPO_URL, keyring="/etc/apt/keyrings/docker.asc", component="stable"):
    """Docker's repository as a deb822 .sources file (Signed-By: only this key signs it)."""
    if not arch:
        raise EnginePackageError("the dpkg architecture is unknown (dpkg --print-architecture gave nothing)")
    return (
        "# Managed by Ansible (fleet.docker, role docker_engine): Docker's apt repository.\n"
        "Types: deb\n"
        "URIs: %s/%s\n"
        "Suites: %s\n"
        "Components: %s\n"
        "Architectures: %s\n"
        "Signed-By: %s\n"
    ) % (url.rstrip("/"), release["id"], release["codename"], component, arch, keyring)


def apt_preferences(pins):
    """apt preferences pinning each package to one exact version (priority 1001, so a
    configured downgrade is honoured too). pins: [(package, version)]. Empty -> ""."""
    if not pins:
        return ""
    out = ["# Managed by Ansible (fleet.docker, role docker_engine): the engine's pinned version.",
           "# Change docker_engine_version instead of editing this file."]
    for pkg, ver in pins:
        out += ["", "Package: %s" % pkg, "Pin: version %s" % ver, "Pin-Priority: 1001"]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- OpenPGP keys


def normalize_fingerprint(fpr):
    return re.sub(r"[\s:]", "", fpr or "").upper().removeprefix("0X")


def dearmor(data):
    """Binary OpenPGP packets from an ASCII-armored block (bytes passed through)."""
    if isinstance(data, str):
        data = data.encode("ascii", "replace")
    if b"-----BEGIN PGP" not in data:
        return data
    lines = data.decode("ascii", "replace").splitlines()
    body, state = [], "before"
    for line in lines:
        s = line.strip()
        if state == "before":
            if s.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----"):
                state = "headers"
            elif s.startswith("-----BEGIN PGP"):
                raise EnginePackageError("the key file holds %s, not a public key block" % s.strip("-"))
            continue
        if state == "headers":
            if not s:
                state = "body"
            elif ":" not in s:  # no armor headers at all
                state = "body"
                body.append(s)
            continue
        if s.startswith("-----END PGP"):
            break
        if s.startswith("=") and len(s) == 5:  # CRC24 checksum line
            continue
        body.append(s)
    try:
        return base64.b64decode("".join(body), validate=True)
    except (ValueError, TypeError) as exc:
        raise EnginePackageError("the key file's armor is not valid base64: %s" % exc) from exc


def _packets(data):
    i = 0
    while i < len(data):
        hdr = data[i]
        if not hdr & 0x80:
            raise EnginePackageError("not an OpenPGP key (bad packet header at byte %d)" % i)
        if hdr & 0x40:  # new format
            tag = hdr & 0x3F
            o1 = data[i + 1]
            if o1 < 192:
                length, i = o1, i + 2
            elif o1 < 224:
                length, i = ((o1 - 192) << 8) + data[i + 2] + 192, i + 3
            elif o1 == 255:
                length, i = int.from_bytes(data[i + 2:i + 6], "big"), i + 6
            else:
                raise EnginePackageError("partial-length packets do not belong in a key")
        else:  # old format
            tag = (hdr >> 2) & 0x0F
            ltype = hdr & 0x03
            if ltype == 3:
                length, i = len(data) - i - 1, i + 1
            else:
                n = (1, 2, 4)[ltype]
                length, i = int.from_bytes(data[i + 1:i + 1 + n], "big"), i + 1 + n
        if i + length > len(data):
            raise EnginePackageError("the key is truncated (a packet runs past its end)")
        yield tag, data[i:i + length]
        i += length


def key_fingerprint(body):
    version = body[0] if body else 0
    if version == 4:
        return hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest().upper()
    if version in (5, 6):
        prefix = b"\x9a" if version == 5 else b"\x9b"
        return hashlib.sha256(prefix + len(body).to_bytes(4, "big") + body).hexdigest().upper()
    raise EnginePackageError("OpenPGP key version %d is not supported" % version)


def primary_fingerprints(data):
    """Fingerprints of the primary keys in an armored or binary OpenPGP key file."""
    return [key_fingerprint(body) for tag, body in _packets(dearmor(data)) if tag == 6]


def check_key(data, pinned):
    """None when `data` holds exactly the pinned primary key; else why it must not be used."""
    want = normalize_fingerprint(pinned)
    if len(want) not in (40, 64) or not re.match(r"^[0-9A-F]+$", want):
        return "the pinned fingerprint %r is not a full 40 or 64 hex digit fingerprint" % pinned
    try:
        found = primary_fingerprints(data)
    except (EnginePackageError, IndexError) as exc:
        return "the key is not a readable OpenPGP public key: %s" % exc
    if not found:
        return "the key file holds no public key"
    if found != [want]:
        return "the key's fingerprint is %s, the pinned one is %s" % (", ".join(found), want)
    return None


# --------------------------------------------------------------------------- the plan


def swarm_member(swarm_state, swarm_on_disk):
    """Is this engine a swarm member whose dockerd must not restart unguarded?

    swarm_state: /info's LocalNodeState, or None when dockerd does not answer;
    swarm_on_disk: /var/lib/docker/swarm holds state (a member whose dockerd is down)."""
    if swarm_state is None:
        return bool(swarm_on_disk)
    return swarm_state in ("active", "pending", "locked", "error")


def plan(source, spec, release, installed, selections=None, available=None, files=None,
         swarm_state=None, swarm_on_disk=False, allow_swarm_restart=False, hold=True, switch_source=False,
         engine_version="", rolling=False,
         extra_packages=None, users=None, group_members=None, arch="", repo_url=DOCKER_REPO_URL,
         keyring="/etc/apt/keyrings/docker.asc"):
    """What the role has to do on one host.

    installed: {package: version} of installed packages (of the engine, the other source and
    the extras); selections: {package: 'hold'|'install'|...}; available: {package: [versions]}
    from apt (None before the cache was refreshed: the plan then only says whether an apt
    change is needed); files: {'preferences': text|None, 'source': text|None,
    'key_ok': bool}; group_members: current members of the docker group; swarm_state: /info's
    LocalNodeState (None: dockerd does not answer); engine_version: /info's ServerVersion;
    rolling: an engine change (upgrade/downgrade) on an ACTIVE swarm node is not refused but
    marked `rolling`: the role applies it one node at a time, drained, quorum-guarded, leader
    last (planner.restart_plan); other swarm states and source switches are still refused.

    Returns a dict: engine_change (none|install|upgrade|downgrade|switch), changed (anything
    at all to do), apt_needed (packages to install or remove: refresh the cache and plan again
    with `available`), install [(pkg, version or '')], remove [pkgs], hold [pkgs],
    preferences (desired text, '' = no file, None = not known before `available`), preferences_changed, source (desired text,
    '' = no file), source_changed, key_needed, users_to_add, refuse (message or None),
    current/target versions and a summary.
    """
    selections = selections or {}
    files = files or {}
    users = list(users or [])
    group_members = set(group_members or [])
    extras = list(EXTRA_PACKAGES if extra_packages is None else extra_packages)
    if source not in SOURCES:
        raise EnginePackageError("docker_engine_source must be one of %s, got %r" % ("|".join(SOURCES), source))
    pkgs = engine_packages(source, release)
    pinned_pkgs = [p for p in pkgs if p not in UNPINNED]
    main_pkg = pkgs[0]
    other = [p for p in CONFLICTS[source] if p in installed]
    current = installed.get(main_pkg, "")
    missing = [p for p in pkgs if p not in installed]

    # 1. does the engine itself change (what restarts dockerd)?
    other_main = engine_packages("docker" if source == "distro" else "distro", release)[0]
    if other_main in installed:
        engine_change = "switch"
    elif not current:
        engine_change = "install"
    elif not version_matches(spec, current):
        engine_change = "change"  # upgrade or downgrade: known once `available` is read
    elif spec and any(not version_matches(spec, installed.get(p, "")) for p in pinned_pkgs if p in installed):
        engine_change = "change"  # e.g. docker-cli left at another version than docker.io
    elif missing:
        engine_change = "install"  # e.g. docker-cli missing next to docker.io
    else:
        engine_change = "none"
    extras_missing = [p for p in extras if p not in installed]

    refuse = None
    member = swarm_member(swarm_state, swarm_on_disk)
    if engine_version and not current and not installed.get(other_main):
        refuse = (
            "a Docker engine answers on this host (%s) but none of %s is installed: it was installed "
            "outside apt (static binaries, snap, ...). Remove it or set docker_engine_manage=false for this "
            "host; the role does not install a second engine next to it." % (engine_version, ", ".join(
                sorted({main_pkg, other_main}))))
    elif engine_change == "switch" and not switch_source:
        refuse = (
            "the engine on this host comes from the other source (%s %s installed, docker_engine_source=%s "
            "wants %s): replacing it removes %s and restarts dockerd. Set docker_engine_source to match, or "
            "docker_engine_switch_source=true to replace it."
            % (other_main, installed.get(other_main), source, main_pkg, " ".join(other)))
    installed_engine = (main_pkg, current) if current else (other_main, installed.get(other_main, ""))
    swarm_restart = bool(member and installed_engine[1] and engine_change in ("change", "switch"))
    is_rolling = (swarm_restart and rolling and not allow_swarm_restart and engine_change == "change"
                  and swarm_state == "active")
    if refuse is None and swarm_restart and not allow_swarm_restart and not is_rolling:
        state = swarm_state or "member (dockerd not answering, swarm state on disk)"
        if engine_change == "switch":
            why = "a source switch removes the engine packages first and is never rolled"
        elif rolling:
            why = ("the rolling (drained, quorum-guarded, leader-last) upgrade needs an active swarm node; "
                   "make it active first (unlock it, let it finish joining, or start dockerd)")
        else:
            why = "the rolling (drained, quorum-guarded, leader-last) engine upgrade was not asked for (rolling=false)"
        refuse = (
            "refusing to %s the Docker engine on an active swarm node (swarm state: %s): installed %s %s, "
            "docker_engine_version %r. The package upgrade restarts dockerd, which stops this node's tasks "
            "and, on a manager, can cost quorum; %s. Set docker_engine_allow_swarm_restart=true to upgrade "
            "this host anyway, unguarded (one host at a time, e.g. --limit, after draining it), or keep the "
            "installed version."
            % ("replace (switch source)" if engine_change == "switch" else "change", state,
               installed_engine[0], installed_engine[1], spec, why))

    # 2. exact versions, once apt's candidates are known.
    install, target = [], (current if engine_change == "none" else "")
    if available is not None and engine_change != "none":
        target = pick_version(spec, available.get(main_pkg, []))
        if not target:
            raise EnginePackageError(
                "no %s version satisfying docker_engine_version %r is available from the configured apt "
                "sources; available: %s"
                % (main_pkg, spec, ", ".join(sorted(available.get(main_pkg, []), key=_cmp_key, reverse=True))
                   or "none"))
        for p in pkgs:
            if p in UNPINNED:
                install.append((p, ""))
            elif p == main_pkg or target in available.get(p, []):
                # the CLI comes from the same source package: the very same version
                install.append((p, target))
            else:
                raise EnginePackageError(
                    "%s %s is available but %s %s is not (available: %s)"
                    % (main_pkg, target, p, target, ", ".join(available.get(p, [])) or "none"))
        if engine_change == "change":
            engine_change = "upgrade" if compare_versions(target, current) > 0 else "downgrade"
    if available is not None:
        install += [(p, "") for p in extras_missing]

    # 3. files and holds, from the version that is (or will be) installed.
    pin_version = target if install and target else current
    if spec and pin_version:
        pins = [(p, pin_version) for p in pinned_pkgs]
    else:
        pins = []
    preferences = apt_preferences(pins)
    if engine_change != "none" and available is None and spec:
        preferences = None  # the version to pin is known once apt's versions are read
    source_text = apt_source(release, arch, repo_url, keyring) if source == "docker" else ""
    key_needed = source == "docker" and files.get("key_ok") is not True
    # apt clears the hold of a package it installs (--allow-change-held-packages): hold again.
    installing = {p for p, v in install if v}
    hold_pkgs = [p for p in pkgs if hold and (selections.get(p) != "hold" or p in installing)]
    unhold = [p for p in pkgs if not hold and selections.get(p) == "hold"]
    users_to_add = [u for u in users if u not in group_members]
    preferences_changed = preferences is None or (files.get("preferences") or "") != preferences
    source_changed = (files.get("source") or "") != source_text
    apt_needed = engine_change != "none" or bool(extras_missing) or bool(other)
    changed = any([apt_needed, preferences_changed, source_changed, key_needed, hold_pkgs, unhold, users_to_add])
    summary = "nothing to do" if not changed else ", ".join(x for x in [
        "%s %s%s" % (engine_change, main_pkg, (" %s -> %s" % (current or "none", target or "?"))
                     if engine_change != "none" else "") if engine_change != "none" else "",
        "install %s" % " ".join(extras_missing) if extras_missing else "",
        "remove %s" % " ".join(other) if other else "",
        "write apt preferences" if preferences_changed else "",
        "write apt source" if source_changed else "",
        "install the repository key" if key_needed else "",
        "hold %s" % " ".join(hold_pkgs) if hold_pkgs else "",
        "unhold %s" % " ".join(unhold) if unhold else "",
        "add %s to the docker group" % " ".join(users_to_add) if users_to_add else "",
    ] if x)
    return {
        "engine_change": engine_change,
        "changed": bool(changed),
        "apt_needed": apt_needed,
        "install": [{"name": p, "version": v} for p, v in install],
        "remove": other,
        "hold": hold_pkgs,
        "unhold": unhold,
        "preferences": preferences,
        "preferences_changed": preferences_changed,
        "source": source_text,
        "source_changed": source_changed,
        "key_needed": key_needed,
        "users_to_add": users_to_add,
        "packages": pkgs,
        "current_version": current,
        "target_version": target or "",
        "swarm_member": member,
        "rolling": bool(is_rolling and refuse is None),
        "refuse": refuse,
        "summary": summary,
    }


def selections_only(result):
    """True when a plan's only work is holding or releasing packages (dpkg selections): the
    module then does it in the same call, and the role has nothing left to run."""
    return bool(result.get("changed") and not result.get("refuse") and (result.get("hold") or result.get("unhold"))
                and not any(result.get(k) for k in ("apt_needed", "preferences_changed", "source_changed",
                                                    "key_needed", "users_to_add", "rolling")))


def selections_input(result):
    """stdin of `dpkg --set-selections` for a plan's holds and releases."""
    return "".join("%s hold\n" % p for p in result.get("hold") or []) + \
        "".join("%s install\n" % p for p in result.get("unhold") or [])


class _cmp_key(object):
    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return compare_versions(self.v, other.v) < 0
