#!/usr/bin/env python3
"""Attack drills against a live `kira serve` on 127.0.0.1 (ctest: server_attacks).

Each drill is bounded in time and in bytes sent, and must end with a 4xx or a
closed connection within its bound. A sampler reads the server's VmRSS from
/proc every 50 ms; it must stay under 100 MB throughout. Drills:
  deep nesting (chunked and not), a 256 MiB chunked log-in body, header
  floods, slowloris and idle keep-alive connections by the hundred while
  /healthz stays under its latency bound, oversized and negative
  Content-Length, a lock-out attempt from many addresses, a restart and a
  kill -9 that keep sessions, two servers sharing sessions, revocation, MFA,
  every acknowledged read audited after kill -9, audit-tail truncation
  detected by `kira audit verify --checkpoints`, and no SQL text in any error.

usage: server_attacks.py KIRA_BINARY
"""
import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

KIRA = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="kira-attacks-")
DB = os.path.join(TMP, "kira.db")
RSS_LIMIT_KB = 100 * 1024
FAILURES = []
ERROR_BODIES = []  # every error body seen, checked for SQL text at the end
FORBIDDEN_IN_ERRORS = ["sqlite", "postgres", "SQL", "UNIQUE", "constraint", "SELECT ", "INSERT ", "credentials."]


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def run(*args, stdin=None):
    return subprocess.run([KIRA, *args], input=stdin, capture_output=True, text=True, timeout=60)


class Server:
    """One `kira serve` process, with an RSS sampler."""

    def __init__(self, *extra, per_address="700"):
        self.out = open(os.path.join(TMP, "serve-%d.out" % time.monotonic_ns()), "w+")
        self.err = open(os.path.join(TMP, "serve-%d.err" % time.monotonic_ns()), "w+")
        self.proc = subprocess.Popen(
            [KIRA, "serve", "--db", DB, "--listen", "127.0.0.1:0", "--header-timeout-ms", "2000",
             "--body-timeout-ms", "2000", "--idle-timeout-ms", "4000", "--max-connections-per-address", per_address,
             "--threads", "4", *extra], stdout=self.out, stderr=self.err)
        self.port = None
        for _ in range(200):
            self.out.seek(0)
            text = self.out.read()
            if "listening on" in text:
                self.port = int(text.split("127.0.0.1:")[1].split()[0])
                break
            time.sleep(0.05)
        if self.port is None:
            self.err.seek(0)
            raise SystemExit("server did not start: " + self.err.read())
        self.max_rss = 0
        self.sampling = True
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()

    def _sample(self):
        while self.sampling:
            try:
                with open("/proc/%d/status" % self.proc.pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            self.max_rss = max(self.max_rss, int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.05)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        self.sampling = False
        if self.alive():
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)
        check(self.max_rss < RSS_LIMIT_KB, "server RSS stayed under 100 MB (max %d kB)" % self.max_rss)
        return self.proc.returncode


