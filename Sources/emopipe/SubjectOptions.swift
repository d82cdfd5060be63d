import ArgumentParser
import EmoPipe

/// `--subject-from` and `--subjects`, shared by `run` (calibrated batches) and `train`
/// (calibrated models): who each recording is.
struct SubjectOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Each input's subject is the first capture group of this regex over its relative path (then its path), e.g. 'Actor_(\\d+)'; enables subject calibration.", valueName: "regex"))
    var subjectFrom: String?

    @Option(help: ArgumentHelp("Subjects from a table with columns file (relative path, path or file name) and subject; enables subject calibration.", valueName: "file.csv"))
    var subjects: String?

    @Option(help: ArgumentHelp("'batch': who speaks is unknown, so every input of the run is one subject and the batch's own feature statistics are the baseline (two passes, as subject calibration).", valueName: "batch"))
    var calibrate: String?

    /// Whether any option was given.
    var isGiven: Bool { subjectFrom != nil || subjects != nil || calibrate != nil }

    func validate() throws {
        guard [subjectFrom, subjects, calibrate].compactMap({ $0 }).count <= 1 else {
            throw ValidationError("give one of --subject-from, --subjects and --calibrate")
        }
        if let calibrate, calibrate != "batch" { throw ValidationError("--calibrate takes 'batch'") }
    }

    /// The assignment the options describe, nil when none was given.
    func assignment() throws -> SubjectAssignment? {
        if calibrate != nil { return .wholeBatch }
        return try subjectFrom.map { try SubjectAssignment(pattern: $0) } ?? subjects.map { try SubjectAssignment(table: $0) }
    }
}
