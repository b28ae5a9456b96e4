#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora into Fuzz/seeds/<target>/ (committed; a few hundred bytes each).

    python3 Fuzz/make-seeds.py            # rewrites Fuzz/seeds/
    python3 Fuzz/make-seeds.py OUT_DIR    # writes OUT_DIR/<target>/

frame:       every frame of protocol/vectors/*.hex, and whole sessions (HELLO, frames, ACK, BYE) as one stream.
digital:     width u16 | height u16 | class count u8 | zlib stream   (the harness's input, see FuzzDigital.swift)
analog:      width u16 | height u16 | class count u8 | downsample u8 | sample format u8 | K u8 | K class ids
             | denoiser u8 | zlib stream                            (see FuzzAnalog.swift)
layered:     width u16 | height u16 | class count u8 | damage u8 | the 38-byte layered layout | payload
                                                                  (see FuzzLayered.swift)
             digital, analog and layered seeds are the payloads of the MAP_FRAME vectors, plus a few made here.
png:         small PNGs in every colour type the reader meets (gray 8/16-bit, RGB, palette, alpha, interlaced).
safetensors: small files with F32, F16 and BF16 tensors, a scalar, an empty tensor and metadata.
Standard library only; the output is deterministic for a given zlib.
"""
import glob
import json
import os
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = os.path.join(ROOT, "protocol", "vectors")


def read_vector(path):
    text = "".join(line for line in open(path) if not line.lstrip().startswith("#"))
    return bytes.fromhex("".join(text.split()))


def parse_map_frame(frame):
    """(width, height, class count, encoding, analog layout or None, compressed payload) of a MAP_FRAME."""
    body_length, control_length = struct.unpack(">II", frame[8:16])
    control, payload = frame[20:20 + control_length], frame[20 + control_length:20 + body_length]
    pos = 10  # frame id u64, attempt u16
    (name_length,) = struct.unpack(">H", control[pos:pos + 2])
    pos += 2 + name_length
    width, height, class_count, encoding = struct.unpack(">HHBB", control[pos:pos + 6])
    pos += 6
    layout = None
    if encoding == 2:
        downsample, sample_format, count = struct.unpack(">BBB", control[pos:pos + 3])
        layout = (downsample, sample_format, list(control[pos + 3:pos + 3 + count]))
    elif encoding == 4:
        layout = control[pos:pos + 38]
    return width, height, class_count, encoding, layout, payload


def digital_seed(width, height, class_count, compressed):
    return struct.pack(">HHB", width, height, class_count) + compressed


def analog_seed(width, height, class_count, layout, denoiser, compressed):
    downsample, sample_format, classes = layout
    head = struct.pack(">HHBBBB", width, height, class_count, downsample, sample_format, len(classes))
    return head + bytes(classes) + bytes([denoiser]) + compressed


def layered_seed(width, height, class_count, layout, damage, payload):
    return struct.pack(">HHBB", width, height, class_count, damage) + layout + payload


def png(width, height, color_type, bit_depth, rows, palette=None, interlace=0):
    """A PNG from raw filtered rows (each row starts with its filter byte)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace))
    if palette:
        out += chunk(b"PLTE", bytes(palette))
        out += chunk(b"tRNS", bytes([255, 128]))
    out += chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
    return out + chunk(b"IEND", b"")


def adam7_rows(rows):
    """The filtered rows (filter 0) of the Adam7 passes of an 8-bit single-channel image."""
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    out = []
    for x0, y0, dx, dy in passes:
        for y in range(y0, len(rows), dy):
            pixels = rows[y][x0::dx]
            if pixels:
                out.append(b"\x00" + pixels)
    return out


def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, raw bytes)] laid out in order."""
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def main():
    out_root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Fuzz", "seeds")
    seeds = {target: {} for target in ("frame", "digital", "analog", "layered", "png", "safetensors")}

    vectors = {os.path.basename(p)[:-4]: read_vector(p) for p in sorted(glob.glob(os.path.join(VECTORS, "*.hex")))}
    for name, frame in vectors.items():
        seeds["frame"][name] = frame
    seeds["frame"]["session-digital"] = b"".join(
        vectors[n] for n in ("hello", "map-frame-digital", "map-frame-digital-corrupted", "ack", "nack", "bye"))
    seeds["frame"]["session-analog"] = b"".join(
        vectors[n] for n in ("hello-answer", "map-frame-analog", "map-frame-analog-relayed", "lost", "error"))

    for name, frame in vectors.items():
        if not name.startswith("map-frame"):
            continue
        width, height, class_count, encoding, layout, payload = parse_map_frame(frame)
        if encoding == 1:
            seeds["digital"][name] = digital_seed(width, height, class_count, payload)
        elif encoding == 4:
            for damage in range(4):
                seeds["layered"][f"{name}-damage{damage}"] = layered_seed(
                    width, height, class_count, layout, damage, payload)
        elif encoding == 2:
            for denoiser in range(4):
                seeds["analog"][f"{name}-denoiser{denoiser}"] = analog_seed(
                    width, height, class_count, layout, denoiser, payload)
    seeds["frame"]["session-layered"] = b"".join(
        vectors[n] for n in ("hello-answer-v3", "map-frame-hybrid", "map-frame-hybrid-relayed", "map-frame-softcast"))
    # A SoftCast frame for the shipped 64x128 profile (named by its file's CRC-32), so the LLSE decoder runs:
    # metadata of 2 chunks, 128 float32 symbols.
    profile = zlib.crc32(open(os.path.join(ROOT, "models", "softcast", "64x128.json"), "rb").read())
    metadata = bytes([118, 127, 130, 0, 0, 2, 0x9A])
    symbols = struct.pack("<128f", *[((i * 29) % 23 - 11) / 8 for i in range(128)])
    layout = struct.pack(">BIIBBBHHHIIIII", 0, 0, profile, 2, 1, 0, 0, 0, 0, 0, 0, len(metadata),
                         zlib.crc32(metadata), 128)
    seeds["layered"]["softcast-64x128"] = layered_seed(128, 64, 19, layout, 0, metadata + symbols)
    ids = bytes((x // 4 + y // 3) % 19 if (x + y) % 7 else 255 for y in range(24) for x in range(40))
    seeds["digital"]["map-40x24"] = digital_seed(40, 24, 19, zlib.compress(ids, 9))
    seeds["digital"]["map-1x1-void"] = digital_seed(1, 1, 1, zlib.compress(b"\xff", 9))
    # 3 classes, 5x3 map downsampled by 4: planes of 2x1 symbols, float32.
    planes = struct.pack("<6f", 1, 0, 0, 1, 0.25, -0.5)
    seeds["analog"]["float32-ds4"] = analog_seed(5, 3, 19, (4, 2, [2, 5, 18]), 1, zlib.compress(planes, 6))
    seeds["analog"]["no-classes"] = analog_seed(3, 3, 19, (1, 1, []), 0, zlib.compress(b"", 6))

    gray = [b"\x00" + bytes((x * 3 + y) % 19 for x in range(8)) for y in range(4)]
    seeds["png"]["labels-gray8"] = png(8, 4, 0, 8, gray)
    seeds["png"]["labels-gray8-adam7"] = png(8, 4, 0, 8, adam7_rows([row[1:] for row in gray]), interlace=1)
    seeds["png"]["gray16"] = png(2, 2, 0, 16, [b"\x01" + bytes(4), b"\x02\x00\x01\x00\x02"])
    seeds["png"]["rgb8"] = png(3, 2, 2, 8, [b"\x00" + bytes(range(9)), b"\x04" + bytes(range(9, 18))])
    seeds["png"]["rgba8"] = png(2, 2, 6, 8, [b"\x00" + bytes(range(8)), b"\x03" + bytes(range(8, 16))])
    seeds["png"]["gray-alpha8"] = png(2, 2, 4, 8, [b"\x00\x10\x80\x20\xff", b"\x02\x30\x00\x40\x40"])
    seeds["png"]["palette2"] = png(4, 2, 3, 2, [b"\x00\x1b", b"\x00\xe4"], palette=[0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
    seeds["png"]["gray1"] = png(9, 2, 0, 1, [b"\x00\xaa\x80", b"\x00\x55\x00"])

    seeds["safetensors"]["f32-f16-bf16"] = safetensors(
        [("conv.weight", "F32", [2, 1, 1, 2], struct.pack("<4f", 1, -2, 0.5, 3)),
         ("norm.bias", "F16", [3], struct.pack("<3e", 1, 0.25, -4)),
         ("emb", "BF16", [2], struct.pack("<2H", 0x3F80, 0xC000))],
        metadata={"format": "pt", "classes": "19"})
    seeds["safetensors"]["scalar-and-empty"] = safetensors(
        [("scale", "F32", [], struct.pack("<f", 2)), ("empty", "F16", [0, 4], b"")])
    seeds["safetensors"]["header-only"] = safetensors([])

    for target, files in seeds.items():
        folder = os.path.join(out_root, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        print(f"{folder}: {len(files)} seeds, {sum(map(len, files.values()))} bytes")


if __name__ == "__main__":
    main()
