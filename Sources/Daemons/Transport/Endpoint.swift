import Foundation

/// A TCP endpoint written `HOST:PORT` on the command line (`127.0.0.1:7000`, `localhost:0`, `[::1]:7000`).
/// Port 0 on a listening endpoint means "pick a free port"; the daemon logs the one it bound.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address (IPv6 without brackets).
    public var host: String
    /// TCP port, 0…65535.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; IPv6 addresses go in brackets (`[::1]:7000`).
    public init(parsing text: String) throws(DaemonError) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw .invalidArgument("endpoint '\(text)' has no port: write [HOST]:PORT, e.g. [::1]:7000")
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw .invalidArgument("endpoint '\(text)' has no port: write HOST:PORT, e.g. 127.0.0.1:7000")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        if host.isEmpty { host = "0.0.0.0" }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw .invalidArgument("endpoint '\(text)': port '\(portText)' is not a number in 0…65535")
        }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether only this machine can reach the endpoint (127.0.0.0/8, ::1, localhost): a side port there
    /// needs no token.
    /// Whether every address `host` stands for is a loopback address (127.0.0.0/8, ::1): decided on
    /// addresses, so that a name such as `127.example.net` is not taken for loopback; a name is resolved.
    public var isLoopback: Bool {
        if Self.isIPAddress(host) { return Self.isLoopbackAddress(host) }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return false }
        defer { freeaddrinfo(list) }
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        var any = false
        while let entry = cursor {
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard
                getnameinfo(
                    entry.pointee.ai_addr, entry.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0,
                    NI_NUMERICHOST) == 0,
                Self.isLoopbackAddress(
                    String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            else { return false }
            any = true
            cursor = entry.pointee.ai_next
        }
        return any
    }

    /// Whether an IP literal is a loopback address.
    static func isLoopbackAddress(_ address: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        if inet_pton(AF_INET6, address, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { bytes in bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1 }
        }
        return false
    }

    /// Whether `host` is a literal IPv4 or IPv6 address (not a name to resolve).
    public static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}

/// A problem a user can act on; each message says what and what to do.
public enum DaemonError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The daemon cannot start as configured (a port taken, a folder it cannot create, a side port off
    /// loopback without a token): restarting it unchanged cannot help (`semcom` exits 78 for these).
    case configuration(String)
    /// A value given on the command line that does not parse (an endpoint, an SNR schedule).
    case invalidArgument(String)
    /// A frame's label map cannot be had (no ground-truth map, no segmenter, the image gone).
    case noLabels(String)

    public var isConfiguration: Bool {
        if case .configuration = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .configuration(let message), .invalidArgument(let message), .noLabels(let message): message
        }
    }
}
