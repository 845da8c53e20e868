#!/usr/bin/env python3
"""A TLS 1.1/1.2 server with one known flaw, written from the RFCs for trustlabel's tests.

It shares no code with trustlabel's prober: it parses ClientHellos and writes server
flights itself, with the standard library only. It never completes a handshake (no
cipher is implemented); it answers exactly as far as the flaw under test needs:

  none         a patched server: RFC 5746, RFC 7627 and RFC 7507 honoured, no
               heartbeat, no compression, early CCS refused, one answer to every
               ClientKeyExchange
  heartbleed   echoes the heartbeat extension (RFC 6520) and answers a request with
               as many bytes as it claims, read past the request (CVE-2014-0160)
  ccs          takes a ChangeCipherSpec before the key exchange (CVE-2014-0224) and
               then fails to decrypt the next record (bad_record_mac)
  robot        answers a ClientKeyExchange whose PKCS#1 v1.5 padding is broken with
               handshake_failure at once, a well-formed one only after Finished
               (bad_record_mac): a Bleichenbacher oracle
  compression  chooses DEFLATE when offered (CRIME)
  no_reneg     never sends renegotiation_info (no RFC 5746)
  no_ems       never echoes extended_master_secret (no RFC 7627)
  no_fallback  ignores TLS_FALLBACK_SCSV (no RFC 7507)

Hostile variants, for the deadline tests: after its first flight the server
  stall        reads whatever comes and never answers
  garbage      answers the first record with bytes that are not TLS
  hangup       closes the connection on the first record

Usage: tls_flaws.py FLAW CERT.pem KEY.pem (PKCS#8 RSA key). Listens on 127.0.0.1, port
chosen by the kernel, prints "PORT <n>" and serves until killed.
"""

import base64
import socket
import struct
import sys
import threading

HANDSHAKE, CCS, ALERT, HEARTBEAT = 22, 20, 21, 24
RSA_SUITES = (0x009C, 0x002F, 0x0035)  # TLS_RSA_WITH_AES_128_GCM_SHA256, AES_128/256_CBC_SHA
MEMORY = b"session-secret:k3y=0123456789abcdef;" * 600  # what an over-read leaks


def pem_body(path, label):
    text = open(path).read()
    start = text.index("-----BEGIN %s-----" % label) + len("-----BEGIN %s-----" % label)
    end = text.index("-----END %s-----" % label)
    return base64.b64decode("".join(text[start:end].split()))


def der_items(data):
    """The elements of one DER SEQUENCE's content, as (tag, content) pairs."""
    items, i = [], 0
    while i < len(data):
        tag, length = data[i], data[i + 1]
        i += 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(data[i:i + n], "big")
            i += n
        items.append((tag, data[i:i + length]))
        i += length
    return items


def rsa_private_key(path):
    """n and d of a PKCS#8 RSA key (RFC 5208 wrapping RFC 8017's RSAPrivateKey)."""
    (_, pkcs8), = der_items(pem_body(path, "PRIVATE KEY"))
    octets = [c for tag, c in der_items(pkcs8) if tag == 0x04][0]
    (_, rsa), = der_items(octets)
    ints = [int.from_bytes(c, "big") for tag, c in der_items(rsa) if tag == 0x02]
    return ints[1], ints[3]


def record(kind, version, body):
    return struct.pack("!BHH", kind, version, len(body)) + body


def handshake(kind, body):
    return struct.pack("!B", kind) + len(body).to_bytes(3, "big") + body


def alert(version, description):
    return record(ALERT, version, bytes([2, description]))


