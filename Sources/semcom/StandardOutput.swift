import Daemons
import Glibc

/// Unbuffered writes to standard output (one `write(2)` per line), so scripts see lines at once.
enum StandardOutput {
    static func writeLine(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(1, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }

    /// The machine-readable line scripts and tests parse once a daemon's socket listens.
    static func announceListening(_ endpoint: Endpoint) { writeLine("listening on \(endpoint)") }
}
