# -*- coding: utf-8 -*-
"""Plain pytest on the pure logic behind daemon_json / daemon_apply."""

from __future__ import absolute_import, division, print_function

import json

import pytest

from ansible_collections.fleet.docker.plugins.module_utils import daemon_config as dc

# What `systemctl show docker.service -p ExecStart -p EnvironmentFiles -p Environment -p MainPID`
# prints on the Debian trixie lab nodes (docker.io 26.1.5).
DEBIAN_SHOW = (
    "MainPID=87\n"
    "ExecStart={ path=/usr/sbin/dockerd ; argv[]=/usr/sbin/dockerd -H fd:// "
    "--containerd=/run/containerd/containerd.sock $DOCKER_OPTS ; ignore_errors=no ; "
    "start_time=[Sat 2026-11-28 23:47:23 UTC] ; stop_time=[n/a] ; pid=87 ; code=(null) ; status=0/0 }\n"
    "Environment=\n"
    "EnvironmentFiles=/etc/default/docker (ignore_errors=yes)\n"
)


# --------------------------------------------------------------------------- normalize


def test_log_opts_become_strings():
    assert dc.normalize_log_opts({"max-file": 3, "max-size": "10m", "compress": True, "x": 1.5}) == {
        "max-file": "3", "max-size": "10m", "compress": "true", "x": "1.5"}


@pytest.mark.parametrize("bad", [{"max-file": None}, {"labels": ["a"]}, {"tag": {"a": 1}}])
def test_log_opts_refuse_nested_or_null(bad):
    with pytest.raises(dc.ConfigError) as exc:
        dc.normalize_log_opts(bad)
    assert exc.value.key == "log-opts"


def test_log_opts_must_be_a_dict():
    with pytest.raises(dc.ConfigError, match="must be a dict"):
        dc.normalize_log_opts("max-size=10m")


def test_normalize_config_leaves_other_keys_alone():
    cfg = {"log-opts": {"max-file": 3}, "insecure-registries": ["http://r:5000"], "debug": True}
    out = dc.normalize_config(cfg)
    assert out == {"log-opts": {"max-file": "3"}, "insecure-registries": ["r:5000"], "debug": True}
    assert cfg["log-opts"] == {"max-file": 3}  # input not mutated


# --------------------------------------------------------------------------- insecure registries


@pytest.mark.parametrize("entry,want", [
    ("registry.lab:5000", "registry.lab:5000"),
    ("http://registry.lab:5000", "registry.lab:5000"),
    ("HTTPS://registry.lab:5000/", "registry.lab:5000"),
    ("http://10.0.0.5:5000//", "10.0.0.5:5000"),
    ("10.0.0.5", "10.0.0.5"),
    ("localhost:05000", "localhost:5000"),
    ("[fd00::1]:5000", "[fd00::1]:5000"),
    ("[fd00::1]", "[fd00::1]"),
    ("10.0.0.0/8", "10.0.0.0/8"),
    ("10.1.2.3/16", "10.1.2.3/16"),
    ("http://192.168.0.0/20/", "192.168.0.0/20"),
    ("fd00::/64", "fd00::/64"),
    ("my_registry.internal", "my_registry.internal"),
])
def test_registry_entries_accepted(entry, want):
    assert dc.normalize_registry(entry) == want


@pytest.mark.parametrize("entry,why", [
    ("ftp://r:5000", "scheme ftp"),
    ("tcp://r:5000", "scheme tcp"),
    ("r:99999", "invalid port"),
    ("r:", "empty port"),
    ("r:abc", "invalid port"),
    ("fd00::1", "brackets"),
    ("r.lab/path", "neither host"),
    ("-bad-.lab", "not a DNS name"),
    ("300.1.1.1", "not a DNS name"),
    ("", "empty"),
    ("http://", "empty"),
    ("[zz::1]:5000", "not an IPv6"),
])
def test_registry_entries_refused(entry, why):
    with pytest.raises(dc.ConfigError) as exc:
        dc.normalize_registry(entry)
    assert exc.value.key == "insecure-registries"
    assert why in exc.value.reason


