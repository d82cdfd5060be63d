import ArgumentParser
import EmoPipe
import EmoPipeCore
import EmoPipeFusion
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Scores emopipe run outputs against labels (BAH's metric set).",
        discussion: """
            OUTPUT is a .jsonl file or a folder of them (emopipe run -o). Recording level: labels CSV \
            `file,label`; the label is an emotion category (scored on the recording's emotion) or 0/1 (scored \
            on ah_label, with the average precision of ah). Frame level: labels CSV `file,start,end[,label]`: \
            frames inside a segment take its label (1 when absent), frames outside are 0 for A/H and not scored \
            for emotions. Prints accuracy, macro-F1, weighted F1, per-class F1, UAR, confusion and AP; --json \
            writes them too.
            """)

    @Argument(help: "emopipe run outputs: .jsonl files or folders.")
    var outputs: [String]

    @Option(help: ArgumentHelp("Labels CSV.", valueName: "file.csv"))
    var labels: String

    @Option(help: "recording or frame.")
    var level = "recording"

    @Option(help: ArgumentHelp("Rename labels: old=new,... (repeatable).", valueName: "map"))
    var map: [String] = []

    @Option(help: ArgumentHelp("Also write the metrics as JSON here.", valueName: "file.json"))
    var json: String?

    func validate() throws {
        guard ["recording", "frame"].contains(level) else { throw ValidationError("--level is recording or frame") }
    }

    func run() throws {
        do {
            let table = try LabelTable(path: labels)
            let records = try PredictionRecords(paths: outputs)
            let renames = Dictionary(map.flatMap { $0.split(separator: ",") }.compactMap { pair -> (String, String)? in
                let parts = pair.split(separator: "=")
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }, uniquingKeysWith: { $1 })
            let fileIndex = try table.column("file")
            var truth: [String] = [], predicted: [String] = [], scores: [Double] = []
            var missing: [String] = []
            let binary: Bool
            if level == "recording" {
                let labelIndex = try table.column("label")
                let values = table.rows.map { renames[$0[labelIndex]] ?? $0[labelIndex] }
                binary = Set(values).isSubset(of: ["0", "1"])
                for (row, label) in zip(table.rows, values) {
                    guard let recording = records.find(row[fileIndex])?.recording else { missing.append(row[fileIndex]); continue }
                    truth.append(label)
                    predicted.append(binary ? String(recording.ahLabel) : recording.emotion ?? "none")
                    scores.append(recording.ah.isFinite ? recording.ah : 0)
                }
            } else {
                let start = try table.column("start"), end = try table.column("end")
                let labelIndex = table.header.firstIndex(of: "label")
                let values = table.rows.map { row in labelIndex.map { renames[row[$0]] ?? row[$0] } ?? "1" }
                binary = Set(values).isSubset(of: ["0", "1"])
                var segments: [String: [(Double, Double, String)]] = [:]
                for (row, label) in zip(table.rows, values) {
                    guard let a = Double(row[start]), let b = Double(row[end]) else { throw LabelError("\(labels): bad start/end in \(row)") }
                    segments[row[fileIndex], default: []].append((a, b, label))
                }
                for (file, spans) in segments.sorted(by: { $0.key < $1.key }) {
                    guard let output = records.find(file) else { missing.append(file); continue }
                    for frame in output.frames {
                        let inside = spans.first { frame.time >= $0.0 && frame.time < $0.1 }
                        if binary {
                            truth.append(inside?.2 ?? "0")
                            predicted.append(String(frame.ahLabel))
                            scores.append(frame.ah.isFinite ? frame.ah : 0)
                        } else if let inside {
                            truth.append(inside.2)
                            predicted.append(frame.emotion ?? "none")
                        }
                    }
                }
            }
            guard !truth.isEmpty else { throw LabelError("no labelled \(level) matched an output (missing: \(missing.prefix(3).joined(separator: ", ")))") }
            let classes = binary ? ["0", "1"] : EmotionCategory.allCases.map(\.rawValue).filter { Set(truth).contains($0) }
            let metrics = ClassificationMetrics(truth: truth, predicted: predicted, classes: classes,
                                                scores: binary ? scores : nil, positive: binary ? "1" : nil)
            var text = "emopipe eval: \(level) level, \(truth.count) scored" + (missing.isEmpty ? "" : ", \(missing.count) labelled without output") + "\n"
            text += MetricsTable.text(metrics)
            print(text, terminator: "")
            if let json {
                var object = MetricsTable.json(metrics, level: level)
                object["missing"] = missing
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                try data.write(to: URL(fileURLWithPath: json))
            }
        } catch let error as LabelError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(2)
        }
    }
}
