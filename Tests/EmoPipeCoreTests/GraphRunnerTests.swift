import EmoPipeCore
import Foundation
import Testing

@Suite(.timeLimit(.minutes(1))) struct GraphRunnerTests {
    private func run(_ text: String, overrides: [String] = [], interruption: CancellationFlag = CancellationFlag())
        throws -> (text: String, statistics: RunStatistics) {
        let graph = try loadTestPipeline(text, overrides: overrides)
        let memory = MemoryOutput()
        let input = InputLocation(path: "input.cnt")
        let statistics = try GraphRunner(graph: graph, input: input, output: OutputSession(plan: .memory(memory), input: input),
                                         interruption: interruption).run()
        return (memory.text(input: "input.cnt", sink: "sink"), statistics)
    }

    /// A diamond: one source, two jittery branches, merged in one sink.
    let diamond = """
        version: 1
        stages:
          - id: count
            use: test.counter
            with: {count: 300, step_us: 500}
          - id: a
            use: test.scale
            in: count
            with: {factor: 2, jitter_us: 300}
            buffer: 2
          - id: b
            use: test.scale
            in: count
            with: {factor: -1, jitter_us: 300}
            buffer: 3
          - id: sink
            use: test.collect
            in: [b, a]
        """

    @Test func multiInputOutputIsInTimestampOrderAndIdenticalEveryRun() throws {
        let first = try run(diamond).text
        let lines = first.split(separator: "\n")
        #expect(lines.count == 601)
        #expect(lines[0] == "b 0 -0.0" && lines[1] == "a 0 0.0", "ties go to the first input in 'in:'")
        #expect(lines[2] == "b 0.0005 -1.0" && lines[3] == "a 0.0005 2.0")
        #expect(lines.last == "end")
        for _ in 0..<3 { #expect(try run(diamond).text == first) }
    }

    @Test func aFullEdgeHoldsTheProducerBack() throws {
        let text = """
            version: 1
            stages:
              - id: count
                use: test.counter
                with: {count: 400, probe: bp}
              - id: slow
                use: test.scale
                in: count
                with: {jitter_us: 200, probe: bp}
                buffer: 4
              - id: sink
                use: test.collect
                in: slow
            """
        _ = try run(text)
        #expect(probes.value("bp") == 400)
        // At most `buffer` packets queued plus the one the consumer holds plus the one the
        // producer made before it blocked.
        #expect(probes.value("bp.gap") <= 6, "the source ran \(probes.value("bp.gap")) packets ahead")
    }

    @Test func aFailingStageEndsTheRunWithItsIDAndCauseAndNoHang() throws {
        let text = """
            version: 1
            stages:
              - id: count
                use: test.counter
                with: {count: 1000000}
              - id: boom
                use: test.scale
                in: count
                with: {fail_at: 10}
                buffer: 1
              - id: sink
                use: test.collect
                in: boom
            """
        #expect(throws: RunError(input: "input.cnt", stageID: "boom", stageName: "test.scale", message: "boom at packet 10")) {
            try run(text)
        }
    }

    @Test func timestampsGoingBackAreCaughtAtTheEdgeAndNameTheStage() throws {
        let text = """
            version: 1
            stages:
              - id: count
                use: test.counter
              - id: liar
                use: test.scale
                in: count
                with: {backwards: true}
              - id: sink
                use: test.collect
                in: liar
            """
        do {
            _ = try run(text)
            Issue.record("expected a timestamp violation")
        } catch let error as RunError {
            #expect(error.stageID == "liar")
            #expect(error.message.contains("timestamps must not go back"))
        }
    }

    @Test func anInterruptionStopsTheSourceAndTheSinksStillFlush() throws {
        let text = """
            version: 1
            stages:
              - id: count
                use: test.counter
                with: {count: 0}
              - id: sink
                use: test.collect
                in: count
            """
        let interruption = CancellationFlag()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) { interruption.cancel() }
        let result = try run(text, interruption: interruption)
        #expect(result.statistics.interrupted)
        #expect(result.text.hasSuffix("end\n"))
        #expect(result.text.split(separator: "\n").count > 10)
    }

    @Test func outputFilesAppearOnlyWhenTheRunSucceeds() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emopipe-out-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func runInto(_ overrides: [String]) throws {
            let graph = try loadTestPipeline(diamond, overrides: overrides)
            let input = InputLocation(path: "/data/talks/p01.cnt", relativePath: "talks/p01.cnt")
            _ = try GraphRunner(graph: graph, input: input, output: OutputSession(plan: .directory(folder), input: input)).run()
        }
        #expect(throws: RunError.self) { try runInto(["a.fail_at=5"]) }
        #expect(try FileManager.default.subpathsOfDirectory(atPath: folder).filter { $0.hasSuffix(".txt") || $0.hasSuffix(".partial") }.isEmpty)
        try runInto([])
        let written = try String(contentsOfFile: folder + "/talks/p01.txt", encoding: .utf8)
        #expect(written.split(separator: "\n").count == 601)
        #expect(!FileManager.default.fileExists(atPath: folder + "/talks/p01.txt.partial"))
    }

    @Test func statisticsCountPacketsAndMediaDuration() throws {
        let result = try run(diamond)
        #expect(result.statistics.packetsEmitted == ["count": 300, "a": 300, "b": 300, "sink": 0])
        #expect(result.statistics.mediaDuration == Timestamp(microseconds: 300 * 500))
        #expect(!result.statistics.interrupted)
    }
}