def test_registry_list_dedupes_keeping_order():
    got = dc.normalize_insecure_registries(
        ["http://b:5000", "a:5000", "b:5000/", "https://a:5000", "10.0.0.0/8"])
    assert got == ["b:5000", "a:5000", "10.0.0.0/8"]


def test_registry_list_must_be_a_list():
    with pytest.raises(dc.ConfigError, match="must be a list"):
        dc.normalize_insecure_registries("a:5000")


def test_registry_entry_must_be_a_string():
    with pytest.raises(dc.ConfigError, match="must be a string"):
        dc.normalize_insecure_registries([5000])


# --------------------------------------------------------------------------- types


def test_types_ok():
    assert dc.type_errors({
        "debug": True, "max-concurrent-downloads": 4, "log-driver": "json-file",
        "dns": ["1.1.1.1"], "log-opts": {"max-size": "1m"}, "features": {"buildkit": True},
        "default-address-pools": [{"base": "10.10.0.0/16", "size": 24}], "unknown-key": object(),
    }) == []


@pytest.mark.parametrize("cfg,needle", [
    ({"debug": "yes"}, "debug: must be bool, got str"),
    ({"live-restore": 1}, "live-restore: must be bool, got int"),
    ({"max-concurrent-downloads": True}, "max-concurrent-downloads: must be int, got bool"),
    ({"max-concurrent-downloads": "4"}, "must be int, got str"),
    ({"mtu": 1500.0}, "must be int, got float"),
    ({"log-driver": ["json-file"]}, "log-driver: must be str, got list"),
    ({"dns": "1.1.1.1"}, "dns: must be list of str, got str"),
    ({"dns": ["1.1.1.1", 8]}, "list with int, str"),
    ({"log-opts": ["max-size=1m"]}, "log-opts: must be dict"),
    ({"default-address-pools": ["10.0.0.0/8"]}, "must be list of dict"),
    ({"features": {"buildkit": "true"}}, "features: 'buildkit' must be true or false"),
    ({"hosts": None}, "hosts: must be list of str, got null"),
])
def test_types_refused(cfg, needle):
    errors = dc.type_errors(cfg)
    assert errors and needle in errors[0], errors


# --------------------------------------------------------------------------- semantic checks


def test_semantic_ok():
    assert dc.semantic_errors({"log-driver": "json-file", "log-level": "warn", "live-restore": True},
                              ["json-file", "local"], "inactive") == []


def test_unknown_log_driver():
    errs = dc.semantic_errors({"log-driver": "nope"}, ["json-file", "local"], "inactive")
    assert len(errs) == 1 and errs[0].startswith("log-driver: 'nope'") and "json-file" in errs[0]


def test_none_log_driver_always_known():
    assert dc.semantic_errors({"log-driver": "none"}, ["json-file"], "inactive") == []


def test_log_level():
    errs = dc.semantic_errors({"log-level": "verbose"}, dc.BUILTIN_LOG_DRIVERS, "inactive")
    assert errs == ["log-level: 'verbose' is not one of debug, info, warn, error, fatal"]


@pytest.mark.parametrize("state", ["active", "pending", "locked"])
def test_live_restore_refused_on_swarm_node(state):
    errs = dc.semantic_errors({"live-restore": True}, dc.BUILTIN_LOG_DRIVERS, state)
    assert len(errs) == 1 and errs[0].startswith("live-restore:") and state in errs[0]


@pytest.mark.parametrize("state", ["inactive", "unknown"])
def test_live_restore_allowed_off_swarm(state):
    assert dc.semantic_errors({"live-restore": True}, dc.BUILTIN_LOG_DRIVERS, state) == []


def test_live_restore_false_is_fine_on_swarm():
    assert dc.semantic_errors({"live-restore": False}, dc.BUILTIN_LOG_DRIVERS, "active") == []


# --------------------------------------------------------------------------- unit flags