def request(port, method, path, body=None, headers=None, source="127.0.0.1", timeout=10):
    """One request on a fresh connection; returns (status, headers dict, body bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    try:
        data = body.encode() if isinstance(body, str) else (body or b"")
        h = {"Host": "127.0.0.1:%d" % port, "Connection": "close"}
        if body is not None:
            h["Content-Type"] = "application/json"
            h["Content-Length"] = str(len(data))
        h.update(headers or {})
        head = "%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
        s.sendall(head.encode() + data)
        return read_response(s)
    finally:
        s.close()


def read_response(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            return None, {}, buf
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    if status >= 400:
        ERROR_BODIES.append(rest.decode("utf-8", "replace"))
    return status, hdrs, rest


def login(port, who, password, totp=None, source="127.0.0.1"):
    body = {"login": who, "password": password}
    if totp:
        body["totp"] = totp
    return request(port, "POST", "/api/v1/login", json.dumps(body), source=source)


def token_of(port, who, password, totp=None):
    st, _, body = login(port, who, password, totp)
    assert st == 200, (st, body)
    return json.loads(body)["token"]


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def totp_now(secret, at=None):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((at or time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % code


def chunked_send(port, path, chunk, total, headers=None, deadline_s=10.0):
    """Streams `total` bytes of `chunk` repeated as a chunked body; returns (status, seconds, bytes sent)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=deadline_s)
    start = time.monotonic()
    sent = 0
    try:
        h = {"Host": "x", "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        h.update(headers or {})
        s.sendall(("POST %s HTTP/1.1\r\n" % path + "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n").encode())
        piece = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        try:
            while sent < total and time.monotonic() - start < deadline_s:
                s.sendall(piece)
                sent += len(chunk)
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server stopped reading and closed: that is the point
        try:
            st, _, _ = read_response(s)
        except OSError:
            st = None
        return st, time.monotonic() - start, sent
    finally:
        s.close()


def healthz_latencies(port, n):
    out = []
    for _ in range(n):
        t = time.monotonic()
        st, _, _ = request(port, "GET", "/healthz", timeout=5)
        out.append((time.monotonic() - t) * 1000 if st == 200 else 99999)
        time.sleep(0.02)
    return out


def main():
    os.environ["KIRA_AUDIT_KEY_FILE"] = os.path.join(TMP, "audit.key")
    r = run("demo", "--db", DB, "--patients", "8", "--clinic", "c1")
    assert r.returncode == 0, r.stderr
    for who, role in [("nurse1", "nurse"), ("nurse2", "nurse"), ("boss", "admin"), ("doc", "clinician")]:
        r = run("user", "add", "--db", DB, "--clinic", "c1", "--role", role, "--name", who, "--login", who,
                stdin="a long drill passphrase\n")
        assert r.returncode == 0, r.stderr
    pw = "a long drill passphrase"
    check(run("user", "add", "--db", DB, "--clinic", "c1", "--role", "nurse", "--name", "w", "--login", "weak",
              stdin="password1234\n").returncode == 2, "CLI refuses a common password")

    srv = Server()
    port = srv.port
    nurse = token_of(port, "nurse1", pw)
    st, _, body = request(port, "GET", "/api/v1/patients?limit=1", headers=bearer(nurse))
    patient = json.loads(body)["patients"][0]["id"]

    # --- deep nesting, chunked (over the body limit) and plain (under it) ---
    st, secs, _ = chunked_send(port, "/api/v1/patients/%s/plan" % patient, b"[" * 13000, 130000,
                               headers=bearer(nurse))
    check(st in (400, 413) and secs < 5, "130 KB of '[' chunked to /plan: %s in %.2fs" % (st, secs))
    st, _, body = request(port, "POST", "/api/v1/patients/%s/dose-check" % patient, "[" * 60000, bearer(nurse))
    check(st == 400 and b"nested deeper" in body, "60 KB of '[' to /dose-check: 400 naming the depth (%s)" % st)
    st, secs, _ = chunked_send(port, "/api/v1/sessions/x/monitor", b"{\"a\":" * 2000, 60000, headers=bearer(nurse))
    check(st in (400, 404, 413) and secs < 5, "deep objects chunked to /monitor: %s in %.2fs" % (st, secs))

    # --- 256 MiB chunked body to the public log-in ---
    st, secs, sent = chunked_send(port, "/api/v1/login", b"x" * 65536, 256 << 20, deadline_s=10)
    check(st == 413 or (st is None and secs < 10), "256 MiB chunked to /login: %s after %d bytes in %.2fs" % (st, sent, secs))
    check(sent < (8 << 20), "the server stopped reading after the limit (sent %d bytes)" % sent)

    # --- header floods ---
    flood = {"X-F%d" % i: "v" for i in range(5000)}
    t = time.monotonic()
    try:
        st, _, _ = request(port, "GET", "/healthz", headers=flood, timeout=5)
    except OSError:
        st = None
    check(st in (431, 400, None) and time.monotonic() - t < 5, "5,000 header fields: %s" % st)
    st, _, _ = request(port, "GET", "/healthz", headers={"X-F%d" % i: "v" for i in range(100)})
    check(st == 431, "100 header fields (limit 64): %s" % st)
    st, _, _ = request(port, "GET", "/healthz", headers={"X-Big": "a" * 100000})
    check(st == 431, "a 100 KB header: %s" % st)

    # --- Content-Length ---
    for cl, want in [("99999999999", 413), ("-1", 400), ("12abc", 400)]:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        t = time.monotonic()
        s.sendall(("POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Content-Length: %s\r\n\r\n" % cl).encode())
        st, _, _ = read_response(s)
        s.close()
        check(st == want and time.monotonic() - t < 2, "Content-Length: %s -> %s (want %d)" % (cl, st, want))

    # --- slowloris and idle keep-alive by the hundred, /healthz stays fast ---
    base = healthz_latencies(port, 20)
    slow = []
    for i in range(300):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        slow.append(s)
    idle = []
    for i in range(200):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        read_response(s)
        idle.append(s)
    for s in slow:
        try:
            s.send(b"a")
        except OSError:
            pass
    under = healthz_latencies(port, 30)
    p50, worst = statistics.median(under), max(under)
    check(worst < 500 and p50 < 50,
          "/healthz with 300 slowloris + 200 idle connections: median %.1f ms, max %.1f ms (idle server median %.1f ms)"
          % (p50, worst, statistics.median(base)))
    # The header deadline (2 s) closes every slow connection.
    time.sleep(3.0)
    closed = 0
    for s in slow:
        s.settimeout(1)
        try:
            closed += 1 if s.recv(1) == b"" else 0
        except OSError:
            closed += 1
        s.close()
    check(closed == len(slow), "the header deadline closed %d of %d slowloris connections" % (closed, len(slow)))
    for s in idle:
        s.close()

    # --- per-address connection bound ---
    bounded = Server(per_address="20")
    held = [socket.create_connection(("127.0.0.1", bounded.port), timeout=5) for _ in range(20)]
    extra = socket.create_connection(("127.0.0.1", bounded.port), timeout=5)
    extra.settimeout(3)
    try:
        refused = extra.recv(1) == b""
    except OSError:
        refused = True
    check(refused, "the 21st connection from one address is closed at once")
    st, _, _ = request(bounded.port, "GET", "/healthz", source="127.0.0.2")
    check(st == 200, "another address is still served (%s)" % st)
    for s in held + [extra]:
        s.close()
    bounded.stop()

    # --- lock-out attempt from 40 addresses: throttled, never locked out ---
    for i in range(40):
        src = "127.0.0.%d" % (10 + i)
        for _ in range(4):
            login(port, "nurse2", "not the password at all", source=src)
    st, hdrs, _ = login(port, "nurse2", pw)
    wait = int(hdrs.get("retry-after", "0"))
    check(st in (200, 429) and wait <= 31, "the real user after 160 guesses: %s, Retry-After %d s" % (st, wait))
    if st == 429:
        time.sleep(wait)
        st, _, _ = login(port, "nurse2", pw)
    check(st == 200, "the real user logs in once the back-off has passed (%s)" % st)

    # --- MFA: an admin must enrol TOTP before anything else ---
    st, _, body = login(port, "boss", pw)
    j = json.loads(body)
    check(st == 200 and j["must_enrol_mfa"], "admin without a second factor gets a restricted session")
    adm = j["token"]
    st, _, _ = request(port, "GET", "/api/v1/users", headers=bearer(adm))
    check(st == 403, "restricted admin session cannot list users (%s)" % st)
    st, _, body = request(port, "POST", "/api/v1/me/totp", "", bearer(adm))
    secret = json.loads(body)["secret"]
    enrol_code = totp_now(secret)
    st, _, body = request(port, "POST", "/api/v1/me/totp/confirm",
                          json.dumps({"secret": secret, "code": enrol_code}), bearer(adm))
    check(st == 200, "TOTP enrolment confirmed (%s)" % st)
    st, _, body = login(port, "boss", pw)
    check(st == 401 and b"totp" in body, "password alone no longer logs the admin in (%s)" % st)
    st, _, body = login(port, "boss", pw, enrol_code)
    check(st == 401 and b"used already" in body, "the enrolment code cannot be replayed to log in (%s)" % st)
    next_code = totp_now(secret, time.time() + 30)
    adm = token_of(port, "boss", pw, next_code)
    st, _, body = login(port, "boss", pw, next_code)
    check(st == 401 and b"used already" in body, "a TOTP code is refused the second time in its window (%s)" % st)
    st, _, _ = request(port, "GET", "/api/v1/users", headers=bearer(adm))
    check(st == 200, "admin with password + TOTP lists users (%s)" % st)

    # --- no SQL text: a taken login, bad ids, bad bodies ---
    for login_name in ["nurse1", "doc"]:
        st, _, body = request(port, "POST", "/api/v1/users", json.dumps(
            {"id": "dup-" + login_name, "display_name": "D", "role": "nurse", "login": login_name,
             "password": "yet another passphrase"}), bearer(adm))
        check(st == 409, "taken login '%s' -> 409 (%s)" % (login_name, st))
    request(port, "GET", "/api/v1/patients/'%20OR%201=1--", headers=bearer(nurse))
    request(port, "POST", "/api/v1/patients", '{"sex":"x"}', bearer(adm))
    request(port, "GET", "/api/v1/patients?limit=abc", headers=bearer(nurse))

    # --- revocation: ending a user's sessions from the CLI takes effect ---
    victim = token_of(port, "doc", pw)
    check(request(port, "GET", "/api/v1/me", headers=bearer(victim))[0] == 200, "doc's session works")
    r = run("user", "end-sessions", "--db", DB, "--clinic", "c1", "--id", "doc")
    check(r.returncode == 0, "kira user end-sessions: " + r.stdout.strip())
    time.sleep(1.2)  # the session cache time
    check(request(port, "GET", "/api/v1/me", headers=bearer(victim))[0] == 401, "the ended session is refused")

    # --- two servers on one registry share sessions ---
    other = Server()
    shared = token_of(port, "doc", pw)
    check(request(other.port, "GET", "/api/v1/me", headers=bearer(shared))[0] == 200,
          "a session made on server A works on server B")
    request(other.port, "POST", "/api/v1/logout", "", bearer(shared))
    time.sleep(1.2)
    check(request(port, "GET", "/api/v1/me", headers=bearer(shared))[0] == 401, "a log-out on B ends it on A")
    other.stop()

    # --- every acknowledged request is audited, even after kill -9 under mixed load ---
    # Readers (audited reads, and refused reads of a missing patient, audited as
    # refusals) and writers (new patients, each written with its audit row) run
    # together; after kill -9 every acknowledged request has its row.
    writer_tok = token_of(port, "doc", pw)

    def audited_reads(actor):
        con = sqlite3.connect(DB)
        n = con.execute("SELECT COUNT(*) FROM audit_log WHERE actor = ? AND action = 'read' AND entity = 'patient'",
                        (actor,)).fetchone()[0]
        con.close()
        return n
    before = audited_reads("nurse1")
    acked = [0]
    stop_load = [False]

    def reader():
        while not stop_load[0]:
            try:
                st, _, _ = request(port, "GET", "/api/v1/patients/" + patient, headers=bearer(nurse), timeout=3)
                if st == 200:
                    acked[0] += 1
            except OSError:
                return
    written = []
    refused = [0]

    def writer():
        while not stop_load[0]:
            try:
                st, _, body = request(port, "POST", "/api/v1/patients",
                                      '{"sex":"female","birth_year":1980,"indication":"trd"}',
                                      bearer(writer_tok), timeout=3)
                if st == 201:
                    written.append(json.loads(body)["id"])
            except (OSError, ValueError):
                return

    def prober():
        while not stop_load[0]:
            try:
                st, _, _ = request(port, "GET", "/api/v1/patients/no-such-patient", headers=bearer(writer_tok),
                                   timeout=3)
                if st == 404:
                    refused[0] += 1
            except OSError:
                return

    def refusals(actor):
        con = sqlite3.connect(DB)
        n = con.execute("SELECT COUNT(*) FROM audit_log WHERE actor = ? AND action = 'refused'", (actor,)).fetchone()[0]
        con.close()
        return n
    refused_before = refusals("doc")
    threads = [threading.Thread(target=reader) for _ in range(6)]
    threads += [threading.Thread(target=writer) for _ in range(3)]
    threads += [threading.Thread(target=prober) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    srv.stop(signal.SIGKILL)
    stop_load[0] = True
    for t in threads:
        t.join()
    after = audited_reads("nurse1")
    check(acked[0] > 0 and after - before >= acked[0],
          "after kill -9: %d acknowledged reads, %d audit rows" % (acked[0], after - before))
    con = sqlite3.connect(DB)
    missing = [pid for pid in written
               if con.execute("SELECT COUNT(*) FROM patients WHERE clinic_id = 'c1' AND id = ?", (pid,)).fetchone()[0] != 1
               or con.execute("SELECT COUNT(*) FROM audit_log WHERE clinic_id = 'c1' AND action = 'insert' "
                              "AND entity = 'patient' AND entity_id = ?", (pid,)).fetchone()[0] != 1]
    con.close()
    check(len(written) > 0 and not missing,
          "after kill -9: %d acknowledged writes, %d without their record or audit row" % (len(written), len(missing)))
    refused_after = refusals("doc")
    check(refused[0] > 0 and refused_after - refused_before >= refused[0],
          "after kill -9: %d acknowledged refusals, %d audit rows" % (refused[0], refused_after - refused_before))

    # --- a restart (after kill -9, then after SIGTERM) keeps sessions ---
    srv = Server()
    check(request(srv.port, "GET", "/api/v1/me", headers=bearer(nurse))[0] == 200, "session survives kill -9 + restart")
    # SIGTERM while a request is in flight: it is answered, then the server exits 0.
    slow_reply = []

    def in_flight():
        try:
            slow_reply.append(login(srv.port, "nurse1", pw)[0])
        except OSError as e:
            slow_reply.append("refused: %s" % e)
    t = threading.Thread(target=in_flight)
    t.start()
    time.sleep(0.02)  # the log-in's argon2 work is under way
    check(srv.stop() == 0, "SIGTERM stops the server cleanly (exit 0)")
    t.join()
    check(slow_reply == [200], "the in-flight log-in was answered before exit (%s)" % slow_reply)
    srv = Server()
    port = srv.port
    check(request(port, "GET", "/api/v1/me", headers=bearer(nurse))[0] == 200, "session survives a clean restart")

    # --- /metrics needs an admin, or the loopback metrics listener ---
    check(request(port, "GET", "/metrics")[0] == 401, "/metrics without a log-in: 401")
    srv.stop()
    m = Server("--metrics-listen", "127.0.0.1:0")
    m.out.seek(0)
    mport = int(m.out.read().split("metrics on http://127.0.0.1:")[1].split("/")[0])
    check(request(mport, "GET", "/metrics")[0] == 200, "the loopback metrics listener serves /metrics")
    check(request(mport, "GET", "/api/v1/me")[0] == 404, "the metrics listener serves nothing else")
    m.stop()
    bad = subprocess.run([KIRA, "serve", "--db", DB, "--listen", "127.0.0.1:0", "--metrics-listen", "0.0.0.0:0"],
                         capture_output=True, text=True, timeout=20)
    check(bad.returncode == 2 and "loopback" in bad.stderr, "a non-loopback metrics listener is refused")

    # --- unknown-login failures and 401s reach the registry's own chain ---
    srv = Server()
    typed = "Passw0rd-typed-as-login"
    check(login(srv.port, typed, "whatever")[0] == 401, "unknown login: 401")
    check(request(srv.port, "GET", "/api/v1/patients/p-77")[0] == 401, "no session: 401")
    srv.stop()
    r = run("audit", "list", "--registry", "--db", DB, "--limit", "100000")
    check(r.returncode == 0 and "login_failed" in r.stdout and "GET /api/v1/patients/{id}" in r.stdout
          and typed not in r.stdout and "p-77" not in r.stdout,
          "kira audit list --registry: unknown log-in and 401 rows, no typed login or raw path")
    r = run("audit", "list", "--registry", "--db", DB, "--login", typed)
    check(r.returncode == 0 and "login_failed" in r.stdout, "kira audit list --registry --login finds the digest")
    con = sqlite3.connect(DB)
    raw = b"".join(bytes(str(row), "utf-8") for row in con.execute("SELECT * FROM registry_audit_log"))
    raw += b"".join(bytes(str(row), "utf-8") for row in con.execute("SELECT * FROM audit_log"))
    con.close()
    check(typed.encode() not in raw, "the typed login is stored in no audit row")

    # --- audit-tail truncation is detected ---
    cp = os.path.join(TMP, "checkpoints.txt")
    r = run("audit", "checkpoint", "export", "--db", DB, "--out", cp)
    check(r.returncode == 0, "kira audit checkpoint export: " + r.stdout.strip())
    r = run("audit", "verify", "--db", DB, "--checkpoints", cp)
    check(r.returncode == 0, "kira audit verify before tampering: exit %d" % r.returncode)
    con = sqlite3.connect(DB)
    con.execute("DROP TRIGGER audit_log_no_delete")
    con.execute("DELETE FROM audit_log WHERE clinic_id = 'c1' AND seq > (SELECT MAX(seq) - 5 FROM audit_log "
                "WHERE clinic_id = 'c1')")
    con.execute("DELETE FROM audit_checkpoints")  # the attacker removes the local copies too
    con.commit()
    con.close()
    r = run("audit", "verify", "--db", DB, "--checkpoints", cp)
    check(r.returncode == 1 and "newest rows were deleted" in r.stdout,
          "verify --checkpoints detects the deleted tail: " + r.stdout.strip().splitlines()[-1])
    # The registry chain: the stored checkpoints alone catch a deleted tail.
    r = run("audit", "checkpoint", "create", "--db", DB)
    con = sqlite3.connect(DB)
    con.execute("DROP TRIGGER registry_audit_log_no_delete")
    con.execute("DELETE FROM registry_audit_log WHERE seq = (SELECT MAX(seq) FROM registry_audit_log)")
    con.commit()
    con.close()
    r = run("audit", "verify", "--registry", "--db", DB)
    check(r.returncode == 1 and "registry chain: BROKEN" in r.stdout and "newest rows were deleted" in r.stdout,
          "verify detects the registry chain's deleted tail: " + r.stdout.strip())

    # --- no SQL or driver text in any error body seen ---
    leaks = [b for b in ERROR_BODIES if any(w in b for w in FORBIDDEN_IN_ERRORS)]
    check(not leaks, "no SQL or driver text in %d error bodies%s" % (len(ERROR_BODIES), (": " + leaks[0]) if leaks else ""))


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    if FAILURES:
        print("%d drill(s) failed" % len(FAILURES))
        sys.exit(1)
    print("PASS: every drill")
