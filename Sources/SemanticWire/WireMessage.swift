/// One message of wire protocol v1.
public enum WireMessage: Sendable, Equatable {
    case hello(Hello)
    case mapFrame(MapFrame)
    case ack(Ack)
    case nack(Nack)
    case lost(Lost)
    case error(ErrorMessage)
    case bye(Bye)

    /// The envelope's type byte for this message.
    public var type: MessageType {
        switch self {
        case .hello: .hello
        case .mapFrame: .mapFrame
        case .ack: .ack
        case .nack: .nack
        case .lost: .lost
        case .error: .error
        case .bye: .bye
        }
    }
}
