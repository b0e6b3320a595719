"""fleet.docker.swarm_preflight's mechanics on real loopback sockets (no fakes): the
stand-in listener starts detached, answers probes, reports a port another process holds,
is replaced when a run left one behind, and is gone after close (so dockerd could bind the
port). The lab runs the same module between real nodes (molecule/swarm, step 3)."""

import os
import socket
import threading
import time

import pytest

from ansible_collections.fleet.docker.plugins.modules import swarm_preflight as mod


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def bindable(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("0.0.0.0", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


@pytest.fixture
def state_file(tmp_path):
    path = str(tmp_path / "preflight.json")
    yield path
    mod.stop_listener(path)


def test_listener_answers_probes_and_is_gone_after_close(state_file):
    port = free_port()
    listening, in_use = mod.open_listeners([port], state_file, 60)
    assert (listening, in_use) == ([port], [])
    assert not bindable(port)
    probes = mod.probe_all([{"host": "me", "addr": "127.0.0.1", "port": port}], 2)
    assert probes == [{"host": "me", "addr": "127.0.0.1", "port": port, "ok": True, "error": ""}]
    accepted = mod.stop_listener(state_file)
    assert accepted and accepted[0].endswith(":%d" % port)
    assert bindable(port)
    assert not os.path.exists(state_file)


def test_port_held_by_another_process_is_reported(state_file):
    holder = socket.socket()
    holder.bind(("0.0.0.0", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    other = free_port()
    try:
        listening, in_use = mod.open_listeners([port, other], state_file, 60)
        assert (listening, in_use) == ([other], [port])
    finally:
        holder.close()


def test_a_listener_left_behind_is_replaced(state_file):
    port = free_port()
    mod.open_listeners([port], state_file, 60)
    first = mod._read_state(state_file)["pid"]
    listening, in_use = mod.open_listeners([port], state_file, 60)  # a re-run after an interrupted one
    assert (listening, in_use) == ([port], [])
    assert mod._read_state(state_file)["pid"] != first
    assert mod._start_time(first) is None or not os.path.exists("/proc/%d" % first)


def test_listener_exits_by_itself_after_its_lifetime(state_file):
    port = free_port()
    mod.open_listeners([port], state_file, 1)
    pid = mod._read_state(state_file)["pid"]
    for _attempt in range(100):
        if mod._start_time(pid) is None:
            break
        time.sleep(0.05)
    assert mod._start_time(pid) is None
    assert bindable(port)


def test_blocked_and_refused_probes_are_named():
    port = free_port()  # nothing listens
    probes = mod.probe_all([{"host": "x", "addr": "127.0.0.1", "port": port}], 1)
    assert probes[0]["ok"] is False and probes[0]["error"] == "Connection refused"


def test_stop_never_signals_a_process_that_is_not_the_recorded_one(tmp_path):
    path = str(tmp_path / "s.json")
    # the record names this test's own PID, but with another start time: not ours to stop
    with open(path, "w") as fh:
        fh.write('{"marker": "%s", "pid": %d, "start": "0"}' % (mod.MARKER, os.getpid()))
    assert mod.stop_listener(path) == []
    assert not os.path.exists(path)


def test_a_members_port_that_opens_late_is_asked_again_others_are_not():
    # A swarm member's dockerd opens 7946 only once its agent has a session with a leader
    # (seconds after a start or a forced new cluster): the same late port counts as reached
    # on a member (retry_hosts) and as refused on any other host (asked once more, 1 s later).
    member_port, other_port = free_port(), free_port()
    socks = []

    def open_late():
        time.sleep(3)
        for port in (member_port, other_port):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen(8)
            socks.append(s)

    opener = threading.Thread(target=open_late)
    opener.start()
    try:
        probes = mod.probe_all([{"host": "member", "addr": "127.0.0.1", "port": member_port},
                                {"host": "new", "addr": "127.0.0.1", "port": other_port}],
                               2, retry_hosts=["member"], retry_for=30)
    finally:
        opener.join()
        for s in socks:
            s.close()
    assert probes[0]["ok"] and probes[0]["error"] == ""
    assert probes[1]["ok"] is False and probes[1]["error"] == "Connection refused"


def test_listener_exits_by_itself_once_the_expected_probes_arrived(state_file):
    port = free_port()
    mod.open_listeners([port], state_file, 120, expect=[port, port])
    pid = mod._read_state(state_file)["pid"]
    target = [{"host": "me", "addr": "127.0.0.1", "port": port}]
    assert mod.probe_all(target, 2)[0]["ok"]
    time.sleep(0.3)
    assert mod._start_time(pid) is not None, "it left after one of the two expected probes"
    assert mod.probe_all(target, 2)[0]["ok"]
    for _attempt in range(100):  # well before its 120 s lifetime
        if mod._start_time(pid) is None:
            break
        time.sleep(0.05)
    assert mod._start_time(pid) is None
    assert bindable(port) and not os.path.exists(state_file)


@pytest.mark.parametrize("accepted, expect, want", [
    ([], [], False),  # nothing expected: only close or the lifetime end it
    (["10.0.0.1:7946"], [7946], True),
    (["10.0.0.1:7946"], [7946, 7946], False),
    (["10.0.0.1:7946", "10.0.0.2:7946"], [7946, 7946], True),
    (["10.0.0.1:7946", "10.0.0.2:7946"], [2377, 7946], False),
    (["10.0.0.1:2377", "10.0.0.1:7946"], [2377, 7946], True),
    (["10.0.0.1:2377", "10.0.0.1:7946", "10.0.0.9:7946"], [2377, 7946], True),  # an extra one: still done
])
def test_received(accepted, expect, want):
    assert mod.received(accepted, expect) is want
