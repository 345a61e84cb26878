"""A real TURN server for the call tests: coturn's `turnserver` (Debian package `coturn`),
on 127.0.0.1, free ports, with the TURN REST API scheme the app mints credentials for
(`use-auth-secret` + a random `static-auth-secret`), until the block ends.

    with running_turnserver() as turn:
        outcome = allocate(turn, username, password)

`allocate` is a minimal TURN client (RFC 5766 Allocate over UDP, long-term credentials of
RFC 5389: a first request to learn the realm and nonce, a second one signed with
MESSAGE-INTEGRITY, HMAC-SHA1 keyed by md5(username:realm:password)), so a test sees what
coturn itself answers to a browser's credentials. coturn checks a username's expiry
against the machine's real clock, not app.clock: a test mints against `datetime.now(UTC)`.

Without coturn the tests that need it are skipped, and fail under CI=true."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from conftest import free_port, require
from tests.processes import stop_process

REALM = "test"
RELAY_PORTS = 40  # a small range: a test session makes a handful of allocations


@dataclass(frozen=True)
class TurnServer:
    host: str
    port: int
    secret: str
    realm: str
    log: Path

    @property
    def url(self) -> str:
        """As ICE_SERVERS takes it."""
        return f"turn:{self.host}:{self.port}?transport=udp"


@dataclass(frozen=True)
class Allocation:
    """coturn's answer to a signed Allocate: a relayed address, or an error code."""

    ok: bool
    code: int | None = None  # 401 Unauthorized, 403 Forbidden, ...
    reason: str = ""
    relayed: tuple[str, int] | None = None


def _free_udp_range(size: int) -> int:
    """The first of `size` consecutive ports with nothing bound on UDP (a best effort)."""
    for _ in range(50):
        start = secrets.randbelow(20000) + 40000
        with contextlib.ExitStack() as stack:
            try:
                for port in range(start, start + size):
                    sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return start
    raise RuntimeError("no free UDP port range for the TURN relays")