def test_parse_debian_unit():
    dockerd, args = dc.unit_dockerd_args(DEBIAN_SHOW, lambda p: 'DOCKER_OPTS="--dns 8.8.8.8 -D"\n')
    assert dockerd == "/usr/sbin/dockerd"
    assert args == ["-H", "fd://", "--containerd=/run/containerd/containerd.sock", "--dns", "8.8.8.8", "-D"]
    keys = dc.flag_keys(args)
    assert keys == {"hosts": "-H fd://", "containerd": "--containerd=/run/containerd/containerd.sock",
                    "dns": "--dns 8.8.8.8", "debug": "-D"}


def test_missing_env_file_and_unset_variable():
    dockerd, args = dc.unit_dockerd_args(DEBIAN_SHOW, lambda p: None)
    assert args == ["-H", "fd://", "--containerd=/run/containerd/containerd.sock"]


def test_env_file_parsing():
    text = ("# comment\n\nDOCKER_OPTS='--log-level warn --insecure-registry r:5000'\n"
            "export OTHER=1\nnot a line\n9BAD=x\n")
    assert dc.parse_env_file(text) == {"DOCKER_OPTS": "--log-level warn --insecure-registry r:5000",
                                       "OTHER": "1"}


def test_environment_property_and_braced_expansion():
    show = ("ExecStart={ path=/usr/bin/dockerd ; argv[]=/usr/bin/dockerd --data-root=${ROOT} $OPTS ; "
            "ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }\n"
            "Environment=ROOT=/srv/docker \"OPTS=--label a=b --label c=d\"\n"
            "EnvironmentFiles=\n")
    dockerd, args = dc.unit_dockerd_args(show, lambda p: None)
    assert dockerd == "/usr/bin/dockerd"
    assert args == ["--data-root=/srv/docker", "--label", "a=b", "--label", "c=d"]
    assert dc.flag_keys(args) == {"data-root": "--data-root=/srv/docker", "labels": "--label a=b, --label c=d"}


def test_drop_in_with_plain_dockerd_has_no_flags():
    show = ("ExecStart={ path=/usr/bin/dockerd ; argv[]=/usr/bin/dockerd ; ignore_errors=no ; "
            "start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }\n")
    assert dc.unit_dockerd_args(show, lambda p: None) == ("/usr/bin/dockerd", [])


def test_exec_start_ex_flags_format():
    # systemd >= 243 may print `flags=` instead of `ignore_errors=` (ExecStartEx).
    value = "{ path=/usr/bin/dockerd ; argv[]=/usr/bin/dockerd -H unix:// ; flags= ; start_time=[n/a] }"
    assert dc.parse_exec_start(value) == ["/usr/bin/dockerd", "-H", "unix://"]


def test_no_exec_start():
    assert dc.unit_dockerd_args("MainPID=0\n", lambda p: None) == (None, [])


@pytest.mark.parametrize("args,key", [
    (["--host=tcp://0.0.0.0:2375"], "hosts"),
    (["-H", "unix:///var/run/docker.sock"], "hosts"),
    (["-Hfd://"], "hosts"),
    (["--insecure-registry", "r:5000"], "insecure-registries"),
    (["--registry-mirror=https://m"], "registry-mirrors"),
    (["--log-opt", "max-size=1m"], "log-opts"),
    (["--storage-driver", "overlay2"], "storage-driver"),
    (["-s", "overlay2"], "storage-driver"),
    (["--graph", "/srv"], "data-root"),
    (["--live-restore"], "live-restore"),
    (["-l", "debug"], "log-level"),
])
def test_flag_to_key(args, key):
    assert key in dc.flag_keys(args)


def test_flags_that_do_not_conflict():
    assert dc.flag_keys(["--config-file", "/x.json", "--add-runtime", "r=/bin/r", "--validate"]) == {}


def test_flag_conflicts_messages():
    errs = dc.flag_conflicts({"hosts": ["unix:///x"], "debug": True, "containerd": "/c"},
                             {"hosts": "-H fd://", "containerd": "--containerd=/run/c.sock"})
    assert len(errs) == 2
    assert errs[0].startswith("containerd: docker.service already passes --containerd=/run/c.sock")
    assert errs[1].startswith("hosts: docker.service already passes -H fd://")
    assert "specified both as a flag and in the configuration file" in errs[1]
    assert "ExecStart=" in errs[1]


