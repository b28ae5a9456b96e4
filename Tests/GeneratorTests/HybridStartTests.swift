import Foundation
import Testing

@testable import Generator

@Suite("Generation from a guide: the start step matches the guide's noise")
struct HybridStartTests {
    static let sampler = DiffusionSampler(
        config: try! JSONDecoder().decode(
            GeneratorConfig.self,
            from: Data(
                contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent("models/generator/config.json"))))

    @Test("t0 falls as the estimate's error falls (as SNR rises), and matches (1 − ᾱ)/ᾱ")
    func startStepFallsWithError() {
        var previous = Int.max
        for mse in [0.5, 0.1, 0.03, 0.01, 0.001] {
            let t0 = Self.sampler.matchingStep(noiseToSignal: mse)
            #expect(t0 < previous, "MSE \(mse): t0 \(t0)")
            previous = t0
            let a = Self.sampler.alphasCumprod[t0]
            let ratio = (1 - a) / a
            #expect(ratio / mse > 0.8 && ratio / mse < 1.25, "MSE \(mse): (1 − ᾱ)/ᾱ = \(ratio) at t0 \(t0)")
        }
    }

    @Test("the respaced steps below t0 run from 0 to t0")
    func respacedThroughStart() {
        #expect(Self.sampler.respaced(4, through: 90) == [0, 30, 60, 90])
        #expect(Self.sampler.respaced(1, through: 90) == [90])
        #expect(Self.sampler.respaced(5, through: 2) == [0, 1, 2])
    }
}
