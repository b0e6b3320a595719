"""Decisions of the docker_engine role (module_utils/engine_package.py), table-driven."""

import itertools
import os

import pytest

from ansible_collections.fleet.docker.plugins.module_utils import engine_package as ep

FIX = os.path.join(os.path.dirname(__file__), "fixtures")
FPR_A = "93B1063854639DA6D871342778A9BA4F9C3E24A8"
FPR_A_SUB = "9BD49C9095FB9624E14C24CA8F8ACAF7CF10BB47"
FPR_B = "469F790DAAF649AC430D1689DDC9C9FF3F2669F9"


def fixture(name):
    with open(os.path.join(FIX, name), "rb") as fh:
        return fh.read()


TRIXIE = ep.release_info({"ID": "debian", "VERSION_ID": "13", "VERSION_CODENAME": "trixie"})
BOOKWORM = ep.release_info({"ID": "debian", "VERSION_ID": "12", "VERSION_CODENAME": "bookworm"})
NOBLE = ep.release_info({"ID": "ubuntu", "VERSION_ID": "24.04", "VERSION_CODENAME": "noble"})
JAMMY = ep.release_info({"ID": "ubuntu", "VERSION_ID": "22.04", "VERSION_CODENAME": "jammy"})

V_SEC = "26.1.5+dfsg1-9+deb13u1"
V_B1 = "26.1.5+dfsg1-9+deb13u1+b1"
TRIXIE_AVAILABLE = {"docker.io": [V_B1, V_SEC], "docker-cli": [V_B1, V_SEC], "containerd": ["1.7.24~ds1-6+deb13u1"],
                    "python3-docker": ["7.1.0-2"]}
TRIXIE_INSTALLED = {"docker.io": V_B1, "docker-cli": V_B1, "containerd": "1.7.24~ds1-6+deb13u1",
                    "python3-docker": "7.1.0-2"}
HELD = {"docker.io": "hold", "docker-cli": "hold", "containerd": "hold"}


# ------------------------------------------------------------------ os-release

OS_RELEASE_TRIXIE = '''PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
NAME="Debian GNU/Linux"
VERSION_ID="13"
VERSION="13 (trixie)"
VERSION_CODENAME=trixie
ID=debian
'''


def test_parse_os_release():
    got = ep.parse_os_release(OS_RELEASE_TRIXIE + "# comment\n\nBAD LINE\nX='single'\n")
    assert got["ID"] == "debian" and got["VERSION_ID"] == "13" and got["VERSION_CODENAME"] == "trixie"
    assert got["PRETTY_NAME"] == "Debian GNU/Linux 13 (trixie)" and got["X"] == "single"


@pytest.mark.parametrize("osr, codename, distro", [
    ({"ID": "debian", "VERSION_ID": "12"}, "bookworm", ["docker.io", "containerd"]),
    ({"ID": "debian", "VERSION_ID": "13", "VERSION_CODENAME": "trixie"}, "trixie",
     ["docker.io", "docker-cli", "containerd"]),
    ({"ID": "ubuntu", "VERSION_ID": "22.04", "VERSION_CODENAME": "jammy"}, "jammy", ["docker.io", "containerd"]),
    ({"ID": "ubuntu", "VERSION_ID": "24.04", "VERSION_CODENAME": "noble"}, "noble", ["docker.io", "containerd"]),
])
def test_release_info(osr, codename, distro):
    got = ep.release_info(osr)
    assert got["codename"] == codename and got["distro"] == distro


@pytest.mark.parametrize("osr", [
    {"ID": "debian", "PRETTY_NAME": "Debian GNU/Linux forky/sid"},  # testing: no VERSION_ID
    {"ID": "ubuntu", "VERSION_ID": "20.04"},
    {"ID": "centos", "VERSION_ID": "9"},
    {},
])
def test_release_info_refuses_unsupported(osr):
    with pytest.raises(ep.EnginePackageError, match="unsupported release .*supported: debian 12, debian 13"):
        ep.release_info(osr)


@pytest.mark.parametrize("source, release, want", [
    ("distro", TRIXIE, ["docker.io", "docker-cli", "containerd"]),
    ("distro", BOOKWORM, ["docker.io", "containerd"]),
    ("distro", JAMMY, ["docker.io", "containerd"]),
    ("docker", TRIXIE, ["docker-ce", "docker-ce-cli", "containerd.io"]),
    ("docker", NOBLE, ["docker-ce", "docker-ce-cli", "containerd.io"]),
])
def test_engine_packages(source, release, want):
    assert ep.engine_packages(source, release) == want


