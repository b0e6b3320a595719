#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: engine_packages
short_description: Plan the Docker Engine packages of this host (source, version pin, hold), changing nothing
version_added: 0.2.0
description:
  - Reads, in one round trip, what the docker_engine role needs - C(/etc/os-release), the engine packages
    dpkg knows (versions and hold state), the role's apt preferences and source files, whether the
    repository key file holds the pinned key, the C(docker) group and the local engine's swarm state -
    and returns what has to change (the decisions are in C(module_utils/engine_package.py)).
  - With O(resolve=true) it also reads the versions apt offers (C(apt-cache madison)) and returns the
    exact versions to install. Run it after refreshing the apt cache.
  - Never changes the host. It fails, naming the reason, when the engine would be replaced, upgraded or
    downgraded on an active swarm node (the package upgrade restarts dockerd) unless
    O(allow_swarm_restart=true); when the engine would switch between the distribution's and Docker's
    packages unless O(switch_source=true); and when an engine answers that no package installed.
extends_documentation_fragment:
  - fleet.docker.engine
options:
  source:
    description: C(distro) - the distribution's docker.io (plus docker-cli where split); C(docker) - Docker's repository.
    type: str
    choices: [distro, docker]
    default: distro
  version:
    description:
      - Pin. Empty - no pin (install the candidate when missing, never change an installed engine).
        An upstream release (V(26), V(26.1), V(26.1.5)) - the newest package of that release.
        A full package version (V(26.1.5+dfsg1-9+deb13u1), V(5:27.3.1-1~debian.12~bookworm)) - exactly it.
    type: str
    default: ""
  hold:
    description: Hold the engine packages (dpkg selection) so no unattended upgrade restarts dockerd.
    type: bool
    default: true
  allow_swarm_restart:
    description: Let an engine change go ahead on an active swarm node (dockerd restarts, unguarded).
    type: bool
    default: false
  rolling:
    description:
      - An engine upgrade or downgrade on an active swarm node is not refused; the plan marks it
        RV(plan.rolling) and RV(action) is V(restart), for fleet.docker.restart_plan (the role then upgrades
        such nodes one at a time - drained, quorum-guarded, the leader last). Other swarm states and source
        switches are still refused.
    type: bool
    default: false
  switch_source:
    description: Let the engine be replaced by the other source's packages.
    type: bool
    default: false
  extra_packages:
    description: Installed when missing, never pinned or held.
    type: list
    elements: str
    default: [python3-docker]
  users:
    description: Users that should be in the C(docker) group.
    type: list
    elements: str
    default: []
  preferences_path:
    description: The role's apt preferences file.
    type: path
    default: /etc/apt/preferences.d/docker-engine
  source_path:
    description: The role's deb822 source file for Docker's repository.
    type: path
    default: /etc/apt/sources.list.d/docker.sources
  keyring:
    description: Key file the source's C(Signed-By) names.
    type: path
    default: /etc/apt/keyrings/docker.asc
  key_fingerprint:
    description: Fingerprint of the primary key the key file must hold (and nothing else).
    type: str
    default: 9DC858229FC7DD38854AE2D88D81803C0EBFCD88
  repo_url:
    description: Base URL of Docker's repository (C(/debian) or C(/ubuntu) is appended).
    type: str
    default: https://download.docker.com/linux
  resolve:
    description: Also read the versions apt offers and return the exact versions to install.
    type: bool
    default: false
  apply_selections:
    description:
      - When the plan's only work is holding or releasing the engine packages (a host that already runs
        the wanted engine), do it in this call (C(dpkg --set-selections)) and return a plan with nothing
        left to do, so the role runs no further task. In check mode nothing is changed and the change is
        reported. Any other pending work leaves the plan as it is.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
requirements:
  - Debian 12/13 or Ubuntu 22.04/24.04 (dpkg, apt)
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Plan the engine packages
  fleet.docker.engine_packages:
    source: distro
    version: "26.1.5"
  register: engine_plan

- name: Exact versions to install, after apt-get update
  fleet.docker.engine_packages:
    source: distro
    version: "26.1.5"
    resolve: true
  register: engine_resolved
  when: engine_plan.plan.apt_needed
