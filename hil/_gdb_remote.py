"""A small client for the GDB remote serial protocol, enough to drive QEMU's GDB stub.

It is the "probe" layer of the QEMU target: memory and register access, breakpoints, continue/halt and a
monitor command, each with a timeout. (pyOCD has a GDB *server* but no client, and gdb-multiarch via MI would
add a process and a parser for what is a dozen packets.)
"""

from __future__ import annotations

import socket
import time

from tinyops.hil._errors import TargetError, TargetTimeout

# Stop replies: S/T = stopped by a signal (SIGTRAP 05 at a breakpoint, SIGINT 02 after a halt), W/X = exited.
SIGTRAP = 5


def _checksum(payload: bytes) -> bytes:
    return b"%02x" % (sum(payload) & 0xFF)


def _escape(payload: bytes) -> bytes:
    out = bytearray()
    for byte in payload:
        if byte in b"#$}*":
            out += bytes((0x7D, byte ^ 0x20))
        else:
            out.append(byte)
    return bytes(out)


class GdbRemote:
    """One connection to a GDB stub (`host:port`). Every call takes at most `timeout_s` seconds."""

    def __init__(self, host: str, port: int, timeout_s: float = 10.0, connect_timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s
        deadline = time.monotonic() + connect_timeout_s
        last_error: OSError | None = None
        while True:
            try:
                self._sock = socket.create_connection((host, port), timeout=1.0)
                break
            except OSError as exc:  # the stub may not be listening yet
                last_error = exc
                if time.monotonic() > deadline:
                    raise TargetTimeout(
                        f"GDB stub {host}:{port}: no connection within {connect_timeout_s:.0f} s ({last_error})"
                    ) from None
                time.sleep(0.05)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = bytearray()
        self._where = f"GDB stub {host}:{port}"
        self.command(b"qSupported:swbreak+;hwbreak+")

    # -- framing ------------------------------------------------------------------------------------------
    def _recv_byte(self, deadline: float) -> int:
        while not self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TargetTimeout(f"{self._where}: no answer within {self.timeout_s:.1f} s")
            self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError as exc:
                raise TargetError(f"{self._where}: connection lost ({exc})") from None
            if not chunk:
                raise TargetError(f"{self._where}: connection closed by the target")
            self._buffer += chunk
        byte = self._buffer[0]
        del self._buffer[0]
        return byte

    def _send(self, payload: bytes) -> None:
        escaped = _escape(payload)
        try:
            self._sock.sendall(b"$" + escaped + b"#" + _checksum(escaped))
        except OSError as exc:
            raise TargetError(f"{self._where}: connection lost ({exc})") from None

    def _read_packet(self, timeout_s: float) -> bytes:
        deadline = time.monotonic() + timeout_s
        while True:
            byte = self._recv_byte(deadline)
            if byte == ord("$"):
                break  # '+' / '-' acknowledgements and stray bytes before a packet are skipped
        payload = bytearray()
        while (byte := self._recv_byte(deadline)) != ord("#"):
            payload.append(byte)
        received_sum = bytes((self._recv_byte(deadline), self._recv_byte(deadline)))
        if received_sum.lower() != _checksum(bytes(payload)):
            self._sock.sendall(b"-")
            return self._read_packet(max(0.0, deadline - time.monotonic()))
        self._sock.sendall(b"+")
        return self._unescape(bytes(payload))

    @staticmethod
    def _unescape(payload: bytes) -> bytes:
        out = bytearray()
        it = iter(payload)
        for byte in it:
            out.append(next(it) ^ 0x20 if byte == 0x7D else byte)
        return bytes(out)

    def command(self, payload: bytes, timeout_s: float | None = None) -> bytes:
        """Send one packet and return the reply's payload; an `Exx` reply raises TargetError."""
        self._send(payload)
        reply = self._read_packet(self.timeout_s if timeout_s is None else timeout_s)
        if len(reply) == 3 and reply.startswith(b"E"):
            raise TargetError(f"{self._where}: '{payload[:24].decode(errors='replace')}' failed ({reply.decode()})")
        return reply

    # -- memory and registers -----------------------------------------------------------------------------
    def read_memory(self, address: int, length: int) -> bytes:
        out = bytearray()
        while len(out) < length:
            chunk = min(1024, length - len(out))
            out += bytes.fromhex(self.command(b"m%x,%x" % (address + len(out), chunk)).decode())
        return bytes(out)

    def write_memory(self, address: int, data: bytes) -> None:
        for offset in range(0, len(data), 1024):
            chunk = data[offset : offset + 1024]
            if self.command(b"M%x,%x:" % (address + offset, len(chunk)) + chunk.hex().encode()) != b"OK":
                raise TargetError(f"{self._where}: memory write at {address + offset:#x} refused")

    def read_register(self, number: int) -> int:
        """Core register r0..r15 from the 'g' packet (QEMU's Arm stub leaves 'p' unimplemented)."""
        if not 0 <= number <= 15:
            raise ValueError(f"register number: expected 0..15, got {number}")
        registers = bytes.fromhex(self.command(b"g").decode())
        return int.from_bytes(registers[4 * number : 4 * number + 4], "little")

    # -- execution ----------------------------------------------------------------------------------------
    def set_breakpoint(self, address: int) -> None:
        self.command(b"Z0,%x,2" % address)

    def remove_breakpoint(self, address: int) -> None:
        self.command(b"z0,%x,2" % address)

    def step(self) -> bytes:
        """Execute one instruction; a breakpoint at the current pc must be removed first (QEMU re-hits it)."""
        self._send(b"s")
        return self._read_packet(self.timeout_s)

    def resume(self) -> None:
        self._send(b"c")  # the stop reply arrives later; wait_for_stop() reads it

    def wait_for_stop(self, timeout_s: float) -> bytes:
        """The stop reply after resume(); TargetTimeout if the target is still running after `timeout_s`."""
        return self._read_packet(timeout_s)

    def poll_stop(self) -> bytes | None:
        """The stop reply if it has arrived, else None, without waiting (acknowledgements are skipped)."""
        self._sock.setblocking(False)
        try:
            while True:
                chunk = self._sock.recv(65536)
                if not chunk:
                    raise TargetError(f"{self._where}: connection closed by the target")
                self._buffer += chunk
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:
            raise TargetError(f"{self._where}: connection lost ({exc})") from None
        finally:
            self._sock.setblocking(True)
        start = self._buffer.find(b"$")
        if start < 0 or self._buffer.find(b"#", start) < 0 or len(self._buffer) < self._buffer.find(b"#", start) + 3:
            return None
        return self._read_packet(self.timeout_s)

    def halt(self, timeout_s: float = 5.0) -> bytes:
        try:
            self._sock.sendall(b"\x03")
        except OSError as exc:
            raise TargetError(f"{self._where}: connection lost ({exc})") from None
        return self._read_packet(timeout_s)

    def monitor(self, text: str) -> str:
        reply = self.command(b"qRcmd," + text.encode().hex().encode())
        output = []
        while reply.startswith(b"O") and reply != b"OK":  # console output packets precede the final OK
            output.append(bytes.fromhex(reply[1:].decode()).decode(errors="replace"))
            reply = self._read_packet(self.timeout_s)
        return "".join(output)

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
