#!/usr/bin/env python3
"""Measuring helpers for bench/run.

    measure.py proxy PORT UPSTREAM LOG   a loopback HTTP proxy in front of moto that appends
                                         "service operation" for each request to LOG
    measure.py run LOG -- CMD ...        runs CMD; appends its wall time, exit status and the
                                         peak resident memory of its whole process tree
                                         (summed over every process, sampled each 20 ms) to
                                         LOG as one JSON line
    measure.py count LOG                 prints the requests in LOG per service and operation
    measure.py throttle PORT UPSTREAM LOG [BURST RATE]
                                         the proxy, enforcing AWS's per-account limits as token
                                         buckets (Route 53 50/10 per account, RDS 300/12, KMS
                                         and Secrets Manager 50/25 per operation — drift's own
                                         defaults — or BURST/RATE for every one of them): a
                                         request over a limit gets the service's throttling
                                         error.
                                         LOG lines are "ACCOUNT service operation" and
                                         "THROTTLED ACCOUNT service operation"
"""

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def operation(method, path, headers, body):
    auth = headers.get("Authorization", "")
    m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", auth)
    service = m.group(1) if m else "?"
    target = headers.get("X-Amz-Target")
    if target:
        return service, target.split(".")[-1]
    if body:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return service, form["Action"][0]
    if service == "route53":
        p = urllib.parse.urlparse(path).path
        if re.search(r"/hostedzone/[^/]+/rrset/?$", p):
            return service, f"{method} ListResourceRecordSets" if method == "GET" else f"{method} ChangeResourceRecordSets"
        if re.search(r"/hostedzone/?$", p):
            return service, "ListHostedZones" if method == "GET" else "CreateHostedZone"
        if re.search(r"/hostedzone/[^/]+$", p):
            return service, "GetHostedZone" if method == "GET" else f"{method} hostedzone"
        return service, f"{method} {p}"
    return service, f"{method} {urllib.parse.urlparse(path).path}"


def forward(host, port, handler, body):
    """Sends the handler's request upstream; its status, headers and body."""
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    headers = {k: v for k, v in handler.headers.items() if k.lower() != "connection"}
    conn.request(handler.command, handler.path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, r.getheaders(), data


def reply(handler, status, headers, data):
    """Sends an upstream answer back to the client."""
    handler.send_response(status)
    for k, v in headers:
        if k.lower() not in ("transfer-encoding", "connection", "content-length"):
            handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def proxy(port, upstream, log):
    host, _, uport = upstream.replace("http://", "").partition(":")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def handle_one(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            svc, op = operation(self.command, self.path, self.headers, body)
            with lock, open(log, "a") as f:
                f.write(f"{svc} {op}\n")
            status, response_headers, data = forward(host, uport, self, body)
            reply(self, status, response_headers, data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_one

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()


LIMITS = {"route53": (50, 10, False), "rds": (300, 12, False), "kms": (50, 25, True),
          "secretsmanager": (50, 25, True)}
CALLER = "123456789012"


def throttled(service, status_body):
    """The throttling answer each protocol gives."""
    if service == "kms" or service == "secretsmanager":
        return 400, "application/x-amz-json-1.1", json.dumps(
            {"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
    return 400, "text/xml", (
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
        "<Message>Rate exceeded</Message></Error><RequestId>0</RequestId></ErrorResponse>"
    ).encode()


def throttle(port, upstream, log, shape):
    """The counting proxy with AWS's limits: one token bucket per account and service (or
    operation), full at the start. The account of a request is its access key's: the
    caller's, or the one an AssumeRole answer passing through gave that key."""
    host, _, uport = upstream.replace("http://", "").partition(":")
    lock = threading.Lock()
    keys = {}
    buckets = {}

    def take(account, service, op):
        if service not in LIMITS:
            return True
        burst, rate, per_op = LIMITS[service]
        if shape:
            burst, rate = shape
        k = (account, service, op if per_op else "")
        now = time.monotonic()
        tokens, at = buckets.get(k, (burst, now))
        tokens = min(burst, tokens + (now - at) * rate)
        if tokens < 1:
            buckets[k] = (tokens, now)
            return False
        buckets[k] = (tokens - 1, now)
        return True

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def handle_one(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            svc, op = operation(self.command, self.path, self.headers, body)
            m = re.search(r"Credential=([^/]+)/", self.headers.get("Authorization", ""))
            with lock:
                account = keys.get(m.group(1) if m else "", CALLER)
                if svc == "sts" and op == "AssumeRole":
                    # Counted for the account whose role is assumed.
                    role = re.search(r"RoleArn=arn%3Aaws%3Aiam%3A%3A(\d{12})", body.decode("utf-8", "replace"))
                    account = role.group(1) if role else account
                ok = take(account, svc, op)
                with open(log, "a") as f:
                    f.write(f"{'' if ok else 'THROTTLED '}{account} {svc} {op}\n")
            if not ok:
                status, ctype, data = throttled(svc, None)
                reply(self, status, [("Content-Type", ctype)], data)
                return
            status, response_headers, data = forward(host, uport, self, body)
            if svc == "sts" and op == "AssumeRole":
                text = data.decode("utf-8", "replace")
                key = re.search(r"<AccessKeyId>([^<]+)</AccessKeyId>", text)
                arn = re.search(r"<Arn>arn:aws:sts::(\d{12}):assumed-role", text)
                if key and arn:
                    with lock:
                        keys[key.group(1)] = arn.group(1)
            reply(self, status, response_headers, data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_one

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

        def handle_error(self, request, client_address):
            # A client that gave up (its own timeout) is the client's business: counted by
            # the client as an error, not printed here.
            if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                super().handle_error(request, client_address)

    Server(("127.0.0.1", int(port)), Handler).serve_forever()


def tree_rss_kb(root):
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(pid))
        except (OSError, ValueError, IndexError):
            pass
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def run(log, cmd):
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    err = []
    t = threading.Thread(target=lambda: err.append(p.stderr.read()))
    t.start()
    while p.poll() is None:
        peak = max(peak, tree_rss_kb(p.pid))
        time.sleep(0.02)
    wall = time.monotonic() - start
    t.join()
    # A short run may end between samples: the largest single process's peak, from the kernel.
    import resource
    peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    with open(log, "a") as f:
        f.write(json.dumps({"cmd": cmd[0], "wall_s": round(wall, 3), "peak_kb": peak,
                            "exit": p.returncode}) + "\n")
    if p.returncode not in (0, 2):
        sys.stderr.write(err[0].decode("utf-8", "replace")[-3000:])


def count(log):
    out = {}
    with open(log) as f:
        for line in f:
            out[line.strip()] = out.get(line.strip(), 0) + 1
    print(json.dumps(dict(sorted(out.items())), indent=1))


def main():
    a = sys.argv[1:]
    if a[:1] == ["proxy"] and len(a) == 4:
        proxy(a[1], a[2], a[3])
    elif a[:1] == ["run"] and len(a) > 3 and a[2] == "--":
        run(a[1], a[3:])
    elif a[:1] == ["throttle"] and len(a) in (4, 6):
        throttle(a[1], a[2], a[3], (float(a[4]), float(a[5])) if len(a) == 6 else None)
    elif a[:1] == ["count"] and len(a) == 2:
        count(a[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
