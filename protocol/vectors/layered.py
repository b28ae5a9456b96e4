"""The layered frame of protocol 3 (PROTOCOL.md section 6.4), written from the spec with the Python standard library
only: the layered layout of the control part, SoftCast's metadata bytes and the uncompressed payload (map part,
metadata, little-endian symbols). generate.py puts them in MAP_FRAMEs; the Swift implementation must decode them
and re-encode them byte for byte."""
import struct
import zlib

MAP_CODINGS = {"none": 0, "zlib": 1, "context": 3}
SAMPLE_FORMATS = {1: "<e", 2: "<f"}  # 1 float16, 2 float32, both little-endian
LAYOUT_BYTES = 1 + 4 + 4 + 1 + 1 + 1 + 2 + 2 + 2 + 4 + 4 + 4 + 4 + 4  # the table of section 6.4: 38


def metadata(means, trim, levels):
    """SoftCast's metadata: Y, Cb, Cr means (3 bytes), gain trim (signed byte), K (u16 big-endian), then K 4-bit
    variance levels, two per byte, high nibble first (an odd last level in the high nibble, the low one 0)."""
    out = bytes(means) + struct.pack(">bH", trim, len(levels))
    for i in range(0, len(levels), 2):
        high = levels[i]
        low = levels[i + 1] if i + 1 < len(levels) else 0
        assert 0 <= high < 16 and 0 <= low < 16
        out += bytes([high << 4 | low])
    assert len(out) == 6 + (len(levels) + 1) // 2
    return out


def samples(values, sample_format):
    return b"".join(struct.pack(SAMPLE_FORMATS[sample_format], v) for v in values)


def stored(values, sample_format):
    """The values as the sample format stores them (each rounded to float16 / float32)."""
    fmt = SAMPLE_FORMATS[sample_format]
    return [struct.unpack(fmt, struct.pack(fmt, v))[0] for v in values]


def payload(map_part, meta, symbols, sample_format):
    """Map part, metadata, then the symbols: stored as they are, not zlib-compressed."""
    return bytes(map_part) + bytes(meta) + samples(symbols, sample_format)


def layout(map_coding, map_prior, profile, sample_format, modulation, code, rate, block, map_length, map_crc,
           metadata_length, metadata_crc, symbol_count):
    """The layered layout, after `encoding` and before `hop count`: map coding u8, map prior u32, softcast
    profile u32, sample format u8, modulation u8, code u8, rate k u16, rate n u16, block length u16, map length
    u32, map CRC u32, metadata length u32, metadata CRC u32, symbol count u32 (all big-endian)."""
    out = struct.pack(">BIIBBBHHHIIIII", MAP_CODINGS[map_coding], map_prior, profile, sample_format, modulation,
                      code, rate[0], rate[1], block, map_length, map_crc, metadata_length, metadata_crc,
                      symbol_count)
    assert len(out) == LAYOUT_BYTES
    return out


def sender_layout(map_coding, map_part, meta, symbols, sample_format, profile, modulation, code, rate=(0, 0),
                  block=0, map_prior=0):
    """The layout a sender writes for its parts: each digital part's length and CRC (0 for an empty part)."""
    return layout(map_coding, map_prior, profile, sample_format, modulation, code, rate, block,
                  len(map_part), zlib.crc32(bytes(map_part)) if map_part else 0,
                  len(meta), zlib.crc32(bytes(meta)) if meta else 0, len(symbols))
