"""Tests for the Jenkins stand-in (lab/jenkins_standin.py), served for real on 127.0.0.1.

The stand-in must answer like the Generic Webhook Trigger and Build Authorization Token
Root plugins, because the registry role is tested against it and must work unchanged against a real Jenkins.
"""
import http.client
import json
import os
import sys
import threading
from http.server import ThreadingHTTPServer
from urllib.parse import urlencode

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import jenkins_standin  # noqa: E402

JOBS = ["deploy-on-push=tok-1", "team/app-build=team tok/2", "no-token="]
PARAM_JOBS = ["with-params=ptok"]
# Generic Webhook Trigger jobs: two share a token (the plugin triggers both), one has none.
GWT_JOBS = ["deploy-on-push=g-tok", "team/app-build=g-team", "also-g-tok=g-tok", "open-job="]
# What a distribution 2.x registry POSTs for a manifest push (trimmed).
ENVELOPE_TYPE = "application/vnd.docker.distribution.events.v1+json"
PUSH_EVENTS = {"events": [{
    "id": "5c5b1a14", "action": "push",
    "target": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
               "repository": "team/app", "tag": "1", "digest": "sha256:abc"},
    "request": {"method": "PUT", "useragent": "docker/26"},
}]}


class StandIn:
    """A stand-in serving on 127.0.0.1:<free port> in a thread."""

    def __init__(self, quiet_period=0.0):
        self.jenkins = jenkins_standin.Jenkins(JOBS, PARAM_JOBS, quiet_period=quiet_period, gwt_jobs=GWT_JOBS)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), jenkins_standin.make_handler(self.jenkins))
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def trigger(self, job, token, method="POST", kind="build", extra=None, body=None, headers=None):
        query = {"job": job}
        if token is not None:
            query["token"] = token
        query.update(extra or {})
        return self.request(method, "/buildByToken/%s?%s" % (kind, urlencode(query)), body=body, headers=headers)

    def invoke(self, headers=None, query="", body=None, method="POST"):
        status, _, raw = self.request(method, "/generic-webhook-trigger/invoke" + query, body=body,
                                      headers=headers)
        return status, json.loads(raw)

    def recorded(self, what):
        status, _, body = self.request("GET", "/_standin/" + what)
        assert status == 200
        return json.loads(body)


@pytest.fixture
def standin():
    s = StandIn()
    yield s
    s.close()


def test_queued_build_answers_201_with_location_and_is_recorded(standin):
    status, headers, _ = standin.trigger("deploy-on-push", "tok-1")
    assert status == 201
    assert headers["Location"] == "http://127.0.0.1:%d/queue/item/1/" % standin.port
    builds = standin.recorded("builds")
    assert [(b["job"], b["queue_id"], b["method"]) for b in builds] == [("deploy-on-push", 1, "POST")]
    status, headers, _ = standin.trigger("deploy-on-push", "tok-1")
    assert status == 201 and headers["Location"].endswith("/queue/item/2/")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_get_and_post_both_queue(standin, method):
    status, _, _ = standin.trigger("deploy-on-push", "tok-1", method=method)
    assert status == 201
    assert [b["method"] for b in standin.recorded("builds")] == [method]


def test_wrong_or_missing_token_is_403_and_queues_nothing(standin):
    assert standin.trigger("deploy-on-push", "nope")[0] == 403
    assert standin.trigger("deploy-on-push", None)[0] == 403
    assert standin.recorded("builds") == []
    reqs = standin.recorded("requests")
    assert [(r["status"], r["token_given"]) for r in reqs] == [(403, True), (403, False)]
    assert "nope" not in json.dumps(reqs)  # tokens are never recorded


@pytest.mark.parametrize("job", ["unknown", "no-token", "", "team"])
def test_unknown_job_or_job_without_token_is_404(standin, job):
    assert standin.trigger(job, "tok-1")[0] == 404
    assert standin.recorded("builds") == []


