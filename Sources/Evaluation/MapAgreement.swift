import Imaging

/// How well a label map agrees with the reference (sent) map: the paper's semantic fidelity measure.
///
/// Pixels that are void (255) in the reference are ignored. A non-void reference pixel predicted void (or as
/// any other class) is an error. mIoU averages the IoU over the classes present in either map (on the
/// non-ignored pixels), so a class invented by the prediction lowers it as much as a class it missed.
public struct MapAgreement: Sendable, Equatable {
    /// Pixels compared (non-void in the reference).
    public var pixels: Int
    /// Of which predicted correctly.
    public var correct: Int
    /// Mean intersection over union over the classes present in either map; 1 when both hold none.
    public var meanIoU: Double
    /// Classes averaged in `meanIoU`.
    public var classes: Int

    /// Correct pixels over compared pixels (1 when nothing is compared).
    public var pixelAccuracy: Double { pixels == 0 ? 1 : Double(correct) / Double(pixels) }

    /// Compares `predicted` with `reference` (the sent map); sizes must match.
    public init(predicted: LabelMap, reference: LabelMap) {
        precondition(
            predicted.width == reference.width && predicted.height == reference.height,
            "maps of different sizes: \(predicted.width)x\(predicted.height) vs \(reference.width)x\(reference.height)")
        // Counts per id 0…255: intersection, in reference, in prediction (void pixels of the reference skipped).
        var intersection = [Int](repeating: 0, count: 256)
        var inReference = [Int](repeating: 0, count: 256)
        var inPrediction = [Int](repeating: 0, count: 256)
        var pixels = 0, correct = 0
        for i in 0..<reference.ids.count {
            let r = Int(reference.ids[i])
            guard r != Int(LabelMap.void) else { continue }
            let p = Int(predicted.ids[i])
            pixels += 1
            inReference[r] += 1
            inPrediction[p] += 1
            if p == r {
                correct += 1
                intersection[r] += 1
            }
        }
        var sum = 0.0, classes = 0
        // A prediction of void on a labelled pixel is an error but not a class of its own.
        for c in 0..<255 where inReference[c] > 0 || inPrediction[c] > 0 {
            sum += Double(intersection[c]) / Double(inReference[c] + inPrediction[c] - intersection[c])
            classes += 1
        }
        self.pixels = pixels
        self.correct = correct
        self.classes = classes
        meanIoU = classes == 0 ? 1 : sum / Double(classes)
    }
}
