# -*- coding: utf-8 -*-
"""fleet.docker.engine_packages: reading dpkg and apt output (the plan itself is tested in
module_utils/test_engine_package.py; the module on real hosts in molecule/engine)."""

from __future__ import absolute_import, division, print_function

from ansible_collections.fleet.docker.plugins.modules import engine_packages


class FakeModule(object):
    def __init__(self, out, rc=0, err=""):
        self.out, self.rc, self.err, self.calls, self.failed = out, rc, err, [], None

    def run_command(self, argv, environ_update=None):
        self.calls.append(argv)
        return self.rc, self.out, self.err

    def fail_json(self, **kw):
        self.failed = kw
        raise SystemExit(1)


DPKG = (
    "containerd\t1.7.24~ds1-6+deb13u1\thi \thold\n"
    "docker-ce\t\tun \tunknown\n"
    "docker-cli\t26.1.5+dfsg1-9+deb13u1+b1\tii \tinstall\n"
    "docker.io\t26.1.5+dfsg1-9+deb13u1+b1\thi \thold\n"
    "runc\t1.1.15+ds1-2+b4\trc \tdeinstall\n"        # removed, config files left: not installed
    "python3-docker\t7.1.0-2\tiU \tinstall\n"          # unpacked, not configured: it is there
)


def test_dpkg_state():
    mod = FakeModule(DPKG, rc=1)  # rc 1: some names unknown to dpkg, output still valid
    installed, selections = engine_packages.dpkg_state(mod, {"docker.io", "docker-ce", "runc"})
    assert installed == {"containerd": "1.7.24~ds1-6+deb13u1", "docker-cli": "26.1.5+dfsg1-9+deb13u1+b1",
                         "docker.io": "26.1.5+dfsg1-9+deb13u1+b1", "python3-docker": "7.1.0-2"}
    assert selections["docker.io"] == "hold" and selections["docker-cli"] == "install"
    assert mod.calls[0][:2] == ["dpkg-query", "-W"] and mod.calls[0][-3:] == ["docker-ce", "docker.io", "runc"]


MADISON = (
    "  docker.io | 26.1.5+dfsg1-9+deb13u1+b1 | http://deb.debian.org/debian trixie/main amd64 Packages\n"
    "  docker.io | 26.1.5+dfsg1-9+deb13u1 | http://deb.debian.org/debian-security trixie-security/main amd64 Packages\n"
    " docker-cli | 26.1.5+dfsg1-9+deb13u1+b1 | http://deb.debian.org/debian trixie/main amd64 Packages\n"
    " containerd | 1.7.24~ds1-6+deb13u1 | http://deb.debian.org/debian trixie/main amd64 Packages\n"
    " containerd | 1.7.24~ds1-6+deb13u1 | http://deb.debian.org/debian-security trixie-security/main amd64 Packages\n"
)


def test_madison():
    avail = engine_packages.madison(FakeModule(MADISON), ["docker.io", "docker-cli", "containerd", "python3-docker"])
    assert avail == {"docker.io": ["26.1.5+dfsg1-9+deb13u1+b1", "26.1.5+dfsg1-9+deb13u1"],
                     "docker-cli": ["26.1.5+dfsg1-9+deb13u1+b1"], "containerd": ["1.7.24~ds1-6+deb13u1"],
                     "python3-docker": []}


def test_madison_failure_is_reported():
    mod = FakeModule("", rc=100, err="E: no lists")
    try:
        engine_packages.madison(mod, ["docker.io"])
    except SystemExit:
        pass
    assert "apt-cache madison failed: E: no lists" in mod.failed["msg"]
