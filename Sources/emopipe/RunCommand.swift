import ArgumentParser
import Dispatch
import EmoPipe
import EmoPipeCore
import Foundation
import Logging

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs a pipeline on files, folders or standard input.",
        discussion: """
            The first argument is the pipeline when it ends in .yaml/.yml or names a stored pipeline \
            (\(DefaultPipelines.names.joined(separator: ", "))); without one, each input gets the stored \
            default for its type. INPUT is a file, a folder (walked recursively for files the pipeline's \
            source reads) or '-' for standard input.
            Exit status: 0 all inputs done, 1 some input failed, 2 the pipeline or the command line is wrong, \
            130 interrupted.
            """)

    @Argument(help: ArgumentHelp("[PIPELINE] INPUT...", valueName: "argument"))
    var arguments: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("Write outputs under this folder, mirroring the inputs' paths.", valueName: "folder"))
    var output: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a parameter: stage_id.parameter=value (repeatable).", valueName: "id.param=value"))
    var overrides: [String] = []

    @Option(help: "Inputs processed in parallel.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "With -o: redo inputs the results database already has as done with the same configuration.")
    var force = false

    @Option(help: ArgumentHelp("Process only shard K of N (a deterministic share of the inputs); also from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX.", valueName: "K/N"))
    var shard: String?

    @Option(help: "Number of shards when the shard index comes from JOB_COMPLETION_INDEX (Kubernetes indexed Jobs).")
    var shardCount: Int?

    @Flag(help: "Live mode for any input: causal timing (as for standard input and pipes), and when a stage falls behind real time its video edge sheds the oldest queued frames (counted and reported) instead of holding back the source; estimates are never shed.")
    var realtime = false

    @Option(help: ArgumentHelp("Also write an interim recording record every S seconds of input (aggregate.recording's summary_every_s), for live dashboards.", valueName: "S"))
    var summaryEvery: Double?

    @Flag(help: "Report the input-to-record latency (median and 99th percentile) of each input at exit.")
    var latency = false

    @OptionGroup(title: "Subject calibration")
    var subjectOptions: SubjectOptions

    @Option(help: ArgumentHelp("Calibrate every input with this subject's profile (emopipe calibrate), e.g. a live session of a known person.", valueName: "subject.profile"))
    var profile: String?

    @Flag(name: .shortAndLong, help: "Also log informational messages.")
    var verbose = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        if let summaryEvery, !(summaryEvery > 0) { throw ValidationError("--summary-every takes a positive number of seconds") }
        guard !PipelineArguments(arguments).inputs.isEmpty else { throw ValidationError("give at least one INPUT (a file, a folder, or - for standard input)") }
        guard !(subjectOptions.isGiven && profile != nil) else {
            throw ValidationError("give one of --subject-from, --subjects and --profile")
        }
        var isFolder: ObjCBool = false
        if let output, FileManager.default.fileExists(atPath: output, isDirectory: &isFolder), !isFolder.boolValue {
            throw ValidationError("-o \(output) is a file: -o names the output folder")
        }
    }

    func run() throws {
        let logLevel: Logger.Level = verbose ? .info : .notice
        LoggingSystem.bootstrap { _ in StandardErrorLogHandler(logLevel: logLevel) }
        let parsed = PipelineArguments(arguments)
        let inputArguments = parsed.inputs
        let registry = BuiltinStages.registry
        let (choice, extensions) = try parsed.choice(registry: registry, overrides: overrides + summaryOverrides(parsed, registry: registry))

        let interruption = CancellationFlag()
        let signals = SignalHandling.drainOnInterrupt(interruption)
        defer { signals.cancel() }

        let expansion = InputDiscovery.discover(inputArguments, extensions: extensions, byContent: choice.walksByContent)
        var items = expansion.items
        // Subject calibration: who each input records, or one profile for all.
        var subjectOf: [String: String] = [:]
        let givenProfile: SubjectProfile?
        do {
            givenProfile = try profile.map { try SubjectProfile.load(path: $0) }
            if let assignment = try subjectOptions.assignment() {
                items = items.map { item in
                    guard case .input(let location) = item else { return item }
                    switch assignment.subject(of: location) {
                    case .success(let subject):
                        subjectOf[location.relativePath] = subject
                        return item
                    case .failure(let error):
                        return .unusable(path: location.path, reason: "no subject: \(error)")
                    }
                }
            }
            if let givenProfile, let path = profile {
                try CalibrationCheck.check(givenProfile, path: path, choice: choice,
                                           inputs: items.compactMap { if case .input(let location) = $0 { location } else { nil } }, registry: registry)
            }
            if givenProfile != nil || subjectOptions.isGiven {
                try CalibrationCheck.check(choice, inputs: items.compactMap { if case .input(let location) = $0 { location } else { nil } },
                                           registry: registry)
            }
        } catch let error where error is LabelError || error is StageError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(2)
        }
        let selectedShard: Shard?
        do {
            selectedShard = try shard.map { try Shard(parsing: $0) } ?? Shard.fromEnvironment(ProcessInfo.processInfo.environment, count: shardCount)
        } catch let error as ShardError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(2)
        }
        if let selectedShard {
            // A subject's inputs stay in one shard, so its baselines pool all of them.
            items = items.filter { item in
                switch item {
                case .input(let location): return selectedShard.contains(subjectOf[location.relativePath].map { "subject:" + $0 } ?? location.relativePath)
                case .unusable(let path, _): return selectedShard.contains(path)
                }
            }
        }
        if items.isEmpty && selectedShard == nil {
            StandardError.write("error: no input files found in \(inputArguments.joined(separator: " "))\n"
                                + PassedOverList(expansion.passedOver).text)
            throw ExitCode(1)
        }
        let runner = BatchRunner(registry: registry, pipeline: choice, jobs: jobs, outputDirectory: output,
                                 logger: Logger(label: "emopipe"), interruption: interruption, realtime: realtime)
        // Each input's calibration: the given profile, or its subject's (a first pass gathers
        // those, or finds them kept under OUT/subjects from an earlier run).
        var calibrationOf: [String: Calibration] = [:]
        if let givenProfile {
            for case .input(let location) in items { calibrationOf[location.relativePath] = .apply(givenProfile) }
        } else if !subjectOf.isEmpty {
            var bySubject: [String: [InputLocation]] = [:]
            for case .input(let location) in items { bySubject[subjectOf[location.relativePath]!, default: []].append(location) }
            let calibration = SubjectCalibration(registry: registry, pipeline: choice, jobs: jobs, interruption: interruption)
            let cacheFolder = output.map { $0 + "/subjects" }
            let (kept, pending) = calibration.kept(for: bySubject, cacheFolder: cacheFolder)
            let firstPass = BatchProgress(total: pending.reduce(0) { $0 + $1.inputs.count }, skipped: 0, label: "calibration pass")
            let gathered: [String: SubjectProfile]?
            do {
                gathered = try calibration.profiles(for: pending, cacheFolder: cacheFolder) { firstPass.finished($0) }
            } catch let error as StageError {
                StandardError.write("error: \(error)\n")
                throw ExitCode(1)
            }
            firstPass.end()
            guard let profiles = gathered?.merging(kept, uniquingKeysWith: { new, _ in new }) else {
                StandardError.write("emopipe: interrupted in the calibration pass; nothing was written\n")
                throw ExitCode(130)
            }
            for (subject, inputs) in bySubject {
                for input in inputs { calibrationOf[input.relativePath] = .apply(profiles[subject]!) }
            }
            StandardError.write(CalibrationSummary(profiles: profiles, inputs: bySubject, kept: kept.count).text)
        }
        // With -o: the results database, and the inputs it already has as done (resume).
        var database: ResultsDatabase?
        var skipped = 0
        // Inputs an earlier process died with: run again last, one at a time; after a second
        // death, failed with the reason.
        var serialTail = 0
        var diedWith: [InputResult] = []
        if let output {
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
                let name = selectedShard.map { "emopipe-shard-\($0.index)-of-\($0.count).sqlite" } ?? "emopipe.sqlite"
                let opened = try ResultsDatabase(path: output + "/" + name)
                database = opened
                // The configuration an input would run with now, as its row records it.
                let currentHash = { (location: InputLocation) -> String? in
                    (try? runner.graph(for: location)).map { (calibrationOf[location.relativePath] ?? .none).configHash($0.configHash) }
                }
                if !force {
                    let done = Dictionary(try opened.rows().filter { $0.status == "done" }.map { ($0.input, $0.configHash) },
                                          uniquingKeysWith: { $1 })
                    items = items.filter { item in
                        guard case .input(let location) = item, let hash = done[location.relativePath],
                              currentHash(location) == hash else { return true }
                        skipped += 1
                        return false
                    }
                }
                let triage = try CrashTriage(items: items, database: opened, output: output, force: force, configHash: currentHash)
                items = triage.items
                serialTail = triage.serialTail
                diedWith = triage.failed
                CrashNote.install(databasePath: opened.path)
            } catch let error as DatabaseError {
                StandardError.write("error: \(error)\n")
                throw ExitCode(1)
            }
        }
        let progress = BatchProgress(total: items.count, skipped: skipped)
        let started = DispatchTime.now()
        let resultsDatabase = database, count = items.count, outputFolder = output
        let calibrations = items.map { item -> Calibration in
            guard case .input(let location) = item else { return .none }
            return calibrationOf[location.relativePath] ?? .none
        }
        let results = diedWith + runner.run(items, calibrations: calibrations, serialTail: serialTail, started: { location, pipeline, configHash in
            guard let resultsDatabase else { return }
            do {
                try resultsDatabase.markStarted(input: location.relativePath, pipeline: pipeline, configHash: configHash,
                                                at: ISO8601DateFormatter().string(from: Date()))
            } catch {
                StandardError.write("error: \(error)\n")
            }
        }, completed: { result in
            if result.status == .failed, let error = result.error { StandardError.write("error: \(error)\n") }
            if let resultsDatabase {
                do {
                    // An interrupted input is recorded as such (not as a process that died with it).
                    try resultsDatabase.record(ResultsDatabase.Row(
                        input: result.relativePath.isEmpty ? result.input : result.relativePath, status: result.status.rawValue,
                        error: result.error, pipeline: result.pipeline, configHash: result.configHash, version: EmoPipeVersion.current,
                        seconds: result.seconds, mediaSeconds: result.mediaSeconds,
                        recording: outputFolder.flatMap { RecordingLookup.recordingJSON(in: $0, relativePath: result.relativePath) },
                        finishedAt: ISO8601DateFormatter().string(from: Date()),
                        subject: result.subject.isEmpty ? nil : result.subject, calibration: result.calibration))
                } catch {
                    StandardError.write("error: \(error)\n")
                }
            }
            if count > 1 { progress.finished(result) }
        })
        progress.end()
        if let database { CrashNote.remove(databasePath: database.path) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        if realtime {
            for result in results {
                let total = result.dropped.values.reduce(0, +)
                let detail = result.dropped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                let name = result.relativePath.isEmpty ? result.input : result.relativePath
                guard result.status == .done || total > 0 else { continue }
                StandardError.write(total == 0 ? "emopipe: realtime \(name): kept pace, nothing shed\n"
                    : "emopipe: realtime \(name): dropped \(total) video frames (\(detail): those stages fell behind real time; the oldest queued frames went first)\n")
            }
        }
        if latency {
            for result in results {
                guard let summary = result.latency else { continue }
                StandardError.write("emopipe: latency \(result.relativePath.isEmpty ? result.input : result.relativePath): "
                    + "p50 \(summary.p50Milliseconds) ms, p95 \(summary.p95Milliseconds) ms, p99 \(summary.p99Milliseconds) ms over \(summary.records) records"
                    + (summary.words.map { "; words from each segment's end: p50 \($0.p50Milliseconds) ms, p95 \($0.p95Milliseconds) ms, p99 \($0.p99Milliseconds) ms over \($0.segments) segments" } ?? "")
                    + "\n")
            }
        }
        let failed = results.filter { $0.status == .failed }
        let interrupted = results.contains { $0.status == .interrupted }
        if results.count > 1 || interrupted || skipped > 0 || !expansion.passedOver.isEmpty {
            StandardError.write(RunSummary(results: results, seconds: seconds, skipped: skipped).text
                                + PassedOverList(expansion.passedOver).text)
        }
        if interrupted { throw ExitCode(130) }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}