def test_drop_config_file_args():
    assert dc.drop_config_file_args(["-H", "fd://", "--config-file", "/a", "--config-file=/b", "-D"]) == \
        ["-H", "fd://", "-D"]


# --------------------------------------------------------------------------- merge / ownership


def test_merge_keeps_unmanaged_keys():
    existing = {"data-root": "/srv/docker", "log-driver": "local"}
    new, managed = dc.merge(existing, {"log-driver": "json-file", "debug": True}, [])
    assert new == {"data-root": "/srv/docker", "log-driver": "json-file", "debug": True}
    assert managed == ["debug", "log-driver"]


def test_merge_removes_keys_dropped_from_management_only():
    existing = {"data-root": "/srv/docker", "debug": True, "max-concurrent-downloads": 4}
    new, managed = dc.merge(existing, {"debug": True}, ["debug", "max-concurrent-downloads"])
    assert new == {"data-root": "/srv/docker", "debug": True}
    assert managed == ["debug"]


def test_merge_previously_managed_key_already_gone():
    new, _removed = dc.merge({"a": 1}, {}, ["b"])
    assert new == {"a": 1}


def test_merge_replace():
    new, managed = dc.merge({"data-root": "/srv", "debug": True}, {"debug": False}, [], replace=True)
    assert new == {"debug": False} and managed == ["debug"]


def test_dumps_is_stable_and_sorted():
    a = dc.dumps({"b": 1, "a": {"y": "1", "x": "2"}})
    b = dc.dumps(json.loads(a))
    assert a == b and a.endswith("}\n") and a.index('"a"') < a.index('"b"')


@pytest.mark.parametrize("text,want", [("", {}), ("  \n", {}), ('{"a": 1}', {"a": 1})])
def test_loads_file(text, want):
    assert dc.loads_file(text, "/etc/docker/daemon.json") == want


@pytest.mark.parametrize("text,needle", [("{bad", "not valid JSON"), ("[1]", "JSON list, not an object")])
def test_loads_file_refuses(text, needle):
    with pytest.raises(dc.ConfigError, match=needle):
        dc.loads_file(text, "/etc/docker/daemon.json")


# --------------------------------------------------------------------------- reload vs restart


def test_diff_keys():
    assert dc.diff_keys({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 9, "d": 4}) == (["d"], ["c"], ["b"])


@pytest.mark.parametrize("added,removed,changed,want", [
    ([], [], [], "none"),
    ([], [], ["insecure-registries"], "reload"),
    (["insecure-registries", "debug"], [], ["registry-mirrors", "max-concurrent-downloads"], "reload"),
    (["labels", "live-restore", "runtimes", "default-runtime", "shutdown-timeout"], [], [], "reload"),
    (["features"], [], [], "restart"),  # issue 9 defect 3: some features are read only at start
    (["authorization-plugins", "max-download-attempts", "max-concurrent-uploads"], [], [], "reload"),
    ([], [], ["log-opts"], "restart"),
    ([], [], ["log-driver"], "restart"),
    (["insecure-registries"], [], ["log-opts"], "restart"),
    (["hosts"], [], [], "restart"),
    (["storage-driver"], [], [], "restart"),
    # reload.go only applies keys present in the file: a removal needs a restart.
    ([], ["insecure-registries"], [], "restart"),
    ([], ["debug"], [], "restart"),
])
def test_classify(added, removed, changed, want):
    assert dc.classify(added, removed, changed) == want


def test_stronger():
    assert dc.stronger("none", "reload") == "reload"
    assert dc.stronger("restart", "reload") == "restart"
    assert dc.stronger(None, "none") == "none"


# --------------------------------------------------------------------------- pending marker


def test_state_paths():
    assert dc.state_paths("/etc/docker/daemon.json") == (
        "/etc/docker/.daemon.json.fleet-managed", "/etc/docker/.daemon.json.fleet-pending")


