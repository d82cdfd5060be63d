import ArgumentParser
import EmoPipe
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Writes one self-contained HTML report of emopipe run outputs.",
        discussion: "Per recording: valence, arousal and A/H timelines with A/H segments shaded and the top emotion per frame; for a batch, a sortable table. No network access needed to view it.")

    @Argument(help: "emopipe run outputs: .jsonl files or folders.")
    var outputs: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("The HTML file to write.", valueName: "report.html"))
    var output: String

    @Option(help: "The report's title.")
    var title = "EmoPipe report"

    func run() throws {
        do {
            let records = try PredictionRecords(paths: outputs)
            guard !records.files.isEmpty else { throw LabelError("no .jsonl outputs in \(outputs.joined(separator: " "))") }
            try HTMLReport.render(records, title: title).write(toFile: output, atomically: true, encoding: .utf8)
            print("emopipe report: \(records.files.count) recordings -> \(output)")
        } catch let error as LabelError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(1)
        }
    }
}
