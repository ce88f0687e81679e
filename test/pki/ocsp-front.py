#!/usr/bin/env python3
"""Loopback-only OCSP responder front for the integration tests.

Answers OCSP requests (POST with a DER body, or RFC 5019 GET /<path>/<base64>)
by running the real `openssl ocsp` responder over the test PKI made by
make-pki.sh, and can misbehave on demand so tests can watch how a client copes
with slow, broken or hostile responders. Also serves the AIA caIssuers files
/int.cer and /root.cer (DER).

    ocsp-front.py --pki DIR --port N [--host 127.0.0.1|::1] [--path /ocsp]
                  [--signer NAME] [--nmin N | --ndays N] [--pidfile FILE]
                  [--log FILE] [--control FILE]

The control file is JSON, re-read on every request, so a test switches the
behaviour of a running front by rewriting it (write a temp file, then rename):
    {"fault": "none", "delay": 3, "signer": "ocsp", "nmin": 5}
Faults:
    none      answer normally
    delay     sleep `delay` seconds (default 5), then answer normally
    http500   HTTP 500
    garbage   200 application/ocsp-response with random bytes (never DER)
    oversize  200 application/ocsp-response with a 2 MiB body
    blackhole read the request, then hold the connection without answering
              until the client goes away (at most 120 s)
    trylater  a valid OCSPResponse with status tryLater (30 03 0A 01 03)
    close     read the request, then close the connection without answering
    wrongkey  sign with int-otherkey (the issuer's name, another key)
"signer" names the responder certificate/key pair in the PKI dir (default:
--signer); "nmin"/"ndays" override the validity given on the command line.

The log file gets one tab-separated line per request:
    time method path status bytes fault
where fault is the active fault for OCSP requests and "-" for anything else,
so the number of lines whose last field is not "-" counts OCSP requests.
status is "-" when no answer is sent (blackhole, close).
"""

import argparse
import base64
import datetime
import http.server
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

FAULTS = ("none", "delay", "http500", "garbage", "oversize", "blackhole",
          "trylater", "close", "wrongkey")
LOOPBACK_HOSTS = ("127.0.0.1", "::1")
OCSP_CONTENT_TYPE = "application/ocsp-response"
MAX_REQUEST_BYTES = 64 * 1024
OPENSSL_TIMEOUT_S = 10
BLACKHOLE_MAX_S = 120
MAX_DELAY_S = 300
DEFAULT_DELAY_S = 5
OVERSIZE_BYTES = 2 * 1024 * 1024
# OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } with no responseBytes
STATUS_ONLY_RESPONSE = {
    "malformedRequest": bytes.fromhex("3003 0a01 01"),
    "internalError": bytes.fromhex("3003 0a01 02"),
    "tryLater": bytes.fromhex("3003 0a01 03"),
}
CA_FILES = {"/int.cer": "int.pem", "/root.cer": "root.pem"}


class Front:
    """Configuration and shared state of one running front."""

    def __init__(self, args):
        self.pki = os.path.abspath(args.pki)
        self.ocsp_path = "/" + args.path.strip("/")
        self.signer = args.signer
        self.validity = (["-nmin", str(args.nmin)] if args.nmin is not None
                         else ["-ndays", str(args.ndays)])
        self.control_file = args.control
        self.log_file = args.log
        self.log_lock = threading.Lock()

    def control(self):
        """The current control settings; a missing file means no fault."""
        if not self.control_file:
            return {}
        try:
            with open(self.control_file, encoding="utf-8") as f:
                settings = json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            warn("ignoring unreadable control file %s: %s" % (self.control_file, e))
            return {}
        if not isinstance(settings, dict):
            warn("ignoring control file %s: not a JSON object" % self.control_file)
            return {}
        return settings

    def is_ocsp_path(self, path):
        if self.ocsp_path == "/":
            return True
        return path == self.ocsp_path or path.startswith(self.ocsp_path + "/")

    def respond(self, request_der, settings, signer):
        """Run `openssl ocsp` over the index; returns the DER OCSPResponse."""
        if "nmin" in settings:
            validity = ["-nmin", str(int(settings["nmin"]))]
        elif "ndays" in settings:
            validity = ["-ndays", str(int(settings["ndays"]))]
        else:
            validity = self.validity
        cmd = ["openssl", "ocsp", "-index", "index.txt", "-CA", "int.pem",
               "-rsigner", signer + ".pem", "-rkey", signer + ".key",
               "-reqin", "-", "-respout", "-"] + validity
        try:
            done = subprocess.run(cmd, input=request_der, capture_output=True,
                                  cwd=self.pki, timeout=OPENSSL_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            warn("openssl ocsp timed out")
            return STATUS_ONLY_RESPONSE["internalError"]
        if done.returncode != 0 or not done.stdout:
            # openssl refuses requests it cannot parse: answer like a real
            # responder would.
            warn("openssl ocsp failed (%d): %s"
                 % (done.returncode, done.stderr.decode(errors="replace").strip()))
            return STATUS_ONLY_RESPONSE["malformedRequest"]
        return done.stdout

    def log(self, method, path, status, nbytes, fault):
        if not self.log_file:
            return
        now = datetime.datetime.now(datetime.timezone.utc)
        line = "%s\t%s\t%s\t%s\t%s\t%s\n" % (
            now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), method, path, status, nbytes, fault)
        with self.log_lock, open(self.log_file, "a", encoding="utf-8") as f:
            f.write(line)


def warn(message):
    print("ocsp-front: " + message, file=sys.stderr, flush=True)


