#!/usr/bin/env python3
"""Writes the wire protocol test vectors (*.hex) beside this file.

An independent implementation of protocol/PROTOCOL.md using only the Python standard library, so the
vectors check the Swift codec against the spec rather than against itself. Run it from anywhere:
    python3 protocol/vectors/generate.py
Re-running rewrites the files; zlib's output may differ between zlib versions, which only matters if the
vectors are regenerated (the tests re-encode the decoded message, never recompress).
"""
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mapcoder  # noqa: E402  (the context-coded map, section 6.3)
import layered  # noqa: E402  (the layered frame, section 6.4)

HERE = os.path.dirname(os.path.abspath(__file__))
NAN = 0x7FC00000  # "not set" for f32 fields

TYPES = {"hello": 1, "map_frame": 2, "ack": 3, "nack": 4, "lost": 5, "error": 6, "bye": 7}


def string(text):
    raw = text.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


def frame(msg_type, body, control_length=None, version=1, flags=0):
    """Envelope: magic | version u8 | type u8 | flags u16 | body length u32 | control length u32 | header CRC u32."""
    if control_length is None:
        control_length = len(body)
    head = b"SMCM" + struct.pack(">BBHII", version, TYPES[msg_type], flags, len(body), control_length)
    crc = zlib.crc32(body[:control_length], zlib.crc32(head))
    return head + struct.pack(">I", crc) + body


def f32(value):
    return struct.pack(">I", NAN) if value is None else struct.pack(">f", value)


def hop(model, mode, snr, measured, seed, bit_errors, bits_on_air, channel_uses,
        modulation=0, code=0, rate=(0, 0), block=0, micros=0):
    record = struct.pack(">BBBBHH", model, mode, modulation, code, rate[0], rate[1])
    record += f32(snr) + f32(measured)
    record += struct.pack(">QQQQII", seed, bit_errors, bits_on_air, channel_uses, block, micros)
    assert len(record) == 56
    return record


def map_frame(frame_id, attempt, name, width, height, class_count, encoding, analog, hops, raw, compressed=None, crc=None,
              prior=None, layout=None):
    """encoding 1 = digital, 2 = analog, 3 = context (protocol 2; `prior` its identity, `compressed` its body),
    4 = layered (protocol 3; `layout` its layered layout, `raw` = `compressed` its stored payload);
    analog = (downsample, sample format, present classes)."""
    if compressed is None:
        compressed = zlib.compress(raw, 9 if encoding == 1 else 6)
    if crc is None:
        crc = zlib.crc32(compressed)
    control = struct.pack(">QH", frame_id, attempt) + string(name)
    control += struct.pack(">HHBB", width, height, class_count, encoding)
    if encoding == 2:
        downsample, sample_format, classes = analog
        control += struct.pack(">BBB", downsample, sample_format, len(classes)) + bytes(classes)
    if encoding == 3:
        control += struct.pack(">I", prior)
    if encoding == 4:
        control += layout
    control += struct.pack(">B", len(hops)) + b"".join(hops)
    control += struct.pack(">III", len(raw), len(compressed), crc)
    return frame("map_frame", control + compressed, control_length=len(control),
                 version={3: 2, 4: 3}.get(encoding, 1))


# The 8x4 label map of the map-frame vectors: road (0), sidewalk (1), car (13), sky (10), void (255).
MAP_8X4 = bytes([
    10, 10, 10, 10, 10, 10, 255, 255,
    10, 10, 13, 13, 10, 10, 255, 255,
    0, 0, 13, 13, 0, 0, 1, 1,
    0, 0, 0, 0, 0, 1, 1, 1,
])


