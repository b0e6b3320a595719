#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: engine_repo_key
short_description: Install an apt repository's signing key only when its fingerprint is the pinned one
version_added: 0.2.0
description:
  - Keeps O(path) holding exactly one OpenPGP public key whose primary fingerprint is O(fingerprint).
  - A file that already holds it is left alone (no download). Otherwise the key is taken from O(content)
    or downloaded from O(url), its fingerprint computed (in Python, no gpg needed) and compared with the
    pin B(before) anything is written; a key with another fingerprint, extra keys or no key at all is
    refused and the file left as it was. The file is written atomically, mode 0644.
  - The apt source then names the file in C(Signed-By), so only this key can sign that repository.
options:
  path:
    description: Key file (armored or binary, as given).
    type: path
    required: true
  fingerprint:
    description: Full primary-key fingerprint (40 hex digits for v4 keys; spaces allowed, as gpg prints it).
    type: str
    required: true
  url:
    description: Where to download the key when O(path) does not hold it.
    type: str
  content:
    description: The key itself (for hosts without access to O(url)); wins over O(url).
    type: str
  timeout:
    description: Seconds for the download.
    type: int
    default: 30
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
author:
  - fleet maintainers (@fleet)
"""

EXAMPLES = r"""
- name: Docker's repository key, pinned by fingerprint
  fleet.docker.engine_repo_key:
    path: /etc/apt/keyrings/docker.asc
    url: https://download.docker.com/linux/debian/gpg
    fingerprint: 9DC8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88
"""

RETURN = r"""
fingerprint:
  description: The pinned fingerprint, normalised (upper case, no spaces).
  returned: always
  type: str
source:
  description: Where the key came from - V(file) (already in place), V(content) or V(url).
  returned: always
  type: str
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import fetch_url

from ansible_collections.fleet.docker.plugins.module_utils import engine_package as ep


def read(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except (IOError, OSError):
        return None


def write_atomic(path, data):
    d = os.path.dirname(path) or "."
    if not os.path.isdir(d):
        os.makedirs(d, 0o755)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            fingerprint=dict(type="str", required=True),
            url=dict(type="str"),
            content=dict(type="str"),
            timeout=dict(type="int", default=30),
        ),
        required_one_of=[("url", "content")],
        supports_check_mode=True,
    )
    p = module.params
    want = ep.normalize_fingerprint(p["fingerprint"])
    have = read(p["path"])
    if have is not None and ep.check_key(have, want) is None:
        module.exit_json(changed=False, fingerprint=want, source="file")
    if p["content"]:
        data, origin = p["content"].encode("utf-8"), "content"
    else:
        resp, info = fetch_url(module, p["url"], timeout=p["timeout"])
        if info.get("status") != 200 or resp is None:
            module.fail_json(msg="downloading the key from %s failed: %s %s" % (
                p["url"], info.get("status"), info.get("msg", "")), fingerprint=want)
        data, origin = resp.read(), "url"
    problem = ep.check_key(data, want)
    if problem:
        module.fail_json(msg="not installing the key from %s into %s: %s" % (
            p["url"] if origin == "url" else "content", p["path"], problem), fingerprint=want)
    if not module.check_mode:
        write_atomic(p["path"], data)
    module.exit_json(changed=True, fingerprint=want, source=origin)


if __name__ == "__main__":
    main()
