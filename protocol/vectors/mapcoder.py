"""The context-coded map of protocol 2 (PROTOCOL.md section 6.3), written from the spec with the Python standard
library only: the range coder, the two models (no prior; a learned prior) and the row prediction. It encodes;
decoding is the Swift implementation's job, and the vectors check that both agree byte for byte."""
import json
import struct
import zlib

TOP, BOTTOM, MASK = 1 << 24, 1 << 16, 0xFFFFFFFF
INCREMENT, MAX_TOTAL, BANDS, REACH = 24, 1 << 16, 8, 6


class RangeEncoder:
    def __init__(self):
        self.low, self.range, self.out = 0, MASK, bytearray()

    def encode(self, cumulative, frequency, total):
        self.range //= total
        self.low = (self.low + cumulative * self.range) & MASK
        self.range = (self.range * frequency) & MASK
        while True:
            if (self.low ^ ((self.low + self.range) & MASK)) >= TOP:
                if self.range >= BOTTOM:
                    break
                self.range = (-self.low) & (BOTTOM - 1)
            self.out.append(self.low >> 24)
            self.low = (self.low << 8) & MASK
            self.range = (self.range << 8) & MASK

    def finish(self):
        end = self.low + self.range
        for kept in range(1, 5):
            mask = (1 << (32 - 8 * kept)) - 1
            value = (self.low + mask) & ~mask
            if value < end and value <= MASK:
                self.out += value.to_bytes(4, "big")[:kept]
                return bytes(self.out)
        raise AssertionError("empty final interval")


class Prior:
    """A prior file: safetensors with U8 coarse [contexts, symbols], U64 fine_keys [n], U8 fine [n, symbols]."""

    def __init__(self, path):
        data = open(path, "rb").read()
        self.identity = zlib.crc32(data)
        (length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + length])
        body = data[8 + length:]
        self.class_count = int(header["__metadata__"]["class_count"])
        self.symbols = self.class_count + 1

        def tensor(name):
            begin, end = header[name]["data_offsets"]
            return body[begin:end]

        self.coarse = tensor("coarse")
        keys = tensor("fine_keys")
        self.fine_index = {struct.unpack_from("<Q", keys, 8 * i)[0]: i for i in range(len(keys) // 8)}
        self.fine = tensor("fine")

    def weights(self, key, coarse):
        s = self.symbols
        if key in self.fine_index:
            i = self.fine_index[key]
            return self.fine[i * s:(i + 1) * s]
        return self.coarse[coarse * s:(coarse + 1) * s]


def predict_row(above, two_above, outside, width):
    if above is None:
        return [outside] * width
    out = list(above)
    if two_above is None:
        return out
    edges1 = [x for x in range(1, width) if above[x] != above[x - 1]]
    edges2 = [x for x in range(1, width) if two_above[x] != two_above[x - 1]]
    for e1 in edges1:
        left, right = above[e1 - 1], above[e1]
        match = None
        for e2 in edges2:  # ascending: on a tie the left one stays
            if abs(e2 - e1) <= REACH and two_above[e2 - 1] == left and two_above[e2] == right:
                if match is None or abs(e2 - e1) < abs(match - e1):
                    match = e2
        if match is None:
            continue
        step = e1 - match
        if step > 0:
            for x in range(e1, min(width, e1 + step)):
                out[x] = left
        elif step < 0:
            for x in range(max(0, e1 + step), e1):
                out[x] = right
    return out


def encode(ids, width, height, class_count, prior=None):
    """The range-coded body of a map (ids row-major, void 255)."""
    s = class_count + 1
    outside = s
    sym = [s - 1 if v == 255 else v for v in ids]
    slots, counts = {}, []
    if prior is None:
        counts = [[1] * s for _ in range((s + 1) * (s + 1) * 4)]
    encoder = RangeEncoder()
    prediction = None
    for y in range(height):
        if prior is not None:
            row = lambda r: sym[r * width:(r + 1) * width]
            prediction = predict_row(row(y - 1) if y > 0 else None, row(y - 2) if y > 1 else None, outside, width)
        for x in range(width):
            at = lambda dx, dy: sym[(y + dy) * width + x + dx]
            w = at(-1, 0) if x > 0 else outside
            ww = at(-2, 0) if x > 1 else outside
            n = at(0, -1) if y > 0 else outside
            nw = at(-1, -1) if x > 0 and y > 0 else outside
            ne = at(1, -1) if x + 1 < width and y > 0 else outside
            coarse = ((w * (s + 1) + n) * 2 + (nw != n)) * 2 + (ne != n)
            if prior is None:
                slot = coarse
            else:
                key = ((((w * (s + 1) + n) * (s + 1) + nw) * (s + 1) + ne) * (s + 1) + prediction[x]) * 2
                key = (key + (ww != w)) * BANDS + y * BANDS // height
                if key not in slots:
                    slots[key] = len(counts)
                    counts.append([1 + INCREMENT * weight for weight in prior.weights(key, coarse)])
                slot = slots[key]
            c = counts[slot]
            v = sym[y * width + x]
            encoder.encode(sum(c[:v]), c[v], sum(c))
            if sum(c) + INCREMENT > MAX_TOTAL:
                c[:] = [(k + 1) // 2 for k in c]
            c[v] += INCREMENT
    return encoder.finish()
