/// A place in a pipeline file (or on the command line, for `--set`).
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    /// The pipeline file, or "--set" for a command-line override.
    public var file: String
    /// Line, from 1; 0 when unknown.
    public var line: Int
    /// Column, from 1; 0 when unknown.
    public var column: Int

    public init(file: String, line: Int = 0, column: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

/// A mistake in a pipeline, found before anything runs.
public struct PipelineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of mistake, for programs and tests; the message is for people.
    public enum Kind: String, Sendable, Equatable {
        case unreadable, syntax, structure, include
        case unknownStage, duplicateID, unknownParameter, parameterType, parameterRange
        case unknownReference, unconnectedInput, kindMismatch, cycle
    }

    public var kind: Kind
    public var location: SourceLocation
    public var message: String

    public init(_ kind: Kind, at location: SourceLocation, _ message: String) {
        self.kind = kind
        self.location = location
        self.message = message
    }

    /// `file:line:column: message`, as compilers print it.
    public var description: String { "\(location): \(message)" }
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
func closestMatch(to word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    // A word that is the start of a name (`hop` for `hop_ms`) is the likeliest slip.
    let extensions = candidates.filter { $0.hasPrefix(word) && !word.isEmpty }
    if extensions.count == 1 { return extensions[0] }
    let scored = candidates.map { ($0, distance(Array(word), Array($0))) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 3) ? best.0 : nil
}

/// "did you mean 'x'? valid: a, b, c" for an error message.
func choicesHint(for word: String, in candidates: [String]) -> String {
    let list = "valid: " + candidates.joined(separator: ", ")
    if let match = closestMatch(to: word, in: candidates) { return "did you mean '\(match)'? " + list }
    return list
}
