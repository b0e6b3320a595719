# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every decision that can break a swarm, as pure functions (no engine, no Ansible).

Roles reach these through the filter plugins in plugins/filter/ and modules import them
directly. Each function takes plain data (node summaries from module_utils.swarm,
inventory facts) and returns plain data with a verdict and a reason an operator can act
on. Unit tests (tests/unit/plugins/module_utils/test_planner*.py) enumerate every case
of the Raft rules: manager counts 1..9 and every set of unreachable managers.

The Raft rules (../shared/design/facts.md, "Quorum for restarts vs removals"):
  * A restarted, stopped or unreachable manager is still a Raft member: quorum needs
    floor(N/2)+1 of ALL N managers reachable. Taking k managers down is safe only when
    reachable - k >= floor(N/2)+1.
  * Only a demotion or a removal shrinks N: it is safe when the managers that REMAIN
    keep a majority of themselves reachable, and never for the last manager.

Sections (keep new functions in the section they belong to):
  1. Raft rules                     restart / take-down vs demote / remove verdicts
  2. Restart plan                   order, driver, verdict per step (docker_daemon)
  3. Removal plan                   who is demoted, drained, removed (swarm_node_remove)
  4. Availability bookkeeping       what to give back after a drain, recorded on the node
  5. Recovery, restore, init plan   split-brain guards, who is forced, who is reset
  6. Backup plan
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# --------------------------------------------------------------------------- 1. Raft rules

# --------------------------------------------------------------------------- 2. restart plan

# --------------------------------------------------------------------------- 3. removal plan

# --------------------------------------------------------------------------- 4. availability bookkeeping

# --------------------------------------------------------------------------- 5. recovery, restore, init plan

# --------------------------------------------------------------------------- 6. backup plan
