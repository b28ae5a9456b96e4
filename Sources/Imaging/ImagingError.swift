/// A failure to read, write or convert an image, with a message a user can act on:
/// which file, what was wrong, and what was expected.
public struct ImagingError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
