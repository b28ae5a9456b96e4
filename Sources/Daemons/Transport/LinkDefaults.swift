/// The link's time limits and sizes by default, in one place: the services' configurations start from
/// them and the command line's flags show them (`--help`).
public enum LinkDefaults {
    /// A client must say HELLO, and a server answer it, within this (protocol v1 §7.1: 10 s).
    public static let helloTimeout: Duration = .seconds(10)
    /// One connection attempt: TCP connect and the TLS handshake (sender, and the relay's downstream).
    public static let connectTimeout: Duration = .seconds(5)
    /// Silence tolerated on a connection past HELLO that has nothing of its own in work.
    public static let idleTimeout: Duration = .seconds(300)
    /// After SIGTERM, how long a connection may take to finish its exchange of BYEs.
    public static let shutdownGrace: Duration = .seconds(3)
    /// How long service-lifecycle lets a daemon shut down gracefully (answer what is in flight, finish the
    /// image being generated) before it cancels it, and how long cancelling may take before the process
    /// exits anyway.
    public static let gracefulShutdownLimit: Duration = .seconds(60)
    public static let cancellationLimit: Duration = .seconds(5)
    /// Connections a server keeps open at once.
    public static let maxConnections = 32
    /// Unacknowledged frames a sender allows on the wire.
    public static let window = 8
    /// Retransmissions after NACKs before a frame is reported lost.
    public static let maxRetries = 3
    /// How long a frame may keep being answered NACK unavailable before it is reported lost.
    public static let maxUnavailableWait: Duration = .seconds(120)
    /// Failed connection attempts in a row before a sender gives up.
    public static let maxReconnects = 30
}

extension Duration {
    /// Whole seconds (the command line's unit for time limits).
    public var wholeSeconds: Int { Int(components.seconds) }
}
