# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation shared by the fleet.docker modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Modules that talk to the local engine over its unix socket (module_utils/engine.py),
    # and keep working while it does not answer.
    DOCUMENTATION = r"""
options:
  docker_socket:
    description: Path of the engine's unix socket.
    type: path
    default: /var/run/docker.sock
"""

    # Modules that run on a swarm manager through community.docker's API client.
    SWARM_MANAGER = r"""
options: {}
requirements:
  - Docker API >= 1.25 on the manager (the vendored client of community.docker; no Docker SDK needed)
"""