def test_folder_job_with_encoded_slash_and_token(standin):
    # urlencode gives job=team%2Fapp-build&token=team+tok%2F2, as the registry role renders it
    status, _, _ = standin.trigger("team/app-build", "team tok/2")
    assert status == 201
    # the same job with a literal slash in the query, as a hand-written URL would have it
    status, _, _ = standin.request("POST", "/buildByToken/build?job=team/app-build&token=team%20tok%2F2")
    assert status == 201
    assert [b["job"] for b in standin.recorded("builds")] == ["team/app-build", "team/app-build"]
    assert standin.trigger("app-build", "team tok/2")[0] == 404  # folder is part of the name


def test_wrong_kind_is_400(standin):
    # buildWithParameters on a job without parameters
    assert standin.trigger("deploy-on-push", "tok-1", kind="buildWithParameters", extra={"A": "1"})[0] == 400
    # /build by GET on a parameterized job
    assert standin.trigger("with-params", "ptok", method="GET")[0] == 400
    assert standin.recorded("builds") == []


def test_build_with_parameters_records_them(standin):
    status, _, _ = standin.trigger("with-params", "ptok", kind="buildWithParameters", extra={"TAG": "1"})
    assert status == 201
    status, _, _ = standin.trigger("with-params", "ptok", kind="buildWithParameters",
                                   body="TAG=2&IMAGE=app", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 201
    assert [b["parameters"] for b in standin.recorded("builds")] == [{"TAG": "1"}, {"TAG": "2", "IMAGE": "app"}]


def test_already_queued_is_303_with_the_queued_item():
    s = StandIn(quiet_period=60)
    try:
        status, headers, _ = s.trigger("deploy-on-push", "tok-1")
        assert status == 201 and headers["Location"].endswith("/queue/item/1/")
        status, headers, _ = s.trigger("deploy-on-push", "tok-1")
        assert status == 303 and headers["Location"].endswith("/queue/item/1/")
        assert len(s.recorded("builds")) == 1
        assert [r["status"] for r in s.recorded("requests")] == [201, 303]
    finally:
        s.close()


def test_registry_envelope_is_summarized_in_builds_and_requests(standin):
    body = json.dumps(PUSH_EVENTS)
    status, _, _ = standin.trigger("deploy-on-push", "tok-1", body=body, headers={"Content-Type": ENVELOPE_TYPE})
    assert status == 201
    want = [{"action": "push", "repository": "team/app", "tag": "1",
             "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}]
    assert standin.recorded("builds")[0]["events"] == want
    req = standin.recorded("requests")[0]
    assert (req["method"], req["endpoint"], req["job"], req["status"], req["events"]) == (
        "POST", "build", "deploy-on-push", 201, want)


@pytest.mark.parametrize("body", [b"not json", b'{"events": "x"}', b'{"events": [1, "x", null]}',
                                  b'{"events": [{"target": "x"}]}', b"[]"])
def test_odd_bodies_still_queue(standin, body):
    status, _, _ = standin.trigger("deploy-on-push", "tok-1", body=body, headers={"Content-Type": ENVELOPE_TYPE})
    assert status == 201
    assert len(standin.recorded("builds")) == 1


def test_bad_content_length_is_400(standin):
    conn = http.client.HTTPConnection("127.0.0.1", standin.port, timeout=10)
    try:
        conn.putrequest("POST", "/buildByToken/build?job=deploy-on-push&token=tok-1")
        conn.putheader("Content-Length", "abc")
        conn.endheaders()
        assert conn.getresponse().status == 400
    finally:
        conn.close()
    assert standin.recorded("builds") == []


def test_other_paths_are_404(standin):
    assert standin.request("GET", "/job/deploy-on-push/build?token=tok-1")[0] == 404
    assert standin.request("POST", "/buildByToken/other?job=deploy-on-push&token=tok-1")[0] == 404
    assert standin.recorded("builds") == []


def test_reset_forgets_builds_and_requests(standin):
    standin.trigger("deploy-on-push", "tok-1")
    standin.trigger("deploy-on-push", "bad")
    assert standin.request("POST", "/_standin/reset")[0] == 200
    assert standin.recorded("builds") == [] and standin.recorded("requests") == []
    status, headers, _ = standin.trigger("deploy-on-push", "tok-1")
    assert status == 201 and headers["Location"].endswith("/queue/item/1/")


def test_job_spec_without_token_separator_is_rejected():
    with pytest.raises(ValueError):
        jenkins_standin.Jenkins(["deploy-on-push"])


# --------------------------------------------------------------------------- Generic Webhook Trigger


@pytest.mark.parametrize("headers,query,where", [
    ({"Authorization": "Bearer g-team"}, "", "authorization"),
    ({"token": "g-team"}, "", "header"),
    ({"X-Gitlab-Token": "g-team"}, "", "x-gitlab-token"),
    ({}, "?token=g-team", "query"),
    # the plugin's order: the query parameter wins over a header
    ({"Authorization": "Bearer wrong"}, "?token=g-team", "query"),
])
def test_invoke_takes_the_token_where_the_plugin_does(standin, headers, query, where):
    status, answer = standin.invoke(dict(headers, **{"Content-Type": ENVELOPE_TYPE}), query,
                                    body=json.dumps(PUSH_EVENTS))
    assert status == 200
    assert answer == {"jobs": {"team/app-build": {"triggered": True, "id": 1, "url": "queue/item/1/"}},
                      "message": "Triggered jobs."}
    builds = standin.recorded("builds")
    assert [(b["job"], b["trigger"]) for b in builds] == [("team/app-build", "generic-webhook")]
    assert builds[0]["events"][0]["repository"] == "team/app"
    req = standin.recorded("requests")[0]
    assert (req["status"], req["token_given"], req["token_in"]) == (200, True, where)
    assert "g-team" not in json.dumps(standin.recorded("requests"))  # tokens are never recorded


def test_invoke_triggers_every_job_with_that_token(standin):
    status, answer = standin.invoke({"Authorization": "Bearer g-tok"})
    assert status == 200 and sorted(answer["jobs"]) == ["also-g-tok", "deploy-on-push"]
    assert sorted(b["job"] for b in standin.recorded("builds")) == ["also-g-tok", "deploy-on-push"]


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer nope"}, {"token": "wrong"}])
def test_invoke_with_an_unknown_token_is_404_and_queues_nothing(standin, headers):
    status, answer = standin.invoke(headers)
    assert status == 404
    assert answer["jobs"] is None and answer["message"].startswith("Did not find any jobs with GenericTrigger")
    assert standin.recorded("builds") == []
    assert standin.recorded("requests")[0]["status"] == 404


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic Zm9vOmJhcg=="}, {"token": ""}])
def test_invoke_without_token_triggers_only_jobs_without_one(standin, headers):
    status, answer = standin.invoke(headers)
    assert status == 200 and list(answer["jobs"]) == ["open-job"]
    assert standin.recorded("requests")[0]["token_given"] is False


def test_fail_answers_503_then_recovers(standin):
    status, _, _ = standin.request("POST", "/_standin/fail?count=2")
    assert status == 200
    gwt = ("POST", "/generic-webhook-trigger/invoke", None, {"Authorization": "Bearer g-team"})
    assert standin.request(*gwt)[0] == 503
    assert standin.trigger("deploy-on-push", "tok-1")[0] == 503
    assert standin.invoke({"Authorization": "Bearer g-team"})[0] == 200
    assert [r["status"] for r in standin.recorded("requests")] == [503, 503, 200]
    assert [b["job"] for b in standin.recorded("builds")] == ["team/app-build"]


def test_log_lines_hide_query_tokens():
    line = '"POST /buildByToken/build?job=team%2Fapp&token=s3cr3t HTTP/1.1" 201 -'
    assert jenkins_standin.without_token(line) == '"POST /buildByToken/build?job=team%2Fapp&token=<hidden> HTTP/1.1" 201 -'
    assert jenkins_standin.without_token("/x?token=a&b=c") == "/x?token=<hidden>&b=c"
