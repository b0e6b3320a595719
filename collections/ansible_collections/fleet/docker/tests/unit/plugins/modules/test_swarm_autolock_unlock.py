"""fleet.docker.swarm_autolock and swarm_unlock against a fake engine: what they send, when
they refuse (nothing sent), what they return (never a key in a message).

The real API is exercised by molecule/autolock (a 3-manager autolocked swarm: init with
autolock, the key file, rolling restart with unlocks, wrong-key fault, rotation).
"""

import copy

import pytest

from ansible_collections.fleet.docker.plugins.module_utils.engine import APIError, EngineUnavailable
from ansible_collections.fleet.docker.plugins.modules import swarm_autolock as auto
from ansible_collections.fleet.docker.plugins.modules import swarm_unlock as unl

KEY_A = "SWMKEY-1-" + "A" * 43
KEY_B = "SWMKEY-1-" + "B" * 43
KEY_C = "SWMKEY-1-" + "C" * 43


class Exited(Exception):
    def __init__(self, result, failed=False):
        Exception.__init__(self, result.get("msg", ""))
        self.result, self.failed = result, failed


class FakeModule(object):
    def __init__(self, params, check_mode):
        self.params, self.check_mode = params, check_mode


class FakeSwarm(object):
    """A manager's API: /swarm, /swarm/unlockkey, /swarm/update."""

    def __init__(self, autolock, key=KEY_A, new_key=KEY_B):
        self.spec = {"Name": "default", "Raft": {"SnapshotInterval": 10000},
                     "EncryptionConfig": {"AutoLockManagers": autolock}}
        self.key = key if autolock else ""
        self.new_key = new_key
        self.posts = []

    def get_json(self, path, params=None):
        if path == "/swarm":
            return {"ID": "c1", "Version": {"Index": 9}, "Spec": copy.deepcopy(self.spec)}
        if path == "/swarm/unlockkey":
            return {"UnlockKey": self.key}
        raise AssertionError(path)

    def post_json(self, path, params=None, data=None):
        assert path == "/swarm/update" and params["version"] == 9
        self.posts.append((params, copy.deepcopy(data)))
        if params.get("rotateManagerUnlockKey"):
            self.key = self.new_key
        on = data["EncryptionConfig"]["AutoLockManagers"]
        if on and not self.spec["EncryptionConfig"]["AutoLockManagers"]:
            self.key = self.new_key
        if not on:
            self.key = ""
        self.spec = data


def run_auto(swarm, check_mode=False, **params):
    p = dict(autolock=True, key_file="/k/unlock.key", key=None, rotate=False)
    p.update(params)

    class Client(object):
        module = FakeModule(p, check_mode)

        def require_manager(self):
            return {"ControlAvailable": True}

        def get_json(self, path):
            return swarm.get_json(path)

        def post_json(self, path, params=None, data=None):
            return swarm.post_json(path, params=params, data=data)

        def fail(self, msg, **kw):
            raise Exited(dict(kw, msg=msg), failed=True)

    Client.check_mode = check_mode
    try:
        return auto.run(Client())
    except Exited as exc:
        return dict(exc.result, failed=True)


# (autolock wanted, swarm on, file key, check) -> (changed, failed, posts, write_file, key returned)
AUTO_CASES = [
    ("enable, no file", True, False, None, False, (True, False, 1, True, KEY_B)),
    ("enable, no file, check", True, False, None, True, (True, False, 0, True, "")),
    ("enable, a file already there", True, False, KEY_C, False, (False, True, 0, False, "")),
    ("on, no file: write it", True, True, None, False, (False, False, 0, True, KEY_A)),
    ("on, file matches", True, True, KEY_A, False, (False, False, 0, False, "")),
    ("on, file holds another key", True, True, KEY_C, False, (False, True, 0, False, "")),
    ("on, file garbage", True, True, "garbage", False, (False, True, 0, False, "")),
    ("disable", False, True, KEY_A, False, (True, False, 1, False, "")),
    ("disable, check", False, True, KEY_A, True, (True, False, 0, False, "")),
    ("off and wanted off", False, False, None, False, (False, False, 0, False, "")),
]


@pytest.mark.parametrize("name,wanted,on,file_key,check,expected", AUTO_CASES, ids=[c[0] for c in AUTO_CASES])
def test_swarm_autolock(name, wanted, on, file_key, check, expected):
    swarm = FakeSwarm(on)
    spec_before = copy.deepcopy(swarm.spec)
    out = run_auto(swarm, check_mode=check, autolock=wanted, key=file_key)
    changed, failed, posts, write_file, key = expected
    assert bool(out.get("failed")) is failed
    assert len(swarm.posts) == posts
    if not failed:
        assert out["changed"] is changed and out["write_file"] is write_file and out["unlock_key"] == key
    for posted in swarm.posts:
        data = posted[1]
        # only the autolock flag changes; everything else goes back as it was
        rest = dict(data, EncryptionConfig={})
        assert rest == dict(spec_before, EncryptionConfig={})
    for k in (KEY_A, KEY_B, KEY_C):
        assert k not in out.get("msg", "") and k not in out.get("reason", "")


