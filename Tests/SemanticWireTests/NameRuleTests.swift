import Imaging
import Link
import SemanticWire
import Testing

/// Frame names become file names people read: one spelling per visible name, nothing that reorders or
/// hides characters (issue 13, #13).
@Suite("Frame name rules")
struct NameRuleTests {
    static func frame(named name: String) throws -> MapFrame {
        try .digital(frameID: 1, name: name, map: LabelMap(width: 8, height: 4, fill: 1), classCount: 19)
    }

    @Test(
        "refused: C0/C1 controls, DEL, bidirectional formatting, non-NFC",
        arguments: [
            "tab\there", "del\u{7F}", "c1\u{85}next", "c1\u{9F}", "rlo\u{202E}gpj.exe", "isolate\u{2066}x\u{2069}",
            "mark\u{200F}", "alm\u{061C}", "e\u{0301}",  // NFD "é"
        ])
    func refused(name: String) throws {
        let frame = try Self.frame(named: name)
        #expect(throws: WireError.self) { try frame.validate() }
        #expect(throws: WireError.self) { try WireMessage.mapFrame(frame).encodedBytes() }
    }

    @Test(
        "accepted: NFC text of any script", arguments: ["\u{E9}t\u{E9}", "東京_0001", "frankfurt_000000_000294", "a b-c"])
    func accepted(name: String) throws {
        try Self.frame(named: name).validate()
    }

    @Test("a sender's NFD file stem normalises to the NFC name on the wire")
    func normalisation() throws {
        let nfd = "cafe\u{0301}"
        #expect(WireProtocol.normalizedName(nfd) == "caf\u{E9}")
        #expect(Array(WireProtocol.normalizedName(nfd).utf8) == Array("caf\u{E9}".utf8))
        try Self.frame(named: WireProtocol.normalizedName(nfd)).validate()
    }
}