def street_32x16():
    """A small street scene for the prior vector: sky (10) above a building (2) whose roof slopes, a pole (5),
    sidewalk (1) and road (0) split by a slanted kerb, a car (13), a void strip at the bottom."""
    ids = []
    for y in range(16):
        for x in range(32):
            if y == 15:
                v = 255
            elif y >= 9:
                v = 0 if x >= 2 * (15 - y) else 1
                if 10 <= y <= 12 and 18 <= x <= 24:
                    v = 13
            elif x == 5 and y >= 2:
                v = 5
            elif y >= 6 - x // 8:
                v = 2
            else:
                v = 10
            ids.append(v)
    return bytes(ids)


def map_rows(ids, width):
    """Rows of a map for a comment: one hex digit per class id below 16, '.' for void."""
    return "\n".join("".join("." if v == 255 else "%x" % v for v in ids[r:r + width]) for r in range(0, len(ids), width))


def one_hot(ids, width, height, downsample):
    """Block-majority downsampling (ties to the lower id), then one plane per class present."""
    pw, ph = -(-width // downsample), -(-height // downsample)
    blocks = []
    for by in range(ph):
        for bx in range(pw):
            members = [ids[y * width + x]
                       for y in range(by * downsample, min(by * downsample + downsample, height))
                       for x in range(bx * downsample, min(bx * downsample + downsample, width))]
            blocks.append(min(set(members), key=lambda i: (-members.count(i), i)))
    classes = sorted({b for b in blocks if b != 255})
    planes = [[1.0 if b == c else 0.0 for b in blocks] for c in classes]
    return classes, [v for plane in planes for v in plane]


def samples(values, sample_format):
    return b"".join(struct.pack("<e" if sample_format == 1 else "<f", v) for v in values)


def write(name, comment, data):
    lines = ["# " + line for line in comment.strip().splitlines()]
    lines += [data[i:i + 16].hex(" ") for i in range(0, len(data), 16)]
    with open(os.path.join(HERE, name + ".hex"), "w") as out:
        out.write("\n".join(lines) + "\n")


def main():
    hello_body = struct.pack(">BBB", 1, 1, 1) + string("sender-a") + string("sender-a")
    write("hello", "HELLO from a client: versions 1...1, role 1 (sender), peer name and origin \"sender-a\".",
          frame("hello", hello_body))

    answer_body = struct.pack(">BBB", 1, 1, 3) + string("receiver-1") + string("")
    write("hello-answer", "HELLO answer from a server: chosen version 1 (min = max = 1), role 3 (receiver),\n"
          "peer name \"receiver-1\", empty origin.", frame("hello", answer_body))

    write("map-frame-digital",
          "MAP_FRAME, digital: frame id 42, attempt 0, name \"scene-0001\", 8x4 pixels, 19 classes, no hops.\n"
          "Payload: zlib (level 9) of the 32 label ids, row-major:\n"
          + "\n".join(" ".join(str(v) for v in MAP_8X4[r * 8:r * 8 + 8]) for r in range(4)),
          map_frame(42, 0, "scene-0001", 8, 4, 19, 1, None, [], MAP_8X4))

    raw = MAP_8X4
    compressed = bytearray(zlib.compress(raw, 9))
    crc = zlib.crc32(bytes(compressed))
    compressed[3] ^= 0x10  # one bit error on the channel
    corrupted_hop = hop(3, 1, 6.0, None, 99, 1, len(compressed) * 8, len(compressed) * 8)
    write("map-frame-digital-corrupted",
          "MAP_FRAME, digital, after a relay flipped one payload bit (byte 3, bit 4): frame id 42, attempt 1,\n"
          "\"scene-0001\", 8x4, 19 classes; hop: model 3 (bsc-bpsk), mode 1, snr 6 dB, measured NaN (not set),\n"
          "seed 99, 1 bit error, bits on air = channel uses = 8 x compressed length.\n"
          "The header CRC is valid; the payload CRC is the sender's, so payload decoding reports a CRC mismatch.",
          map_frame(42, 1, "scene-0001", 8, 4, 19, 1, None, [corrupted_hop], raw, bytes(compressed), crc))

    classes, values = one_hot(MAP_8X4, 8, 4, 2)
    write("map-frame-analog",
          "MAP_FRAME, analog as sent: frame id 7, attempt 0, \"scene-0002\", 8x4, 19 classes, downsample 2,\n"
          "sample format 1 (float16 little-endian), present classes %s (block majority of the map in\n"
          "map-frame-digital.hex), no hops. Payload: zlib (level 6) of %d one-hot planes of 4x2 symbols."
          % (classes, len(classes)),
          map_frame(7, 0, "scene-0002", 8, 4, 19, 2, (2, 1, classes), [], samples(values, 1)))

    classes1, values1 = one_hot(MAP_8X4, 8, 4, 1)
    noisy = [v + ((i * 37) % 11 - 5) / 64.0 for i, v in enumerate(values1)]
    relay_hop = hop(1, 2, 10.0, 9.875, 12345, 0, 0, len(noisy) // 2, micros=250)
    write("map-frame-analog-relayed",
          "MAP_FRAME, analog after one relay: frame id 8, attempt 2, \"scene-0003\", 8x4, 19 classes, downsample 1,\n"
          "sample format 2 (float32 little-endian), present classes %s; hop: model 1 (awgn-psnr), mode 2,\n"
          "snr 10 dB, measured 9.875 dB, seed 12345, 0 bit errors, 0 bits on air, %d channel uses, 250 us.\n"
          "Symbol i = one-hot value + ((i*37) mod 11 - 5)/64 (a deterministic stand-in for noise)."
          % (classes1, len(noisy) // 2),
          map_frame(8, 2, "scene-0003", 8, 4, 19, 2, (1, 2, classes1), [relay_hop], samples(noisy, 2)))

    hello2 = struct.pack(">BBB", 1, 2, 1) + string("sender-a") + string("sender-a")
    write("hello-v2", "HELLO from a protocol-2 client: versions 1...2, role 1 (sender), peer name and origin \"sender-a\".",
          frame("hello", hello2))
    answer2 = struct.pack(">BBB", 2, 2, 3) + string("receiver-1") + string("")
    write("hello-answer-v2", "HELLO answer choosing protocol 2 (min = max = 2), role 3 (receiver), peer name\n"
          "\"receiver-1\", empty origin. The envelope still says version 1, as every HELLO's does.",
          frame("hello", answer2))

    body = mapcoder.encode(MAP_8X4, 8, 4, 19)
    write("map-frame-context",
          "MAP_FRAME, context-coded (protocol 2, encoding 3), envelope version 2: frame id 43, attempt 0,\n"
          "\"scene-0001\", 8x4, 19 classes, map prior 0 (none: uniform starting counts), no hops.\n"
          "Payload: the range coder's %d bytes for the map of map-frame-digital.hex (section 6.3)." % len(body),
          map_frame(43, 0, "scene-0001", 8, 4, 19, 3, None, [], MAP_8X4, body, prior=0))

    prior = mapcoder.Prior(os.path.join(HERE, "..", "..", "models", "map-prior", "prior.safetensors"))
    street = street_32x16()
    body = mapcoder.encode(street, 32, 16, 19, prior)
    write("map-frame-context-prior",
          "MAP_FRAME, context-coded with the shipped prior (models/map-prior/prior.safetensors, identity 0x%08x):\n"
          "frame id 44, attempt 0, \"street-0001\", 32x16, 19 classes, no hops. Payload: %d bytes (zlib-9: %d).\n"
          "The map, one hex digit per id, '.' void:\n%s"
          % (prior.identity, len(body), len(zlib.compress(street, 9)), map_rows(street, 32)),
          map_frame(44, 0, "street-0001", 32, 16, 19, 3, None, [], street, body, prior=prior.identity))

    layered_vectors()

    write("ack", "ACK: frame id 42, attempt 1, status 1 (accepted).",
          frame("ack", struct.pack(">QHB", 42, 1, 1)))
    write("nack", "NACK: frame id 42, attempt 1, reason 1 (payload-crc-mismatch), text \"payload CRC mismatch\".",
          frame("nack", struct.pack(">QHB", 42, 1, 1) + string("payload CRC mismatch")))
    write("lost", "LOST: frame id 42, 8 attempts, name \"scene-0001\", text \"gave up after 8 attempts\".",
          frame("lost", struct.pack(">QH", 42, 8) + string("scene-0001") + string("gave up after 8 attempts")))
    write("error", "ERROR: code 1 (unsupported-version), text \"this peer speaks versions 1...1\".",
          frame("error", struct.pack(">H", 1) + string("this peer speaks versions 1...1")))
    write("bye", "BYE: reason 1 (done), text \"16 sent, 16 acknowledged, 0 lost\".",
          frame("bye", struct.pack(">B", 1) + string("16 sent, 16 acknowledged, 0 lost")))


# The SoftCast layer of the layered vectors (section 6.4): a profile identity, the metadata of one kept 8x8 chunk
# and its 64 symbols. Symbol i = ((i*37) mod 41 - 20)/16, a deterministic stand-in for gained DCT coefficients.
SOFTCAST_PROFILE = 0x5AF7CA57
SOFTCAST_MEANS, SOFTCAST_TRIM, SOFTCAST_LEVELS = (120, 130, 126), -3, [9]
SOFTCAST_SYMBOLS = [((i * 37) % 41 - 20) / 16.0 for i in range(64)]


def layered_vectors():
    """Protocol 3: the HELLOs offering and choosing it, and three encoding-4 MAP_FRAMEs."""
    hello3 = struct.pack(">BBB", 1, 3, 1) + string("sender-a") + string("sender-a")
    write("hello-v3", "HELLO from a protocol-3 client: versions 1...3, role 1 (sender), peer name and origin \"sender-a\".",
          frame("hello", hello3))
    answer3 = struct.pack(">BBB", 3, 3, 3) + string("receiver-1") + string("")
    write("hello-answer-v3", "HELLO answer choosing protocol 3 (min = max = 3), role 3 (receiver), peer name\n"
          "\"receiver-1\", empty origin. The envelope still says version 1, as every HELLO's does.",
          frame("hello", answer3))

    meta = layered.metadata(SOFTCAST_MEANS, SOFTCAST_TRIM, SOFTCAST_LEVELS)
    symbols = layered.stored(SOFTCAST_SYMBOLS, 1)
    map_part = zlib.compress(MAP_8X4, 9)
    map_crc, meta_crc = zlib.crc32(map_part), zlib.crc32(meta)
    ldpc = dict(modulation=2, code=4, rate=(1, 2), block=648)
    layer_text = ("metadata (%d bytes, CRC 0x%08x): means Y Cb Cr %s, gain trim %d, K = %d kept chunk, level %s\n"
                  "  = %s;\n" % (len(meta), meta_crc, "/".join(map(str, SOFTCAST_MEANS)), SOFTCAST_TRIM,
                                  len(SOFTCAST_LEVELS), SOFTCAST_LEVELS[0], meta.hex(" ")))

    body = layered.payload(map_part, meta, symbols, 1)
    layout = layered.sender_layout("zlib", map_part, meta, symbols, 1, SOFTCAST_PROFILE, **ldpc)
    write("map-frame-hybrid",
          "MAP_FRAME, layered (protocol 3, encoding 4), envelope version 3, as the sender writes it: frame id 45,\n"
          "attempt 0, \"scene-0001\", 8x4, 19 classes, no hops. Layered layout (38 bytes after the encoding byte):\n"
          "map coding 1 (zlib), map prior 0, softcast profile 0x%08x, sample format 1 (float16 little-endian),\n"
          "modulation 2 (QPSK), code 4 (LDPC), rate 1/2, block length 648, map length %d, map CRC 0x%08x,\n"
          "metadata length %d, metadata CRC 0x%08x, symbol count %d.\n"
          "Payload (%d bytes, stored uncompressed: uncompressed length = compressed length, CRC 0x%08x):\n"
          "map part: zlib (level 9) of the map of map-frame-digital.hex;\n%s"
          "symbols: %d float16, symbol i = ((i*37) mod 41 - 20)/16 rounded to float16 (exact)."
          % (SOFTCAST_PROFILE, len(map_part), map_crc, len(meta), meta_crc, len(symbols), len(body),
             zlib.crc32(body), layer_text, len(symbols)),
          map_frame(45, 0, "scene-0001", 8, 4, 19, 4, None, [], body, body, layout=layout))

    broken_map = bytearray(map_part)
    broken_map[2] ^= 0x01  # one residual bit error in the map part
    noisy = layered.stored([v + 0.125 for v in symbols], 1)
    relayed = layered.payload(broken_map, meta, noisy, 1)
    digital_uses = 600
    # The hop annotation has no code block length; its `block` is the fading block (0 on phy-awgn).
    relay_hop = hop(6, 3, 10.0, 9.9, 42, 3, 2000, digital_uses + -(-len(noisy) // 2), modulation=2, code=4,
                    rate=(1, 2), block=0, micros=120)
    write("map-frame-hybrid-relayed",
          "MAP_FRAME, layered, the frame of map-frame-hybrid.hex after one hop (frame id 45, attempt 0, same layout:\n"
          "map CRC 0x%08x and metadata CRC 0x%08x stay the sender's). Hop: model 6 (phy-awgn), mode 3 (layered),\n"
          "modulation 2 (QPSK), code 4 (LDPC), rate 1/2, snr 10 dB, measured 9.9 dB (float32), seed 42, 3 bit errors,\n"
          "2000 bits on air, channel uses %d + %d = %d, fading block 0, 120 us.\n"
          "Payload (%d bytes, fresh CRC 0x%08x): the map part with byte 2 bit 0 flipped (its CRC is now 0x%08x, so\n"
          "the map is broken), the metadata intact, each symbol + 0.125 stored back as float16 (exact)."
          % (map_crc, meta_crc, digital_uses, len(noisy) // 2, digital_uses + len(noisy) // 2, len(relayed),
             zlib.crc32(relayed), zlib.crc32(bytes(broken_map))),
          map_frame(45, 0, "scene-0001", 8, 4, 19, 4, None, [relay_hop], relayed, relayed, layout=layout))

    symbols32 = layered.stored(SOFTCAST_SYMBOLS, 2)
    body = layered.payload(b"", meta, symbols32, 2)
    layout = layered.sender_layout("none", b"", meta, symbols32, 2, SOFTCAST_PROFILE, modulation=1, code=0)
    write("map-frame-softcast",
          "MAP_FRAME, layered without a map part (SoftCast alone), envelope version 3: frame id 46, attempt 0,\n"
          "\"scene-0004\", 8x4, 19 classes, no hops. Layered layout: map coding 0 (none), map prior 0,\n"
          "softcast profile 0x%08x, sample format 2 (float32 little-endian), modulation 1 (BPSK), code 0\n"
          "(uncoded), rate 0/0, block length 0, map length 0, map CRC 0, metadata length %d, metadata CRC 0x%08x,\n"
          "symbol count %d. Payload (%d bytes, stored uncompressed, CRC 0x%08x):\n%s"
          "symbols: %d float32, symbol i = ((i*37) mod 41 - 20)/16 (exact)."
          % (SOFTCAST_PROFILE, len(meta), meta_crc, len(symbols32), len(body), zlib.crc32(body), layer_text,
             len(symbols32)),
          map_frame(46, 0, "scene-0004", 8, 4, 19, 4, None, [], body, body, layout=layout))


if __name__ == "__main__":
    main()
