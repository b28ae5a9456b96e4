/// One complex baseband sample: in-phase (I) and quadrature (Q) parts. Float, because the relay moves
/// millions of them per frame and single precision is far below any noise level simulated here.
public struct ComplexSymbol: Sendable, Hashable {
    public var re: Float
    public var im: Float

    public init(_ re: Float, _ im: Float) {
        self.re = re
        self.im = im
    }

    public static let zero = ComplexSymbol(0, 0)

    /// |z|².
    @inline(__always) public var squaredMagnitude: Float { re * re + im * im }

    /// The complex conjugate.
    @inline(__always) public var conjugate: ComplexSymbol { ComplexSymbol(re, -im) }

    @inline(__always) public static func * (a: ComplexSymbol, b: ComplexSymbol) -> ComplexSymbol {
        ComplexSymbol(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
    }

    @inline(__always) public static func + (a: ComplexSymbol, b: ComplexSymbol) -> ComplexSymbol {
        ComplexSymbol(a.re + b.re, a.im + b.im)
    }

    @inline(__always) public static func * (a: ComplexSymbol, s: Float) -> ComplexSymbol {
        ComplexSymbol(a.re * s, a.im * s)
    }
}