@contextlib.contextmanager
def running_turnserver() -> Iterator[TurnServer]:
    binary = shutil.which("turnserver")
    require("coturn (turnserver on the PATH: apt-get install coturn)", binary is not None)
    port = free_port()
    relay = _free_udp_range(RELAY_PORTS)
    secret = secrets.token_urlsafe(24)
    workdir = Path(tempfile.mkdtemp(prefix="coturn-"))
    log = workdir / "turnserver.log"
    command = [
        binary,
        "-n",  # no /etc/turnserver.conf: only these options
        "--listening-ip=127.0.0.1",
        "--relay-ip=127.0.0.1",
        f"--listening-port={port}",
        f"--min-port={relay}",
        f"--max-port={relay + RELAY_PORTS - 1}",
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        f"--realm={REALM}",
        "--fingerprint",
        # no --lt-cred-mech: use-auth-secret is the long-term mechanism already, and coturn
        # warns that the two are not to be mixed
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--allow-loopback-peers",  # both browsers, and the relays, are on 127.0.0.1
        f"--userdb={workdir / 'turndb'}",  # not the system's /var/lib/turn
        f"--pidfile={workdir / 'turnserver.pid'}",
        "--log-file=stdout",
        "--simple-log",
    ]
    with open(log, "w") as output:  # the child keeps its own descriptor
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        server = TurnServer("127.0.0.1", port, secret, REALM, log)
        _wait_until_answering(process, server)
        yield server
    finally:
        stop_process(process)
        if process.returncode not in (0, -15):
            warnings.warn(
                f"turnserver exited {process.returncode}:\n{log.read_text()}", stacklevel=1
            )
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_answering(process: subprocess.Popen, server: TurnServer) -> None:
    """Until a STUN Binding request is answered (the UDP listener is up)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError, TimeoutError):
            if _transact(server, _message(BINDING, secrets.token_bytes(12), []), 0.2)[0]:
                return
        time.sleep(0.05)
    raise RuntimeError(f"turnserver did not start; its output:\n{server.log.read_text()}")


# STUN / TURN wire format (RFC 5389, 5766): only what an Allocate needs.
MAGIC = 0x2112A442
BINDING, ALLOCATE = 0x0001, 0x0003
SUCCESS, ERROR = 0x0100, 0x0110
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE, REALM_ATTR, NONCE = 0x0006, 0x0008, 0x0009, 0x0014, 0x0015
XOR_RELAYED_ADDRESS, REQUESTED_TRANSPORT, FINGERPRINT = 0x0016, 0x0019, 0x8028
UDP = bytes([17, 0, 0, 0])


def _attribute(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def _message(method: int, transaction: bytes, attributes: list[bytes]) -> bytes:
    body = b"".join(attributes)
    return struct.pack("!HHI", method, len(body), MAGIC) + transaction + body


def _signed(method: int, transaction: bytes, attributes: list[bytes], key: bytes) -> bytes:
    """MESSAGE-INTEGRITY over the message up to it, its length already counting it
    (RFC 5389 §15.4), then FINGERPRINT (CRC-32 xor 0x5354554E, §15.5)."""
    body = b"".join(attributes)
    head = struct.pack("!HHI", method, len(body) + 24, MAGIC) + transaction
    mac = hmac.new(key, head + body, hashlib.sha1).digest()
    body += _attribute(MESSAGE_INTEGRITY, mac)
    head = struct.pack("!HHI", method, len(body) + 8, MAGIC) + transaction
    crc = (zlib.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
    return head + body + _attribute(FINGERPRINT, struct.pack("!I", crc))


def _parse(data: bytes) -> tuple[int, dict[int, bytes]]:
    kind, length, _magic = struct.unpack("!HHI", data[:8])
    attributes: dict[int, bytes] = {}
    offset = 20
    while offset < 20 + length:
        attribute, size = struct.unpack("!HH", data[offset : offset + 4])
        attributes.setdefault(attribute, data[offset + 4 : offset + 4 + size])
        offset += 4 + size + (-size % 4)
    return kind, attributes


def _transact(server: TurnServer, request: bytes, timeout: float = 2.0, sock=None):
    """One request, its answer. The same `sock` for a challenge and its answer: coturn ties
    a nonce to the client's address and port."""
    with contextlib.ExitStack() as stack:
        if sock is None:
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        sock.settimeout(timeout)
        sock.sendto(request, (server.host, server.port))
        data, _ = sock.recvfrom(2048)
    return _parse(data)


def _error(attributes: dict[int, bytes]) -> tuple[int, str]:
    value = attributes[ERROR_CODE]
    return value[2] * 100 + value[3], value[4:].decode(errors="replace")


def allocate(server: TurnServer, username: str, password: str) -> Allocation:
    """A UDP relay allocation with these credentials, as a browser's ICE agent asks."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        return _allocate(server, username, password, sock)


def _allocate(server: TurnServer, username: str, password: str, sock) -> Allocation:
    transport = _attribute(REQUESTED_TRANSPORT, UDP)
    first = _message(ALLOCATE, secrets.token_bytes(12), [transport])
    kind, attributes = _transact(server, first, sock=sock)
    if kind != ALLOCATE | ERROR or _error(attributes)[0] != 401:
        raise AssertionError(f"an unsigned Allocate should be challenged (401), got {kind:#06x}")
    realm, nonce = attributes[REALM_ATTR], attributes[NONCE]
    key = hashlib.md5(f"{username}:{realm.decode()}:{password}".encode()).digest()
    request = _signed(
        ALLOCATE,
        secrets.token_bytes(12),
        [
            transport,
            _attribute(USERNAME, username.encode()),
            _attribute(REALM_ATTR, realm),
            _attribute(NONCE, nonce),
        ],
        key,
    )
    kind, attributes = _transact(server, request, sock=sock)
    if kind == ALLOCATE | SUCCESS:
        return Allocation(True, relayed=_xor_address(attributes[XOR_RELAYED_ADDRESS]))
    code, reason = _error(attributes)
    return Allocation(False, code, reason)


def _xor_address(value: bytes) -> tuple[str, int]:
    port = struct.unpack("!H", value[2:4])[0] ^ (MAGIC >> 16)
    address = struct.unpack("!I", value[4:8])[0] ^ MAGIC
    return socket.inet_ntoa(struct.pack("!I", address)), port
