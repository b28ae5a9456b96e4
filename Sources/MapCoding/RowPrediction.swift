/// The row a label map's next row is predicted to be, from the two rows above it. Each boundary between two
/// classes in the row above that also appears (the same two classes, at most `reach` pixels away) in the row
/// before it is moved on by the same step, so straight slanted edges — the road's, the kerb's, a roof's — are
/// predicted exactly where a plain "the pixel above" would miss them by the slope.
struct RowPrediction {
    /// How far (pixels) a boundary may move from one row to the next and still be followed.
    static let reach = 6

    private var aboveEdges: [Int] = []
    private var twoAboveEdges: [Int] = []

    init(width: Int) {
        aboveEdges.reserveCapacity(width)
        twoAboveEdges.reserveCapacity(width)
    }

    /// Writes the prediction of a row into `out`: `outside` for the first row, the row above for the second,
    /// the row above with its followed boundaries moved on for the rest.
    /// - Parameters:
    ///   - above: the row above (nil for the first row); `twoAbove` the one before it (nil for the first two).
    mutating func predict(
        above: UnsafeBufferPointer<UInt8>?, twoAbove: UnsafeBufferPointer<UInt8>?, outside: UInt8,
        into out: UnsafeMutableBufferPointer<UInt8>
    ) {
        let width = out.count
        guard let above else {
            out.update(repeating: outside)
            return
        }
        for x in 0..<width { out[x] = above[x] }
        guard let twoAbove else { return }
        Self.edges(of: above, into: &aboveEdges)
        Self.edges(of: twoAbove, into: &twoAboveEdges)
        var first = 0
        for e1 in aboveEdges {
            let left = above[e1 - 1], right = above[e1]
            while first < twoAboveEdges.count && twoAboveEdges[first] < e1 - Self.reach { first += 1 }
            // The nearest boundary between the same two classes in the row before (the left one on a tie).
            var match: Int?
            var i = first
            while i < twoAboveEdges.count && twoAboveEdges[i] <= e1 + Self.reach {
                let e2 = twoAboveEdges[i]
                if twoAbove[e2 - 1] == left && twoAbove[e2] == right,
                    match.map({ abs(e2 - e1) < abs($0 - e1) }) ?? true
                {
                    match = e2
                }
                i += 1
            }
            guard let e2 = match else { continue }
            let step = e1 - e2
            if step > 0 {
                for x in e1..<min(width, e1 + step) { out[x] = left }
            } else if step < 0 {
                for x in max(0, e1 + step)..<e1 { out[x] = right }
            }
        }
    }

    /// The positions x ≥ 1 where `row[x] ≠ row[x − 1]`, ascending.
    private static func edges(of row: UnsafeBufferPointer<UInt8>, into edges: inout [Int]) {
        edges.removeAll(keepingCapacity: true)
        for x in 1..<max(1, row.count) where row[x] != row[x - 1] { edges.append(x) }
    }
}