def test_engine_packages_refuses_unknown_source():
    with pytest.raises(ep.EnginePackageError, match="distro|docker"):
        ep.engine_packages("snap", TRIXIE)


# ------------------------------------------------------------------ versions

@pytest.mark.parametrize("a, b, sign", [
    (V_B1, V_SEC, 1),                                   # binNMU is newer
    ("26.1.5+dfsg1-9+deb13u1", "20.10.24+dfsg1-1+deb12u1+b6", 1),
    ("5:27.3.1-1~debian.12~bookworm", "27.3.1-1~debian.12~bookworm", 1),  # epoch wins
    ("5:27.3.1-1~debian.12~bookworm", "5:27.3.1-1~debian.12~bookworm", 0),
    ("5:28.0.0~rc.1-1~debian.12~bookworm", "5:28.0.0-1~debian.12~bookworm", -1),  # ~ sorts first
    ("5:27.10.0-1", "5:27.9.1-1", 1),
    ("1.0", "1.0-0", 0),
    ("1.0a", "1.0", 1),
    ("1.0~", "1.0", -1),
    ("24.0.7-0ubuntu4.1", "24.0.7-0ubuntu4", 1),
    ("27.5.1-0ubuntu3~24.04.2", "24.0.7-0ubuntu4.1", 1),
])
def test_compare_versions(a, b, sign):
    got = ep.compare_versions(a, b)
    assert (got > 0) - (got < 0) == sign
    second, first = a, b
    back = ep.compare_versions(first, second)
    assert (back > 0) - (back < 0) == -sign


@pytest.mark.parametrize("spec, version, want", [
    ("", V_B1, True),
    ("", "", True),
    ("26", V_B1, True),
    ("26.1", V_B1, True),
    ("26.1.5", V_B1, True),
    ("26.1.5", "26.1.50+dfsg1-1", False),
    ("26.1", "26.10.1+dfsg1-1", False),
    ("26.1.4", V_B1, False),
    ("27.3.1", "5:27.3.1-1~debian.12~bookworm", True),
    ("27.3", "5:27.3.1-1~ubuntu.24.04~noble", True),
    ("28.0.0", "5:28.0.0~rc.1-1~debian.12~bookworm", False),  # a pre-release is not 28.0.0
    ("24.0.7", "24.0.7-0ubuntu4.1", True),
    (V_SEC, V_SEC, True),
    (V_SEC, V_B1, False),                                    # exact means exact
    ("27.3.1-1~debian.12~bookworm", "5:27.3.1-1~debian.12~bookworm", True),  # epoch may be left out
    ("5:27.3.1-1~debian.12~bookworm", "5:27.3.1-1~debian.12~bookworm", True),
    ("4:27.3.1-1~debian.12~bookworm", "5:27.3.1-1~debian.12~bookworm", False),
    ("26.1.5", "", False),
])
def test_version_matches(spec, version, want):
    assert ep.version_matches(spec, version) is want


@pytest.mark.parametrize("spec, available, want", [
    ("", [V_SEC, V_B1], V_B1),
    ("26.1.5", [V_SEC, V_B1], V_B1),
    (V_SEC, [V_B1, V_SEC], V_SEC),
    ("27", [V_SEC, V_B1], None),
    ("27.3", ["5:27.3.0-1~debian.12~bookworm", "5:27.3.1-1~debian.12~bookworm", "5:27.4.0-1~debian.12~bookworm"],
     "5:27.3.1-1~debian.12~bookworm"),
    ("", [], None),
])
def test_pick_version(spec, available, want):
    assert ep.pick_version(spec, available) == want


# ------------------------------------------------------------------ apt files

def test_apt_source_docker_debian():
    text = ep.apt_source(BOOKWORM, "amd64")
    assert text.splitlines()[1:] == [
        "Types: deb",
        "URIs: https://download.docker.com/linux/debian",
        "Suites: bookworm",
        "Components: stable",
        "Architectures: amd64",
        "Signed-By: /etc/apt/keyrings/docker.asc",
    ]