def test_pending_marker_new():
    m = dc.pending_marker("reload", ["insecure-registries"], "/etc/docker/daemon.json.1~", False, ["a"], 87)
    assert m == {"action": "reload", "changed_keys": ["insecure-registries"],
                 "rollback_file": "/etc/docker/daemon.json.1~", "previous_absent": False,
                 "previous_managed": ["a"], "daemon_pid": 87}


def test_pending_marker_folds_into_earlier_one():
    earlier = dc.pending_marker("reload", ["insecure-registries"], "", True, None, 87)
    m = dc.pending_marker("restart", ["log-opts"], "/etc/docker/daemon.json.2~", False, ["x"], 87, earlier=earlier)
    assert m["action"] == "restart"
    assert m["changed_keys"] == ["insecure-registries", "log-opts"]
    # The daemon still runs what was there before the FIRST unapplied change.
    assert m["rollback_file"] == "" and m["previous_absent"] is True and m["previous_managed"] is None


@pytest.mark.parametrize("marker_pid,now_pid,due", [
    (87, 87, True),     # same daemon: still due
    (87, 120, False),   # dockerd restarted since: it runs the file
    (87, 0, True),      # dockerd down: still due
    (0, 120, True),     # unknown when written: keep it
])
def test_pending_still_due(marker_pid, now_pid, due):
    assert dc.pending_still_due({"action": "restart", "daemon_pid": marker_pid}, now_pid) is due


def test_no_marker_is_not_due():
    assert dc.pending_still_due(None, 87) is False


# --------------------------------------------------------------------------- versions, journal


@pytest.mark.parametrize("text,want,ok", [
    ("26.1.5+dfsg1", (26, 1, 5), True),
    ("Docker version 26.1.5+dfsg1, build 411e817", (26, 1, 5), True),
    ("23.0", (23, 0, 0), True),
    ("20.10.24+dfsg1", (20, 10, 24), False),
    ("", None, False),
])
def test_versions(text, want, ok):
    assert dc.parse_version(text) == want
    assert dc.supports_validate(want) is ok


def test_daemon_errors_keeps_the_reason_once():
    journal = "\n".join([
        'time="2026-11-28T23:47:33.870Z" level=info msg="Starting up"',
        "failed to start daemon: error initializing graphdriver: prerequisites for driver not satisfied: btrfs",
        "docker.service: Main process exited, code=exited, status=1/FAILURE",
        "failed to start daemon: error initializing graphdriver: prerequisites for driver not satisfied: btrfs",
        'time="2026-11-28T23:47:36.1Z" level=error msg="boom"',
        'time="2026-11-28T23:47:38.2Z" level=error msg="boom"',
        "docker.service: Start request repeated too quickly.",
    ])
    assert dc.daemon_errors(journal) == [
        "failed to start daemon: error initializing graphdriver: prerequisites for driver not satisfied: btrfs",
        'time="2026-11-28T23:47:36.1Z" level=error msg="boom"',
        "docker.service: Start request repeated too quickly.",
    ]


def test_daemon_errors_falls_back_to_tail():
    assert dc.daemon_errors("a\nb\nc\nd\n") == ["b", "c", "d"]


# --------------------------------------------------------------------------- redaction (issue 11, item 3)


@pytest.mark.parametrize("config,secret_keys,shown,hidden", [
    # proxies with userinfo: the password goes, user and host stay
    ({"proxies": {"http-proxy": "http://ops:Pr0xy-pass@proxy.lab:3128", "no-proxy": "localhost"}}, [],
     {"proxies": {"http-proxy": "http://ops:<redacted>@proxy.lab:3128", "no-proxy": "localhost"}}, {"Pr0xy-pass"}),
    # a userinfo without ':' is a token as a whole
    ({"registry-mirrors": ["https://tok3n@mirror.lab"]}, [],
     {"registry-mirrors": ["https://<redacted>@mirror.lab"]}, {"tok3n"}),
    # key names that say secret, wherever they are
    ({"log-driver": "splunk", "log-opts": {"splunk-token": "abc-123", "splunk-url": "https://s:8088"}}, [],
     {"log-driver": "splunk", "log-opts": {"splunk-token": "<redacted>", "splunk-url": "https://s:8088"}},
     {"abc-123"}),
    # user-declared: a top-level key and a dotted path, whatever their type
    ({"labels": ["owner=x"], "log-opts": {"tag": "t0p", "max-file": "3"}}, ["labels", "log-opts.tag"],
     {"labels": "<redacted>", "log-opts": {"tag": "<redacted>", "max-file": "3"}}, {"owner=x", "t0p"}),
    # nothing secret: unchanged, nothing hidden
    ({"debug": True, "insecure-registries": ["r:5000"], "proxies": {"https-proxy": "http://proxy:3128"}}, [],
     {"debug": True, "insecure-registries": ["r:5000"], "proxies": {"https-proxy": "http://proxy:3128"}}, set()),
])
def test_redact(config, secret_keys, shown, hidden):
    before = json.dumps(config, sort_keys=True)
    got, secrets = dc.redact(config, secret_keys)
    assert got == shown
    assert secrets == hidden
    assert json.dumps(config, sort_keys=True) == before  # the input is not modified
    for secret in hidden:
        assert secret not in dc.dumps(got)


