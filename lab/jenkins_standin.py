#!/usr/bin/env python3
"""Jenkins STAND-IN for the lab and the tests -- not Jenkins.

It answers the two Jenkins endpoints this project's registry notifications can use, with
the semantics of the plugins behind them (read from their source):

Generic Webhook Trigger plugin (the recommended form: the token travels in a header)
  POST /generic-webhook-trigger/invoke
      The token is taken, as the plugin does (GenericWebHookRequestReceiver.getGivenToken),
      from the first of: query `token`, header `token`, `Authorization: Bearer <t>`,
      `X-Gitlab-Token`. Every job whose trigger token equals it is triggered (a job without
      a token only by a request without one, as JobFinder matches them).
      200 + JSON {"jobs": {NAME: {"triggered": true, "id": N, "url": "queue/item/N/"}},
                  "message": "Triggered jobs."}
      404 + JSON {"jobs": null, "message": "Did not find any jobs with GenericTrigger configured! ..."}

Build Authorization Token Root plugin (the token can only be in the query string: the
plugin checks it with Jenkins core's BuildAuthorizationToken, req.getParameter("token"))

  GET|POST /buildByToken/build?job=NAME&token=T
      201 + Location: <base>/queue/item/<id>/   build queued
      303 + Location of the queued item           same job already waiting in the quiet period
      403                                         wrong token
      404                                         unknown job, or the job has no token configured
      400                                         /build on a parameterized job by GET (Jenkins
                                                  shows a form there), or /buildWithParameters
                                                  on a job without parameters
  GET|POST /buildByToken/buildWithParameters?job=NAME&token=T&P=v

Folder jobs are addressed as job=folder/name, as with the plugin.

Only for tests and the demo, it also serves what it recorded:
  GET  /_standin/builds     builds it queued (job, parameters, the registry events that caused it)
  GET  /_standin/requests   every request with the status it answered (never the token: only
                            whether one was given and where: query, header, authorization)
  POST /_standin/reset      forget both
  POST /_standin/fail?count=N   answer the next N trigger requests 503 (a Jenkins that is
                            down), so tests can watch the registry retry

Jobs come from the command line: --job NAME=TOKEN (an empty TOKEN means "no token
configured"), --param-job NAME=TOKEN for parameterized jobs (Build Authorization Token
Root), --gwt-job NAME=TOKEN for jobs with a Generic Webhook Trigger. Its own log lines
show paths with any token replaced. Stdlib only.
"""

import argparse
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 1 << 20


class Jenkins:
    """The stand-in's state: job definitions, the queue, and what it recorded."""

    def __init__(self, jobs, param_jobs=(), quiet_period=0.0, gwt_jobs=()):
        self.jobs = {}
        for spec, parameterized in [(j, False) for j in jobs] + [(j, True) for j in param_jobs]:
            name, token = _job_spec(spec)
            self.jobs[name] = {"token": token, "parameterized": parameterized}
        self.gwt_jobs = dict(_job_spec(spec) for spec in gwt_jobs)
        self.quiet_period = quiet_period
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.next_id = 1
            self.queue = {}  # job -> (item id, time it leaves the queue)
            self.builds = []
            self.requests = []
            self.fail_next = 0

    def failing(self):
        """True (and one fewer to fail) while /_standin/fail asked for failures."""
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
            return False

    def _schedule(self, job_name, now):
        """(queue item id, new) for a job: the waiting item when it is still in its quiet period."""
        with self.lock:
            queued = self.queue.get(job_name)
            if queued and queued[1] > now:
                return queued[0], False
            item = self.next_id
            self.next_id += 1
            self.queue[job_name] = (item, now + self.quiet_period)
            return item, True

    def invoke(self, given_token):
        """Generic Webhook Trigger: (status, {job: (item id, new)}) for the jobs this token selects."""
        given = given_token or ""
        found = sorted(name for name, token in self.gwt_jobs.items() if token == given)
        if not found:
            return 404, {}
        now = time.monotonic()
        return 200, {name: self._schedule(name, now) for name in found}

    def trigger(self, kind, query, body_params):
        """Return (status, queue item id or None, reason, parameters) like the plugin would."""
        job_name = (query.get("job") or [""])[0]
        token = (query.get("token") or [None])[0]
        job = self.jobs.get(job_name)
        if job is None or not job["token"]:
            return 404, None, "no such job, or no token configured: %r" % job_name, {}
        if token != job["token"]:
            return 403, None, "Invalid token provided", {}
        if kind == "buildWithParameters" and not job["parameterized"]:
            return 400, None, "job %s is not parameterized; use /build" % job_name, {}
        params = {}
        if kind == "buildWithParameters":
            for src in (query, body_params):
                params.update({k: v[0] for k, v in src.items() if k not in ("job", "token", "delay")})
        item, new = self._schedule(job_name, time.monotonic())
        if not new:
            return 303, item, "already queued", params
        return 201, item, "queued", params

    def record(self, entry, build=None):
        with self.lock:
            self.requests.append(entry)
            if build is not None:
                self.builds.append(build)