def test_apt_source_docker_ubuntu_mirror_and_keyring():
    text = ep.apt_source(NOBLE, "arm64", url="https://mirror.example/docker/linux/", keyring="/etc/apt/keyrings/d.asc")
    assert "URIs: https://mirror.example/docker/linux/ubuntu\n" in text
    assert "Suites: noble\n" in text and "Architectures: arm64\n" in text
    assert "Signed-By: /etc/apt/keyrings/d.asc\n" in text


def test_apt_source_needs_arch():
    with pytest.raises(ep.EnginePackageError, match="architecture"):
        ep.apt_source(TRIXIE, "")


def test_apt_preferences():
    text = ep.apt_preferences([("docker.io", V_SEC), ("docker-cli", V_SEC)])
    stanzas = text.split("\n\n")[1:]
    assert stanzas == [
        "Package: docker.io\nPin: version %s\nPin-Priority: 1001" % V_SEC,
        "Package: docker-cli\nPin: version %s\nPin-Priority: 1001\n" % V_SEC,
    ]
    assert ep.apt_preferences([]) == ""


# ------------------------------------------------------------------ keys

@pytest.mark.parametrize("name, want", [
    ("key-a.asc", [FPR_A]),
    ("key-a.gpg", [FPR_A]),
    ("key-b.asc", [FPR_B]),
    ("key-ab.asc", [FPR_A, FPR_B]),
])
def test_primary_fingerprints(name, want):
    assert ep.primary_fingerprints(fixture(name)) == want


def test_armored_text_is_accepted_as_str():
    assert ep.primary_fingerprints(fixture("key-a.asc").decode()) == [FPR_A]


@pytest.mark.parametrize("name, pinned, problem", [
    ("key-a.asc", FPR_A, None),
    ("key-a.gpg", FPR_A, None),
    ("key-a.asc", "93B1 0638 5463 9DA6 D871  3427 78A9 BA4F 9C3E 24A8", None),  # as gpg prints it
    ("key-a.asc", FPR_A.lower(), None),
    ("key-a.asc", FPR_B, "fingerprint is %s, the pinned one is %s" % (FPR_A, FPR_B)),
    ("key-a.asc", FPR_A_SUB, "the pinned one is %s" % FPR_A_SUB),  # a subkey is not the key
    ("key-ab.asc", FPR_A, "fingerprint is %s, %s" % (FPR_A, FPR_B)),  # an extra key would sign too
    ("key-a.asc", FPR_A[-16:], "not a full 40 or 64 hex digit"),  # a long key ID is not a fingerprint
    ("key-a.asc", "", "not a full"),
])
def test_check_key(name, pinned, problem):
    got = ep.check_key(fixture(name), pinned)
    if problem is None:
        assert got is None
    else:
        assert problem in got


