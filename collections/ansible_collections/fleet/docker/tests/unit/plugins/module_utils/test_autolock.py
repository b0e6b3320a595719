"""module_utils.autolock: the key file x swarm table (exhaustive), key order, unlock steps.

The expected outcome of every (swarm_autolock, file state, swarm state) combination is
written out below as a table, independently of the code: 2 x 5 x 3 = 30 rows, each row
one case. A missing row or an extra one fails test_table_is_exhaustive.
"""

import itertools

import pytest

from ansible_collections.fleet.docker.plugins.module_utils import autolock as al

KEY_A = "SWMKEY-1-" + "A" * 43
KEY_B = "SWMKEY-1-" + "B" * 43

# (wanted, file, swarm): (ok, action, write_file). Refusals are (False, "none", False).
R = (False, "none", False)
NOOP = (True, "none", False)
TABLE = {
    # swarm_autolock false: never refused, whatever the file; only an "on" swarm is turned off
    (False, "unnamed", "none"): NOOP, (False, "unnamed", "off"): NOOP, (False, "unnamed", "on"): (True, "disable", False),
    (False, "missing", "none"): NOOP, (False, "missing", "off"): NOOP, (False, "missing", "on"): (True, "disable", False),
    (False, "invalid", "none"): NOOP, (False, "invalid", "off"): NOOP, (False, "invalid", "on"): (True, "disable", False),
    (False, "match", "none"): NOOP, (False, "match", "off"): NOOP, (False, "match", "on"): (True, "disable", False),
    (False, "other", "none"): NOOP, (False, "other", "off"): NOOP, (False, "other", "on"): (True, "disable", False),
    # swarm_autolock true without a file named: refused before anything changes
    (True, "unnamed", "none"): R, (True, "unnamed", "off"): R, (True, "unnamed", "on"): R,
    # a file that holds no key: refused, never overwritten
    (True, "invalid", "none"): R, (True, "invalid", "off"): R, (True, "invalid", "on"): R,
    # no file yet: the key is written once (at init, when turned on, or read from an autolocked swarm)
    (True, "missing", "none"): (True, "init", True), (True, "missing", "off"): (True, "enable", True),
    (True, "missing", "on"): (True, "none", True),
    # the file holds the swarm's key: nothing to do
    (True, "match", "on"): NOOP,
    # "match" is impossible without a swarm key (file_state never returns it): refused like "other"
    (True, "match", "none"): R, (True, "match", "off"): R,
    # a key that is not this swarm's: refused by name, the file is not overwritten
    (True, "other", "none"): R, (True, "other", "off"): R, (True, "other", "on"): R,
}


def test_table_is_exhaustive():
    assert set(TABLE) == set(itertools.product((False, True), al.FILE_STATES, al.SWARM_STATES))
    assert len(TABLE) == 30


@pytest.mark.parametrize("case", sorted(TABLE, key=str))
def test_autolock_plan_table(case):
    wanted, file, swarm = case
    out = al.autolock_plan(wanted, file, swarm, path="/k/unlock.key")
    assert (out["ok"], out["action"], out["write_file"]) == TABLE[case]
    assert out["reason"]
    if not out["ok"]:
        # a refusal names the variable or the file, and the way out
        assert "swarm_unlock_key_file" in out["reason"] or "/k/unlock.key" in out["reason"]
        assert "never overwritten" in out["reason"] or "not overwritten" in out["reason"] \
            or "refusing" in out["reason"] or "must be written" in out["reason"]


def test_refusals_say_nothing_changed_or_how_to_fix():
    assert "Move the file away" in al.autolock_plan(True, "other", "off", "/k")["reason"]
    assert "no swarm exists yet" in al.autolock_plan(True, "other", "none", "/k")["reason"]
    assert "rotated outside this project" in al.autolock_plan(True, "other", "on", "/k")["reason"]
    assert "ansible-vault" in al.autolock_plan(True, "unnamed", "on")["reason"]
    assert "left as it is" in al.autolock_plan(False, "match", "on", "/k")["reason"]
    assert "left as it is" not in al.autolock_plan(False, "missing", "on", "/k")["reason"]


@pytest.mark.parametrize("bad", [("wanted", "nope", "on"), ("wanted", "match", "maybe")])
def test_unknown_states_are_errors(bad):
    with pytest.raises(ValueError):
        al.autolock_plan(True, bad[1], bad[2])


