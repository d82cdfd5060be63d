import Foundation

/// One subject's calibration statistics, pooled as its inputs finish, in bounded memory:
/// histogram counts (the face's neutral) add at once, which is exact in any order; feature
/// moments, a few numbers per feature, are kept per input and merged in input-path order at the
/// end. The profile therefore has the same bytes whatever order the inputs finished in, and a
/// subject with thousands of inputs holds one set of histograms, not one per input.
public final class SubjectPool: @unchecked Sendable {
    public let subject: String
    private let lock = NSLock()
    private var medians: [String: CalibrationStatistic] = [:]
    private var moments: [(relativePath: String, key: String, statistic: CalibrationStatistic)] = []
    private var inputs: [String] = []

    public init(subject: String) { self.subject = subject }

    /// Adds what one finished input's stages gathered.
    public func add(_ statistics: [String: CalibrationStatistic], relativePath: String) {
        lock.withLock {
            inputs.append(relativePath)
            for (key, statistic) in statistics {
                if case .moments = statistic {
                    moments.append((relativePath, key, statistic))
                } else {
                    medians[key] = medians[key].map { $0.merged(with: statistic) ?? $0 } ?? statistic
                }
            }
        }
    }

    /// The subject's profile: baselines with enough data, the others named in `omitted`.
    public func profile(pipeline: String, configHash: String) -> SubjectProfile {
        lock.withLock {
            var pooled = medians
            let ordered = moments.sorted { ($0.relativePath, $0.key) < ($1.relativePath, $1.key) }
            for (_, key, statistic) in ordered {
                pooled[key] = pooled[key].map { $0.merged(with: statistic) ?? $0 } ?? statistic
            }
            var baselines: [String: FeatureBaseline] = [:]
            var omitted: [String: String] = [:]
            for (key, statistic) in pooled {
                let minimum = SubjectProfile.minimum(for: key)
                if statistic.count >= minimum.count {
                    baselines[key] = statistic.baseline
                } else {
                    omitted[key] = "\(statistic.count) \(minimum.unit) over \(inputs.count) input\(inputs.count == 1 ? "" : "s"), fewer than \(minimum.count)"
                }
            }
            return SubjectProfile(subject: subject, pipeline: pipeline, configHash: configHash, inputs: inputs.sorted(),
                                  baselines: baselines, omitted: omitted)
        }
    }
}
