"""resolve_host: which swarm entry stands for an inventory host that is to leave."""
import pytest

from ansible_collections.fleet.docker.plugins.module_utils.swarm import NodeLookupError, resolve_host


def node(nid, hostname, addr, state="ready", version=1):
    return {"id": nid, "hostname": hostname, "addr": addr, "state": state, "version": version, "manager": False}


NODES = [
    node("a", "mgr1", "10.0.0.1"),
    node("old1", "wrk1", "10.0.0.5", state="down", version=10),
    node("old2", "wrk1", "10.0.0.5", state="down", version=20),
    node("b", "wrk1", "10.0.0.5"),
    node("c", "wrk2", "10.0.0.6", state="down", version=5),
]


def test_node_id_wins():
    assert resolve_host(NODES, node_id="old1", addr="10.0.0.5") == (NODES[1], [])


def test_live_entry_and_stale_down_entries_by_address():
    entry, stale = resolve_host(NODES, addr="10.0.0.5", hostname="ignored")
    assert entry["id"] == "b" and stale == ["old1", "old2"]


def test_hostname_when_no_address_matches():
    entry, stale = resolve_host(NODES, addr="192.0.2.9", hostname="wrk1")
    assert entry["id"] == "b"


def test_only_down_entries_newest_stands_for_the_host():
    nodes = [n for n in NODES if n["id"] != "b"]
    entry, stale = resolve_host(nodes, hostname="wrk1")
    assert entry["id"] == "old2" and stale == ["old1"]


def test_gone():
    assert resolve_host(NODES, node_id="zzz", addr="192.0.2.1", hostname="nope") == (None, [])


def test_several_live_matches_need_a_node_id():
    nodes = NODES + [node("d", "wrk1", "10.0.0.7")]
    with pytest.raises(NodeLookupError, match="set its NodeID"):
        resolve_host(nodes, hostname="wrk1")
