"""engine.info_with_cluster: a manager's cluster ID across a leader election."""

from ansible_collections.fleet.docker.plugins.module_utils.engine import EngineUnavailable, info_with_cluster


def manager(cluster_id=None):
    swarm = {"LocalNodeState": "active", "ControlAvailable": True, "NodeID": "n1"}
    if cluster_id:
        swarm["Cluster"] = {"ID": cluster_id}
    return {"Swarm": swarm}


class Engine(object):
    """Answers /info from a list (the last one repeats) and /swarm from another."""

    def __init__(self, infos, swarms=None):
        self.infos, self.swarms, self.calls = list(infos), list(swarms or []), []

    def info(self):
        self.calls.append("/info")
        return self.infos.pop(0) if len(self.infos) > 1 else self.infos[0]

    def get(self, path):
        self.calls.append(path)
        answer = self.swarms.pop(0) if len(self.swarms) > 1 else (self.swarms[0] if self.swarms else None)
        if answer is None:
            raise EngineUnavailable("GET /swarm answered 503: The swarm does not have a leader")
        return answer


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_a_manager_that_knows_its_cluster_is_read_once():
    engine = Engine([manager("c1")])
    assert info_with_cluster(engine, wait=20)["Swarm"]["Cluster"]["ID"] == "c1"
    assert engine.calls == ["/info"]


def test_workers_engines_down_and_no_swarm_are_not_waited_for():
    clock = Clock()
    for info in ({"Swarm": {"LocalNodeState": "active", "ControlAvailable": False}},
                 {"Swarm": {"LocalNodeState": "inactive"}}, None):
        engine = Engine([info])
        assert info_with_cluster(engine, wait=20, sleep=clock.sleep, clock=clock) == info
        assert engine.calls == ["/info"]
    assert clock.now == 0


def test_swarm_inspect_fills_the_id_when_info_lacks_it():
    engine = Engine([manager()], swarms=[{"ID": "c1"}])
    assert info_with_cluster(engine)["Swarm"]["Cluster"]["ID"] == "c1"
    assert engine.calls == ["/info", "/swarm"]


def test_an_election_is_waited_out():
    clock = Clock()
    engine = Engine([manager(), manager(), manager("c1")])
    info = info_with_cluster(engine, wait=20, sleep=clock.sleep, clock=clock)
    assert info["Swarm"]["Cluster"]["ID"] == "c1" and clock.now == 2


def test_no_leader_gives_up_after_the_wait_without_an_id():
    clock = Clock()
    engine = Engine([manager()])
    info = info_with_cluster(engine, wait=5, sleep=clock.sleep, clock=clock)
    assert "Cluster" not in info["Swarm"] and clock.now == 5


def test_no_wait_by_default():
    clock = Clock()
    engine = Engine([manager()])
    info_with_cluster(engine, sleep=clock.sleep, clock=clock)
    assert engine.calls == ["/info", "/swarm"] and clock.now == 0