/// What the calibration pass found, one line per subject that fell back somewhere.
struct CalibrationSummary {
    let profiles: [String: SubjectProfile]
    let inputs: [String: [InputLocation]]
    /// Subjects whose profile an earlier run kept.
    let kept: Int

    var text: String {
        var lines = ["emopipe: subject calibration: \(profiles.count) subject\(profiles.count == 1 ? "" : "s"), "
            + "\(inputs.values.reduce(0) { $0 + $1.count }) inputs" + (kept > 0 ? ", \(kept) profile\(kept == 1 ? "" : "s") kept from an earlier run" : "")]
        for subject in profiles.keys.sorted() where !profiles[subject]!.omitted.isEmpty {
            let reasons = profiles[subject]!.omitted.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            lines.append("  subject \(subject) stays uncalibrated for \(reasons) (estimated uncalibrated there)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The files folder walks passed over, by reason: each reason once with up to `shown` of its
/// files (a folder of videos with a metadata file beside each would list thousands).
struct PassedOverList {
    let passedOver: [PassedOver]
    var shown = 10

    init(_ passedOver: [PassedOver]) { self.passedOver = passedOver }

    var text: String {
        guard !passedOver.isEmpty else { return "" }
        var reasons: [String] = []
        var files: [String: [String]] = [:]
        for item in passedOver {
            if files[item.reason] == nil { reasons.append(item.reason) }
            files[item.reason, default: []].append(item.path)
        }
        var lines = ["emopipe: \(passedOver.count) file\(passedOver.count == 1 ? "" : "s") in the folders passed over (not recordings or transcripts; name a file to use it anyway):"]
        for reason in reasons {
            let paths = files[reason]!
            if paths.count == 1 {
                lines.append("  skipped: \(paths[0]): \(reason)")
            } else {
                lines.append("  skipped \(paths.count): \(reason):")
                lines += paths.prefix(shown).map { "    \($0)" }
                if paths.count > shown { lines.append("    ... and \(paths.count - shown) more") }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The end-of-run table: counts, then every input that did not finish, with its reason.
struct RunSummary {
    let results: [InputResult]
    let seconds: Double
    var skipped = 0

    var text: String {
        let done = results.filter { $0.status == .done }
        let failed = results.filter { $0.status == .failed }
        let interrupted = results.filter { $0.status == .interrupted }
        let media = done.reduce(0) { $0 + $1.mediaSeconds }
        var lines = ["emopipe: \(results.count) inputs: \(done.count) done, \(failed.count) failed, \(interrupted.count) interrupted"
            + (skipped > 0 ? ", \(skipped) skipped (already done)" : "") + "; " + String(format: "%.1f s of media in %.1f s", media, seconds)]
        for result in failed { lines.append("  failed: \(result.error ?? result.input)") }
        for result in interrupted { lines.append("  interrupted: \(result.input)") }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension RunCommand {
    /// `--summary-every S` as overrides: `summary_every_s` of every aggregate.recording stage (the
    /// stored pipelines call theirs `recording`).
    func summaryOverrides(_ parsed: PipelineArguments, registry: StageRegistry) -> [String] {
        guard let summaryEvery else { return [] }
        var ids = ["recording"]
        if let pipeline = parsed.pipeline {
            let graph = try? PipelineArguments.load(pipeline, registry: registry)
            // A broken pipeline is reported by the run itself.
            ids = graph?.nodes.filter { $0.descriptor.name == "aggregate.recording" }.map(\.id) ?? []
        }
        return ids.map { "\($0).summary_every_s=\(summaryEvery)" }
    }
}
