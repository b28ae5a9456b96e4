/// A problem with an evaluation's inputs or outputs, with a message a user can act on.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
