import Foundation
import NIOCore
import NIOPosix

/// Errors as one plain line for people: what failed, in words, without the type dumps the libraries'
/// own descriptions carry (`bind(descriptor:ptr:bytes:): … (errno: 98)`, `NSCocoaErrorDomain Code=4`,
/// `SingleConnectionFailure(target: …)`).
public enum ErrorText {
    public static func plain(_ error: any Error) -> String {
        switch error {
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        case let error as NIOConnectionError:
            if let failure = error.connectionErrors.first {
                return "\(error.host):\(error.port): \(plain(failure.error))"
            }
            if let dns = error.dnsAError ?? error.dnsAAAAError {
                return "cannot resolve \(error.host): \(plain(dns))"
            }
            return "cannot connect to \(error.host):\(error.port)"
        case let error as ChannelError:
            switch error {
            case .connectTimeout(let limit):
                return "no answer within \(limit.nanoseconds / 1_000_000) ms (connect timeout)"
            case .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed, .eof:
                return "the connection is closed"
            default: return "\(error)"
            }
        case let error as CocoaError:
            return error.localizedDescription
        default:
            return "\(error)"
        }
    }
}
