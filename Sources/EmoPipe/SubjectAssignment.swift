import EmoPipeCore
import Foundation

/// Who each input records: the first capture group of a regular expression over the input's
/// relative path (then its path as given), as `--subject-from 'Actor_(\d+)'`; or a table
/// (`--subjects FILE.csv`, columns `file,subject`) matched by relative path, path as given, or
/// file name; or every input of the run as one subject, `batch` (`--calibrate batch`: the batch's
/// own feature statistics as the baseline, when who speaks is unknown).
public struct SubjectAssignment: Sendable {
    private enum Rule: @unchecked Sendable {
        case pattern(NSRegularExpression, String)
        case table([String: String], String)
        case batch
    }

    /// The subject name every input gets with `--calibrate batch`.
    public static let batchSubject = "batch"

    /// Every input is one subject, `batch`.
    public static let wholeBatch = SubjectAssignment(rule: .batch)

    private init(rule: Rule) { self.rule = rule }

    private let rule: Rule

    /// From `--subject-from REGEX`; the pattern must compile and have a capture group.
    public init(pattern: String) throws {
        let regex: NSRegularExpression
        do {
            regex = try NSRegularExpression(pattern: pattern)
        } catch {
            throw LabelError("--subject-from '\(pattern)' is not a regular expression")
        }
        guard regex.numberOfCaptureGroups >= 1 else {
            throw LabelError("--subject-from '\(pattern)' needs a capture group, e.g. 'Actor_(\\d+)'")
        }
        rule = .pattern(regex, pattern)
    }

    /// From `--subjects FILE.csv`: a header with `file` and `subject` columns.
    public init(table path: String) throws {
        let table = try LabelTable(path: path)
        let file = try table.column("file"), subject = try table.column("subject")
        var map: [String: String] = [:]
        for row in table.rows {
            let name = row[file].trimmingCharacters(in: .whitespaces), who = row[subject].trimmingCharacters(in: .whitespaces)
            guard !who.isEmpty else { throw LabelError("\(path): '\(name)' has an empty subject") }
            if let earlier = map[name], earlier != who {
                throw LabelError("\(path): '\(name)' is listed twice, with subjects '\(earlier)' and '\(who)'")
            }
            map[name] = who
        }
        rule = .table(map, path)
    }

    /// The subject of `input`, or an error saying why there is none.
    public func subject(of input: InputLocation) -> Result<String, LabelError> {
        switch rule {
        case .pattern(let regex, let pattern):
            for text in [input.relativePath, input.path] {
                if let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
                   let range = Range(match.range(at: 1), in: text), !range.isEmpty {
                    return .success(String(text[range]))
                }
            }
            return .failure(LabelError("\(input.path): --subject-from '\(pattern)' does not match its path"))
        case .batch:
            return .success(Self.batchSubject)
        case .table(let map, let path):
            let name = input.path.split(separator: "/").last.map(String.init) ?? input.path
            for key in [input.relativePath, input.path, name] {
                if let subject = map[key] { return .success(subject) }
            }
            return .failure(LabelError("\(input.path): not listed in \(path)"))
        }
    }
}
