import EmoPipeCore
import Foundation
import Logging

/// Subject calibration over a batch: a first pass runs the pipeline on every input of a subject
/// and gathers what its stages keep per person (`Calibration.collect`); the statistics are pooled
/// per subject as inputs finish (`SubjectPool`, merged in input-path order), so the profiles, and every result
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

    /// The calibration pass over `inputs`: each input's statistics go into its subject's pool as
    /// soon as it finishes (a failed input adds nothing). Returns the results in input order;
    /// `completed` is called as each ends.
    public func gather(_ inputs: [(input: InputLocation, pool: SubjectPool)],
                       completed: @escaping @Sendable (InputResult) -> Void = { _ in }) -> [InputResult] {
        let collectors = inputs.map { _ in CalibrationCollector() }
        let index = Dictionary(inputs.enumerated().map { ($1.input.relativePath, $0) }, uniquingKeysWith: { first, _ in first })
        let runner = BatchRunner(registry: registry, pipeline: pipeline, jobs: jobs, outputDirectory: nil, logger: logger,
                                 interruption: interruption, discardOutputs: true)
        return runner.run(inputs.map { .input($0.input) }, calibrations: collectors.map { .collect($0) }, completed: { result in
            if let position = index[result.relativePath] {
                let statistics = collectors[position].take()
                if result.status == .done { inputs[position].pool.add(statistics, relativePath: result.relativePath) }
            }
            completed(result)
        })
    }

    /// The pipeline's name and configuration hash for `input` (empty when it has none).
    public func configuration(for input: InputLocation) -> (name: String, hash: String) {
        let graph = try? BatchRunner(registry: registry, pipeline: pipeline, jobs: 1, outputDirectory: nil).graph(for: input)
        return (graph?.name ?? "", graph?.configHash ?? "")
    }

    /// The profile `pool` amounts to, recording the pipeline of the first of `inputs`.
    public func profile(of pool: SubjectPool, inputs: [InputLocation]) -> SubjectProfile {
        let first = inputs.min { $0.relativePath < $1.relativePath }
        let configuration = first.map(configuration(for:)) ?? (name: "", hash: "")
        return pool.profile(pipeline: configuration.name, configHash: configuration.hash)
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
        let pools = pending.map { SubjectPool(subject: $0.subject) }
        _ = gather(zip(pending, pools).flatMap { subject, pool in subject.inputs.map { (input: $0, pool: pool) } }, completed: completed)
        if interruption.isCancelled { return nil }
        for ((subject, inputs), pool) in zip(pending, pools) {
            let profile = self.profile(of: pool, inputs: inputs)
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