def _job_spec(spec):
    name, sep, token = spec.partition("=")
    if not name or not sep:
        raise ValueError("job spec must be NAME=TOKEN, got %r" % spec)
    return name, token


GWT_NOT_FOUND = "Did not find any jobs with GenericTrigger configured!\n"


def given_token(query, headers):
    """(token, where) as the Generic Webhook Trigger plugin reads it; (None, None) without one."""
    if "token" in query:
        return query["token"][0], "query"
    if headers.get("token") is not None:
        return headers.get("token"), "header"
    for value in headers.get_all("Authorization") or []:
        if value.startswith("Bearer "):
            return value[len("Bearer "):], "authorization"
    if headers.get("X-Gitlab-Token") is not None:
        return headers.get("X-Gitlab-Token"), "x-gitlab-token"
    return None, None


_TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&\s]*")


def without_token(text):
    """A request line with the value of any token= query parameter replaced."""
    return _TOKEN_IN_QUERY.sub(r"\1<hidden>", text)


def summarize_events(content_type, body):
    """Registry notification envelopes: keep what a test needs to see, not the whole body."""
    if "json" not in (content_type or "") or not body:
        return None
    try:
        doc = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    events = doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(events, list):
        return None
    out = []
    for ev in events:
        if not isinstance(ev, dict):
            continue
        target = ev.get("target")
        if not isinstance(target, dict):
            target = {}
        out.append({
            "action": ev.get("action"),
            "repository": target.get("repository"),
            "tag": target.get("tag"),
            "mediaType": target.get("mediaType"),
        })
    return out


