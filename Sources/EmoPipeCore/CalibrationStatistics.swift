import Foundation

/// What one stage gathers over one input in a calibration pass, under a key that names what it
/// describes (`model:voice-4corpora`, `face.neutral.calm`). Statistics of one kind merge across a
/// subject's inputs.
public enum CalibrationStatistic: Sendable, Equatable {
    /// Mean and spread of feature rows (an estimator's input features).
    case moments(FeatureMoments)
    /// Histogram medians of named measures (the face's neutral geometry).
    case medians(names: [String], [RunningMedian])

    /// Rows or frames seen.
    public var count: Int {
        switch self {
        case .moments(let moments): moments.count
        case .medians(_, let histograms): histograms.first?.count ?? 0
        }
    }

    /// Both statistics together; nil when they are of different kinds or describe different names.
    public func merged(with other: CalibrationStatistic) -> CalibrationStatistic? {
        switch (self, other) {
        case (.moments(var a), .moments(let b)) where a.names == b.names:
            a.merge(b)
            return .moments(a)
        case (.medians(let names, var a), .medians(let otherNames, let b)) where names == otherNames && a.count == b.count:
            for index in a.indices { a[index].merge(b[index]) }
            return .medians(names: names, a)
        default:
            return nil
        }
    }

    /// The baseline it amounts to: means and standard deviations, or medians.
    public var baseline: FeatureBaseline {
        switch self {
        case .moments(let moments):
            FeatureBaseline(names: moments.names, count: moments.count, centre: moments.mean, spread: moments.standardDeviation)
        case .medians(let names, let histograms):
            FeatureBaseline(names: names, count: count, centre: histograms.map { $0.median ?? .nan }, spread: nil)
        }
    }
}

/// Collects the statistics a calibration pass's stages hand over at the end of one input.
/// Stages of one graph finish on different threads, hence the lock.
public final class CalibrationCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String: CalibrationStatistic] = [:]

    public init() {}

    /// Hands over `statistic` under `key`; two stages giving the same key are pooled.
    public func deposit(_ statistic: CalibrationStatistic, key: String) {
        lock.withLock {
            if let existing = collected[key] {
                collected[key] = existing.merged(with: statistic) ?? existing
            } else {
                collected[key] = statistic
            }
        }
    }

    /// Everything handed over so far, emptying the collector (its memory goes with it).
    public func take() -> [String: CalibrationStatistic] {
        lock.withLock {
            defer { collected = [:] }
            return collected
        }
    }
}
