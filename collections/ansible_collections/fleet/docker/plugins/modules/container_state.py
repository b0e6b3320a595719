#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: container_state
short_description: Is a container, and the files it reads, exactly as a role last made them? (read-only, cheap)
version_added: 0.1.0
description:
  - One light round trip that tells a role whether it can skip its expensive path (file and copy
    tasks, M(community.docker.docker_container), readiness waits) on a converged host.
  - Reads the container and the image from the local engine's unix socket (stdlib only, no
    C(requests) or community.docker import) and C(stat)s and hashes the files.
  - Says C(in_sync=true) only when everything asked for was seen and matches; a container or
    image that does not exist, an engine that does not answer, a file that cannot be read, all
    count as differences, each with a reason.
  - Intended pattern - the role hashes every parameter it passes to
    M(community.docker.docker_container) (and the content of the files the container reads)
    into a label, passes that label here with the image reference and the files, and runs its
    full path only when this says C(in_sync=false). A label value is trusted as the record of
    the parameters the container was created with; settings that can change without
    re-creation (C(docker update), e.g. the restart policy) belong in O(attributes).
  - Never changes anything.
extends_documentation_fragment:
  - fleet.docker.engine
options:
  name:
    description: Name (or ID) of the container.
    type: str
    required: true
  state:
    description:
      - V(running) - the container must exist and run (neither paused nor restarting);
        V(stopped) - it must exist and not run; V(present) - it must exist.
    type: str
    choices: [running, stopped, present]
    default: running
  image:
    description:
      - Image reference the container must have been created from (its C(Config.Image), compared
        as M(community.docker.docker_container) compares it), and whose B(current) ID on the host
        it must run. A re-tagged or re-pulled image therefore counts as a difference, as does an
        image that is not on the host.
      - Unset - the image is not checked.
    type: str
  labels:
    description:
      - Labels the container must carry with exactly these values (other labels may be present).
      - Values are never shown in RV(reasons) (they may be hashes of secret files).
    type: dict
    default: {}
  attributes:
    description:
      - Container inspect values that must be equal, keyed by dotted path into C(docker inspect)
        output, for example C(HostConfig.RestartPolicy.Name). Numbers in a path index lists.
      - Actual and expected values are shown in reasons; do not put secrets here.
    type: dict
    default: {}
  files:
    description:
      - Files and directories on the host, keyed by absolute path. Each value is a dict with
      - C(state) - V(file) (default; a link is a difference, as M(ansible.builtin.copy) would
        replace it), V(directory) (followed through links, as M(ansible.builtin.file) does) or
        V(absent);
      - C(sha256) - hex digest the file's content must have (files only; never shown; compare the
        hash of what the role renders, so secrets never leave the controller);
      - C(mode) - octal string such as V('0600'); C(owner), C(group) - names or numeric ids.
    type: dict
    default: {}
  timeout:
    description: Seconds to wait for the engine's answers.
    type: int
    default: 10
attributes:
  check_mode:
    support: full
    details: The module never changes anything; it runs the same in check mode.
  diff_mode:
    support: none
notes:
  - Engine API errors other than C(404) (no such container or image) are reported as a difference,
    not as a failure, so a role falls back to its full path, where the real modules fail with
    their own messages. Malformed O(files) entries fail.
requirements:
  - Python 3 on the host (stdlib only)
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Check whether the registry container and its files are as this role last made them
  fleet.docker.container_state:
    name: registry
    image: registry:2
    labels:
      example.config-sha256: "{{ my_spec_and_files_hash }}"
    attributes:
      HostConfig.RestartPolicy.Name: always
    files:
      /etc/docker-registry:
        state: directory
        mode: "0755"
        owner: root
        group: root
      /etc/docker-registry/config.yml:
        sha256: "{{ my_config_text | hash('sha256') }}"
        mode: "0600"
        owner: root
        group: root
      /etc/docker-registry/htpasswd:
        state: absent
  register: registry_state

- name: Run the full path only when something differs
  ansible.builtin.include_tasks: apply.yml
  when: not registry_state.in_sync
"""

RETURN = r"""
in_sync:
  description: Everything asked for was seen and matches.
  returned: always
  type: bool
  sample: false
reasons:
  description: One line per difference (empty when in sync). Label values and digests are never shown.
  returned: always
  type: list
  elements: str
  sample:
    - "container registry: label example.config-sha256 has another value"
    - "container registry runs image sha256:0123456789ab, but registry:2 is now sha256:fedcba987654"
    - "/etc/docker-registry/config.yml: mode 0644, expected 0600"
container:
  description: What was found of the container.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether it exists (null when the engine did not answer).
      type: bool
    in_sync:
      description: >-
        Whether the container part (state, image, labels, attributes) matches; the files may still
        differ. A role can skip its container task when this is true.
      type: bool
    id:
      description: Its ID.
      type: str
      returned: when it exists
    image_id:
      description: ID of the image it runs.
      type: str
      returned: when it exists
    running:
      description: Whether it runs.
      type: bool
      returned: when it exists
files:
  description: Per path of O(files) - C(exists) (null when it could not be read) and C(in_sync).
  returned: always
  type: dict
  sample: {"/etc/docker-registry/htpasswd": {"exists": true, "in_sync": false}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleet.docker.plugins.module_utils.container_state import (
    check_container,
    check_file_specs,
    check_files,
)
from ansible_collections.fleet.docker.plugins.module_utils.engine import LocalEngine


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["running", "stopped", "present"], default="running"),
            image=dict(type="str"),
            labels=dict(type="dict", default={}),
            attributes=dict(type="dict", default={}),
            files=dict(type="dict", default={}),
            docker_socket=dict(type="path", default="/var/run/docker.sock"),
            timeout=dict(type="int", default=10),
        ),
        supports_check_mode=True,
    )
    p = module.params
    errors = check_file_specs(p["files"])
    if errors:
        module.fail_json(msg="container_state: " + "; ".join(errors))
    labels = {str(k): str(v) for k, v in p["labels"].items()}
    engine = LocalEngine(p["docker_socket"], timeout=p["timeout"])
    try:
        reasons, container = check_container(engine, p["name"], p["state"], p["image"], labels, p["attributes"])
        file_reasons, files = check_files(p["files"])
        reasons.extend(file_reasons)
    except Exception as exc:  # a check that cannot tell says "differs", never "in sync"
        reasons = ["the check itself failed (%s: %s)" % (type(exc).__name__, exc)]
        container, files = {"exists": None, "in_sync": False}, {}
    module.exit_json(changed=False, in_sync=not reasons, reasons=reasons, container=container, files=files)


if __name__ == "__main__":
    main()
