/// The median of every value seen so far, from a histogram of fixed bins (as OpenFace keeps its
/// person-specific neutral): constant memory and time per value however long the input runs.
/// Two histograms with the same bins merge exactly (their counts add), in any order, which is
/// how subject calibration pools a person's inputs.
public struct RunningMedian: Sendable, Equatable {
    private var counts: [Int]
    private var total = 0
    private let lower: Double
    private let width: Double

    /// Values are binned over [`lower`, `upper`] in `bins` bins (values outside go to the end bins).
    public init(lower: Double, upper: Double, bins: Int) {
        counts = [Int](repeating: 0, count: bins)
        self.lower = lower
        width = (upper - lower) / Double(bins)
    }

    /// Number of values seen.
    public var count: Int { total }

    public mutating func add(_ value: Double) {
        guard value.isFinite else { return }
        let bin = Int(((value - lower) / width).rounded(.down))
        counts[min(max(bin, 0), counts.count - 1)] += 1
        total += 1
    }

    /// Adds every value `other` has seen; both must have the same bins.
    public mutating func merge(_ other: RunningMedian) {
        precondition(other.counts.count == counts.count && other.lower == lower && other.width == width, "RunningMedian bins differ")
        for index in counts.indices { counts[index] += other.counts[index] }
        total += other.total
    }

    /// The median, to within half a bin; nil before any value.
    public var median: Double? {
        guard total > 0 else { return nil }
        var seen = 0
        let half = (total + 1) / 2
        for (bin, count) in counts.enumerated() {
            seen += count
            if seen >= half { return lower + (Double(bin) + 0.5) * width }
        }
        return nil
    }
}
