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
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
"""

    # Modules that return ansible_facts (they state `facts: support` themselves).
    FACTS = r"""
options: {}
attributes:
  facts:
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
"""

    # Modules that run on a swarm manager through the collection's Engine API client.
    SWARM_MANAGER = r"""
options: {}
requirements:
  - Docker API >= 1.25 on the manager (the collection's own stdlib client; no Docker SDK, no other collection)
"""

    # The Engine connection options of module_utils/swarm.py's SwarmClient (names, aliases and
    # environment variables as community.docker's modules have them, so module_defaults carry over).
    API = r"""
options:
  docker_host:
    description:
      - The Docker daemon to talk to - C(unix:///path/to/socket), C(tcp://host:port) or
        C(https://host:port) (TLS). A bare absolute path is a unix socket.
      - C(ssh://) is not supported; forward the remote socket instead.
      - If not given in the task, the environment variable E(DOCKER_HOST) is used.
    type: str
    default: unix:///var/run/docker.sock
    aliases: [docker_url]
  tls_hostname:
    description:
      - The name the daemon's certificate must carry, when it differs from the host in O(docker_host).
      - If not given in the task, the environment variable E(DOCKER_TLS_HOSTNAME) is used.
    type: str
  api_version:
    description:
      - The Engine API version to use, for example V(1.41). V(auto) sends unversioned requests,
        which the daemon answers with its own (newest) version.
      - If not given in the task, the environment variable E(DOCKER_API_VERSION) is used.
    type: str
    default: auto
    aliases: [docker_api_version]
  timeout:
    description:
      - Seconds to wait for the daemon's answer to one API request.
      - If not given in the task, the environment variable E(DOCKER_TIMEOUT) is used.
    type: int
    default: 60
  ca_path:
    description:
      - CA certificate file to verify the daemon's certificate with (O(validate_certs=true)).
      - If not given and E(DOCKER_CERT_PATH) is set, C(ca.pem) in that directory is used.
    type: path
    aliases: [ca_cert, tls_ca_cert, cacert_path]
  client_cert:
    description:
      - Client certificate file, for a daemon started with C(--tlsverify). Needs O(client_key).
      - If not given and E(DOCKER_CERT_PATH) is set, C(cert.pem) in that directory is used.
    type: path
    aliases: [tls_client_cert, cert_path]
  client_key:
    description:
      - Key file of O(client_cert).
      - If not given and E(DOCKER_CERT_PATH) is set, C(key.pem) in that directory is used.
    type: path
    aliases: [tls_client_key, key_path]
  tls:
    description:
      - Talk TLS to a C(tcp://) daemon without verifying its certificate. O(validate_certs=true)
        and C(https://) imply TLS.
      - If not given in the task, the environment variable E(DOCKER_TLS) is used.
    type: bool
    default: false
  validate_certs:
    description:
      - Talk TLS and verify the daemon's certificate (against O(ca_path), else the system's CAs)
        and its name (O(tls_hostname), else the host of O(docker_host)).
      - If not given in the task, the environment variable E(DOCKER_TLS_VERIFY) is used.
    type: bool
    default: false
    aliases: [tls_verify]
notes:
  - Connection options are those of community.docker's modules (same names, aliases and
    environment variables), so one C(module_defaults) entry can serve both; use
    C(group/fleet.docker.swarm) for every swarm module of this collection.
"""

    # Standard attributes; modules state support/details in their own `attributes`.
    ATTRIBUTES = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation
        indicates no change.
    support: full
"""

    # Read-only modules.
    INFO_MODULE = r"""
options: {}
attributes:
  idempotent:
    support: full
    details:
      - This action does not modify state.
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
"""

    # Membership of the action group the swarm modules share (meta/runtime.yml).
    ACTIONGROUP_SWARM = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/fleet.docker.swarm) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - fleet.docker.swarm
"""
