"""A TCP proxy on loopback that a test can cut and restore, or pause and resume, to take a database
server away mid-run.

While cut, every open connection is shut down and new ones are accepted and closed at once, the way
a server that has gone away looks to a client; nothing hangs. While paused, connections are accepted
and what is sent either way is held, not delivered: a server that accepts connections but never
answers (a network partition); `resume()` delivers what was held, late.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._cut = False
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = False
        self._threads: list[threading.Thread] = []
        self._start(self._accept_loop, "proxy-accept")

    # -- controlling -------------------------------------------------------------------------

    def cut(self) -> None:
        """Drop every open connection and refuse new ones until `restore()`."""
        with self._lock:
            self._cut = True
            sockets = list(self._open)
        for sock in sockets:
            _shut(sock)

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def pause(self) -> None:
        """Hold everything sent either way, on open connections and new ones, until `resume()`."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._flowing.set()
        with self._lock:
            self._closed = True
            sockets = list(self._open)
        for sock in sockets:
            _shut(sock)
        # wake the accept loop portably: it sees `_closed` and stops
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
            pass
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=5)
        self._listener.close()

    # -- serving -----------------------------------------------------------------------------

    def _start(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                closed, cut = self._closed, self._cut
            if closed:
                client.close()
                return
            if cut:
                _shut(client)
                client.close()
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            pumps = [2]  # the last of the two pumps to end closes both sockets
            self._start(self._pump, "proxy-up", client, upstream, pumps)
            self._start(self._pump, "proxy-down", upstream, client, pumps)

    def _pump(self, source: socket.socket, sink: socket.socket, pumps: list[int]) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()  # paused: held here (and in the kernel's buffers) until resumed
                sink.sendall(data)
        except OSError:
            pass
        finally:
            # one direction ended: end the other, so the connection goes away as a whole
            _shut(sink)
            with self._lock:
                pumps[0] -= 1
                last = pumps[0] == 0
                if last:
                    self._open.difference_update((source, sink))
            if last:
                source.close()
                sink.close()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
