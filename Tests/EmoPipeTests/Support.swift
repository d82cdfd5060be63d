import Foundation
import Testing

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

func fixture(_ name: String) -> String { repositoryRoot + "/Fixtures/" + name }

/// A fresh temporary folder, removed by the caller.
func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("emopipe-test-\(UUID())").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// What a run of the `emopipe` binary printed.
struct CommandResult {
    var status: Int32
    var standardOutput: Data
    var standardError: String

    var output: String { String(decoding: standardOutput, as: UTF8.self) }
    var errorLines: [String] { standardError.split(separator: "\n").map(String.init) }
}

enum CLI {
    struct StaleBinary: Error, CustomStringConvertible {
        var description: String
    }

    /// The debug binary `swift build` made. `swift test` recompiles the modules the binary is
    /// made of (the tests link them) but does not relink the binary; an object file newer than
    /// the binary means it would test old code: that fails the test, it never passes it.
    static func binaryPath() throws -> String {
        let debug = repositoryRoot + "/.build/debug"
        let path = debug + "/emopipe"
        guard let built = modificationDate(path) else {
            throw StaleBinary(description: "\(path) is missing: run 'swift build' before 'swift test' (make test does both)")
        }
        let modules = ["EmoPipeCore", "EmoPipeMedia", "EmoPipeAudio", "EmoPipeVideo", "EmoPipeFace", "EmoPipeEEG", "EmoPipeFusion",
                       "EmoPipeSinks", "EmoPipe", "emopipe"]
        for module in modules {
            let folder = debug + "/" + module + ".build"
            for file in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where file.hasSuffix(".o") {
                if let date = modificationDate(folder + "/" + file), date > built {
                    throw StaleBinary(description: "\(path) is older than the compiled \(module)/\(file): run 'swift build' before 'swift test' (make test does both)")
                }
            }
        }
        return path
    }

    private static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// Feeding a process that exits early (refusing its input) must fail the write with EPIPE,
    /// not kill the test runner with SIGPIPE.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Runs `emopipe arguments...` in the repository root, feeding `input` to its standard input.
    static func run(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        _ = ignoreBrokenPipes
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binaryPath())
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        let output = Pipe(), errors = Pipe(), feed = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input == nil ? FileHandle.nullDevice : feed
        try process.run()
        let collected = Collected()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { collected.output = output.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { collected.errors = errors.fileHandleForReading.readDataToEndOfFile() }
        if let input {
            DispatchQueue.global().async(group: group) {
                try? feed.fileHandleForWriting.write(contentsOf: input)
                try? feed.fileHandleForWriting.close()
            }
        }
        group.wait()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, standardOutput: collected.output,
                             standardError: String(decoding: collected.errors, as: UTF8.self))
    }

    private final class Collected: @unchecked Sendable {
        var output = Data()
        var errors = Data()
    }
}

/// The JSON objects of a JSON-lines text.
func jsonLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { line in
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(object as? [String: Any])
    }
}