# file_state: (path, content, swarm_key) -> state
FILE_CASES = [
    ("", None, None, "unnamed"), ("", KEY_A, KEY_A, "unnamed"),
    ("/k", None, None, "missing"), ("/k", None, KEY_A, "missing"),
    ("/k", "", KEY_A, "invalid"), ("/k", "garbage\n", KEY_A, "invalid"), ("/k", "SWMKEY-1-short", None, "invalid"),
    ("/k", KEY_A + "\n", KEY_A, "match"), ("/k", "  " + KEY_A, KEY_A + "\n", "match"),
    ("/k", KEY_A, KEY_B, "other"), ("/k", KEY_A, "", "other"), ("/k", KEY_A, None, "other"),
]


@pytest.mark.parametrize("path,content,swarm_key,state", FILE_CASES)
def test_file_state(path, content, swarm_key, state):
    assert al.file_state(path, content, swarm_key) == state


# unlock_keys: (current, previous) -> labels in order
KEY_CASES = [
    (KEY_A, KEY_B, ["current", "previous"]), (KEY_A, None, ["current"]), (None, KEY_B, ["previous"]),
    (KEY_A, KEY_A, ["current"]), ("", "", []), ("junk", KEY_B, ["previous"]), (KEY_A + "\n", "junk", ["current"]),
]


@pytest.mark.parametrize("current,previous,labels", KEY_CASES)
def test_unlock_keys_order(current, previous, labels):
    out = al.unlock_keys(current, previous)
    assert [pair[0] for pair in out] == labels
    assert all(al.key_valid(k) and k == k.strip() for k in (pair[1] for pair in out))


BOTH = al.unlock_keys(KEY_A, KEY_B)
ONE = al.unlock_keys(KEY_A, None)
# unlock_step: (state, keys, tried) -> (done, ok, try)
STEP_CASES = [
    (None, BOTH, (), (False, False, None)), ("pending", BOTH, (), (False, False, None)),
    ("active", BOTH, (), (True, True, None)), ("inactive", [], (), (True, True, None)),
    ("error", BOTH, (), (True, True, None)), ("", [], (), (True, True, None)),
    ("locked", BOTH, (), (False, False, "current")), ("locked", BOTH, ("current",), (False, False, "previous")),
    ("locked", BOTH, ("current", "previous"), (True, False, None)),
    ("locked", ONE, (), (False, False, "current")), ("locked", ONE, ("current",), (True, False, None)),
    ("locked", [], (), (True, False, None)),
]


@pytest.mark.parametrize("state,keys,tried,expected", STEP_CASES)
def test_unlock_step(state, keys, tried, expected):
    out = al.unlock_step(state, keys, tried)
    assert (out["done"], out["ok"], out["try"]) == expected
    assert KEY_A not in out["reason"] and KEY_B not in out["reason"]


def test_unlock_step_failure_names_what_was_tried():
    assert "current key and the previous key" in al.unlock_step("locked", BOTH, ("current", "previous"))["reason"]
    assert "no unlock key was given" in al.unlock_step("locked", [], ())["reason"]


# The preflight filter: the swarm's key is not known yet.
from ansible_collections.fleet.docker.plugins.filter.autolock import autolock_check  # noqa: E402

CHECK_CASES = [
    # (wanted, path, content, swarm) -> (ok, action, write_file)
    (True, "", None, "none", R), (True, "", None, "on", R), (True, "", None, None, R),
    (True, "/k", None, "none", (True, "init", True)), (True, "/k", KEY_A, "none", R),
    (True, "/k", None, "off", (True, "enable", True)), (True, "/k", KEY_A, "off", R),
    (True, "/k", KEY_A, "on", NOOP), (True, "/k", KEY_A, None, NOOP), (True, "/k", "junk", "on", R),
    (True, "/k", None, "on", (True, "none", True)), (True, "/k", None, None, (True, "none", True)),
    (False, "", None, "on", (True, "disable", False)), (False, "", None, None, (True, "disable", False)),
    (False, "/k", KEY_A, "off", NOOP), (False, "", None, "none", NOOP),
]


@pytest.mark.parametrize("wanted,path,content,swarm,expected", CHECK_CASES)
def test_preflight_filter(wanted, path, content, swarm, expected):
    out = autolock_check(wanted, path, content, swarm)
    assert (out["ok"], out["action"], out["write_file"]) == expected


@pytest.mark.parametrize("init,fact,want", [
    (True, None, "none"), (True, True, "none"), (True, False, "none"),
    (False, None, "unknown"), (False, True, "on"), (False, False, "off"),
])
def test_swarm_autolock_state(init, fact, want):
    assert al.swarm_autolock_state(init, fact) == want
