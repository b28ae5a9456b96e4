import Foundation
import Tensor
import Testing

/// The C kernels of the norms (`CKernels`) against plain Double arithmetic.
@Suite("Element-wise kernels")
struct ElementwiseKernelTests {
    /// SiLU through the kernel's polynomial e^x, over the range activations take and beyond (−100…100).
    @Test func siluMatchesTheExactFunction() {
        let xs = stride(from: -100.0, through: 100.0, by: 0.0137).map { Float($0) } + [0, -0.0, 1e-30, 88, -88]
        var values = xs
        values.withUnsafeMutableBufferPointer {
            Elementwise.affine($0.baseAddress!, count: $0.count, a: 1, b: 0, activation: .silu)
        }
        for (x, y) in zip(xs, values) {
            let exact = Double(x) / (1 + Foundation.exp(-Double(x)))
            #expect(abs(Double(y) - exact) <= 1e-6 * max(1, abs(exact)), "silu(\(x)) = \(y), exact \(exact)")
        }
    }

    /// Attention's softmax, rows shorter than a vector, with a tail, and long; one row with a huge spread.
    @Test(arguments: [1, 7, 37, 128])
    func softmaxRowsMatchDouble(columns: Int) {
        let rows = 3
        var values = (0..<(rows * columns)).map { Float(($0 * 29) % 31) * 0.37 - 5 }
        if columns > 1 { values[columns] = 80; values[columns + 1] = -80 }
        let inputs = values
        values.withUnsafeMutableBufferPointer { Elementwise.softmaxRows($0.baseAddress!, rows: rows, columns: columns) }
        for r in 0..<rows {
            let row = inputs[(r * columns)..<((r + 1) * columns)].map(Double.init)
            let m = row.max()!, total = row.reduce(0) { $0 + Foundation.exp($1 - m) }
            for (j, x) in row.enumerated() {
                let exact = Foundation.exp(x - m) / total
                #expect(
                    abs(Double(values[r * columns + j]) - exact) <= 1e-6,
                    "row \(r) column \(j): \(values[r * columns + j]) vs \(exact)")
            }
        }
    }

    @Test func affineAndReluAndSpadeOnOddLengths() {
        let count = 37  // not a multiple of any vector width
        let xs = (0..<count).map { Float($0) * 0.25 - 4 }
        let gamma = (0..<count).map { Float($0) * 0.01 }, beta = (0..<count).map { Float(-$0) * 0.02 }
        var relu = xs, spade = xs
        relu.withUnsafeMutableBufferPointer {
            Elementwise.affine($0.baseAddress!, count: count, a: 2, b: 1, activation: .relu)
        }
        spade.withUnsafeMutableBufferPointer { p in
            Elementwise.spade(
                p.baseAddress!, gamma: gamma, beta: beta, count: count, mean: 0.5, inverseStd: 2,
                scale: 1.5, shift: -0.25, activation: .none)
        }
        for i in 0..<count {
            #expect(relu[i] == max(0, xs[i] * 2 + 1))
            let expected = (((xs[i] - 0.5) * 2) * (1 + gamma[i]) + beta[i]) * 1.5 - 0.25
            #expect(abs(spade[i] - expected) <= 1e-5 * max(1, abs(expected)))
        }
    }

    /// GroupNorm's statistics: mean and 1/√(var + eps) per (sample, group), as a two-pass Double reference.
    @Test func groupStatisticsMatchTwoPassDouble() {
        let x = Tensor(shape: [2, 4, 3, 5], data: (0..<120).map { Float(($0 * 37) % 23) * 0.7 - 3 })
        let stats = GroupNorm.statistics(x, groups: 2, eps: 1e-5)
        for sg in 0..<4 {
            let values = x.data[(sg * 30)..<(sg * 30 + 30)].map(Double.init)
            let mean = values.reduce(0, +) / 30
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 30
            #expect(abs(Double(stats[sg].0) - mean) < 1e-6)
            #expect(abs(Double(stats[sg].1) - 1 / (variance + 1e-5).squareRoot()) < 1e-6)
        }
    }
}
