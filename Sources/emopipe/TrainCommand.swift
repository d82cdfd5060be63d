import ArgumentParser
import EmoPipe
import EmoPipeCore
import EmoPipeFusion
import EmoPipeTraining
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fits an estimator (a model file) from recordings and their labels.",
        discussion: """
            Runs PIPELINE's feature extraction on every file of the label table (a run pipeline such as \
            voice-affect runs up to --stream: the rows its estimator sees), takes every row of --stream (one per \
            3 s window with voice-affect's functionals; one over the whole input with voice-features'), \
            standardises them and fits a class-weighted multinomial logistic regression, each row labelled with \
            its recording's label. With groups (--group-column or --group-from), it first cross-validates \
            leaving one group (speaker, subject, corpus) out, deciding each held-out recording by the mean \
            log-probability of its rows as a run's recording record does, for each --l2 penalty, fits the one \
            with the best held-out UAR, and records UAR, accuracy, macro-F1 and binary arousal accuracy in the \
            model file.
            With subjects (--subject-from, --subjects or --subject-column), the model is trained calibrated: \
            every feature is z-scored within its subject first, the model file says calibrated: true (runs then \
            z-score against the subject's profile), the subjects are the cross-validation groups unless given, \
            and the cross-validation is scored both with and without the per-subject step.
            Example (the default voice model: four corpora, each held out whole in turn, speakers as subjects):
              C=../shared/data/speech/corpora; emopipe train --labels $C/ravdess/labels.csv --labels $C/savee/labels.csv \\
                --labels $C/emovo/labels.csv --labels $C/nemo/labels.csv --label-column emotion --group-column corpus \\
                --subject-column speaker --map calm=neutral --pipeline voice-affect --stream functionals \\
                -o Models/voice.json
            With --task ah, it fits the text A/H model instead: one 0/1 label per transcript, the words from \
            --text-column (text in the table) or from the transcript files of --file-column (.srt, .vtt, .json, \
            .txt), folds of whole people from --group-column (nested: penalty, feature scale and threshold chosen \
            inside each training set). Several --labels tables are joined. Example (BAH):
              emopipe train --task ah --labels ../shared/data/ah/bah/train.csv --labels ../shared/data/ah/bah/val.csv \\
                --label-column ah --text-column transcript --group-column participant -o Models/ah-text.json
            """)

    @Option(help: ArgumentHelp("CSV with a header: one row per recording (repeatable with --task ah).", valueName: "file.csv"))
    var labels: [String]

    @Option(help: "emotion (categories or a --target dimension from recordings) or ah (the text A/H model from transcripts).")
    var task = "emotion"

    @Option(help: ArgumentHelp("With --task ah: the column holding each answer's transcript text (else --file-column names transcript files).", valueName: "column"))
    var textColumn: String?

    @Option(help: "With --task ah: person folds of the nested cross-validation.")
    var folds = 5

    @Option(help: "With --task ah: terms in fewer training transcripts are left out of the vocabulary.")
    var minDocumentFrequency = 2

    @Option(help: ArgumentHelp("With --task ah: the L2 penalties to choose from, comma-separated.", valueName: "list"))
    var l2Grid = "1e-4,3e-4,1e-3,3e-3"

    @Option(help: ArgumentHelp("With --task ah: the hesitation features' scales to choose from (0 leaves them out), comma-separated.", valueName: "list"))
    var featureScales = "0,0.03,0.1"

    @Option(help: "With --task ah: gradient steps per fit.")
    var iterations = 2000

    @Option(help: "Column with the recording's path (relative to --root).")
    var fileColumn = "file"

    @Option(help: "Column with the label.")
    var labelColumn = "label"

    @Option(help: "Column with the group for cross-validation (speaker, subject).")
    var groupColumn: String?

    @Option(help: ArgumentHelp("Group from the file path instead: the regex's first capture group.", valueName: "regex"))
    var groupFrom: String?

    @Option(help: ArgumentHelp("Folder the file paths are relative to (default: the label file's folder).", valueName: "folder"))
    var root: String?

    @Option(help: ArgumentHelp("Rename labels: old=new,... (repeatable), e.g. calm=neutral.", valueName: "map"))
    var map: [String] = []

    @Option(help: "Feature pipeline: a .yaml file or a stored pipeline's name.")
    var pipeline = "voice-features"

    @Option(help: "The stream whose rows are a recording's features (every row: one per window, or one over the whole input).")
    var stream = "functionals"

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a parameter of the feature pipeline: stage_id.parameter=value (repeatable), e.g. functionals.window_s=3 to train on the windows voice-affect estimates from.", valueName: "id.param=value"))
    var overrides: [String] = []

    @Option(help: "The modality the model estimates (face, voice, eeg, text).")
    var modality = "voice"

    @Option(help: "The model's name (default: voice-4corpora, or ah-text with --task ah).")
    var name: String?

    @OptionGroup(title: "Subjects (calibrated training)")
    var subjectOptions: SubjectOptions

    @Option(help: ArgumentHelp("Subjects from this column of the label table (calibrated training).", valueName: "column"))
    var subjectColumn: String?

    @Option(help: ArgumentHelp("Fit a regression head instead of classes: valence, arousal or dominance (labels are numbers in [-1, 1]); ridge regression.", valueName: "dimension"))
    var target: String?

    @Option(help: "Ridge penalty for --target.")
    var ridge = 10.0

    @Option(help: ArgumentHelp("L2 penalties on the coefficients (per row), comma-separated: with groups, the one with the best held-out UAR is fitted (the mean over groups when they are corpora).", valueName: "list"))
    var l2 = "0.003,0.01,0.03,0.1"

    @Option(help: "Recordings processed in parallel.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .shortAndLong, help: ArgumentHelp("The model file to write.", valueName: "model.json"))
    var output: String

    func validate() throws {
        guard ["emotion", "ah"].contains(task) else { throw ValidationError("--task is emotion or ah") }
        guard !labels.isEmpty else { throw ValidationError("give a --labels table") }
        guard folds >= 2 else { throw ValidationError("--folds must be at least 2") }
        guard Modality(rawValue: modality) != nil else { throw ValidationError("--modality must be face, voice, eeg or text") }
        if let target, !["valence", "arousal", "dominance"].contains(target) { throw ValidationError("--target is valence, arousal or dominance") }
        guard groupColumn == nil || groupFrom == nil else { throw ValidationError("give --group-column or --group-from, not both") }
        guard !(subjectOptions.isGiven && subjectColumn != nil) else {
            throw ValidationError("give one of --subject-from, --subjects and --subject-column")
        }
        for entry in map.flatMap({ $0.split(separator: ",") }) where entry.split(separator: "=").count != 2 {
            throw ValidationError("--map takes old=new pairs, not '\(entry)'")
        }
        // Every setting checked before any work: a non-finite penalty would never converge.
        guard ridge.isFinite, ridge >= 0 else { throw ValidationError("--ridge takes a finite non-negative number, not \(ridge)") }
        guard minDocumentFrequency >= 1 else { throw ValidationError("--min-document-frequency must be at least 1") }
        guard iterations >= 1, iterations <= 1_000_000 else { throw ValidationError("--iterations must be 1...1000000") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        for (list, option, maximum) in [(l2, "--l2", 1e6), (l2Grid, "--l2-grid", 1e6), (featureScales, "--feature-scales", 100)] {
            do { _ = try Self.numbers(list, option, maximum: maximum) } catch { throw ValidationError("\(error)") }
        }
        if let groupFrom {
            do {
                let regex = try NSRegularExpression(pattern: groupFrom)
                guard regex.numberOfCaptureGroups >= 1 else { throw ValidationError("--group-from '\(groupFrom)' needs a capture group: the group is its first") }
            } catch let error as ValidationError {
                throw error
            } catch {
                throw ValidationError("--group-from '\(groupFrom)' is not a regular expression")
            }
        }
        // The model file can be written: its folder exists and it is not a folder.
        let folder = URL(fileURLWithPath: output).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue,
              FileManager.default.isWritableFile(atPath: folder) else {
            throw ValidationError("-o \(output): the folder \(folder) does not exist or cannot be written")
        }
        if FileManager.default.fileExists(atPath: output, isDirectory: &isFolder), isFolder.boolValue {
            throw ValidationError("-o \(output) is a folder; give the model file's path")
        }
    }

    func run() throws {
        do {
            if task == "ah" { return try trainAmbivalence() }
            let regex = try groupFrom.map { try NSRegularExpression(pattern: $0) }
            let renames = Dictionary(map.flatMap { $0.split(separator: ",") }.map { pair -> (String, String) in
                let parts = pair.split(separator: "=")
                return (String(parts[0]), String(parts[1]))
            }, uniquingKeysWith: { $1 })
            let assignment = try subjectOptions.assignment()
            // Several tables (one per corpus) are joined; each table's paths are relative to its folder.
            var examples: [ModelTrainer.Example] = []
            for labels in self.labels {
                let table = try LabelTable(path: labels)
                let fileIndex = try table.column(fileColumn), labelIndex = try table.column(labelColumn)
                let groupIndex = try groupColumn.map { try table.column($0) }
                let base = root ?? URL(fileURLWithPath: labels).deletingLastPathComponent().path
                let subjectIndex = try subjectColumn.map { try table.column($0) }
                examples += try table.rows.enumerated().compactMap { number, row -> ModelTrainer.Example? in
                    let file = row[fileIndex]
                    // A row without a label (a blank cell) is no example.
                    let label = row[labelIndex].trimmingCharacters(in: .whitespaces)
                    if label.isEmpty || file.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
                    if target != nil {
                        guard let value = Double(label), value.isFinite, (-1...1).contains(value) else {
                            throw LabelError("\(labels):\(number + 2): a --target label is a number in [-1, 1], not '\(label)'")
                        }
                    }
                    var subject = subjectIndex.map { row[$0] }
                    if let assignment {
                        switch assignment.subject(of: InputLocation(path: file, relativePath: file)) {
                        case .success(let found): subject = found
                        case .failure(let error): throw error
                        }
                    }
                    var group = groupIndex.map { row[$0] } ?? subject ?? "all"
                    if let regex {
                        guard let match = regex.firstMatch(in: file, range: NSRange(file.startIndex..., in: file)), match.numberOfRanges > 1,
                              let range = Range(match.range(at: 1), in: file) else {
                            throw LabelError("\(file): --group-from '\(groupFrom!)' does not match")
                        }
                        group = String(file[range])
                    }
                    let path = file.hasPrefix("/") ? file : base + "/" + file
                    return ModelTrainer.Example(path: path, label: renames[label] ?? label, group: group, subject: subject)
                }
            }
            // A table that can train nothing is refused before any recording is read.
            guard !examples.isEmpty else { throw LabelError("\(labels.joined(separator: ", ")): no labelled rows to train on") }
            if target == nil {
                let classes = Set(examples.map(\.label))
                guard classes.count >= 2 else {
                    throw LabelError("\(labels.joined(separator: ", ")): every row has the label '\(classes.first ?? "")'; a classifier needs two classes or more")
                }
            }
            let registry = BuiltinStages.registry
            let graph = try PipelineArguments.load(pipeline, registry: registry, overrides: overrides)
            var trainer = ModelTrainer(registry: registry, graph: graph, stream: stream, jobs: jobs, l2: try Self.numbers(l2, "--l2"))
            trainer.overrides = overrides
            let data = "\(examples.count) recordings listed in "
                + labels.map { URL(fileURLWithPath: $0).deletingLastPathComponent().lastPathComponent + "/" + URL(fileURLWithPath: $0).lastPathComponent }
                    .joined(separator: ", ")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            if let target {
                let result = try trainer.trainRegression(examples, target: target, name: name ?? "voice-\(target)", modality: Modality(rawValue: modality)!,
                                                         data: data, lambda: ridge)
                for error in result.failed { StandardError.write("skipped: \(error)\n") }
                try (encoder.encode(result.model) + Data("\n".utf8)).write(to: URL(fileURLWithPath: output))
                var text = "emopipe train: \(result.model.features.count) features, \(target) by ridge regression\n"
                if let r = result.pearson, let rmse = result.rmse {
                    text += String(format: "leave-one-group-out: Pearson r %.3f, RMSE %.3f\n", r, rmse)
                }
                print(text + "wrote \(output)")
                return
            }
            let report = try trainer.train(examples, name: name ?? "voice-4corpora", modality: Modality(rawValue: modality)!, data: data)
            for error in report.failed { StandardError.write("skipped: \(error)\n") }
            try (encoder.encode(report.model) + Data("\n".utf8)).write(to: URL(fileURLWithPath: output))
            var text = "emopipe train: \(report.model.features.count) features, classes \(report.model.classes.joined(separator: ", "))\n"
            if let cv = report.crossValidation {
                text += String(format: "leave-one-group-out: UAR %.3f, accuracy %.3f, macro-F1 %.3f", cv.unweightedAverageRecall, cv.accuracy, cv.macroF1)
                if let arousal = report.arousalAccuracy { text += String(format: ", binary arousal accuracy %.3f", arousal) }
                if let fitted = report.model.provenance.scores["cv_binary_arousal_accuracy_fitted_head"] { text += String(format: " (fitted arousal head %.3f)", fitted) }
                if report.model.calibrated { text += " (calibrated per subject)" }
                text += "\n" + MetricsTable.text(cv)
            }
            for score in report.perGroup {
                text += String(format: "held out %@%@: UAR %.3f over its %d classes, binary arousal %.3f, largest share of its predictions %.2f\n",
                               score.group, score.calibrated ? " (calibrated)" : (report.model.calibrated ? " (uncalibrated)" : ""),
                               score.metrics.unweightedAverageRecall, score.metrics.classes.count, score.arousal, score.largestPredictedShare)
                text += MetricsTable.text(score.metrics)
            }
            if report.penalties.count > 1 {
                text += "L2 penalty by held-out UAR: " + report.penalties.map { String(format: "%g %.3f", $0.l2, $0.uar) }.joined(separator: ", ")
                    + String(format: "; fitted with %g\n", report.model.provenance.scores["l2"] ?? .nan)
            }
            if let uncalibrated = report.uncalibratedCrossValidation, let arousal = report.uncalibratedArousalAccuracy {
                text += String(format: "without calibration: UAR %.3f, accuracy %.3f, macro-F1 %.3f, binary arousal accuracy %.3f\n",
                               uncalibrated.unweightedAverageRecall, uncalibrated.accuracy, uncalibrated.macroF1, arousal)
            }
            text += "wrote \(output)\n"
            print(text, terminator: "")
        } catch let error as LabelError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(2)
        } catch let error as StageError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(1)
        } catch let error as PipelineError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(2)
        }
    }
}

