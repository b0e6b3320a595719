"""module_utils.inputs (the swarm roles' input checks) and planner.labels_plan.

The input checks are a table of named cases, one per message (the messages the lab's
scenarios match on are among them); labels_plan is enumerated: up to 4 hosts, each present
or absent, in the play or not, and inactive, an active worker, an active manager or without
facts (16**4 = 65536 cases), against the rule written here independently."""

import itertools

import pytest

from ansible_collections.fleet.docker.plugins.module_utils import inputs as ic
from ansible_collections.fleet.docker.plugins.module_utils import planner as pl

OWNER = "fleet.docker.owned-labels"


@pytest.mark.parametrize("labels,want", [
    ({}, []),
    ({"zone": "a", "tier": "app"}, []),
    ({"zone": 1}, ["h: swarm_node_labels.zone must be a string, got int 1 (quote it in YAML)"]),
    ({"ssd": True}, ["h: swarm_node_labels.ssd must be a string, got bool true (quote it in YAML)"]),
    ({"x": None}, ["h: swarm_node_labels.x must be a string, got NoneType null (quote it in YAML)"]),
    ({"": "a"}, ['h: swarm_node_labels key "" must be a non-empty string']),
    ({"  ": "a"}, ['h: swarm_node_labels key "  " must be a non-empty string']),
    ({"a,b": "c"}, ['h: swarm_node_labels key "a,b" is not allowed (no commas; fleet.docker.owned-labels and '
                    'fleet.docker.restore-availability are reserved: they record the labels this project owns and '
                    'the availability to give back after a drain)']),
    ({OWNER: "x"}, ['h: swarm_node_labels key "fleet.docker.owned-labels" is not allowed (no commas; '
                    'fleet.docker.owned-labels and fleet.docker.restore-availability are reserved: they record the '
                    'labels this project owns and the availability to give back after a drain)']),
    ({pl.RESTORE_LABEL: "drain"}, ['h: swarm_node_labels key "fleet.docker.restore-availability" is not allowed (no '
                                   'commas; fleet.docker.owned-labels and fleet.docker.restore-availability are '
                                   'reserved: they record the labels this project owns and the availability to give '
                                   'back after a drain)']),
    (["zone=a"], ["h: swarm_node_labels must be a dict of label: string, got list"]),
    ("zone=a", ["h: swarm_node_labels must be a dict of label: string, got str"]),
])
def test_label_errors(labels, want):
    assert ic.label_errors("h", labels, OWNER) == want


def swarm_errors(inputs=None, managers=("m1",), workers=("w1",), docker_hosts=("m1", "w1"), **kw):
    hosts = list(dict.fromkeys(list(managers) + list(workers)))
    base = dict((h, {"state": "present", "advertise_addr": "", "labels": {}}) for h in hosts)
    for h, v in (inputs or {}).items():
        base[h] = dict(base.get(h, {}), **v)
    return ic.swarm_input_errors(hosts, list(managers), list(workers), list(docker_hosts), base, **kw)


def test_swarm_inputs_good():
    assert swarm_errors() == []


@pytest.mark.parametrize("kw,want", [
    (dict(docker_hosts=("m1",)), ["w1: is in swarm_workers but not in docker_hosts; every swarm host must be a "
                                  "Docker host of this inventory"]),
    (dict(docker_hosts=("w1",)), ["m1: is in swarm_managers but not in docker_hosts; every swarm host must be a "
                                  "Docker host of this inventory"]),
    (dict(workers=("w1", "m1")), ["m1: is in both swarm_managers and swarm_workers; a node has one role"]),
    (dict(inputs={"w1": {"state": "gone"}}), ['w1: swarm_node_state must be present or absent, got "gone"']),
    (dict(inputs={"w1": {"advertise_addr": 10}}), ["w1: swarm_advertise_addr must be a string (an IPv4 address of "
                                                   "the host), got 10"]),
    (dict(inputs={"w1": {"labels": {"zone": 1}}}), ["w1: swarm_node_labels.zone must be a string, got int 1 (quote "
                                                    "it in YAML)"]),
    (dict(absent=["m1"]), ["swarm_managers has no host with swarm_node_state present; a swarm needs a manager"]),
    (dict(managers=(), docker_hosts=("w1",)), ["swarm_managers has no host with swarm_node_state present; a swarm "
                                               "needs a manager"]),
])
def test_swarm_inputs_named(kw, want):
    assert swarm_errors(**kw) == want


@pytest.mark.parametrize("count,absent,override,refused", [
    (7, 0, False, False), (8, 0, False, True), (8, 1, False, False), (9, 0, True, False), (9, 1, False, True),
])
def test_manager_count(count, absent, override, refused):
    managers = ["m%d" % i for i in range(count)]
    errors = swarm_errors(managers=managers, workers=(), docker_hosts=managers, absent=managers[:absent],
                          count_override=override)
    want = ["swarm_managers lists %d managers; Docker recommends at most 7 (more slow down every Raft write). Set "
            "swarm_manager_count_override: true to go on anyway" % (count - absent)]
    assert errors == (want if refused else [])


def test_swarm_labels_inputs():
    inputs = {"a": {"state": "present", "labels": {"k": "v"}}, "b": {"state": 3, "labels": {"k": 2}}}
    assert ic.swarm_labels_input_errors(["a", "b"], inputs, OWNER) == [
        "b: swarm_node_state must be present or absent, got 3",
        "b: swarm_node_labels.k must be a string, got int 2 (quote it in YAML)"]


# labels_plan, enumerated
KINDS = ("inactive", "worker", "manager", "nofacts")


