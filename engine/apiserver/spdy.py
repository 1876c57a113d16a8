"""SPDY/3.1 framing, the server side of a session, as `kubectl port-forward` speaks it.

kubectl (v1.31+) tunnels SPDY/3.1 in a WebSocket (subprotocol `SPDY/3.1+portforward.k8s.io`): every binary
message carries bytes of one SPDY connection, cut anywhere, so the session reads them as a byte stream. The client
opens streams (SYN_STREAM, odd ids, zlib-compressed header blocks), the server accepts each with a SYN_REPLY, data
flows in data frames, and a frame with the FIN flag half-closes a stream (moby/spdystream, which client-go uses).

Header blocks are compressed with one zlib stream per direction and per connection, primed with the dictionary
of the SPDY/3 draft (section 2.6.10.1), each block ending with a sync flush. Flow control (WINDOW_UPDATE) is read
and ignored, as spdystream does.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Awaitable, Callable

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
RST_PROTOCOL_ERROR, RST_INVALID_STREAM, RST_CANCEL = 1, 2, 5
MAX_DATA = 32 * 1024  # bytes per data frame written (the length field allows 16 MiB)
MAX_FRAME = 16 * 1024 * 1024

_DICTIONARY_NAMES = (
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
    "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
    "content-base", "content-encoding", "content-language", "content-length", "content-location", "content-md5",
    "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host", "if-match",
    "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after",
    "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
    "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie",
    "keep-alive", "origin",
)
_DICTIONARY_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
# The SPDY/3 header dictionary: length-prefixed header names and values, then common status and date text.
DICTIONARY = b"".join(struct.pack(">I", len(n)) + n.encode() for n in _DICTIONARY_NAMES) + _DICTIONARY_TAIL.encode()
assert zlib.adler32(DICTIONARY) == 0xE3C6A7C2  # the dictionary id every peer checks


class ProtocolError(Exception):
    pass


def encode_headers(headers: dict[str, list[str]]) -> bytes:
    out = [struct.pack(">I", len(headers))]
    for name, values in headers.items():
        raw_name, raw_value = name.lower().encode(), "\x00".join(values).encode()
        out.append(struct.pack(">I", len(raw_name)) + raw_name + struct.pack(">I", len(raw_value)) + raw_value)
    return b"".join(out)


def decode_headers(block: bytes) -> dict[str, list[str]]:
    try:
        (count,) = struct.unpack_from(">I", block, 0)
        offset, headers = 4, {}
        for _ in range(count):
            (size,) = struct.unpack_from(">I", block, offset)
            name = block[offset + 4:offset + 4 + size].decode()
            offset += 4 + size
            (size,) = struct.unpack_from(">I", block, offset)
            value = block[offset + 4:offset + 4 + size].decode()
            offset += 4 + size
            headers[name.lower()] = value.split("\x00")
    except (struct.error, UnicodeDecodeError) as exc:
        raise ProtocolError(f"bad header block: {exc}") from None
    return headers


def control_frame(kind: int, flags: int, payload: bytes) -> bytes:
    return struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(payload)) + payload


def data_frame(stream_id: int, flags: int, payload: bytes) -> bytes:
    return struct.pack(">II", stream_id & 0x7FFFFFFF, (flags << 24) | len(payload)) + payload


class Stream:
    """One stream opened by the client: its headers, what it sent, and a way to answer."""

    def __init__(self, session: Session, stream_id: int, headers: dict[str, list[str]]) -> None:
        self.session = session
        self.id = stream_id
        self.headers = headers
        self._incoming: asyncio.Queue[bytes] = asyncio.Queue()
        self.remote_closed = False
        self.local_closed = False

    def header(self, name: str) -> str:
        return (self.headers.get(name.lower()) or [""])[0]

    async def read(self) -> bytes:
        """The next bytes the client sent; b"" once it half-closed (or reset) the stream."""
        if self.remote_closed and self._incoming.empty():
            return b""
        data = await self._incoming.get()
        if not data:
            self._incoming.put_nowait(b"")  # stay at end of stream for later readers
        return data

    async def write(self, data: bytes) -> None:
        if self.local_closed:
            return
        for start in range(0, len(data), MAX_DATA):
            await self.session.send(data_frame(self.id, 0, data[start:start + MAX_DATA]))

    async def close(self) -> None:
        """Half-close: this side sends nothing more (an empty data frame with FIN)."""
        if not self.local_closed:
            self.local_closed = True
            await self.session.send(data_frame(self.id, FLAG_FIN, b""))
            self._forget()

    def _forget(self) -> None:
        if self.local_closed and self.remote_closed:
            self.session.streams.pop(self.id, None)

    def _received(self, data: bytes, fin: bool) -> None:
        if self.remote_closed:
            return
        if data:
            self._incoming.put_nowait(data)
        if fin:
            self.remote_closed = True
            self._incoming.put_nowait(b"")
            self._forget()


class Session:
    """The server side of one SPDY connection. `send` writes bytes to the peer; `on_stream` is called with each
    stream the client opens, after it was accepted."""

    def __init__(self, send: Callable[[bytes], Awaitable[None]], on_stream: Callable[[Stream], None]) -> None:
        self._send = send
        self._on_stream = on_stream
        self._buffer = b""
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(9, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, zdict=DICTIONARY)
        self._lock = asyncio.Lock()
        self.streams: dict[int, Stream] = {}
        self.closed = False

    async def send(self, frame: bytes) -> None:
        async with self._lock:  # frames are written whole, one at a time
            if not self.closed:
                await self._send(frame)

    def _compress(self, headers: dict[str, list[str]]) -> bytes:
        return self._deflate.compress(encode_headers(headers)) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    def _decompress(self, block: bytes) -> dict[str, list[str]]:
        try:
            return decode_headers(self._inflate.decompress(block))
        except zlib.error as exc:
            raise ProtocolError(f"bad compressed headers: {exc}") from None

    async def feed(self, data: bytes) -> None:
        """Bytes from the peer: every complete frame in them is handled."""
        self._buffer += data
        while len(self._buffer) >= 8:
            (length,) = struct.unpack_from(">I", self._buffer, 4)
            flags, length = length >> 24, length & 0xFFFFFF
            if length > MAX_FRAME:
                raise ProtocolError(f"frame of {length} bytes")
            if len(self._buffer) < 8 + length:
                return
            head, payload = self._buffer[:8], self._buffer[8:8 + length]
            self._buffer = self._buffer[8 + length:]
            if head[0] & 0x80:
                version, kind = struct.unpack_from(">HH", head)
                if version & 0x7FFF != VERSION:
                    raise ProtocolError(f"SPDY version {version & 0x7FFF}")
                await self._control(kind, flags, payload)
            else:
                (stream_id,) = struct.unpack_from(">I", head)
                stream = self.streams.get(stream_id & 0x7FFFFFFF)
                if stream is None:
                    await self.send(control_frame(RST_STREAM, 0, struct.pack(">II", stream_id, RST_INVALID_STREAM)))
                    continue
                stream._received(payload, bool(flags & FLAG_FIN))

    async def _control(self, kind: int, flags: int, payload: bytes) -> None:
        if kind == SYN_STREAM:
            stream_id = struct.unpack_from(">I", payload)[0] & 0x7FFFFFFF
            headers = self._decompress(payload[10:])
            stream = Stream(self, stream_id, headers)
            self.streams[stream_id] = stream
            await self.send(control_frame(SYN_REPLY, 0, struct.pack(">I", stream_id) + self._compress({})))
            if flags & FLAG_FIN:
                stream._received(b"", True)
            self._on_stream(stream)
        elif kind == RST_STREAM:
            stream = self.streams.pop(struct.unpack_from(">I", payload)[0] & 0x7FFFFFFF, None)
            if stream is not None:
                stream.local_closed = True
                stream._received(b"", True)
        elif kind == PING:
            await self.send(control_frame(PING, 0, payload[:4]))
        elif kind == GOAWAY:
            self.close()
        elif kind == HEADERS:
            stream_id = struct.unpack_from(">I", payload)[0] & 0x7FFFFFFF
            self._decompress(payload[4:])  # keeps the zlib stream in step; nothing here needs them
            stream = self.streams.get(stream_id)
            if stream is not None and flags & FLAG_FIN:
                stream._received(b"", True)
        # SETTINGS, WINDOW_UPDATE and anything newer: nothing to do

    def close(self) -> None:
        self.closed = True
        for stream in self.streams.values():
            stream._received(b"", True)
