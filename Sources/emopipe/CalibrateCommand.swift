import ArgumentParser
import EmoPipe
import EmoPipeCore
import Foundation
import Logging

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Writes one subject's baselines (a profile) from recordings of that person.",
        discussion: """
            Runs PIPELINE on every INPUT (files or folders of one person) and pools what its per-person stages \
            keep: the moments of every calibrated estimator's input features and the face's calm-frame neutral \
            geometry. The inputs are pooled in path order, so the profile does not depend on their order or on \
            --jobs. Use it with 'emopipe run --profile FILE', e.g. for a live session:
              emopipe calibrate Pipelines/av-affect.yaml p01/*.mp4 -o p01.profile
              ffmpeg -i /dev/video0 -f nut - | emopipe run Pipelines/av-affect.yaml - --profile p01.profile
            Baselines with too little data (under 10 feature rows, or 50 face frames) are left out and named; \
            runs then estimate uncalibrated there (a model's uncalibrated heads, the face's running neutral).
            Exit status: 0 written, 1 some input failed (the profile pools the others) or none could be read, \
            2 the pipeline or the command line is wrong.
            """)

    @Argument(help: ArgumentHelp("[PIPELINE] INPUT...", valueName: "argument"))
    var arguments: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("The profile to write.", valueName: "subject.profile"))
    var output: String

    @Option(help: "The subject's name in the profile (default: the profile's file name without extension).")
    var subject: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a parameter: stage_id.parameter=value (repeatable).", valueName: "id.param=value"))
    var overrides: [String] = []

    @Option(help: "Inputs processed in parallel.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard !PipelineArguments(arguments).inputs.isEmpty else { throw ValidationError("give at least one INPUT recording of the subject") }
    }

    func run() throws {
        LoggingSystem.bootstrap { _ in StandardErrorLogHandler(logLevel: .notice) }
        let parsed = PipelineArguments(arguments)
        let registry = BuiltinStages.registry
        let (choice, extensions) = try parsed.choice(registry: registry, overrides: overrides)
        let items = InputDiscovery.expand(parsed.inputs, extensions: extensions, byContent: choice.walksByContent)
        var inputs: [InputLocation] = []
        var failures: [String] = []
        for item in items {
            switch item {
            case .input(let location): inputs.append(location)
            case .unusable(let path, let reason): failures.append(RunError(input: path, message: reason).description)
            }
        }
        do {
            try CalibrationCheck.check(choice, inputs: inputs, registry: registry)
        } catch {
            StandardError.write("error: \(error)\n")
            throw ExitCode(2)
        }
        let interruption = CancellationFlag()
        let signals = SignalHandling.drainOnInterrupt(interruption)
        defer { signals.cancel() }
        let calibration = SubjectCalibration(registry: registry, pipeline: choice, jobs: jobs, interruption: interruption)
        let name = subject ?? URL(fileURLWithPath: output).deletingPathExtension().lastPathComponent
        let pool = SubjectPool(subject: name)
        let results = calibration.gather(inputs.map { (input: $0, pool: pool) })
        if interruption.isCancelled {
            StandardError.write("emopipe: interrupted; no profile written\n")
            throw ExitCode(130)
        }
        failures += results.compactMap { $0.status == .done ? nil : $0.error }
        for failure in failures { StandardError.write("error: \(failure)\n") }
        guard results.contains(where: { $0.status == .done }) else {
            StandardError.write("error: no input of the subject could be read; no profile written\n")
            throw ExitCode(1)
        }
        let profile = calibration.profile(of: pool, inputs: inputs)
        do {
            try SubjectCalibration.write(profile, to: output)
        } catch {
            StandardError.write("error: \(error)\n")
            throw ExitCode(1)
        }
        var lines = ["emopipe calibrate: subject \(name), \(profile.inputs.count) input\(profile.inputs.count == 1 ? "" : "s")"]
        for key in profile.baselines.keys.sorted() { lines.append("  \(key): \(profile.baselines[key]!.count) rows") }
        for key in profile.omitted.keys.sorted() { lines.append("  \(key): left out, \(profile.omitted[key]!)") }
        lines.append("wrote \(output)")
        print(lines.joined(separator: "\n"))
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
