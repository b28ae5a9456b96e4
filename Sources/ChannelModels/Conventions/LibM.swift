// Foundation-free libm access: ChannelModels depends only on the standard library and
// `Randomness`, so it builds fast and links into every process without Foundation.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

@inline(__always) func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) func libmLog1p(_ x: Double) -> Double { log1p(x) }
@inline(__always) func libmLog10(_ x: Double) -> Double { log10(x) }
@inline(__always) func libmLog2(_ x: Double) -> Double { log2(x) }
@inline(__always) func libmPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
@inline(__always) func libmErfc(_ x: Double) -> Double { erfc(x) }
@inline(__always) func libmSqrt(_ x: Double) -> Double { x.squareRoot() }
@inline(__always) func libmExpf(_ x: Float) -> Float { expf(x) }
@inline(__always) func libmLogf(_ x: Float) -> Float { logf(x) }
@inline(__always) func libmExp(_ x: Double) -> Double { exp(x) }
@inline(__always) func libmCos(_ x: Double) -> Double { cos(x) }
@inline(__always) func libmSin(_ x: Double) -> Double { sin(x) }
/// Bessel function of the first kind, order 0 (Clarke's autocorrelation J0(2π f_D τ)).
public func besselJ0(_ x: Double) -> Double { j0(x) }
