"""fleet.docker.swarm_preflight's mechanics on real loopback sockets (no fakes): two peers
that start at different instants still reach each other's stand-in listeners, a listener
closes once its expected probes arrived (so dockerd could bind the port), a port another
process holds is reported, a refused port is named after the rendezvous. The lab runs the
same module between real nodes (molecule/swarm, step 3)."""

import socket
import threading
import time

from ansible_collections.fleet.docker.plugins.modules import swarm_preflight as mod

NO_ENGINE = "/nonexistent/docker.sock"  # identity without an engine: engine_id is empty


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


def run_later(delay, fn, *args):
    out = {}

    def go():
        time.sleep(delay)
        out["report"] = fn(*args)

    th = threading.Thread(target=go)
    th.start()
    return th, out


def test_two_peers_started_apart_reach_each_other_and_release_the_ports():
    pa, pb = free_port(), free_port()
    # "a" starts now, "b" 1.5 s later: a's probe of b is refused until b listens, and a's
    # listener must stay open until b's probe has arrived
    th_b, out_b = run_later(1.5, mod.preflight, [pb], [pb], [{"host": "a", "addr": "127.0.0.1", "port": pa}],
                            2, 20, NO_ENGINE)
    rep_a = mod.preflight([pa], [pa], [{"host": "b", "addr": "127.0.0.1", "port": pb}], 2, 20, NO_ENGINE)
    th_b.join()
    rep_b = out_b["report"]
    assert rep_a["probes"] == [{"host": "b", "addr": "127.0.0.1", "port": pb, "ok": True, "error": ""}]
    assert rep_b["probes"] == [{"host": "a", "addr": "127.0.0.1", "port": pa, "ok": True, "error": ""}]
    assert [a.rsplit(">", 1)[1] for a in rep_a["accepted"]] == [str(pa)]
    assert [a.rsplit(">", 1)[1] for a in rep_b["accepted"]] == [str(pb)]
    assert (rep_a["listening"], rep_a["in_use"]) == ([pa], [])
    assert bindable(pa) and bindable(pb)  # nothing outlives the call
    assert rep_a["identity"]["engine_id"] == "" and rep_a["identity"]["hostname"]


def test_listener_closes_as_soon_as_the_expected_probes_arrived():
    port = free_port()
    started = time.time()
    th, out = run_later(0, mod.preflight, [port], [port, port], [], 2, 120, NO_ENGINE)
    for _attempt in range(2):
        probe = mod.probe_one({"host": "me", "addr": "127.0.0.1", "port": port}, 2, time.time() + 10)
        assert probe["ok"], probe
    th.join()
    assert len(out["report"]["accepted"]) == 2
    assert time.time() - started < 120  # it did not wait for the rendezvous (120 s)
    assert bindable(port)


def test_expected_probe_that_never_comes_ends_at_the_rendezvous():
    port = free_port()
    rep = mod.preflight([port], [port], [], 2, 0.5, NO_ENGINE)
    assert rep["accepted"] == [] and rep["listening"] == [port]
    assert bindable(port)


def test_port_held_by_another_process_is_reported():
    holder = socket.socket()
    holder.bind(("0.0.0.0", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    other = free_port()
    try:
        rep = mod.preflight([port, other], [], [], 2, 0.2, NO_ENGINE)
        assert (rep["listening"], rep["in_use"]) == ([other], [port])
    finally:
        holder.close()


def test_refused_probe_is_named_after_the_rendezvous():
    port = free_port()  # nothing listens, ever
    probes = mod.probe_all([{"host": "x", "addr": "127.0.0.1", "port": port}], 1, time.time() + 0.5)
    assert probes == [{"host": "x", "addr": "127.0.0.1", "port": port, "ok": False, "error": "Connection refused"}]
