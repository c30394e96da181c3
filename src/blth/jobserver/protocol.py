"""The job server's wire format: one JSON object per line over a Unix stream socket; the
request carries the job's standard streams as file descriptors (SCM_RIGHTS)."""

from __future__ import annotations

import json
import socket
from typing import Any

SOCKET_ENV = "BLTH_JOB_SERVER"  # the server's socket path; OFF to run every job on its own
OFF = "off"
STREAMS = 3  # stdin, stdout, stderr


def send(conn: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode() + b"\n"
    if fds:
        sent = socket.send_fds(conn, [data], fds)
        data = data[sent:]
    if data:  # (an empty send to a peer that has already answered and closed fails)
        conn.sendall(data)


class Reader:
    """Line-by-line messages from one connection (the first may bring file descriptors)."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn, self.buffer = conn, b""
        self.fds: list[int] = []

    def receive(self, with_fds: bool = False) -> dict[str, Any] | None:
        """The next message, or None when the other side has closed the connection."""
        while b"\n" not in self.buffer:
            if with_fds and not self.fds:
                chunk, fds, _, _ = socket.recv_fds(self.conn, 1 << 16, STREAMS)
                self.fds = list(fds)
            else:
                chunk = self.conn.recv(1 << 16)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message
