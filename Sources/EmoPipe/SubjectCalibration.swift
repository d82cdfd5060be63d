import EmoPipeCore
import Foundation
import Logging

/// Subject calibration over a batch: a first pass runs the pipeline on every input of a subject
/// and gathers what its stages keep per person (`Calibration.collect`); the statistics are pooled
/// per subject in input-path order (`SubjectProfile.pooling`), so the profiles, and every result
/// computed with them, are the same whatever order the inputs ran in and however many jobs ran
/// them. The second pass is an ordinary batch run with `Calibration.apply(profile)` per input.
///
/// Profiles are kept under `OUT/subjects/` and reused by a rerun when they pooled the same
/// inputs with the same pipeline configuration, so resuming does not repeat the first pass.
public struct SubjectCalibration: Sendable {
    public var registry: StageRegistry
    public var pipeline: PipelineChoice
    public var jobs: Int
    public var logger: Logger
    public var interruption: CancellationFlag

    public init(registry: StageRegistry, pipeline: PipelineChoice, jobs: Int, logger: Logger = Logger(label: "emopipe"),
                interruption: CancellationFlag = CancellationFlag()) {
        self.registry = registry
        self.pipeline = pipeline
        self.jobs = jobs
        self.logger = logger
        self.interruption = interruption
    }

    /// The calibration pass over `inputs`: each input's result and, when it finished, the
    /// statistics its stages gathered (in input order). `completed` is called as each ends.
    public func gather(_ inputs: [InputLocation], completed: @escaping @Sendable (InputResult) -> Void = { _ in })
        -> [(result: InputResult, statistics: [String: CalibrationStatistic]?)] {
        let collectors = inputs.map { _ in CalibrationCollector() }
        let runner = BatchRunner(registry: registry, pipeline: pipeline, jobs: jobs, outputDirectory: nil, logger: logger,
                                 interruption: interruption, discardOutputs: true)
        let results = runner.run(inputs.map { .input($0) }, calibrations: collectors.map { .collect($0) }, completed: completed)
        return zip(results, collectors).map { result, collector in
            (result, result.status == .done ? collector.statistics : nil)
        }
    }

    /// The pipeline's name and configuration hash for `input`.
    func configuration(for input: InputLocation) -> (name: String, hash: String) {
        let graph = try? BatchRunner(registry: registry, pipeline: pipeline, jobs: 1, outputDirectory: nil).graph(for: input)
        return (graph?.name ?? "", graph?.configHash ?? "")
    }

    /// One subject's profile from the statistics of its inputs that finished.
    public func pool(subject: String, _ gathered: [(result: InputResult, statistics: [String: CalibrationStatistic]?)],
                     inputs: [InputLocation]) -> SubjectProfile {
        let finished = zip(inputs, gathered).compactMap { input, item in
            item.statistics.map { (relativePath: input.relativePath, statistics: $0) }
        }
        let first = inputs.min { $0.relativePath < $1.relativePath }
        let configuration = first.map(configuration(for:)) ?? (name: "", hash: "")
        return SubjectProfile.pooling(finished, subject: subject, pipeline: configuration.name, configHash: configuration.hash)
    }

    /// The profiles `cacheFolder` keeps for `subjects` (subject to its inputs) that pooled exactly
    /// these inputs with this configuration, and the subjects that need a calibration pass.
    public func kept(for subjects: [String: [InputLocation]], cacheFolder: String?)
        -> (profiles: [String: SubjectProfile], pending: [(subject: String, inputs: [InputLocation])]) {
        var profiles: [String: SubjectProfile] = [:]
        var pending: [(subject: String, inputs: [InputLocation])] = []
        for subject in subjects.keys.sorted() {
            let inputs = subjects[subject]!.sorted { $0.relativePath < $1.relativePath }
            if let cacheFolder, let kept = try? SubjectProfile.load(path: Self.profilePath(cacheFolder, subject: subject)),
               kept.subject == subject, kept.inputs == inputs.map(\.relativePath),
               kept.configHash == configuration(for: inputs[0]).hash {
                profiles[subject] = kept
            } else {
                pending.append((subject, inputs))
            }
        }
        return (profiles, pending)
    }

    /// Profiles for `pending` subjects from one calibration pass over all their inputs, each
    /// written to `cacheFolder` when given. Nil when interrupted.
    public func profiles(for pending: [(subject: String, inputs: [InputLocation])], cacheFolder: String?,
                         completed: @escaping @Sendable (InputResult) -> Void = { _ in }) throws -> [String: SubjectProfile]? {
        var profiles: [String: SubjectProfile] = [:]
        guard !pending.isEmpty else { return profiles }
        let gathered = gather(pending.flatMap(\.inputs), completed: completed)
        if interruption.isCancelled { return nil }
        var offset = 0
        for (subject, inputs) in pending {
            let profile = pool(subject: subject, Array(gathered[offset..<(offset + inputs.count)]), inputs: inputs)
            offset += inputs.count
            profiles[subject] = profile
            if let cacheFolder { try Self.write(profile, to: Self.profilePath(cacheFolder, subject: subject)) }
        }
        return profiles
    }

    /// Where a batch keeps a subject's profile: `FOLDER/<subject>.profile`, the name made safe
    /// for a file system (with a hash of the subject when that changed it).
    public static func profilePath(_ folder: String, subject: String) -> String {
        let safe = String(subject.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        let name = safe == subject && !subject.hasPrefix(".") ? subject : safe + "-" + FNV1a.hex(subject).prefix(8)
        return folder + "/" + name + ".profile"
    }

    /// Writes a profile atomically (a partial file renamed into place).
    public static func write(_ profile: SubjectProfile, to path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let partial = path + ".partial"
            try profile.encoded().write(to: URL(fileURLWithPath: partial))
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: partial, toPath: path)
        } catch {
            throw StageError("\(path): cannot write the subject profile (\(error.localizedDescription))")
        }
    }
}
