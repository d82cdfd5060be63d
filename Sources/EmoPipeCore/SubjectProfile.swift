import Foundation

/// One baseline of a subject profile: per named feature, a centre (mean or median) and, for
/// means, a spread (sample standard deviation), over `count` rows or frames.
public struct FeatureBaseline: Codable, Sendable, Equatable {
    public var names: [String]
    public var count: Int
    public var centre: [Double]
    public var spread: [Double]?

    public init(names: [String], count: Int, centre: [Double], spread: [Double]?) {
        self.names = names
        self.count = count
        self.centre = centre
        self.spread = spread
    }

    /// `values` as z-scores against this baseline (0 for a feature without spread).
    public func zScores(_ values: [Double]) -> [Double] {
        let spread = spread ?? [Double](repeating: 0, count: values.count)
        return values.indices.map { spread[$0] > 1e-12 ? (values[$0] - centre[$0]) / spread[$0] : 0 }
    }
}

/// A person's baselines (`emopipe calibrate`, or gathered per subject in a calibrated batch):
/// the statistics of every calibrated estimator's input features and the face's neutral
/// geometry over that person's inputs. Stages that find their baseline here estimate relative
/// to it from the first frame; those that do not estimate uncalibrated and say so.
///
/// Stored as JSON (`*.profile`). Baselines are keyed by what they describe (`model:NAME` for an
/// estimator's features, `face.neutral.calm` / `face.neutral.all` for the face), not by stage id,
/// so a profile made with one pipeline serves another that uses the same estimators.
public struct SubjectProfile: Codable, Sendable, Equatable {
    public static let formatName = "emopipe-subject-profile/1"

    public var format: String
    /// Who it describes (the `--subject-from` capture or the `--subjects` value).
    public var subject: String
    /// The pipeline and configuration hash it was gathered with.
    public var pipeline: String
    public var configHash: String
    /// The inputs it pools, by relative path, sorted.
    public var inputs: [String]
    /// Baselines with enough data, by key.
    public var baselines: [String: FeatureBaseline]
    /// Keys gathered but left out, with why (too few rows or frames).
    public var omitted: [String: String]

    public init(subject: String, pipeline: String, configHash: String, inputs: [String],
                baselines: [String: FeatureBaseline], omitted: [String: String] = [:]) {
        format = Self.formatName
        self.subject = subject
        self.pipeline = pipeline
        self.configHash = configHash
        self.inputs = inputs
        self.baselines = baselines
        self.omitted = omitted
    }

    /// Rows (or frames) a baseline needs before it is used; below it, stages keep their running
    /// per-input baseline. Keyed by the key's prefix. The face needs 50 frames in all; its calm
    /// frames are then used when they are a fair share of them (`face.actions` decides).
    public static let minimumCounts: [(prefix: String, count: Int, unit: String)] = [
        ("model:", 10, "feature rows"), ("expression:", 10, "face frames"), ("face.neutral.all", 50, "face frames"),
        ("face.neutral.calm", 1, "calm face frames"),
    ]

    static func minimum(for key: String) -> (count: Int, unit: String) {
        minimumCounts.first { key.hasPrefix($0.prefix) }.map { ($0.count, $0.unit) } ?? (1, "rows")
    }

    /// Pools the statistics of a subject's inputs (`SubjectPool`): the profile has the same bytes
    /// whatever order the inputs come in.
    public static func pooling(_ perInput: [(relativePath: String, statistics: [String: CalibrationStatistic])],
                               subject: String, pipeline: String, configHash: String) -> SubjectProfile {
        let pool = SubjectPool(subject: subject)
        for (relativePath, statistics) in perInput { pool.add(statistics, relativePath: relativePath) }
        return pool.profile(pipeline: pipeline, configHash: configHash)
    }

    /// What a run calibrated with this profile records (`RecordingSummary.calibration`):
    /// `subject`, or `partial: KEY, ...` naming the baselines left out.
    public var calibrationLabel: String {
        omitted.isEmpty ? "subject" : "partial: " + omitted.keys.sorted().joined(separator: ", ")
    }

    /// A hash of the baselines alone (not the subject's name or inputs): two runs calibrated
    /// with equal numbers have equal configuration hashes.
    public var digest: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(baselines)) ?? Data()
        return FNV1a.hex(String(decoding: data, as: UTF8.self))
    }

    /// The profile as JSON text (sorted keys, so equal profiles have equal bytes).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// Reads a profile file; the error names the file and what is wrong.
    public static func load(path: String) throws -> SubjectProfile {
        let data: Data
        do {
            data = try FileContents.load(path, maximumBytes: 256 << 20)
        } catch {
            throw StageError("\(path): cannot read the subject profile: \(error)")
        }
        let profile: SubjectProfile
        do {
            profile = try JSONDecoder().decode(SubjectProfile.self, from: data)
        } catch {
            throw StageError("\(path): not an EmoPipe subject profile (\(JSONErrorText.describe(error, in: data)))")
        }
        guard profile.format == formatName else {
            throw StageError("\(path): format '\(profile.format)', expected '\(formatName)'")
        }
        for (key, baseline) in profile.baselines {
            guard baseline.centre.count == baseline.names.count, (baseline.spread?.count ?? baseline.names.count) == baseline.names.count else {
                throw StageError("\(path): baseline '\(key)' needs one centre (and spread) per name")
            }
            guard baseline.count >= 1 else {
                throw StageError("\(path): baseline '\(key)' was gathered over \(baseline.count) rows; a baseline needs at least one")
            }
            guard baseline.centre.allSatisfy(\.isFinite), (baseline.spread ?? []).allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw StageError("\(path): baseline '\(key)' holds a non-finite centre or a negative or non-finite spread")
            }
        }
        return profile
    }
}
