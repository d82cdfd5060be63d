import EmoPipeCore
import Foundation
import Testing

@Suite struct PipelineLoaderTests {
    private func error(_ text: String, overrides: [String] = []) -> PipelineError? {
        do {
            _ = try loadTestPipeline(text, overrides: overrides)
            return nil
        } catch let error as PipelineError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    let valid = """
        version: 1
        name: chain
        stages:
          - id: count
            use: test.counter
            with: {count: 5}
          - id: double
            use: test.scale
            in: count
            with: {factor: 2}
          - id: sink
            use: test.collect
            in: [double, count]
        """

    @Test func loadsAValidPipelineInTopologicalOrder() throws {
        let graph = try loadTestPipeline(valid)
        #expect(graph.name == "chain")
        #expect(graph.nodes.map(\.id) == ["count", "double", "sink"])
        #expect(graph.nodes[1].parameters.number("factor") == 2)
        #expect(graph.nodes[2].inputs.map { graph.streamName($0) } == ["double", "count"])
        #expect(graph.nodes[0].parameters.integer("count") == 5)
        #expect(graph.nodes[0].parameters.integer("step_us") == 1000, "defaults are filled in")
    }

    @Test func reportsYAMLSyntaxErrorsWithLineAndColumn() throws {
        let found = try #require(error("version: 1\nstages:\n  - id: a\n    use: [test.counter\n"))
        #expect(found.kind == .syntax)
        #expect(found.location.file == "test.yaml")
        #expect(found.location.line >= 4)
        #expect(found.description.hasPrefix("test.yaml:"))
    }

    @Test func reportsAnUnknownStageWithASuggestionAndTheChoices() throws {
        let found = try #require(error("version: 1\nstages:\n  - id: a\n    use: test.countr\n"))
        #expect(found.kind == .unknownStage)
        #expect(found.location.line == 4 && found.location.column == 10)
        #expect(found.message.contains("did you mean 'test.counter'?"))
        #expect(found.message.contains("test.collect, test.counter, test.scale, test.words"))
    }

    @Test func reportsAnUnknownParameterWithTheValidOnes() throws {
        let text = valid.replacingOccurrences(of: "{factor: 2}", with: "{factr: 2}")
        let found = try #require(error(text))
        #expect(found.kind == .unknownParameter)
        #expect(found.location.line == 10)
        #expect(found.message.contains("'factr'") && found.message.contains("did you mean 'factor'?"))
        #expect(found.message.contains("valid: factor, jitter_us, fail_at, backwards, probe"))
    }

    @Test func reportsAMistypedParameter() throws {
        let text = valid.replacingOccurrences(of: "{count: 5}", with: "{count: five}")
        let found = try #require(error(text))
        #expect(found.kind == .parameterType)
        #expect(found.location.line == 6)
        #expect(found.message == "parameter 'count' of 'count' must be integer, not 'five'")
        let quoted = try #require(error(valid.replacingOccurrences(of: "{count: 5}", with: "{count: \"5\"}")))
        #expect(quoted.kind == .parameterType, "a quoted number is a string")
        let fractional = try #require(error(valid.replacingOccurrences(of: "{count: 5}", with: "{count: 2.5}")))
        #expect(fractional.kind == .parameterType)
    }

    @Test func reportsAnOutOfRangeParameterWithItsUnitAndBounds() throws {
        let text = valid.replacingOccurrences(of: "{count: 5}", with: "{count: 5, step_us: 0}")
        let found = try #require(error(text))
        #expect(found.kind == .parameterRange)
        #expect(found.message == "parameter 'step_us' of 'count' is 0 us, outside 1...1000000 us")
    }

    @Test func reportsAnUnconnectedInput() throws {
        let text = valid.replacingOccurrences(of: "    in: count\n", with: "")
        let found = try #require(error(text))
        #expect(found.kind == .unconnectedInput)
        #expect(found.location.line == 7)
        #expect(found.message.contains("input 'in' (features) of 'double' (test.scale) is not connected"))
    }

    @Test func reportsAnUnknownReference() throws {
        let found = try #require(error(valid.replacingOccurrences(of: "in: count", with: "in: cuont")))
        #expect(found.kind == .unknownReference)
        #expect(found.location.line == 9)
        #expect(found.message.contains("unknown stage 'cuont'; did you mean 'count'?"))
        let port = try #require(error(valid.replacingOccurrences(of: "in: count", with: "in: count.audio")))
        #expect(port.message.contains("has no output 'audio'"))
    }

    @Test func reportsAKindMismatchBeforeAnythingRuns() throws {
        let text = """
            version: 1
            stages:
              - id: words
                use: test.words
              - id: scale
                use: test.scale
                in: words.text
            """
        let found = try #require(error(text))
        #expect(found.kind == .kindMismatch)
        #expect(found.location.line == 7)
        #expect(found.message == "'words.text' carries text, but input 'in' of 'scale' takes features")
    }

    @Test func aBareStageNamePicksTheOneOutputOfTheRightKind() throws {
        let text = """
            version: 1
            stages:
              - id: words
                use: test.words
              - id: scale
                use: test.scale
                in: words
              - id: sink
                use: test.collect
                in: scale
            """
        let graph = try loadTestPipeline(text)
        #expect(graph.streamName(graph.nodes[1].inputs[0]) == "words.rows")
    }

    @Test func reportsDuplicateIDs() throws {
        let text = valid + "\n  - id: double\n    use: test.scale\n    in: count\n"
        let found = try #require(error(text))
        #expect(found.kind == .duplicateID)
        #expect(found.location.line == 14)
        #expect(found.message.contains("first defined at test.yaml:7:5"))
    }

    @Test func reportsACycleWithItsPath() throws {
        let text = """
            version: 1
            stages:
              - id: count
                use: test.counter
              - id: a
                use: test.scale
                in: b
              - id: b
                use: test.scale
                in: a
              - id: sink
                use: test.collect
                in: b
            """
        let found = try #require(error(text))
        #expect(found.kind == .cycle)
        #expect(found.message.contains("a -> b -> a") || found.message.contains("b -> a -> b"))
    }

    @Test func reportsUnknownKeysAndMissingParts() throws {
        #expect(error(valid.replacingOccurrences(of: "name: chain", with: "nmae: chain"))?.message
            .contains("unknown pipeline key 'nmae'; did you mean 'name'?") == true)
        #expect(error(valid.replacingOccurrences(of: "    with: {factor: 2}", with: "    wiht: {factor: 2}"))?.location.line == 10)
        #expect(error("stages: []\n")?.message == "missing 'version: 1'")
        #expect(error("version: 2\nstages: []\n")?.kind == .structure)
        #expect(error("")?.message == "the pipeline file is empty")
        #expect(error("version: 1\nstages:\n  - use: test.counter\n")?.message == "stage without 'id'")
        #expect(error("version: 1\nstages:\n  - id: a.b\n    use: test.counter\n")?.kind == .structure)
    }

