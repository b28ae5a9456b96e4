import Foundation
import Tensor

/// The orthonormal 2-D DCT-II of a plane and its inverse, as two matrix products on the project's BLAS:
/// X = C_H · x · C_Wᵀ and x = C_Hᵀ · X · C_W, with C_N[k][n] = s_k·cos(π(2n + 1)k / 2N), s_0 = √(1/N),
/// s_k = √(2/N). Orthonormal, so a coefficient's squared error is a pixel's squared error (Parseval).
///
/// Why BLAS rather than an FFT library: the sizes here (64…512 per side) make the dense products cheap (a
/// 256x512 plane is 0.1 GFLOP), exact to float rounding, and BLAS is already linked and tuned; an FFT-based DCT
/// would add a dependency for no measurable gain.
public struct DCT2D: Sendable {
    public let height: Int
    public let width: Int
    private let rows: [Float]  // C_H, height × height
    private let columns: [Float]  // C_W, width × width

    public init(height: Int, width: Int) {
        precondition(height > 0 && width > 0, "a DCT plane needs a positive size")
        self.height = height
        self.width = width
        rows = Self.matrix(height)
        columns = Self.matrix(width)
    }

    /// C_N, row-major: row k is the k-th basis vector.
    static func matrix(_ n: Int) -> [Float] {
        var c = [Float](repeating: 0, count: n * n)
        for k in 0..<n {
            let scale = (k == 0 ? 1.0 / Double(n) : 2.0 / Double(n)).squareRoot()
            for i in 0..<n {
                c[k * n + i] = Float(scale * cos(Double.pi * Double(2 * i + 1) * Double(k) / Double(2 * n)))
            }
        }
        return c
    }

    /// The coefficients of `plane` (height × width, row-major).
    public func forward(_ plane: [Float]) -> [Float] {
        precondition(plane.count == height * width, "plane size differs from the DCT's")
        return product(plane, transposeRows: false, transposeColumns: true)
    }

    /// The plane of `coefficients` (height × width, row-major).
    public func inverse(_ coefficients: [Float]) -> [Float] {
        precondition(coefficients.count == height * width, "coefficient count differs from the DCT's")
        return product(coefficients, transposeRows: true, transposeColumns: false)
    }

    /// op(C_H) · x · op(C_W).
    private func product(_ x: [Float], transposeRows: Bool, transposeColumns: Bool) -> [Float] {
        var temporary = [Float](repeating: 0, count: height * width)
        var out = [Float](repeating: 0, count: height * width)
        rows.withUnsafeBufferPointer { r in
            x.withUnsafeBufferPointer { xs in
                temporary.withUnsafeMutableBufferPointer { t in
                    BLAS.sgemm(
                        m: height, n: width, k: height, a: r.baseAddress!, lda: height, transA: transposeRows,
                        b: xs.baseAddress!, ldb: width, c: t.baseAddress!, ldc: width)
                }
            }
        }
        columns.withUnsafeBufferPointer { c in
            temporary.withUnsafeBufferPointer { t in
                out.withUnsafeMutableBufferPointer { o in
                    BLAS.sgemm(
                        m: height, n: width, k: width, a: t.baseAddress!, lda: width, b: c.baseAddress!, ldb: width,
                        transB: transposeColumns, c: o.baseAddress!, ldc: width)
                }
            }
        }
        return out
    }
}