class Records:
    """Reads whole records from a socket."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def next(self):
        while True:
            if len(self.buf) >= 5:
                kind, version, length = struct.unpack("!BHH", self.buf[:5])
                if len(self.buf) >= 5 + length:
                    body = self.buf[5:5 + length]
                    self.buf = self.buf[5 + length:]
                    return kind, version, body
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk


def parse_client_hello(body):
    """client_version, suites, compression methods, extension ids of a ClientHello."""
    if len(body) < 4 or body[0] != 1:
        return None
    hello = body[4:4 + int.from_bytes(body[1:4], "big")]
    version = struct.unpack("!H", hello[:2])[0]
    i = 2 + 32
    i += 1 + hello[i]
    n = struct.unpack("!H", hello[i:i + 2])[0]
    suites = [struct.unpack("!H", hello[j:j + 2])[0] for j in range(i + 2, i + 2 + n, 2)]
    i += 2 + n
    methods = list(hello[i + 1:i + 1 + hello[i]])
    i += 1 + hello[i]
    extensions = []
    if i + 2 <= len(hello):
        end = i + 2 + struct.unpack("!H", hello[i:i + 2])[0]
        i += 2
        while i + 4 <= end:
            kind, length = struct.unpack("!HH", hello[i:i + 4])
            extensions.append(kind)
            i += 4 + length
    return version, suites, methods, extensions


def server_flight(flaw, version, suite, method, extensions, suites, cert_der):
    ext = b""
    if flaw != "no_reneg" and (0xFF01 in extensions or 0x00FF in suites):
        ext += struct.pack("!HHB", 0xFF01, 1, 0)
    if flaw != "no_ems" and 23 in extensions:
        ext += struct.pack("!HH", 23, 0)
    if flaw == "heartbleed" and 15 in extensions:
        ext += struct.pack("!HHB", 15, 1, 1)
    hello = struct.pack("!H", version) + bytes(range(32)) + b"\x00"
    hello += struct.pack("!HB", suite, method)
    if ext:
        hello += struct.pack("!H", len(ext)) + ext
    chain = len(cert_der).to_bytes(3, "big") + cert_der
    certificate = len(chain).to_bytes(3, "big") + chain
    messages = handshake(2, hello) + handshake(11, certificate) + handshake(14, b"")
    return record(HANDSHAKE, version, messages)


def padding_ok(block, k):
    """PKCS#1 v1.5 type 2 with a 48-byte secret (RFC 8017 §7.2.2, RFC 5246 §7.4.7.1)."""
    if block[0:2] != b"\x00\x02":
        return False
    separator = block.find(b"\x00", 2)
    return separator >= 10 and k - separator - 1 == 48


def serve(conn, flaw, cert_der, key):
    n, d = key
    k = (n.bit_length() + 7) // 8
    records = Records(conn)
    first = records.next()
    if first is None or first[0] != HANDSHAKE:
        return
    parsed = parse_client_hello(first[2])
    if parsed is None:
        return
    client_version, suites, methods, extensions = parsed
    if client_version < 0x0302:
        conn.sendall(alert(0x0302, 70))  # protocol_version
        return
    version = min(client_version, 0x0303)
    if 0x5600 in suites and version < 0x0303 and flaw != "no_fallback":
        conn.sendall(alert(version, 86))  # inappropriate_fallback
        return
    suite = next((s for s in suites if s in RSA_SUITES), None)
    if suite is None:
        conn.sendall(alert(version, 40))  # handshake_failure
        return
    method = 1 if flaw == "compression" and 1 in methods else 0
    conn.sendall(server_flight(flaw, version, suite, method, extensions, suites, cert_der))
    key_exchanged = ccs_seen = False
    while True:
        got = records.next()
        if got is None:
            return
        if flaw == "stall":
            continue
        if flaw == "garbage":
            conn.sendall(b"\x00\x01\x02 not TLS at all\r\n")
            return
        if flaw == "hangup":
            return
        kind, _, body = got
        if kind == HEARTBEAT and flaw == "heartbleed" and len(body) >= 3 and body[0] == 1:
            claimed = struct.unpack("!H", body[1:3])[0]
            leaked = (body[3:] + MEMORY)[:claimed]  # no bounds check: the bug
            response = b"\x02" + struct.pack("!H", claimed) + leaked + b"\x00" * 16
            conn.sendall(record(HEARTBEAT, version, response))
        elif kind == CCS:
            if not key_exchanged and flaw != "ccs":
                conn.sendall(alert(version, 10))  # unexpected_message
                return
            ccs_seen = True
        elif kind == HANDSHAKE and ccs_seen:
            conn.sendall(alert(version, 20))  # bad_record_mac: the Finished cannot verify
            return
        elif kind == HANDSHAKE and body[:1] == b"\x10" and not key_exchanged:
            length = struct.unpack("!H", body[4:6])[0]
            c = int.from_bytes(body[6:6 + length], "big")
            block = pow(c, d, n).to_bytes(k, "big")
            if flaw == "robot" and not padding_ok(block, k):
                conn.sendall(alert(version, 40))  # the oracle
                return
            key_exchanged = True  # a patched server goes on with a random secret
        else:
            conn.sendall(alert(version, 10))
            return


def main():
    flaw, cert_path, key_path = sys.argv[1:4]
    cert_der = pem_body(cert_path, "CERTIFICATE")
    key = rsa_private_key(key_path)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print("PORT %d" % listener.getsockname()[1], flush=True)

    def handle(conn):
        with conn:
            conn.settimeout(None if flaw == "stall" else 30)
            try:
                serve(conn, flaw, cert_der, key)
            except (OSError, ValueError, IndexError, struct.error):
                pass

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