    @Test func overridesFromTheCommandLineAreValidatedLikeTheFile() throws {
        let graph = try loadTestPipeline(valid, overrides: ["double.factor=3.5", "count.count=7"])
        #expect(graph.nodes.first { $0.id == "double" }!.parameters.number("factor") == 3.5)
        #expect(graph.nodes.first { $0.id == "count" }!.parameters.integer("count") == 7)
        let mistyped = try #require(error(valid, overrides: ["count.count=many"]))
        #expect(mistyped.kind == .parameterType)
        #expect(mistyped.location.file == "--set count.count=many")
        #expect(error(valid, overrides: ["doubel.factor=2"])?.message.contains("did you mean 'double'?") == true)
        #expect(error(valid, overrides: ["double.gain=2"])?.kind == .unknownParameter)
        #expect(error(valid, overrides: ["double=2"])?.message == "expected --set stage_id.parameter=value")
    }

    @Test func includesAnotherFileAndRejectsIncludeLoops() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emopipe-include-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "version: 1\nstages:\n  - id: count\n    use: test.counter\n"
            .write(toFile: folder + "/base.yaml", atomically: true, encoding: .utf8)
        try "version: 1\ninclude: base.yaml\nstages:\n  - id: sink\n    use: test.collect\n    in: count\n"
            .write(toFile: folder + "/main.yaml", atomically: true, encoding: .utf8)
        let graph = try PipelineLoader(registry: testRegistry).load(file: folder + "/main.yaml")
        #expect(graph.nodes.map(\.id) == ["count", "sink"])

        try "version: 1\ninclude: b.yaml\nstages: []\n".write(toFile: folder + "/a.yaml", atomically: true, encoding: .utf8)
        try "version: 1\ninclude: a.yaml\nstages: []\n".write(toFile: folder + "/b.yaml", atomically: true, encoding: .utf8)
        #expect(throws: PipelineError.self) { try PipelineLoader(registry: testRegistry).load(file: folder + "/a.yaml") }
        do {
            _ = try PipelineLoader(registry: testRegistry).load(file: folder + "/a.yaml")
        } catch let error as PipelineError {
            #expect(error.kind == .include)
            #expect(error.location.file.hasSuffix("b.yaml") && error.location.line == 2)
        }
        let missing = try #require(error("version: 1\ninclude: nowhere.yaml\nstages: []\n"))
        #expect(missing.kind == .unreadable && missing.message.contains("no such file"))
    }

    @Test func aMissingFileIsReportedByName() {
        #expect(throws: PipelineError(.unreadable, at: SourceLocation(file: "/no/such.yaml"), "no such file: /no/such.yaml")) {
            try PipelineLoader(registry: testRegistry).load(file: "/no/such.yaml")
        }
    }
}