def make_handler(jenkins):
    class Handler(BaseHTTPRequestHandler):
        server_version = "JenkinsStandIn/1"

        def log_message(self, fmt, *args):  # one line per request, tokens hidden
            print("%s %s" % (self.address_string(), without_token(fmt % args)), flush=True)

        def _send(self, status, body=b"", location=None, ctype="text/plain; charset=utf-8"):
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, obj):
            self._send(200, json.dumps(obj, indent=2).encode(), ctype="application/json")

        def _body(self):
            """The request body, or None when Content-Length is not a number."""
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                return None
            return self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""

        def _handle(self):
            url = urlsplit(self.path)
            body = self._body() if self.command == "POST" else b""
            if body is None:
                self.close_connection = True
                return self._send(400, b"bad Content-Length")
            if url.path == "/_standin/builds" and self.command == "GET":
                with jenkins.lock:
                    return self._json(list(jenkins.builds))
            if url.path == "/_standin/requests" and self.command == "GET":
                with jenkins.lock:
                    return self._json(list(jenkins.requests))
            if url.path == "/_standin/reset" and self.command == "POST":
                jenkins.reset()
                return self._json({"reset": True})
            query = parse_qs(url.query, keep_blank_values=True)
            if url.path == "/_standin/fail" and self.command == "POST":
                try:
                    count = int((query.get("count") or ["1"])[0])
                except ValueError:
                    return self._send(400, b"count must be a number")
                with jenkins.lock:
                    jenkins.fail_next = max(count, 0)
                return self._json({"fail_next": jenkins.fail_next})
            if url.path.rstrip("/") == "/generic-webhook-trigger/invoke":
                return self._invoke(query, body)
            kind = url.path.rstrip("/").rsplit("/", 1)[-1]
            if not url.path.startswith("/buildByToken/") or kind not in ("build", "buildWithParameters"):
                return self._send(404, b"Not Found")
            ctype = self.headers.get("Content-Type", "")
            form = parse_qs(body.decode("utf-8", "replace")) if "form-urlencoded" in ctype else {}
            job_name = (query.get("job") or [""])[0]
            if jenkins.failing():
                jenkins.record({"time": time.time(), "method": self.command, "endpoint": kind, "job": job_name,
                                "token_given": "token" in query, "token_in": "query" if "token" in query else None,
                                "status": 503, "reason": "failing on request (/_standin/fail)",
                                "user_agent": self.headers.get("User-Agent"),
                                "events": summarize_events(ctype, body)})
                return self._send(503, b"Service Unavailable (stand-in asked to fail)")
            if kind == "build" and self.command == "GET" and jenkins.jobs.get(job_name, {}).get("parameterized"):
                status, item, reason, params = 400, None, "parameterized job: POST, or use buildWithParameters", {}
            else:
                status, item, reason, params = jenkins.trigger(kind, query, form)
            events = summarize_events(ctype, body)
            entry = {"time": time.time(), "method": self.command, "endpoint": kind, "job": job_name,
                     "token_given": "token" in query, "token_in": "query" if "token" in query else None,
                     "status": status, "reason": reason,
                     "user_agent": self.headers.get("User-Agent"), "events": events}
            build = None
            if status == 201:
                build = {"queue_id": item, "job": job_name, "method": self.command, "time": entry["time"],
                         "parameters": params, "events": events}
            jenkins.record(entry, build)
            location = None
            if item is not None:
                location = "http://%s/queue/item/%d/" % (self.headers.get("Host", "jenkins"), item)
            return self._send(status, reason.encode() if status >= 400 else b"", location=location)

        def _invoke(self, query, body):
            """POST /generic-webhook-trigger/invoke, as the Generic Webhook Trigger plugin answers it."""
            token, where = given_token(query, self.headers)
            ctype = self.headers.get("Content-Type", "")
            events = summarize_events(ctype, body)
            entry = {"time": time.time(), "method": self.command, "endpoint": "generic-webhook-trigger/invoke",
                     "job": None, "token_given": bool(token), "token_in": where,
                     "user_agent": self.headers.get("User-Agent"), "events": events}
            if jenkins.failing():
                entry.update(status=503, reason="failing on request (/_standin/fail)")
                jenkins.record(entry)
                return self._send(503, b"Service Unavailable (stand-in asked to fail)")
            status, found = jenkins.invoke(token)
            if status == 404:
                msg = GWT_NOT_FOUND + ("A token was supplied.\n" if token else "No token was supplied.\n")
                entry.update(status=404, reason="no job with this token")
                jenkins.record(entry)
                return self._send(404, json.dumps({"jobs": None, "message": msg}).encode(), ctype="application/json")
            jobs = {name: {"triggered": True, "id": item, "url": "queue/item/%d/" % item}
                    for name, (item, _new) in found.items()}
            entry.update(status=200, reason="triggered %s" % ", ".join(sorted(jobs)), jobs=sorted(jobs))
            builds = [{"queue_id": item, "job": name, "method": self.command, "time": entry["time"],
                       "trigger": "generic-webhook", "parameters": {}, "events": events}
                      for name, (item, new) in sorted(found.items()) if new]
            with jenkins.lock:
                jenkins.requests.append(entry)
                jenkins.builds.extend(builds)
            return self._send(200, json.dumps({"jobs": jobs, "message": "Triggered jobs."}).encode(),
                              ctype="application/json")

        do_GET = do_POST = do_HEAD = _handle

    return Handler


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Jenkins stand-in (Generic Webhook Trigger and Build Authorization Token Root semantics)")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--job", action="append", default=[], help="NAME=TOKEN")
    ap.add_argument("--param-job", action="append", default=[], help="NAME=TOKEN (parameterized)")
    ap.add_argument("--gwt-job", action="append", default=[], help="NAME=TOKEN (Generic Webhook Trigger)")
    ap.add_argument("--quiet-period", type=float, default=0.0, help="seconds a queued item waits")
    args = ap.parse_args(argv)
    jenkins = Jenkins(args.job, args.param_job, args.quiet_period, gwt_jobs=args.gwt_job)
    server = ThreadingHTTPServer((args.bind, args.port), make_handler(jenkins))
    print("Jenkins stand-in listening on %s:%d, jobs: %s; generic webhook jobs: %s"
          % (args.bind, args.port, ", ".join(jenkins.jobs), ", ".join(jenkins.gwt_jobs)), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
