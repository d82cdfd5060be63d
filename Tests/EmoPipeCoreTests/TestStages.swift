import EmoPipeCore
import Foundation
import Synchronization

/// Counters shared between test stages and the test that reads them, by name.
final class Probes: Sendable {
    private let values = Mutex<[String: Int]>([:])

    func add(_ name: String, _ amount: Int = 1) -> Int {
        values.withLock { $0[name, default: 0] += amount; return $0[name]! }
    }

    func record(max name: String, _ value: Int) {
        values.withLock { $0[name] = Swift.max($0[name] ?? Int.min, value) }
    }

    func value(_ name: String) -> Int { values.withLock { $0[name] ?? 0 } }
}

let probes = Probes()

/// `test.counter`: emits `count` rows [i] at i * step_us, then ends; or runs until cancelled
/// when `count` is 0.
final class CounterSource: SourceStage {
    static let descriptor = StageDescriptor(
        name: "test.counter", role: .source, summary: "Counts.",
        outputs: [PortSpec("out", [.features], "value")],
        parameters: [
            ParameterSpec("count", .integer, default: .integer(10), range: 0...10_000_000, "rows (0: until cancelled)"),
            ParameterSpec("step_us", .integer, default: .integer(1000), unit: "us", range: 1...1_000_000, "spacing"),
            ParameterSpec("probe", .string, default: .string(""), "probe counting emitted rows"),
        ],
        fileExtensions: ["cnt"],
        make: { .source(CounterSource(parameters: $0)) })

    let count: Int, step: Int64, probe: String
    init(parameters: Parameters) {
        count = parameters.integer("count")
        step = Int64(parameters.integer("step_us"))
        probe = parameters.string("probe")
    }

    func open(context: StageContext) throws -> [StreamFormat] {
        [.features(FeatureSchema(["value"]))]
    }

    func run(output: Emitter, cancellation: CancellationFlag) throws {
        var index = 0
        while (count == 0 || index < count) && !cancellation.isCancelled {
            if !probe.isEmpty { _ = probes.add(probe) }
            try output.emit(.features(FeatureRow([Float(index)])), at: Timestamp(microseconds: Int64(index) * step),
                            duration: Timestamp(microseconds: step))
            index += 1
            if count == 0 { usleep(200) }
        }
    }
}

/// `test.scale`: multiplies each value by `factor`, sleeping a random 0...jitter_us per packet
/// to shake the threads' timing; `fail_at` throws on that packet; `backwards` emits a
/// timestamp earlier than the previous one on the third packet.
final class ScaleStage: Stage {
    static let descriptor = StageDescriptor(
        name: "test.scale", role: .transform, summary: "Scales.",
        inputs: [PortSpec("in", [.features], "rows")],
        outputs: [PortSpec("out", [.features], "rows")],
        parameters: [
            ParameterSpec("factor", .number, default: .number(1), "gain"),
            ParameterSpec("jitter_us", .integer, default: .integer(0), unit: "us", range: 0...100_000, "random delay"),
            ParameterSpec("fail_at", .integer, default: .integer(-1), "packet index that throws"),
            ParameterSpec("backwards", .boolean, default: .boolean(false), "break the timestamp contract"),
            ParameterSpec("probe", .string, default: .string(""), "probe: in-flight gap to the upstream probe"),
        ],
        make: { .stage(ScaleStage(parameters: $0)) })

    let factor: Float, jitter: UInt32, failAt: Int, backwards: Bool, probe: String
    var seen = 0

    init(parameters: Parameters) {
        factor = Float(parameters.number("factor"))
        jitter = UInt32(parameters.integer("jitter_us"))
        failAt = parameters.integer("fail_at")
        backwards = parameters.boolean("backwards")
        probe = parameters.string("probe")
    }

    func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] { [inputs[0]] }

    func process(_ packet: Packet, input: Int, output: Emitter) throws {
        defer { seen += 1 }
        if seen == failAt { throw StageError("boom at packet \(seen)") }
        if !probe.isEmpty {
            let consumed = probes.add(probe + ".consumed")
            probes.record(max: probe + ".gap", probes.value(probe) - consumed)
        }
        if jitter > 0 { usleep(UInt32.random(in: 0...jitter)) }
        guard case .features(let row) = packet.payload else { return }
        var time = packet.timestamp
        if backwards && seen == 2 { time = time - Timestamp(microseconds: 10_000) }
        try output.emit(.features(FeatureRow(row.values.map { $0 * factor })), at: time, duration: packet.duration)
    }

    func finish(output: Emitter) throws {}
}

/// `test.collect`: writes `stream t value` per packet and `end` at finish.
final class CollectSink: Stage {
    static let descriptor = StageDescriptor(
        name: "test.collect", role: .sink, summary: "Collects.",
        inputs: [PortSpec("in", [.features], variadic: true, "rows")],
        parameters: [ParameterSpec("path", .string, default: .string("-"), "where")],
        make: { .stage(CollectSink(path: $0.string("path"))) })

    let path: String
    var writer: SinkWriter?
    var names: [String] = []

    init(path: String) { self.path = path }

    func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        writer = try context.output.writer(sinkID: context.stageID, fileExtension: "txt", path: path)
        names = context.inputNames
        return []
    }

    func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .features(let row) = packet.payload else { return }
        try writer?.write("\(names[input]) \(packet.timestamp.secondsText) \(row.values[0])\n")
    }

    func finish(output: Emitter) throws { try writer?.write("end\n") }
}

/// `test.words`: a source of text, for kind checks.
final class WordsSource: SourceStage {
    static let descriptor = StageDescriptor(
        name: "test.words", role: .source, summary: "Words.",
        outputs: [PortSpec("text", [.text], "segments"), PortSpec("rows", [.features], "rows")],
        make: { _ in .source(WordsSource()) })

    func open(context: StageContext) throws -> [StreamFormat] {
        [.text, .features(FeatureSchema(["n"]))]
    }

    func run(output: Emitter, cancellation: CancellationFlag) throws {}
}

let testRegistry = StageRegistry([CounterSource.descriptor, ScaleStage.descriptor, CollectSink.descriptor,
                                  WordsSource.descriptor])

func loadTestPipeline(_ text: String, file: String = "test.yaml", overrides: [String] = []) throws -> PipelineGraph {
    try PipelineLoader(registry: testRegistry).load(text: text, file: file, overrides: overrides)
}
