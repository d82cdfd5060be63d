@testable import EmoPipe
import Foundation
import Testing

/// Plug-in stages: the example runs, and a plug-in that dies mid-stream fails with a clear message.
@Suite struct ExecStageTests {
    @Test func theExamplePluginRuns() throws {
        let result = try CLI.run(["run", "examples/plugin-pipeline.yaml", fixture("face.mp4")])
        #expect(result.status == 0, "\(result.standardError)")
        let records = try jsonLines(result.output)
        #expect(records.count == 75)
        #expect(records.allSatisfy { ($0["smile_score"] as? Double).map { (0...1).contains($0) } ?? false })
    }

    @Test func aPluginThatExitsMidStreamIsReportedWithItsStderr() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let script = folder + "/dies.py"
        try """
            import json, sys
            sys.stdin.readline()
            print(json.dumps({"columns": ["x"]}), flush=True)
            for n, line in enumerate(sys.stdin):
                if n == 3:
                    sys.stderr.write("model file missing: weights.bin\\n")
                    sys.exit(3)
                print(json.dumps({"values": [n]}), flush=True)
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let pipeline = folder + "/p.yaml"
        try """
            version: 1
            stages:
              - id: media
                use: source.media
              - id: level
                use: audio.level
                in: media.audio
              - id: model
                use: exec
                in: level
                with: {command: python3 \(script)}
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let result = try CLI.run(["run", pipeline, fixture("speech.wav")])
        #expect(result.status == 1)
        #expect(result.errorLines.count == 1, "\(result.standardError)")
        let line = result.errorLines.first ?? ""
        #expect(line.contains("stage 'model' (exec): plug-in 'python3 \(script)' exited mid-stream (status 3)"), "\(line)")
        #expect(line.contains("model file missing: weights.bin"))
        // A program that does not exist.
        let missing = try CLI.run(["run", pipeline, fixture("speech.wav"), "--set", "model.command=/no/such/program"])
        #expect(missing.status == 1, "\(missing.status): \(missing.standardError)")
        #expect(missing.standardError.contains("cannot start '/no/such/program'"), "\(missing.standardError)")
    }
}