extension TrainCommand {
    /// A bound as a user types it (1e6 as 1000000, 100 as 100).
    static func shown(_ value: Double) -> String { value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value) }

    /// A comma-separated list of non-negative numbers up to `maximum` (an option's grid).
    static func numbers(_ list: String, _ option: String, maximum: Double = 1e6) throws -> [Double] {
        let values = list.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite && $0! >= 0 && $0! <= maximum }) else {
            throw LabelError("\(option) takes comma-separated finite numbers in 0...\(Self.shown(maximum)), not '\(list)'")
        }
        return values.map { $0! }
    }

    /// `--task ah`: the text A/H model from labelled transcripts.
    func trainAmbivalence() throws {
        var examples: [AmbivalenceTrainer.Example] = []
        for path in labels {
            let table = try LabelTable(path: path)
            let labelIndex = try table.column(labelColumn)
            let groupIndex = try table.column(groupColumn ?? "participant")
            let textIndex = try textColumn.map { try table.column($0) }
            let fileIndex = textIndex == nil ? try table.column(fileColumn) : nil
            let base = root ?? URL(fileURLWithPath: path).deletingLastPathComponent().path
            for (number, row) in table.rows.enumerated() {
                guard let value = Int(row[labelIndex].trimmingCharacters(in: .whitespaces)), value == 0 || value == 1 else {
                    throw LabelError("\(path):\(number + 2): the A/H label must be 0 or 1, not '\(row[labelIndex])'")
                }
                var tally = TextTally()
                if let textIndex {
                    tally.add(row[textIndex])
                } else if let fileIndex {
                    let file = row[fileIndex].hasPrefix("/") ? row[fileIndex] : base + "/" + row[fileIndex]
                    for segment in try TranscriptParser.read(path: file) {
                        tally.add(segment.words.isEmpty ? segment.text : segment.words.map(\.text).joined(separator: " "),
                                  seconds: segment.end - segment.start)
                    }
                }
                examples.append(.init(tally: tally, label: value == 1, group: row[groupIndex]))
            }
        }
        // A table that can train nothing is refused before any work.
        guard !examples.isEmpty else { throw LabelError("\(labels.joined(separator: ", ")): no labelled rows to train on") }
        guard examples.contains(where: \.label), examples.contains(where: { !$0.label }) else {
            throw LabelError("\(labels.joined(separator: ", ")): every row has the A/H label \(examples[0].label ? 1 : 0); training needs both 0 and 1")
        }
        let people = Set(examples.map(\.group)).count
        guard people >= folds else {
            throw LabelError("\(labels.joined(separator: ", ")): \(people) people for \(folds) person folds; give --folds \(max(2, people)) or more people")
        }
        var trainer = AmbivalenceTrainer()
        trainer.folds = folds
        trainer.minimumDocumentFrequency = minDocumentFrequency
        trainer.iterations = iterations
        trainer.l2Grid = try Self.numbers(l2Grid, "--l2-grid")
        trainer.featureScaleGrid = try Self.numbers(featureScales, "--feature-scales", maximum: 100)
        let names = labels.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: " + ")
        let data = "\(examples.count) transcripts by \(people) people (\(names)), \(examples.filter(\.label).count) labelled A/H"
        let report = try trainer.train(examples, name: name ?? "ah-text", data: data) { print($0) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try (encoder.encode(report.model) + Data("\n".utf8)).write(to: URL(fileURLWithPath: output))
        let ap = report.folds.map(\.averagePrecision), f1 = report.folds.map(\.macroF1)
        var text = "emopipe train: A/H text model, \(report.model.vocabulary.count) terms + \(report.model.features.count) features\n"
        text += String(format: "person folds: AP %.3f (mean of folds %.3f, %.3f-%.3f), macro-F1 %.3f (mean of folds %.3f, %.3f-%.3f)\n",
                       report.pooled.averagePrecision ?? 0, ap.reduce(0, +) / Double(ap.count), ap.min() ?? 0, ap.max() ?? 0,
                       report.pooled.macroF1, f1.reduce(0, +) / Double(f1.count), f1.min() ?? 0, f1.max() ?? 0)
        text += MetricsTable.text(report.pooled)
        text += String(format: "shipped threshold %.2f; wrote %@\n", report.model.threshold, output)
        print(text, terminator: "")
    }
}