"""

RETURN = r"""
plan:
  description: What has to change (see module_utils/engine_package.py plan()).
  returned: always
  type: dict
  contains:
    changed:
      description: Anything at all to do.
      type: bool
    engine_change:
      description: V(none), V(install), V(change) (before O(resolve)), V(upgrade), V(downgrade) or V(switch).
      type: str
    apt_needed:
      description: Packages must be installed or removed (refresh the cache, then plan with O(resolve=true)).
      type: bool
    install:
      description: C({name, version}) to install; version empty for unpinned packages. Filled with O(resolve=true).
      type: list
      elements: dict
    install_args:
      description: The same as apt arguments (C(name=version) or C(name)).
      type: list
      elements: str
    remove:
      description: Installed packages of the other source, to remove.
      type: list
      elements: str
    hold:
      description: Engine packages not held yet.
      type: list
      elements: str
    unhold:
      description: Held engine packages to release (O(hold=false)).
      type: list
      elements: str
    preferences:
      description: Desired content of O(preferences_path); empty - no file.
      type: str
    preferences_changed:
      description: The file differs from it.
      type: bool
    source:
      description: Desired content of O(source_path); empty - no file.
      type: str
    source_changed:
      description: The file differs from it.
      type: bool
    key_needed:
      description: O(keyring) does not hold exactly the pinned key (Docker's repository only).
      type: bool
    users_to_add:
      description: Users of O(users) not yet in the docker group.
      type: list
      elements: str
    packages:
      description: The engine packages of this source and release.
      type: list
      elements: str
    current_version:
      description: Installed version of the engine package, empty when none.
      type: str
    target_version:
      description: Version it will have (with O(resolve=true)).
      type: str
    swarm_member:
      description: The engine is a swarm member (or dockerd is down with swarm state on disk).
      type: bool
    rolling:
      description: The engine changes on an active swarm node, to be done in the rolling path (O(rolling=true)).
      type: bool
    summary:
      description: One line saying what will change.
      type: str
release:
  description: C(id), C(version_id), C(codename) of the host's release.
  returned: always
  type: dict
installed:
  description: Installed versions of the packages the plan looked at.
  returned: always
  type: dict
action:
  description: V(restart) when the engine changes in the rolling path (RV(plan.rolling)), else V(none).
  returned: always
  type: str
applied:
  description: The holds and releases done in this call (O(apply_selections)), as the plan's summary said them.
  returned: when O(apply_selections) did them
  type: str
"""

import grp
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleet.docker.plugins.module_utils import engine_package as ep
from ansible_collections.fleet.docker.plugins.module_utils.engine import LocalEngine


def read_text(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except (IOError, OSError):
        return None


def dpkg_state(module, packages):
    """({package: version} installed, {package: selection}) from one dpkg-query call."""
    rc, out, _err = module.run_command(
        ["dpkg-query", "-W", "-f", "${Package}\\t${Version}\\t${db:Status-Abbrev}\\t${db:Status-Want}\\n"]
        + sorted(packages), environ_update={"LC_ALL": "C"})
    installed, selections = {}, {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 4:
            continue
        name, version, abbrev, want = parts
        if abbrev[1:2] in ("i", "U", "F", "H", "W", "t"):  # unpacked or more: the package is there
            installed[name] = version
        selections[name] = want
    return installed, selections


def madison(module, packages):
    rc, out, err = module.run_command(["apt-cache", "madison"] + list(packages), environ_update={"LC_ALL": "C"})
    if rc != 0:
        module.fail_json(msg="apt-cache madison failed: %s" % (err or out).strip())
    avail = {p: [] for p in packages}
    for line in out.splitlines():
        parts = [x.strip() for x in line.split("|")]
        if len(parts) >= 2 and parts[0] in avail and parts[1] not in avail[parts[0]]:
            avail[parts[0]].append(parts[1])
    return avail


def group_members(name):
    try:
        return list(grp.getgrnam(name).gr_mem)
    except KeyError:
        return []


def main():
    module = AnsibleModule(
        argument_spec=dict(
            source=dict(type="str", choices=list(ep.SOURCES), default="distro"),
            version=dict(type="str", default=""),
            hold=dict(type="bool", default=True),
            allow_swarm_restart=dict(type="bool", default=False),
            rolling=dict(type="bool", default=False),
            switch_source=dict(type="bool", default=False),
            extra_packages=dict(type="list", elements="str", default=list(ep.EXTRA_PACKAGES)),
            users=dict(type="list", elements="str", default=[]),
            preferences_path=dict(type="path", default="/etc/apt/preferences.d/docker-engine"),
            source_path=dict(type="path", default="/etc/apt/sources.list.d/docker.sources"),
            keyring=dict(type="path", default="/etc/apt/keyrings/docker.asc"),
            key_fingerprint=dict(type="str", default=ep.DOCKER_REPO_FINGERPRINT, no_log=False),
            repo_url=dict(type="str", default=ep.DOCKER_REPO_URL),
            resolve=dict(type="bool", default=False),
            apply_selections=dict(type="bool", default=False),
            docker_socket=dict(type="path", default="/var/run/docker.sock"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    osr = read_text("/etc/os-release") or read_text("/usr/lib/os-release") or b""
    try:
        release = ep.release_info(ep.parse_os_release(osr.decode("utf-8", "replace")))
        pkgs = ep.engine_packages(p["source"], release)
    except ep.EnginePackageError as exc:
        module.fail_json(msg=str(exc))
    other_source = "docker" if p["source"] == "distro" else "distro"
    query = set(pkgs) | set(ep.engine_packages(other_source, release)) | set(ep.CONFLICTS[p["source"]]) \
        | set(p["extra_packages"])
    installed, selections = dpkg_state(module, query)
    files = {"preferences": (read_text(p["preferences_path"]) or b"").decode("utf-8", "replace"),
             "source": (read_text(p["source_path"]) or b"").decode("utf-8", "replace")}
    arch = ""
    if p["source"] == "docker":
        key = read_text(p["keyring"])
        files["key_ok"] = key is not None and ep.check_key(key, p["key_fingerprint"]) is None
        rc, out, _err = module.run_command(["dpkg", "--print-architecture"])
        arch = out.strip()
    info = LocalEngine(p["docker_socket"], timeout=5).info() if os.path.exists(p["docker_socket"]) else None
    swarm_state = ((info or {}).get("Swarm") or {}).get("LocalNodeState") if info is not None else None
    data_root = (info or {}).get("DockerRootDir") or "/var/lib/docker"
    on_disk = os.path.exists(os.path.join(data_root, "swarm", "state.json"))
    available = madison(module, pkgs + list(p["extra_packages"])) if p["resolve"] else None
    try:
        result = ep.plan(
            p["source"], p["version"], release, installed, selections=selections, available=available,
            files=files, swarm_state=swarm_state, swarm_on_disk=on_disk,
            allow_swarm_restart=p["allow_swarm_restart"], hold=p["hold"], switch_source=p["switch_source"],
            rolling=p["rolling"],
            engine_version=(info or {}).get("ServerVersion", ""), extra_packages=p["extra_packages"],
            users=p["users"], group_members=group_members("docker"), arch=arch, repo_url=p["repo_url"],
            keyring=p["keyring"])
    except ep.EnginePackageError as exc:
        module.fail_json(msg=str(exc), release=release, installed=installed)
    result["install_args"] = ["%s=%s" % (i["name"], i["version"]) if i["version"] else i["name"]
                              for i in result["install"]]
    out = dict(plan=result, action="restart" if result["rolling"] else "none",
               release={k: release[k] for k in ("id", "version_id", "codename")}, installed=installed)
    if result["refuse"]:
        module.fail_json(msg=result["refuse"], **out)
    if p["apply_selections"] and ep.selections_only(result):
        # Only holds to set or release: done here, in the plan's own call (one round trip).
        if not module.check_mode:
            rc, _out, err = module.run_command(["dpkg", "--set-selections"], data=ep.selections_input(result),
                                               binary_data=True)
            if rc != 0:
                module.fail_json(msg="dpkg --set-selections failed: %s" % err.strip(), **out)
        out["applied"] = result["summary"]
        result.update(hold=[], unhold=[], changed=False, summary="nothing to do")
        module.exit_json(changed=True, **out)
    # Read-only: in check mode, report the pending change so --check shows it.
    module.exit_json(changed=bool(module.check_mode and result["changed"]), **out)


if __name__ == "__main__":
    main()
