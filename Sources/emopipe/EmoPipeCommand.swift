import ArgumentParser
import EmoPipe
import EmoPipeCore
import Foundation
import Logging

@main
struct EmoPipeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emopipe",
        abstract: "Turns recordings of people into time-aligned features and emotion estimates.",
        discussion: "A YAML pipeline names the stages, their parameters and their wiring; see 'emopipe stages'.",
        version: EmoPipeVersion.current,
        subcommands: [RunCommand.self, StagesCommand.self, ValidateCommand.self, CalibrateCommand.self, TrainCommand.self, EvalCommand.self, MergeCommand.self, ReportCommand.self, NetworkCommand.self, ModelsCommand.self],
        defaultSubcommand: nil)

    /// As ParsableCommand's, but a command line that does not parse or validate exits with 2,
    /// the status the README gives a wrong command line (ArgumentParser's own is 64).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                let message = fullMessage(for: error)
                FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Sends log messages to stderr as `emopipe: level: input: stage: message`, once per line.
struct StandardErrorLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let context = ["input", "stage"].compactMap { merged[$0].map { "\($0)" } }
        let line = (["emopipe", "\(event.level)"] + context + ["\(event.message)"]).joined(separator: ": ") + "\n"
        StandardError.write(line)
    }
}
