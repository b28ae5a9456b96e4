#!/usr/bin/env python3
"""Peak memory of a semcom receiver (or relay) under hostile clients, for docs/limits.md.

Each scenario starts a fresh `semcom receive --no-generate`, runs its clients, and reports the
daemon's peak resident memory (VmHWM) and whether another client's HELLO was answered meanwhile.

  scripts/hostile_memory.py .build/release/semcom [--connections 16]

Scenarios:
  partial   N clients each send HELLO and a MAP_FRAME envelope declaring the largest body (64 MiB),
            then 64 MiB − 1 bytes of it: the decoder buffers each almost whole frame.
  heavy     N clients each send one valid analog frame of the largest map (2048×2048, 19 classes).
  relay     a relay (digital physical layer, uncoded BPSK) in front of a receiver; N clients each send
            a digital frame whose payload is 16 MiB of random bytes through it (the relay's PHY).
"""
import argparse, os, re, socket, struct, subprocess, sys, threading, time, zlib

MAGIC = b"SMCM"

def frame(msg_type, body, control_length=None):
    control_length = len(body) if control_length is None else control_length
    head = MAGIC + bytes([1, msg_type]) + b"\0\0" + struct.pack(">II", len(body), control_length)
    crc = zlib.crc32(head + body[:control_length]) & 0xFFFFFFFF
    return head + struct.pack(">I", crc) + body

def lp(text):
    data = text.encode()
    return struct.pack(">H", len(data)) + data

def hello(origin):
    # min version, max version, role (1 sender), peer name, origin
    return frame(1, bytes([1, 1, 1]) + lp("hostile") + lp(origin))

def vm_hwm(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return -1

def start_receiver(binary, out):
    proc = subprocess.Popen([binary, "receive", "--listen", "127.0.0.1:0", "--out", out, "--no-generate",
                             "--log-level", "warning"], stdout=subprocess.PIPE, stderr=open(out + ".log", "a"), text=True)
    line = proc.stdout.readline()
    port = int(re.search(r":(\d+)$", line.strip()).group(1))
    return proc, port

def start_relay(binary, out, receiver_port):
    proc = subprocess.Popen([binary, "relay", "--listen", "127.0.0.1:0", "--forward", f"127.0.0.1:{receiver_port}",
                             "--snr", "10", "--mode", "digital", "--log-level", "warning"],
                            stdout=subprocess.PIPE, stderr=open(out + ".log", "a"), text=True)
    line = proc.stdout.readline()
    return proc, int(re.search(r":(\d+)$", line.strip()).group(1))

def digital_frame(payload_bytes):
    compressed = os.urandom(payload_bytes)
    control = struct.pack(">QH", 9, 0) + lp("big") + struct.pack(">HHBB", 2048, 2048, 19, 1) + bytes([0])
    control += struct.pack(">III", 2048 * 2048, len(compressed), zlib.crc32(compressed) & 0xFFFFFFFF)
    return frame(2, control + compressed, control_length=len(control))

def hello_latency(port):
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(hello("probe"))
        s.recv(20)
    return time.monotonic() - start

def partial_client(port, body_length, hold):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(hello(f"partial-{threading.get_ident()}"))
    head = MAGIC + bytes([1, 2]) + b"\0\0" + struct.pack(">II", body_length, 64) + b"\0\0\0\0"
    s.sendall(head)
    chunk = b"\0" * (1 << 20)
    left = body_length - 1
    while left > 0:
        n = min(left, len(chunk))
        s.sendall(chunk[:n])
        left -= n
    hold.wait()
    s.close()

def analog_frame(width, height, classes):
    # One-hot of a striped map, float16 samples, downsample 1 (PROTOCOL.md §6.2): K planes, row-major.
    ids = [(x // 16) % classes for x in range(width)]
    plane_rows = {}
    payload = bytearray()
    one, zero = struct.pack("<e", 1.0), struct.pack("<e", 0.0)
    for c in range(classes):
        row = b"".join(one if ids[x] == c else zero for x in range(width))
        payload += row * height
    compressed = zlib.compress(bytes(payload), 6)
    name = lp("heavy")
    control = struct.pack(">QH", 7, 0) + name + struct.pack(">HHBB", width, height, classes, 2)
    control += bytes([1, 1, classes]) + bytes(range(classes)) + bytes([0])
    control += struct.pack(">III", len(payload), len(compressed), zlib.crc32(compressed) & 0xFFFFFFFF)
    return frame(2, control + compressed, control_length=len(control))

def heavy_client(port, data, results):
    with socket.create_connection(("127.0.0.1", port), timeout=600) as s:
        s.sendall(hello(f"heavy-{threading.get_ident()}") + data)
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
        results.append(len(answer))

def run_clients(port, data, count):
    """`count` clients each send `data` at once; returns (seconds until all were answered, the HELLO latency
    of another client 1 s in)."""
    results = []
    threads = [threading.Thread(target=heavy_client, args=(port, data, results)) for _ in range(count)]
    start = time.monotonic()
    for t in threads: t.start()
    time.sleep(1)
    latency = hello_latency(port)
    for t in threads: t.join()
    return time.monotonic() - start, latency

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--heavy", type=int, default=4)
    args = parser.parse_args()
    out = f"/tmp/semcom-hostile-{os.getpid()}"

    proc, port = start_receiver(args.binary, out)
    base = vm_hwm(proc.pid)
    hold = threading.Event()
    threads = [threading.Thread(target=partial_client, args=(port, 64 << 20, hold)) for _ in range(args.connections)]
    for t in threads: t.start()
    time.sleep(3)
    latency = hello_latency(port)
    peak = vm_hwm(proc.pid)
    hold.set()
    for t in threads: t.join()
    proc.terminate(); proc.wait()
    print(f"partial: {args.connections} connections × 64 MiB bodies: peak RSS {peak} MiB (idle {base} MiB), "
          f"another HELLO answered in {latency * 1000:.0f} ms")

    data = analog_frame(2048, 2048, 19)
    proc, port = start_receiver(args.binary, out)
    elapsed, latency = run_clients(port, data, args.heavy)
    peak = vm_hwm(proc.pid)
    proc.terminate(); proc.wait()
    print(f"heavy: {args.heavy} analog 2048x2048 19-class frames ({len(data) / 1e6:.1f} MB each on the wire): "
          f"peak RSS {peak} MiB, all answered in {elapsed:.1f} s, another HELLO answered in {latency * 1000:.0f} ms")

    receiver, receiver_port = start_receiver(args.binary, out)
    relay, port = start_relay(args.binary, out, receiver_port)
    elapsed, latency = run_clients(port, digital_frame(16 << 20), args.heavy)
    peak = vm_hwm(relay.pid)
    for p in (relay, receiver): p.terminate(); p.wait()
    print(f"relay: {args.heavy} digital frames with 16 MiB payloads through the physical layer: relay peak RSS "
          f"{peak} MiB, all answered in {elapsed:.1f} s, another HELLO answered in {latency * 1000:.0f} ms")
    subprocess.run(["rm", "-rf", out, out + ".log"])

if __name__ == "__main__":
    main()
