import ArgumentParser
import EmoPipe

/// `--subject-from` and `--subjects`, shared by `run` (calibrated batches) and `train`
/// (calibrated models): who each recording is.
struct SubjectOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Each input's subject is the first capture group of this regex over its relative path (then its path), e.g. 'Actor_(\\d+)'; enables subject calibration.", valueName: "regex"))
    var subjectFrom: String?

    @Option(help: ArgumentHelp("Subjects from a table with columns file (relative path, path or file name) and subject; enables subject calibration.", valueName: "file.csv"))
    var subjects: String?

    /// Whether either option was given.
    var isGiven: Bool { subjectFrom != nil || subjects != nil }

    func validate() throws {
        guard subjectFrom == nil || subjects == nil else { throw ValidationError("give --subject-from or --subjects, not both") }
    }

    /// The assignment the options describe, nil when neither was given.
    func assignment() throws -> SubjectAssignment? {
        try subjectFrom.map { try SubjectAssignment(pattern: $0) } ?? subjects.map { try SubjectAssignment(table: $0) }
    }
}