def fact(kind, i):
    if kind == "nofacts":
        return None
    return {"swarm": {"state": "inactive" if kind == "inactive" else "active", "manager": kind == "manager",
                      "node_id": "" if kind == "inactive" else "id%d" % i}}


def label_cases(max_hosts=4):
    for n in range(1, max_hosts + 1):
        hosts = ["h%d" % i for i in range(n)]
        for per in itertools.product(itertools.product(("present", "absent"), (True, False), KINDS), repeat=n):
            yield hosts, per


LABEL_CASES = sum(16 ** n for n in range(1, 5))


def test_labels_plan_enumerated():
    seen = 0
    for hosts, per in label_cases():
        seen += 1
        inputs = dict((h, {"state": c[0], "labels": {"n": h}}) for h, c in zip(hosts, per))
        facts = dict((h, fact(c[2], i)) for i, (h, c) in enumerate(zip(hosts, per)) if fact(c[2], i))
        in_play = [h for h, c in zip(hosts, per) if c[1]]
        got = pl.labels_plan(hosts, dict((h, inputs[h]) for h in in_play), facts, in_play)
        # the rule: present managers in play first (inventory order), then absent ones; never out of play
        ranked = sorted((0 if s == "present" else 1, i) for i, (s, p, k) in enumerate(per) if p and k == "manager")
        assert got["manager"] == (hosts[ranked[0][1]] if ranked else "")
        present = [i for i, c in enumerate(per) if c[1] and c[0] == "present"]
        with_id = [i for i in present if per[i][2] in ("worker", "manager")]
        assert got["nodes"] == [{"node_id": "id%d" % i, "name": hosts[i], "labels": {"n": hosts[i]}} for i in with_id]
        assert got["outside"] == [hosts[i] for i in present if i not in with_id]
        assert got["wanted"] == dict(("id%d" % i, {"n": hosts[i]}) for i in with_id)
    assert seen == LABEL_CASES == 69904


# ------------------------------------------------------------------ role docker_daemon

GOOD_DAEMON = dict(log_driver="json-file", log_opts={"max-size": "10m"}, insecure_registries=[], options={},
                   apply_timeout=60)


def daemon_errors(**kw):
    args = dict(GOOD_DAEMON, **kw)
    swarm_host = args.pop("swarm_host", False)
    return ic.daemon_input_errors(swarm_host=swarm_host, **args)


@pytest.mark.parametrize("kw,want", [
    ({}, []),
    (dict(log_driver=""), ["docker_daemon_log_driver must be a non-empty string, got ''"]),
    (dict(log_driver=5), ["docker_daemon_log_driver must be a non-empty string, got 5"]),
    (dict(log_opts=["max-size=10m"]), ["docker_daemon_log_opts must be a dict (option: value), got list "
                                       "['max-size=10m']"]),
    (dict(insecure_registries="reg:5000"), ["docker_daemon_insecure_registries must be a list, got str 'reg:5000'"]),
    (dict(insecure_registries={"a": 1}), ["docker_daemon_insecure_registries must be a list, got dict {'a': 1}"]),
    (dict(options=[]), ["docker_daemon_options must be a dict of daemon.json keys, got list"]),
    (dict(options={"log-opts": {}}), ["docker_daemon_options must not set log-opts: use docker_daemon_log_opts"]),
    (dict(options={"log-driver": "x", "insecure-registries": []}), [
        "docker_daemon_options must not set log-driver: use docker_daemon_log_driver",
        "docker_daemon_options must not set insecure-registries: use docker_daemon_insecure_registries"]),
    (dict(options={"live-restore": True}), []),
    (dict(options={"live-restore": True}, swarm_host=True), [
        "docker_daemon_options sets live-restore: true, but this host is in swarm_managers/swarm_workers and dockerd "
        "refuses live-restore in swarm mode"]),
    (dict(options={"live-restore": False}, swarm_host=True), []),
    (dict(apply_timeout=0), ["docker_daemon_apply_timeout must be a positive number of seconds"]),
    (dict(apply_timeout="x"), ["docker_daemon_apply_timeout must be a positive number of seconds"]),
    (dict(apply_timeout="30"), []),
])
def test_daemon_inputs(kw, want):
    assert daemon_errors(**kw) == want


@pytest.mark.parametrize("hv,want", [
    ({}, {"name": "reg:5000", "tls": False, "ca": ""}),
    ({"ansible_host": "10.0.0.5"}, {"name": "10.0.0.5:5000", "tls": False, "ca": ""}),
    ({"ansible_host": "10.0.0.5", "docker_registry_address": "registry.example", "docker_registry_port": 443},
     {"name": "registry.example:443", "tls": False, "ca": ""}),
    ({"docker_registry_address": "fd00::5"}, {"name": "[fd00::5]:5000", "tls": False, "ca": ""}),
    ({"docker_registry_address": "[fd00::5]"}, {"name": "[fd00::5]:5000", "tls": False, "ca": ""}),
    ({"docker_registry_tls_cert": "CERT"}, {"name": "reg:5000", "tls": True, "ca": "CERT"}),
    ({"docker_registry_tls_cert": "CERT", "docker_registry_tls_ca_cert": "CA"},
     {"name": "reg:5000", "tls": True, "ca": "CA"}),
    ({"docker_registry_address": "", "docker_registry_port": None}, {"name": "reg:5000", "tls": False, "ca": ""}),
])
def test_daemon_registries(hv, want):
    assert ic.daemon_registries(["reg"], {"reg": hv}) == [want]
    assert ic.daemon_registries(["reg"], {"reg": hv}, trust=False) == []
