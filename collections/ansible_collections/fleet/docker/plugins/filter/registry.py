# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role docker_registry's input checks and plan (module_utils/registry_config.py) as filters.

The filters only turn Ansible's data into plain dicts and lists and render config.yml with
Ansible's own to_nice_yaml; every decision is in module_utils/registry_config.py
(tests/unit/plugins/module_utils/test_registry_config.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: registry
short_description: Role docker_registry's input checks, config.yml, files and container spec as filters
version_added: 0.3.0
description:
  - C(inputs | fleet.docker.registry_input_errors) - every input problem, one message each naming the
    variable (module_utils/registry_config.py C(input_errors)); C(inputs) is role docker_registry's
    C(__docker_registry_inputs) (its variables without the C(docker_registry_) prefix).
  - C(inputs | fleet.docker.registry_exposures) - what the registry would expose (a Jenkins trigger
    without TLS and htpasswd beyond loopback, endpoint secrets logged at info/debug); refused by
    C(registry_input_errors) unless C(allow_insecure).
  - C(inputs | fleet.docker.registry_plan) - config.yml (text and data), the files of the config
    directory, the container spec and its sha256 (the container's label), the record
    C(applied.sha256) and what fleet.docker.container_state compares. Holds secrets - never print it.
  - C(plan | fleet.docker.registry_writes) with one argument, the registered result of
    fleet.docker.container_state (V({}) when unknown) - C(files) to write, C(finish) (the record, the
    files of disabled features to remove), C(applied_in_sync).
options: {}
author:
  - fleet maintainers
"""

EXAMPLES = r"""
- name: Refuse bad input
  ansible.builtin.assert:
    that: __docker_registry_inputs | fleet.docker.registry_input_errors | length == 0

- name: Show the container the role would run
  ansible.builtin.debug:
    msg: "{{ (__docker_registry_inputs | fleet.docker.registry_plan).container_spec }}"
"""

RETURN = r"""
_value:
  description:
    - registry_input_errors, registry_exposures - a list of messages (empty - nothing wrong).
    - registry_plan - a dict (tls, auth, scheme, local_address, config_dir, config, config_text, files,
      container_spec, spec_hash, applied_path, applied_text, dir_entry, state_files).
    - registry_writes - a dict (files, finish, applied_in_sync).
  type: raw
"""

from ansible.plugins.filter.core import to_nice_yaml

from ansible_collections.fleet.docker.plugins.filter.recovery import _plain  # lazy containers as plain data
from ansible_collections.fleet.docker.plugins.module_utils import registry_config as rc


def config_yaml(config):
    """config.yml as the role always rendered it: to_nice_yaml(indent=2, width=4096)."""
    return to_nice_yaml(config, indent=2, width=4096)


def registry_input_errors(inputs):
    return rc.input_errors(_plain(inputs))


def registry_exposures(inputs):
    return rc.exposures(_plain(inputs))


def registry_plan(inputs):
    return rc.registry_plan(_plain(inputs), config_yaml)


def registry_writes(plan, state=None):
    return rc.pending_writes(_plain(plan), _plain(state) or {})


class FilterModule(object):
    """Role docker_registry's checks and plan (fleet.docker.<name>)."""

    def filters(self):
        return {
            "registry_input_errors": registry_input_errors,
            "registry_exposures": registry_exposures,
            "registry_plan": registry_plan,
            "registry_writes": registry_writes,
        }