/// Metrics as a text table.
enum MetricsTable {
    static func text(_ metrics: ClassificationMetrics) -> String {
        var lines = ["class        precision  recall  f1     support"]
        for (index, name) in metrics.classes.enumerated() {
            lines.append(name.padding(toLength: 12, withPad: " ", startingAt: 0)
                + String(format: " %9.3f  %6.3f  %5.3f  %7d", metrics.precision[index], metrics.recall[index], metrics.f1[index], metrics.support[index]))
        }
        lines.append(String(format: "accuracy %.3f  macro-F1 %.3f  weighted-F1 %.3f  UAR %.3f", metrics.accuracy, metrics.macroF1,
                            metrics.weightedF1, metrics.unweightedAverageRecall))
        if let ap = metrics.averagePrecision { lines.append(String(format: "average precision of the positive class %.3f", ap)) }
        lines.append("confusion (rows true, columns predicted, in class order):")
        for row in metrics.confusion { lines.append("  " + row.map { String(format: "%5d", $0) }.joined()) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ metrics: ClassificationMetrics, level: String) -> [String: Any] {
        var object: [String: Any] = [
            "level": level, "classes": metrics.classes, "accuracy": metrics.accuracy, "macro_f1": metrics.macroF1,
            "weighted_f1": metrics.weightedF1, "uar": metrics.unweightedAverageRecall,
            "per_class_f1": Dictionary(uniqueKeysWithValues: zip(metrics.classes, metrics.f1)),
            "support": Dictionary(uniqueKeysWithValues: zip(metrics.classes, metrics.support)), "confusion": metrics.confusion,
        ]
        if let ap = metrics.averagePrecision { object["average_precision"] = ap }
        return object
    }
}