def not_der(data):
    """Random bytes that cannot start a DER SEQUENCE, so a test that expects
    a parse failure never depends on luck."""
    if data and data[0] == 0x30:
        return b"\x00" + data[1:]
    return data


def oversize_body():
    # A SEQUENCE header claiming the whole body, so a client that trusts
    # lengths would try to read and parse all of it.
    header = b"\x30\x83" + (OVERSIZE_BYTES - 5).to_bytes(3, "big")
    return header + bytes(OVERSIZE_BYTES - len(header))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ocspr-front/1"
    sys_version = ""
    timeout = 30  # a client that never sends its request must not pin a thread

    front = None  # set by main()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # our own log file replaces the stderr access log

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path in CA_FILES:
            self.serve_ca_file(path)
        elif self.front.is_ocsp_path(path):
            encoded = path[len(self.front.ocsp_path):].lstrip("/")
            try:
                request = base64.b64decode(urllib.parse.unquote(encoded), validate=True)
            except ValueError:
                request = b""
            self.serve_ocsp(request)
        else:
            self.answer(404, "text/plain", b"not found\n", "-")

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.answer(411, "text/plain", b"Content-Length required\n", "-")
            return
        if length < 0 or length > MAX_REQUEST_BYTES:
            self.answer(413, "text/plain", b"request too large\n", "-")
            return
        body = self.rfile.read(length)
        if not self.front.is_ocsp_path(path):
            self.answer(404, "text/plain", b"not found\n", "-")
            return
        self.serve_ocsp(body)

    def serve_ca_file(self, path):
        cmd = ["openssl", "x509", "-in", CA_FILES[path], "-outform", "DER"]
        try:
            done = subprocess.run(cmd, capture_output=True, cwd=self.front.pki,
                                  timeout=OPENSSL_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            self.answer(500, "text/plain", b"openssl timed out\n", "-")
            return
        if done.returncode != 0:
            self.answer(500, "text/plain", b"cannot convert certificate\n", "-")
            return
        self.answer(200, "application/pkix-cert", done.stdout, "-")

    def serve_ocsp(self, request):
        settings = self.front.control()
        fault = str(settings.get("fault", "none"))
        if fault not in FAULTS:
            warn("unknown fault %r, answering normally" % fault)
            fault = "none"
        signer = str(settings.get("signer", self.front.signer))
        if fault == "delay":
            time.sleep(min(max(float(settings.get("delay", DEFAULT_DELAY_S)), 0), MAX_DELAY_S))
        elif fault == "http500":
            self.answer(500, "text/plain", b"injected failure\n", fault)
            return
        elif fault == "garbage":
            self.answer(200, OCSP_CONTENT_TYPE, not_der(os.urandom(512)), fault)
            return
        elif fault == "oversize":
            self.answer(200, OCSP_CONTENT_TYPE, oversize_body(), fault)
            return
        elif fault == "trylater":
            self.answer(200, OCSP_CONTENT_TYPE, STATUS_ONLY_RESPONSE["tryLater"], fault)
            return
        elif fault == "close":
            self.front.log(self.command, self.path, "-", 0, fault)
            self.close_connection = True
            return
        elif fault == "blackhole":
            self.front.log(self.command, self.path, "-", 0, fault)
            self.hold_until_client_leaves()
            self.close_connection = True
            return
        elif fault == "wrongkey":
            signer = "int-otherkey"
        if not request:
            response = STATUS_ONLY_RESPONSE["malformedRequest"]
        else:
            response = self.front.respond(request, settings, signer)
        self.answer(200, OCSP_CONTENT_TYPE, response, fault)

    def hold_until_client_leaves(self):
        deadline = time.monotonic() + BLACKHOLE_MAX_S
        sock = self.connection
        while time.monotonic() < deadline:
            readable, _, _ = select.select([sock], [], [], 1.0)
            if not readable:
                continue
            try:
                if not sock.recv(4096):
                    return  # orderly close by the client
            except OSError:
                return

    def answer(self, status, content_type, body, fault):
        self.front.log(self.command, self.path, status, len(body), fault)
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout after a delay)
        self.close_connection = True


class FrontServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # Shutting down must not wait for blackholed connections.
    block_on_close = False


class FrontServer6(FrontServer):
    address_family = socket.AF_INET6


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pki", required=True, help="PKI dir made by make-pki.sh")
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK_HOSTS)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/ocsp", help="OCSP path prefix (default /ocsp)")
    parser.add_argument("--signer", default="ocsp",
                        help="responder NAME: NAME.pem/NAME.key in the PKI dir")
    validity = parser.add_mutually_exclusive_group()
    validity.add_argument("--nmin", type=int, help="nextUpdate = thisUpdate + N minutes")
    validity.add_argument("--ndays", type=int, default=1,
                          help="nextUpdate = thisUpdate + N days (default 1)")
    parser.add_argument("--pidfile")
    parser.add_argument("--log", help="request log, one line per request")
    parser.add_argument("--control", help="JSON control file, re-read per request")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if not os.path.isfile(os.path.join(args.pki, "index.txt")):
        print("ocsp-front: %s has no index.txt" % args.pki, file=sys.stderr)
        return 2
    Handler.front = Front(args)
    server_class = FrontServer6 if args.host == "::1" else FrontServer
    server = server_class((args.host, args.port), Handler)

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # The pid file appears only once the socket listens: it is the ready signal.
    if args.pidfile:
        tmp = args.pidfile + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write("%d\n" % os.getpid())
        os.replace(tmp, args.pidfile)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if args.pidfile:
            try:
                os.unlink(args.pidfile)
            except FileNotFoundError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
