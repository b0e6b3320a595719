#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: swarm_status
short_description: Status report of a swarm from one manager (nodes, TLS and certificates, unlock state, warnings)
version_added: "1.0.0"
description:
  - In one call on one manager, reads the nodes, services, tasks and the swarm object (C(GET /swarm)) and
    returns a report with one row per node (role, leader, availability, state, labels, engine version, TLS
    status, certificate expiry, unlock state, running tasks per service), the services with their task
    counts per node, and warnings.
  - Warnings - an even manager count or more than 7 managers; nodes Down or not Ready; managers not
    reachable; locked managers; node or root CA certificates expiring within O(cert_expiry_warning_days);
    nodes whose TLS needs rotation; nodes whose engine differs from O(expected_engine_version).
  - "TLS status is the rule of C(docker node ls): C(ready) when a node's C(Description.TLSInfo) (trust root and
    certificate issuer) equals the swarm's, C(needs-rotation) when not, C(unknown) when either is missing."
  - Certificate expiry is read from the certificate, which the API does not carry. The module reads the node
    certificate of the manager it runs on (O(node_certificate_path)); certificates of other nodes can be
    handed in with O(hosts) (playbooks/swarm_status.yml reads each host's file). A certificate is matched to
    its node by its subject (CN is the NodeID, O the cluster ID). The root CA's expiry comes from the swarm's
    trust root.
  - Also returns the report rendered as a text table, Markdown and one self-contained HTML page. All of it is
    built by pure functions in module_utils/status_report.py. Join tokens and keys never enter it.
extends_documentation_fragment:
  - fleet.docker.engine.swarm_manager
  - fleet.docker.engine.api
  - fleet.docker.engine.attributes
  - fleet.docker.engine.info_module
  - fleet.docker.engine.actiongroup_swarm
options:
  cert_expiry_warning_days:
    description:
      - Warn about node and root CA certificates that expire within this many days.
      - Swarm renews node certificates by itself between 50% and 80% of their lifetime (90 days by default), so
        with the default lifetime a healthy node never comes within 14 days of expiry.
    type: int
    default: 14
  expected_engine_version:
    description:
      - The pinned Docker Engine version. Nodes whose engine version does not match it are warned about. An
        apt version (C(5:26.1.5-1~debian.12~bookworm), C(26.1.5+dfsg1-9)) or a prefix (C(26.1)) matches the
        engine's reported version. Empty means no check.
    type: str
    default: ""
  node_certificate_path:
    description: The node certificate of the manager the module runs on.
    type: path
    default: /var/lib/docker/swarm/certificates/swarm-node.crt
  hosts:
    description:
      - What the hosts themselves said (optional; the report works without it).
      - Each item has C(name) (inventory hostname), C(node_id), C(swarm_state) (C(LocalNodeState) of its
        engine; C(locked) marks a locked manager) and C(certificate) (the PEM text of its swarm-node.crt).
    type: list
    elements: dict
    default: []
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Report the swarm's status from the first manager
  fleet.docker.swarm_status:
    cert_expiry_warning_days: 30
    expected_engine_version: "26.1.5"
  delegate_to: "{{ groups['swarm_managers'][0] }}"
  run_once: true
  register: status

- name: Print the table
  ansible.builtin.debug:
    msg: "{{ status.table }}"
  run_once: true
"""

RETURN = r"""
report:
  description: The report as data (what playbooks/swarm_status.yml writes as JSON).
  returned: success
  type: dict
  contains:
    checked_at:
      description: When the report was made (UTC, ISO 8601).
      type: str
    via:
      description: Hostname of the manager that was asked.
      type: str
    swarm:
      description:
        - Swarm-wide figures - id, created_at, autolock, root_rotation_in_progress, ca (fingerprint, not_after,
          days_left, subject), node_cert_lifetime_days, ca_force_rotate, nodes, managers, workers,
          reachable_managers, quorum, tolerance, leader (hostname).
      type: dict
    thresholds:
      description: The options the warnings were computed with.
      type: dict
    nodes:
      description:
        - One row per node, managers first - id, hostname, inventory_name, local, role, manager, leader,
          reachability, availability, state, addr, labels, engine_version, tls_status, trust_root (fingerprint),
          certificate (source, not_after, days_left, role; null when not read), unlock (C(n/a), C(off),
          C(unlocked), C(locked), C(unknown)), tasks (running tasks per service), warnings.
      type: list
      elements: dict
    services:
      description: Each service - name, mode, replicas (null for global), running, tasks_by_node (hostname -> count).
      type: list
      elements: dict
    warnings:
      description: Every warning, swarm-wide first, then per node prefixed with its hostname.
      type: list
      elements: str
warnings_found:
  description: The same as RV(report.warnings).
  returned: success
  type: list
  elements: str
table:
  description: The node table as text lines, then a summary line and the warnings.
  returned: success
  type: list
  elements: str
markdown:
  description: The report as Markdown.
  returned: success
  type: str
html:
  description: The report as one self-contained HTML page (inline CSS and SVG; no script, no external reference).
  returned: success
  type: str
"""

import datetime

from ansible_collections.fleet.docker.plugins.module_utils.status_report import (
    build_report,
    render_html,
    render_markdown,
    render_table,
)
from ansible_collections.fleet.docker.plugins.module_utils.swarm import SwarmClient, SwarmUnavailable


def read_text(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return ""


def main():
    client = SwarmClient(
        argument_spec=dict(
            cert_expiry_warning_days=dict(type="int", default=14),
            expected_engine_version=dict(type="str", default=""),
            node_certificate_path=dict(type="path", default="/var/lib/docker/swarm/certificates/swarm-node.crt"),
            hosts=dict(type="list", elements="dict", default=[]),
        ),
        supports_check_mode=True,
    )
    params = client.module.params
    local = client.require_manager()
    try:
        nodes = client.node_list()
        swarm = client.get_json("/swarm")
        services = client.service_list()
        tasks = client.task_list()
    except SwarmUnavailable as exc:
        client.fail("the managers cannot list the nodes: %s. Without a leader (lost quorum) there is no swarm view to "
                    "report; see docs/runbooks/recover-lost-quorum.md" % exc)
    except Exception as exc:  # the client's APIError
        client.fail("cannot read the swarm from this manager: %s" % exc)
    local_name = ""
    for n in nodes:
        if n.get("ID") == local.get("NodeID"):
            local_name = (n.get("Description") or {}).get("Hostname", "")
    report = build_report(
        nodes, swarm, services=services, tasks=tasks, hosts=params["hosts"],
        local_cert=read_text(params["node_certificate_path"]), local_node_id=local.get("NodeID", ""),
        now=datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0),
        threshold_days=params["cert_expiry_warning_days"],
        expected_engine=params["expected_engine_version"], via=local_name,
    )
    client.module.exit_json(changed=False, report=report, warnings_found=report["warnings"], table=render_table(report),
                            markdown=render_markdown(report), html=render_html(report))


if __name__ == "__main__":
    main()