@pytest.mark.parametrize("keys,bad", [(["proxies", "log-opts.tag"], 0), ([""], 1), (["a..b", ".x"], 2), ([3], 1)])
def test_check_secret_keys(keys, bad):
    assert len(dc.check_secret_keys(keys)) == bad


# --------------------------------------------------------------------------- issue 9 defects 3 and 7


def test_defect3_authz_plugin_not_installed_is_refused():
    installed = dc.plugin_names_from_files(["/run/docker/plugins/opa.sock", "/etc/docker/plugins/x/x.sock",
                                            "/usr/lib/docker/plugins/spec-one.spec", "/etc/docker/plugins/j.json",
                                            "/run/docker/plugins/README"])
    assert installed == ["j", "opa", "spec-one", "x"]
    managed = dc.authz_plugins_of_engine([
        {"Name": "authz-broker:latest", "Enabled": True,
         "Config": {"Interface": {"Types": [{"Prefix": "docker", "Capability": "authz", "Version": "1.0"}]}}},
        {"Name": "vol:latest", "Enabled": True, "Config": {"Interface": {"Types": ["docker.volumedriver/1.0"]}}},
        {"Name": "off:1", "Enabled": False, "Config": {"Interface": {"Types": ["docker.authz/1.0"]}}},
    ])
    assert managed == ["authz-broker", "authz-broker:latest"]
    assert dc.missing_authz_plugins({"authorization-plugins": ["opa", "authz-broker", "no-such-authz"]},
                                    installed + managed) == ["no-such-authz"]
    errors = dc.authz_errors({"authorization-plugins": ["no-such-authz"]}, installed, host="h1")
    assert errors and errors[0].startswith("authorization-plugins: no-such-authz is not installed on h1")
    assert dc.authz_errors({"authorization-plugins": ["opa"]}, installed) == []
    assert dc.authz_errors({}, []) == []


def test_authz_plugin_capability_in_type_dict_format():
    # the Engine API gives Types as objects; the CLI shows them as strings
    assert dc.authz_plugins_of_engine([{"Name": "a:2", "Enabled": True, "Config": {"Interface": {
        "Types": [{"Prefix": "docker", "Capability": "authz", "Version": "1.0"}]}}}]) == ["a:2"]


def test_defect3_plugin_key_reloads_are_serial():
    assert dc.needs_serial_reload("reload", ["authorization-plugins", "debug"])
    assert not dc.needs_serial_reload("reload", ["debug"])
    assert not dc.needs_serial_reload("restart", ["authorization-plugins"])
    assert dc.classify(["authorization-plugins"], [], []) == "reload"


@pytest.mark.parametrize("before,after,bad", [
    ("active", "active", False), ("inactive", "inactive", False), ("active", "inactive", True),
    # locked: an autolocked swarm's manager always comes back locked; the rolling restart unlocks it
    ("active", "locked", False), ("active", "", True), ("inactive", "active", False),
    ("active", "pending", True), ("active", "error", True),
])
def test_defect7_swarm_regression(before, after, bad):
    assert bool(dc.swarm_regression(before, after)) is bad
