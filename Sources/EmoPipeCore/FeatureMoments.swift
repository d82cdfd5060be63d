/// Count, mean and spread of a feature vector over many rows (Welford's update, Chan's merge):
/// what subject calibration gathers for an estimator's input features. Merging is exact up to
/// rounding, so calibration merges per-input moments in a fixed order (by input path) to give
/// the same bytes whatever order the inputs ran in.
public struct FeatureMoments: Sendable, Equatable {
    /// Feature names, one per value.
    public let names: [String]
    public private(set) var count = 0
    public private(set) var mean: [Double]
    private var squares: [Double]

    public init(names: [String]) {
        self.names = names
        mean = [Double](repeating: 0, count: names.count)
        squares = mean
    }

    /// Adds one row (every value finite; one per name).
    public mutating func add(_ row: [Double]) {
        precondition(row.count == names.count, "FeatureMoments: \(row.count) values for \(names.count) names")
        count += 1
        let n = Double(count)
        for index in row.indices {
            let delta = row[index] - mean[index]
            mean[index] += delta / n
            squares[index] += delta * (row[index] - mean[index])
        }
    }

    /// Adds every row `other` has seen (Chan et al.'s pairwise update).
    public mutating func merge(_ other: FeatureMoments) {
        precondition(other.names == names, "FeatureMoments: merging different features")
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        let a = Double(count), b = Double(other.count), n = a + b
        for index in mean.indices {
            let delta = other.mean[index] - mean[index]
            mean[index] += delta * b / n
            squares[index] += other.squares[index] + delta * delta * a * b / n
        }
        count += other.count
    }

    /// Sample standard deviations (0 with fewer than two rows).
    public var standardDeviation: [Double] {
        squares.map { count > 1 ? ($0 / Double(count - 1)).squareRoot() : 0 }
    }
}
