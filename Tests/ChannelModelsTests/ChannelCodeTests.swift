import Checksums
import Randomness
import Testing

@testable import ChannelModels

@Suite("Channel codes: CRC, convolutional, LDPC")
struct ChannelCodeTests {
    static func randomBits(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8(rng.next() & 1) }
    }

    static func llrs(_ bits: [UInt8], magnitude: Float = 5) -> [Float] { bits.map { $0 == 0 ? magnitude : -magnitude } }

    @Test func crc32CheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(BitPacking.pack(BitPacking.unpack([0xA5, 0x01])) == [0xA5, 0x01])
    }

    @Test("K=7 (133,171): impulse response and linearity")
    func convolutionalKnownVectors() {
        let impulse = ConvolutionalCode.encodeMother([1])
        // A = 1011011 (133 octal), B = 1111001 (171 octal), interleaved A1 B1 A2 B2 …
        #expect(impulse == [1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1])
        #expect(ConvolutionalCode.encodeMother([0, 0, 0]) == [UInt8](repeating: 0, count: 18))
        let a = Self.randomBits(40, seed: 1), b = Self.randomBits(40, seed: 2)
        let sum = zip(a, b).map { $0 ^ $1 }
        let ca = ConvolutionalCode.encodeMother(a), cb = ConvolutionalCode.encodeMother(b)
        #expect(ConvolutionalCode.encodeMother(sum) == zip(ca, cb).map { $0 ^ $1 })
    }

    @Test("puncturing: lengths, round trip, noiseless decoding", arguments: ConvolutionalCode.Rate.allCases)
    func puncturing(_ rate: ConvolutionalCode.Rate) {
        let code = ConvolutionalCode(rate: rate)
        let info = Self.randomBits(301, seed: 7)
        let sent = code.encode(info)
        #expect(sent.count == code.codedLength(infoBits: info.count))
        let (k, n) = rate.fraction
        let mother = 2 * (info.count + 6)
        #expect(abs(Double(sent.count) - Double(mother) * Double(n) / Double(2 * k)) <= 1)
        // Depuncturing puts every kept value back in place and zeros where bits were stolen.
        let motherValues = (0..<mother).map { Float($0 + 1) }
        let back = ConvolutionalCode.depuncture(
            ConvolutionalCode.puncture(motherValues, rate: rate), rate: rate, motherLength: mother)
        for i in 0..<mother { #expect(back[i] == (rate.pattern[i % rate.pattern.count] ? motherValues[i] : 0)) }
        #expect(code.decode(Self.llrs(sent), infoBits: info.count) == info)
    }

    @Test("Viterbi corrects scattered errors at rate 1/2")
    func viterbiCorrects() {
        let code = ConvolutionalCode(rate: .r12)
        let info = Self.randomBits(200, seed: 8)
        var llrs = Self.llrs(code.encode(info))
        for i in stride(from: 5, to: llrs.count, by: 23) { llrs[i] = -llrs[i] }
        #expect(code.decode(llrs, infoBits: info.count) == info)
    }

    static let allLDPC: [(Int, LDPCCode.Rate)] = LDPCCode.lengths.flatMap { n in LDPCCode.Rate.allCases.map { (n, $0) }
    }

    @Test("LDPC 802.11n: H·c = 0 for encoded words; sizes", arguments: allLDPC)
    func ldpcParity(_ n: Int, _ rate: LDPCCode.Rate) throws {
        let code = try #require(LDPCCode(n: n, rate: rate))
        #expect(code.z == n / 24 && code.k == n * rate.fraction.0 / rate.fraction.1 && code.checks == n - code.k)
        for seed in 1...3 {
            let info = Self.randomBits(code.k, seed: UInt64(seed))
            let word = code.encode(info)
            #expect(Array(word[0..<code.k]) == info, "systematic")
            #expect(code.isCodeword(word))
            var flipped = word
            flipped[seed * 17] ^= 1
            #expect(!code.isCodeword(flipped))
        }
        #expect(code.encode([UInt8](repeating: 0, count: code.k)).allSatisfy { $0 == 0 })
    }

    @Test(
        "LDPC decoder: corrects noise and erasures, stops early on a clean word",
        arguments: [
            (648, LDPCCode.Rate.r12), (1944, .r56),
        ])
    func ldpcDecodes(_ n: Int, _ rate: LDPCCode.Rate) throws {
        let code = try #require(LDPCCode(n: n, rate: rate))
        let decoder = LDPCDecoder(code: code)
        let word = code.encode(Self.randomBits(code.k, seed: 21))
        let clean = decoder.decode(Self.llrs(word))
        #expect(clean.converged && clean.iterations == 0 && clean.codeword == word)
        var llrs = Self.llrs(word, magnitude: 2)
        for i in stride(from: 3, to: n, by: n / 6) { llrs[i] = -llrs[i] }  // 6 errors
        let noisy = decoder.decode(llrs)
        #expect(noisy.converged && noisy.codeword == word && noisy.iterations >= 1)
        // Erasures: each bit's LLR set to 0 ("no information") with probability 0.05, the others certain.
        var rng = SeededGenerator(seed: 2)
        var erased = Self.llrs(word, magnitude: 100)
        for i in erased.indices where rng.chance(0.05) { erased[i] = 0 }
        #expect(decoder.decode(erased).codeword == word)
    }

    @Test("code names parse and print back")
    func codeNames() throws {
        for name in ["none", "conv:1/2", "conv:2/3", "conv:3/4", "ldpc:648:5/6", "ldpc:1944:1/2"] {
            #expect(try ChannelCode(parsing: name).description == name)
        }
        #expect(throws: ChannelConfigurationError.self) { try ChannelCode(parsing: "ldpc:1000:1/2") }
        #expect(throws: ChannelConfigurationError.self) { try ChannelCode(parsing: "conv:5/6") }
    }
}
