import Foundation

/// The resume file of a sweep, `OUT/cells.jsonl`: a first line naming the sweep (a hash of everything that
/// decides its numbers), then one line per finished cell with its records, appended and flushed as the cell
/// ends. A killed sweep rerun with the same command skips the cells it finds here; a sweep with other
/// settings refuses the folder instead of mixing results.
struct CellStore {
    static let fileName = "cells.jsonl"

    /// The first line.
    struct Header: Codable, Equatable {
        var sweep: String
        var settingsHash: String

        enum CodingKeys: String, CodingKey { case sweep, settingsHash = "settings_hash" }
    }

    /// One finished cell.
    struct Line: Codable {
        var cell: Int
        var records: [EvaluationRecord]
    }

    let path: String
    /// Cells finished by earlier runs, by cell number.
    private(set) var finished: [Int: [EvaluationRecord]] = [:]
    private let handle: FileHandle

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()

    static var decoder: JSONDecoder { ShardResult.decoder }

    /// Opens (or starts) the resume file in `folder` for the sweep identified by `header`.
    /// - Throws: when the folder holds a sweep with other settings.
    init(folder: String, header: Header) throws {
        path = (folder as NSString).appendingPathComponent(Self.fileName)
        let fm = FileManager.default
        if let data = fm.contents(atPath: path), !data.isEmpty {
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            guard let first = lines.first, let found = try? Self.decoder.decode(Header.self, from: Data(first)) else {
                throw EvaluationError("\(path) is not a sweep's resume file; delete it or choose another --out")
            }
            guard found == header else {
                throw EvaluationError(
                    "\(folder) holds a sweep with other settings (settings hash \(found.settingsHash), this run "
                        + "\(header.settingsHash)); results of different settings never mix: choose another --out, "
                        + "or delete \(path) to start over")
            }
            // A line cut short by a kill is ignored (its cell runs again) and cut off, so appends start a new line.
            for line in lines.dropFirst() {
                if let entry = try? Self.decoder.decode(Line.self, from: Data(line)) {
                    finished[entry.cell] = entry.records
                }
            }
            if data.last != UInt8(ascii: "\n") {
                let keep = (data.lastIndex(of: UInt8(ascii: "\n")) ?? data.startIndex - 1) + 1 - data.startIndex
                try Data(data.prefix(keep)).write(to: URL(fileURLWithPath: path))
            }
        } else {
            var text = try Self.encoder.encode(header)
            text.append(UInt8(ascii: "\n"))
            guard fm.createFile(atPath: path, contents: text) else {
                throw EvaluationError("cannot write \(path)")
            }
        }
        // Appends only (O_APPEND: every line lands at the end), and one sweep at a time: a second run on the
        // same folder would interleave its cells with this one's.
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw EvaluationError("cannot append to \(path)") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw EvaluationError(
                "another sweep is writing \(folder) (\(path) is locked); wait for it or choose another --out")
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// Appends a finished cell (one line, written whole, synced so a kill keeps it).
    func append(cell: Int, records: [EvaluationRecord]) throws {
        var line = try Self.encoder.encode(Line(cell: cell, records: records))
        line.append(UInt8(ascii: "\n"))
        try handle.write(contentsOf: line)
        try handle.synchronize()
    }

    /// A stable 64-bit FNV-1a hash of `data` in hex: identifies settings, not a security check.
    static func hash(_ data: Data) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return String(h, radix: 16)
    }
}