@pytest.mark.parametrize("data, problem", [
    (b"", "holds no public key"),
    (b"<html>404 Not Found</html>", "not a readable OpenPGP public key"),
    (b"-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n", "not a public key block"),
    (b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!notbase64\n-----END PGP PUBLIC KEY BLOCK-----\n", "base64"),
])
def test_check_key_rejects_garbage(data, problem):
    assert problem in ep.check_key(data, FPR_A)


def test_check_key_rejects_truncated_key():
    data = fixture("key-a.gpg")
    assert "not a readable OpenPGP public key" in ep.check_key(data[:40], FPR_A)


def test_docker_fingerprint_is_well_formed():
    assert ep.check_key(fixture("key-a.asc"), ep.DOCKER_REPO_FINGERPRINT).startswith("the key's fingerprint is")


# ------------------------------------------------------------------ the plan

def _plan(**kw):
    args = dict(source="distro", spec="", release=TRIXIE, installed={}, selections={}, available=None,
                files={}, swarm_state=None, arch="amd64")
    args.update(kw)
    return ep.plan(**args)


def _prefs(version):
    return ep.apt_preferences([("docker.io", version), ("docker-cli", version)])


def test_noop_host_unpinned():
    got = _plan(installed=TRIXIE_INSTALLED, selections=HELD, swarm_state="active")
    assert got["changed"] is False and got["engine_change"] == "none" and got["summary"] == "nothing to do"
    assert not got["apt_needed"] and got["refuse"] is None


def test_noop_host_pinned():
    got = _plan(spec=V_B1, installed=TRIXIE_INSTALLED, selections=HELD, files={"preferences": _prefs(V_B1)},
                swarm_state="active")
    assert got["changed"] is False, got["summary"]


def test_pinned_by_upstream_release_pins_the_installed_version():
    got = _plan(spec="26.1", installed=TRIXIE_INSTALLED, selections=HELD)
    assert got["engine_change"] == "none" and not got["apt_needed"]
    assert got["preferences_changed"] and got["preferences"] == _prefs(V_B1)


def test_bare_host_first_pass_then_install():
    first = _plan(spec=V_SEC)
    assert first["engine_change"] == "install" and first["apt_needed"] and first["install"] == []
    assert first["preferences"] is None and first["preferences_changed"]  # which version: not known yet
    second = _plan(spec=V_SEC, available=TRIXIE_AVAILABLE)
    assert second["install"] == [
        {"name": "docker.io", "version": V_SEC}, {"name": "docker-cli", "version": V_SEC},
        {"name": "containerd", "version": ""}, {"name": "python3-docker", "version": ""}]
    assert second["preferences"] == _prefs(V_SEC)
    assert second["hold"] == ["docker.io", "docker-cli", "containerd"]
    assert second["remove"] == [] and second["source"] == "" and not second["key_needed"]


def test_bare_host_unpinned_takes_the_candidate_and_writes_no_preferences():
    got = _plan(available=TRIXIE_AVAILABLE)
    assert got["install"][0] == {"name": "docker.io", "version": V_B1}
    assert got["preferences"] == "" and not got["preferences_changed"]


def test_unpinned_removes_a_preferences_file_left_from_a_pin():
    got = _plan(installed=TRIXIE_INSTALLED, selections=HELD, files={"preferences": _prefs(V_B1)})
    assert got["preferences"] == "" and got["preferences_changed"] and not got["apt_needed"]


def test_bare_host_that_is_no_swarm_member_is_not_refused_even_in_the_swarm_groups():
    got = _plan(spec=V_SEC, swarm_state="inactive")
    assert got["refuse"] is None


@pytest.mark.parametrize("spec, installed_v, want", [
    (V_B1, V_SEC, "upgrade"),
    (V_SEC, V_B1, "downgrade"),
])
def test_upgrade_and_downgrade_off_swarm(spec, installed_v, want):
    installed = dict(TRIXIE_INSTALLED, **{"docker.io": installed_v, "docker-cli": installed_v})
    first = _plan(spec=spec, installed=installed, selections=HELD, swarm_state="inactive")
    assert first["engine_change"] == "change" and first["apt_needed"] and first["refuse"] is None
    second = _plan(spec=spec, installed=installed, selections=HELD, swarm_state="inactive", available=TRIXIE_AVAILABLE)
    assert second["engine_change"] == want
    assert second["install"][:2] == [{"name": "docker.io", "version": spec}, {"name": "docker-cli", "version": spec}]
    assert second["preferences"] == _prefs(spec)
    # held before, but apt releases the hold of what it installs: hold them again afterwards
    assert second["hold"] == ["docker.io", "docker-cli"]
    assert "%s docker.io %s -> %s" % ("change", installed_v, "?") in first["summary"]
    assert "%s docker.io %s -> %s" % (want, installed_v, spec) in second["summary"]


@pytest.mark.parametrize("swarm_state, on_disk", [
    ("active", False), ("pending", False), ("locked", False), ("error", False),
    (None, True),  # dockerd down but the node's swarm state is on disk
])
def test_changed_pin_on_a_swarm_node_is_refused(swarm_state, on_disk):
    installed = dict(TRIXIE_INSTALLED, **{"docker.io": V_SEC, "docker-cli": V_SEC})
    got = _plan(spec=V_B1, installed=installed, selections=HELD, swarm_state=swarm_state, swarm_on_disk=on_disk)
    assert got["refuse"] and "refusing to change the Docker engine on an active swarm node" in got["refuse"]
    assert "docker.io %s" % V_SEC in got["refuse"] and "docker_engine_allow_swarm_restart" in got["refuse"]


def test_changed_pin_on_a_swarm_node_with_the_override():
    installed = dict(TRIXIE_INSTALLED, **{"docker.io": V_SEC, "docker-cli": V_SEC})
    got = _plan(spec=V_B1, installed=installed, selections=HELD, swarm_state="active", allow_swarm_restart=True)
    assert got["refuse"] is None and got["engine_change"] == "change"


@pytest.mark.parametrize("swarm_state", ["inactive", None])
def test_changed_pin_off_swarm_is_not_refused(swarm_state):
    installed = dict(TRIXIE_INSTALLED, **{"docker.io": V_SEC, "docker-cli": V_SEC})
    assert _plan(spec=V_B1, installed=installed, swarm_state=swarm_state)["refuse"] is None


def test_swarm_node_gets_files_holds_and_extras_without_refusal():
    # nothing here restarts dockerd: hold, preferences, python3-docker
    installed = {k: v for k, v in TRIXIE_INSTALLED.items() if k != "python3-docker"}
    got = _plan(spec="26.1.5", installed=installed, selections={}, swarm_state="active")
    assert got["refuse"] is None and got["engine_change"] == "none"
    assert got["hold"] == ["docker.io", "docker-cli", "containerd"] and got["preferences_changed"]
    assert got["apt_needed"]
    second = _plan(spec="26.1.5", installed=installed, swarm_state="active", available=TRIXIE_AVAILABLE)
    assert second["install"] == [{"name": "python3-docker", "version": ""}]


def test_cli_at_another_version_is_a_change():
    installed = dict(TRIXIE_INSTALLED, **{"docker-cli": V_SEC})
    got = _plan(spec=V_B1, installed=installed, selections=HELD, swarm_state="active")
    assert got["engine_change"] == "change" and got["refuse"]


def test_missing_cli_next_to_engine_is_an_install_not_a_refusal():
    installed = {k: v for k, v in TRIXIE_INSTALLED.items() if k != "docker-cli"}
    got = _plan(installed=installed, selections=HELD, swarm_state="active")
    assert got["engine_change"] == "install" and got["refuse"] is None


def test_unavailable_pin_names_what_is_available():
    with pytest.raises(ep.EnginePackageError, match=r"no docker.io version satisfying .*'27.0'.*available: %s, %s"
                       % (V_B1.replace("+", r"\+"), V_SEC.replace("+", r"\+"))):
        _plan(spec="27.0", available=TRIXIE_AVAILABLE)


def test_cli_missing_in_that_version_is_refused():
    avail = dict(TRIXIE_AVAILABLE, **{"docker-cli": [V_B1]})
    with pytest.raises(ep.EnginePackageError, match="docker-cli %s is not" % V_SEC.replace("+", r"\+")):
        _plan(spec=V_SEC, available=avail)


def test_switch_distro_to_docker_on_swarm_node_is_refused():
    got = _plan(source="docker", installed=TRIXIE_INSTALLED, selections=HELD, swarm_state="active",
                switch_source=True)
    assert got["engine_change"] == "switch" and "replace (switch source)" in got["refuse"]
    assert "docker.io %s" % V_B1 in got["refuse"]
    assert got["remove"] == ["docker.io", "docker-cli", "containerd"]


@pytest.mark.parametrize("swarm_state", ["inactive", "active"])
def test_switch_is_refused_without_its_own_switch(swarm_state):
    got = _plan(source="docker", installed=TRIXIE_INSTALLED, selections=HELD, swarm_state=swarm_state,
                allow_swarm_restart=True)
    assert "comes from the other source (docker.io %s installed" % V_B1 in got["refuse"]
    assert "docker_engine_switch_source=true" in got["refuse"]


def test_switch_off_swarm_with_the_switch():
    got = _plan(source="docker", installed=TRIXIE_INSTALLED, selections=HELD, swarm_state="inactive",
                switch_source=True, files={"key_ok": True})
    assert got["refuse"] is None and got["engine_change"] == "switch"
    second = _plan(source="docker", installed=TRIXIE_INSTALLED, selections=HELD, swarm_state="inactive",
                   switch_source=True, available=DOCKER_AVAILABLE)
    assert [i["name"] for i in second["install"]] == ["docker-ce", "docker-ce-cli", "containerd.io"]
    assert second["remove"] == ["docker.io", "docker-cli", "containerd"]


def test_engine_installed_outside_apt_is_refused():
    got = _plan(installed={}, swarm_state="active", engine_version="27.3.1")
    assert "installed outside apt" in got["refuse"] and "27.3.1" in got["refuse"]
    assert _plan(installed=TRIXIE_INSTALLED, engine_version="26.1.5", selections=HELD)["refuse"] is None


DOCKER_V = "5:27.3.1-1~debian.13~trixie"
DOCKER_AVAILABLE = {"docker-ce": [DOCKER_V, "5:27.3.0-1~debian.13~trixie"],
                    "docker-ce-cli": [DOCKER_V, "5:27.3.0-1~debian.13~trixie"],
                    "containerd.io": ["1.7.22-1"], "python3-docker": ["7.1.0-2"]}


def test_docker_source_on_bare_host():
    first = _plan(source="docker", spec="27.3", files={})
    assert first["key_needed"] and first["source_changed"] and first["apt_needed"]
    assert "URIs: https://download.docker.com/linux/debian\nSuites: trixie\n" in first["source"]
    second = _plan(source="docker", spec="27.3", available=DOCKER_AVAILABLE,
                   files={"key_ok": True, "source": first["source"]})
    assert second["install"] == [{"name": "docker-ce", "version": DOCKER_V}, {"name": "docker-ce-cli", "version": DOCKER_V},
                                 {"name": "containerd.io", "version": ""}, {"name": "python3-docker", "version": ""}]
    assert not second["key_needed"] and not second["source_changed"]
    assert second["preferences"] == ep.apt_preferences([("docker-ce", DOCKER_V), ("docker-ce-cli", DOCKER_V)])
    assert second["hold"] == ["docker-ce", "docker-ce-cli", "containerd.io"]


def test_docker_source_noop():
    installed = {"docker-ce": DOCKER_V, "docker-ce-cli": DOCKER_V, "containerd.io": "1.7.22-1", "python3-docker": "7.1.0-2"}
    files = {"key_ok": True, "source": ep.apt_source(TRIXIE, "amd64"),
             "preferences": ep.apt_preferences([("docker-ce", DOCKER_V), ("docker-ce-cli", DOCKER_V)])}
    got = _plan(source="docker", spec="27.3.1", installed=installed, files=files,
                selections={"docker-ce": "hold", "docker-ce-cli": "hold", "containerd.io": "hold"}, swarm_state="active")
    assert got["changed"] is False, got["summary"]


def test_docker_source_replaces_a_wrong_key_and_source():
    got = _plan(source="docker", installed={}, files={"key_ok": False, "source": "Types: deb\nURIs: http://evil\n"})
    assert got["key_needed"] and got["source_changed"]


def test_distro_source_drops_the_docker_source_file():
    got = _plan(installed=TRIXIE_INSTALLED, selections=HELD, files={"source": ep.apt_source(TRIXIE, "amd64")})
    assert got["source"] == "" and got["source_changed"]


def test_hold_false_releases_holds():
    got = _plan(installed=TRIXIE_INSTALLED, selections=HELD, hold=False)
    assert got["hold"] == [] and got["unhold"] == ["docker.io", "docker-cli", "containerd"]


def test_users():
    got = _plan(installed=TRIXIE_INSTALLED, selections=HELD, users=["ops", "ci"], group_members=["ops"])
    assert got["users_to_add"] == ["ci"] and got["changed"]
    assert _plan(installed=TRIXIE_INSTALLED, selections=HELD, users=["ops"], group_members=["ops"])["changed"] is False


def test_unknown_source_is_refused():
    with pytest.raises(ep.EnginePackageError):
        _plan(source="snap")


# rolling=True (role docker_engine): every swarm state x (rolling, allow_swarm_restart) for a
# changed pin on a node with docker.io installed. "rolling": the plan marks the node for the
# drained, quorum-guarded restart path; "refuse": nothing changes; "go": unguarded (override).
ROLLING_TABLE = {
    # (swarm_state, on_disk): {(rolling, allow): outcome}
    ("active", False): {(True, False): "rolling", (False, False): "refuse", (True, True): "go", (False, True): "go"},
    ("pending", False): {(True, False): "refuse", (False, False): "refuse", (True, True): "go", (False, True): "go"},
    ("locked", False): {(True, False): "refuse", (False, False): "refuse", (True, True): "go", (False, True): "go"},
    ("error", False): {(True, False): "refuse", (False, False): "refuse", (True, True): "go", (False, True): "go"},
    (None, True): {(True, False): "refuse", (False, False): "refuse", (True, True): "go", (False, True): "go"},
    ("inactive", False): {(True, False): "go", (False, False): "go", (True, True): "go", (False, True): "go"},
    (None, False): {(True, False): "go", (False, False): "go", (True, True): "go", (False, True): "go"},
}
ROLLING_CASES = [(st, disk, r, a, out) for (st, disk), row in ROLLING_TABLE.items() for (r, a), out in row.items()]


@pytest.mark.parametrize("swarm_state, on_disk, rolling, allow, outcome", ROLLING_CASES)
def test_rolling_table(swarm_state, on_disk, rolling, allow, outcome):
    installed = dict(TRIXIE_INSTALLED, **{"docker.io": V_SEC, "docker-cli": V_SEC})
    got = _plan(spec=V_B1, installed=installed, selections=HELD, swarm_state=swarm_state, swarm_on_disk=on_disk,
                rolling=rolling, allow_swarm_restart=allow)
    assert got["engine_change"] == "change"
    assert bool(got["refuse"]) is (outcome == "refuse")
    assert got["rolling"] is (outcome == "rolling")
    if outcome == "refuse" and rolling:
        assert "needs an active swarm node" in got["refuse"]
    # once apt's versions are read the rolling mark stays, with the exact direction
    if outcome == "rolling":
        second = _plan(spec=V_B1, installed=installed, selections=HELD, swarm_state=swarm_state, rolling=True,
                       available=TRIXIE_AVAILABLE)
        assert second["rolling"] and second["engine_change"] == "upgrade" and second["refuse"] is None


@pytest.mark.parametrize("rolling", [True, False])
def test_nothing_to_change_is_never_rolling(rolling):
    got = _plan(spec=V_SEC, installed=dict(TRIXIE_INSTALLED, **{"docker.io": V_SEC, "docker-cli": V_SEC}),
                selections=HELD, swarm_state="active", rolling=rolling)
    assert got["engine_change"] == "none" and not got["rolling"] and got["refuse"] is None


def test_switch_on_an_active_swarm_node_is_refused_even_when_rolling():
    installed = dict(TRIXIE_INSTALLED)
    got = _plan(source="docker", installed=installed, selections=HELD, swarm_state="active", rolling=True,
                switch_source=True)
    assert got["engine_change"] == "switch" and not got["rolling"]
    assert "a source switch removes the engine packages first" in got["refuse"]


# ------------------------------------------------------------------ holds done in the plan's call

SELECTION_FLAGS = ("apt_needed", "preferences_changed", "source_changed", "key_needed", "users_to_add", "rolling")


@pytest.mark.parametrize("hold,unhold", [(["docker.io"], []), ([], ["docker.io"]), (["a"], ["b"]), ([], [])])
@pytest.mark.parametrize("others", [frozenset(c) for n in range(len(SELECTION_FLAGS) + 1)
                                    for c in itertools.combinations(SELECTION_FLAGS, n)])
@pytest.mark.parametrize("refuse", [None, "refused"])
def test_selections_only_table(hold, unhold, others, refuse):
    result = dict((k, k in others) for k in SELECTION_FLAGS)
    result.update(hold=hold, unhold=unhold, refuse=refuse, changed=bool(hold or unhold or others))
    assert ep.selections_only(result) is bool((hold or unhold) and not others and not refuse)


def test_first_converge_on_an_installed_engine_is_holds_only():
    got = _plan(installed=TRIXIE_INSTALLED, selections={}, swarm_state="inactive")
    assert ep.selections_only(got) and got["hold"] == ["docker.io", "docker-cli", "containerd"]
    assert ep.selections_input(got) == "docker.io hold\ndocker-cli hold\ncontainerd hold\n"
    released = _plan(installed=TRIXIE_INSTALLED, selections=HELD, hold=False)
    assert ep.selections_only(released)
    assert ep.selections_input(released) == "docker.io install\ndocker-cli install\ncontainerd install\n"


def test_holds_with_an_install_are_left_to_the_role():
    got = _plan(installed={}, selections={})
    assert got["hold"] and got["apt_needed"] and not ep.selections_only(got)
