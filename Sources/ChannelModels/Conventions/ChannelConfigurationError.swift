/// A channel setting that cannot be simulated, with a message that says what to change.
public struct ChannelConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong and what to do about it.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