def test_rotate_needs_the_current_key_and_returns_the_new_one():
    swarm = FakeSwarm(True)
    out = run_auto(swarm, rotate=True, key=KEY_A)
    assert out["rotated"] and out["unlock_key"] == KEY_B and swarm.posts[0][0]["rotateManagerUnlockKey"] == "true"
    assert swarm.posts[0][1] == FakeSwarm(True).spec  # the spec goes back unchanged
    swarm = FakeSwarm(True)
    out = run_auto(swarm, rotate=True, key=KEY_C)
    assert out["failed"] and not swarm.posts and "does not hold this swarm's unlock key" in out["msg"]
    swarm = FakeSwarm(False)
    out = run_auto(swarm, rotate=True, autolock=False, key=KEY_A)
    assert out["failed"] and not swarm.posts


def test_rotate_that_does_not_change_the_key_fails():
    swarm = FakeSwarm(True, new_key=KEY_A)
    out = run_auto(swarm, rotate=True, key=KEY_A)
    assert out["failed"] and "did not change" in out["msg"]


class FakeNode(object):
    """A node's local engine: /info state and /swarm/unlock that accepts one key."""

    def __init__(self, states, accepts=KEY_A, status=400):
        self.states, self.accepts, self.status, self.sent = list(states), accepts, status, []

    def get_json(self, path):
        assert path == "/info"
        state = self.states[0] if len(self.states) == 1 else self.states.pop(0)
        if state is None:
            raise EngineUnavailable("no answer")
        return {"Swarm": {"LocalNodeState": state}}

    def post_json(self, path, data=None):
        assert path == "/swarm/unlock"
        self.sent.append(data["UnlockKey"])
        if data["UnlockKey"] != self.accepts:
            why = "invalid key, unable to decrypt" if self.status < 500 and self.status != 403 else "forbidden"
            raise APIError("POST /swarm/unlock answered %d: %s" % (self.status, why), status=self.status)
        self.states = ["active"]


def run_unlock(node, check_mode=False, **params):
    p = dict(key=KEY_A, previous_key=None, name="mgr2", wait_timeout=5)
    p.update(params)
    clock = {"t": 0.0}

    class Client(object):
        module = FakeModule(p, check_mode)
        api = node

        def fail(self, msg, **kw):
            raise Exited(dict(kw, msg=msg), failed=True)

    Client.check_mode = check_mode

    def sleep(s):
        clock["t"] += s

    try:
        return unl.run(Client(), sleep=sleep, clock=lambda: clock["t"])
    except Exited as exc:
        return dict(exc.result, failed=True)


# (states the engine goes through, accepted key, current, previous, check) -> (failed, used, sent keys)
UNLOCK_CASES = [
    ("active: nothing", ["active"], KEY_A, KEY_A, None, False, (False, "", [])),
    ("worker/inactive: nothing", ["inactive"], KEY_A, KEY_A, None, False, (False, "", [])),
    ("locked, current works", ["locked"], KEY_A, KEY_A, KEY_B, False, (False, "current", [KEY_A])),
    ("locked, previous works", ["locked"], KEY_B, KEY_A, KEY_B, False, (False, "previous", [KEY_A, KEY_B])),
    ("locked, neither", ["locked"], KEY_C, KEY_A, KEY_B, False, (True, "", [KEY_A, KEY_B])),
    ("locked, no key", ["locked"], KEY_A, None, None, False, (True, "", [])),
    ("locked, check mode", ["locked"], KEY_A, KEY_A, None, True, (False, "", [])),
    ("not answering, then locked", [None, None, "pending", "locked"], KEY_A, KEY_A, None, False,
     (False, "current", [KEY_A])),
    ("never answers", [None], KEY_A, KEY_A, None, False, (True, "", [])),
]


@pytest.mark.parametrize("name,states,accepts,current,previous,check,expected", UNLOCK_CASES,
                         ids=[c[0] for c in UNLOCK_CASES])
def test_swarm_unlock(name, states, accepts, current, previous, check, expected):
    node = FakeNode(states, accepts=accepts)
    out = run_unlock(node, check_mode=check, key=current, previous_key=previous)
    failed, used, sent = expected
    assert bool(out.get("failed")) is failed
    assert out["used"] == used and node.sent == sent
    assert out["locked"] is ("locked" in states)
    if failed:
        assert out["msg"].startswith("mgr2: ")
    for k in (KEY_A, KEY_B, KEY_C):
        assert k not in out.get("msg", "")


def test_unlock_failure_names_what_was_tried():
    out = run_unlock(FakeNode(["locked"], accepts=KEY_C), key=KEY_A, previous_key=KEY_B)
    assert "refused the current key and the previous key" in out["msg"] and out["tried"] == ["current", "previous"]


def test_unlock_other_api_errors_are_not_taken_for_a_wrong_key():
    out = run_unlock(FakeNode(["locked"], accepts=KEY_C, status=403), key=KEY_A)
    assert out["failed"] and "POST /swarm/unlock failed" in out["msg"]
