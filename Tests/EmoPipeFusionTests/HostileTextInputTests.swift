import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFusion

/// Transcripts and text as a hostile user writes them (issue 27's cases): every number checked
/// where it is parsed, encodings detected or refused by name, no trap, and linear time.
@Suite struct HostileTextInputTests {
    static func error(_ text: String, _ format: String) -> String? {
        do {
            _ = try TranscriptParser.parse(text, format: format, file: "t.\(format)")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func hugeNegativeOrNonFiniteCueTimesAreErrorsNamingTheLine() {
        for time in ["9999999999:00:00,000", "inf:00:00,000", "1e300:00:00", "nan:00:00,000", "-00:00:01,000", "00:-1:00,000",
                     "00:00:01e5", "+00:00:01,000", "00:00:0x1"] {
            let message = Self.error("1\n\(time) --> 99999999999:00:00,000\nhello\n", "srt")
            #expect(message?.hasPrefix("t.srt:2: ") == true, "\(time): \(message ?? "accepted")")
        }
        #expect(Self.error("1\n00:00:00,000 --> 300000:00:00,000\nhello\n", "srt")
                == "t.srt:2: cue time 1080000000.0 s is beyond the largest a transcript may give (1000000000 s)")
        #expect(TranscriptParser.seconds("01:02:03,500") == 3723.5 && TranscriptParser.seconds("02:03.5") == 123.5)
    }

    @Test func jsonTimesAreCheckedWithTheFieldPath() {
        #expect(Self.error(#"{"segments": [{"start": 1e20, "end": 1e20, "text": "a"}]}"#, "json")
                == "t.json: segments[0].start: 1e+20 is not a time in 0...1000000000 s")
        #expect(Self.error(#"{"segments": [{"start": 0, "end": 1, "text": "a", "words": [{"start": 0, "end": 1e19, "word": "a"}]}]}"#, "json")
                == "t.json: segments[0].words[0].end: 1e+19 is not a time in 0...1000000000 s")
        #expect(Self.error(#"[{"start": -1, "end": 2, "text": "a"}]"#, "json") == "t.json: [0].start: -1.0 is not a time in 0...1000000000 s")
        #expect(Self.error(#"{"segments": [{"start": 3, "end": 2, "text": "a"}]}"#, "json") == "t.json: segments[0]: end 2.0 s is before start 3.0 s")
        #expect(Self.error(#"{"segments": [{"start": "0", "end": 2}]}"#, "json") == "t.json: segments[0].start: expected a number of seconds")
        #expect(Self.error(#"{"segments": [{"start": true, "end": 2}]}"#, "json") == "t.json: segments[0].start: expected a number of seconds")
        #expect(Self.error("{\n  \"segments\": [\n {\"start\": 1,, }]}", "json") == "t.json: not valid JSON: invalid value at line 3, column 14")
    }

    @Test func encodingsAreDetectedOrRefusedByName() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("enc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func write(_ name: String, _ bytes: [UInt8]) -> String {
            let path = folder.appendingPathComponent(name).path
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            return path
        }
        let text = "Well, maybe – I’m not sure."
        let utf16 = write("a.txt", [0xFF, 0xFE] + Array(text.data(using: .utf16LittleEndian)!))
        #expect(try TranscriptParser.read(path: utf16).first?.text == text)
        let bom = write("b.txt", [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        #expect(try TranscriptParser.read(path: bom).first?.text == text)
        let latin1 = write("c.txt", Array("caf".utf8) + [0xE9])
        #expect(try TranscriptParser.read(path: latin1).first?.text == "café")
        let binary = write("d.txt", Array(text.data(using: .utf16LittleEndian)!))
        #expect(throws: StageError("\(binary): not text (it holds NUL bytes; UTF-16 needs a byte-order mark)")) { try TranscriptParser.read(path: binary) }
        let control = write("e.txt", [0x41, 0x01, 0x02, 0xFF, 0x42])
        #expect(throws: StageError("\(control): not text (control bytes, and not UTF-8)")) { try TranscriptParser.read(path: control) }
    }

    /// A named pipe where a transcript is expected is refused at once, never opened (opening
    /// would block until a writer came).
    @Test func aNamedPipeIsRefusedWithoutBlocking() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fifo-\(UUID().uuidString).srt").path
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        #expect(throws: StageError("\(path): not a regular file (a named pipe?): give a file")) { try TranscriptParser.read(path: path) }
        #expect(throws: FileContents.Failure(description: "not a regular file (a named pipe?): give a file")) { try FileContents.load(path) }
    }

    @Test func markupIsStrippedInOnePass() {
        #expect(TranscriptParser.withoutMarkup("<i>so</i> {\\an8}maybe <v Ann>yes") == "so maybe yes")
        #expect(TranscriptParser.withoutMarkup("a < b and c { d") == "a < b and c { d")
        #expect(TranscriptParser.withoutMarkup("x<y>z<") == "xz<")
        // 200 KB of openers without closers, alternating: linear (the regular expression took minutes).
        let hostile = String(repeating: "<{", count: 100_000)
        #expect(TranscriptParser.withoutMarkup(hostile) == hostile)
        #expect(TranscriptParser.withoutMarkup(String(repeating: "<", count: 200_000) + ">x") == "x")
    }

    /// VADER's "but" rule, now n log n: the same list as VADER's first-occurrence loop on random
    /// inputs with repeated values (a 200k-word text is a regression case, text-200k-words-of-but).
    @Test func theButRuleEqualsVadersLoop() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let count = Int.random(in: 1...40, using: &generator)
            let values = (0..<count).map { _ in [0, 0, 1, 2, -1, 0.5, 1.5, 3, -0.75][Int.random(in: 0..<9, using: &generator)] }
            let but = Int.random(in: 0..<count, using: &generator)
            var naive = values
            for sentiment in values {
                guard let index = naive.firstIndex(of: sentiment) else { continue }
                if index < but { naive[index] = sentiment * 0.5 } else if index > but { naive[index] = sentiment * 1.5 }
            }
            var fast = values
            SentimentScorer.butShift(&fast, at: but)
            #expect(fast == naive, "\(values), but at \(but)")
        }
    }

    /// Two estimates 2,777 hours apart on a 10 Hz clock: the gap is not filled tick by tick.
    @Test func fusionDoesNotFillALongGap() throws {
        let fusion = try StageHarness(AffectFusionStage.descriptor, parameters: ["smooth_s": .number(0), "rate_hz": .number(10)],
                                      inputs: [LiveFusionTests.schema(.text)])
        var out = try fusion.push(LiveFusionTests.estimate(0.3, at: 0, duration: 2))
        out += try fusion.push(LiveFusionTests.estimate(-0.3, at: 10_000_000, duration: 2))
        out += try fusion.finish()
        let times = LiveFusionTests.predictions(out).map(\.time)
        // 0 ... 600 s (max_gap_s after the first), then the second estimate's 2 s.
        #expect(times.count == 6001 + 20, "\(times.count) ticks")
        #expect(times.first == 0 && times[6000] == 600 && times[6001] == 10_000_000 && times.last == 10_000_001.9)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
        // Live: the same ticks.
        let live = try StageHarness(AffectFusionStage.descriptor, parameters: ["smooth_s": .number(0), "rate_hz": .number(10)],
                                    inputs: [LiveFusionTests.schema(.text)], live: true)
        var liveOut = try live.push(LiveFusionTests.estimate(0.3, at: 0, duration: 2))
        liveOut += try live.push(LiveFusionTests.estimate(-0.3, at: 10_000_000, duration: 2))
        liveOut += try live.finish()
        #expect(LiveFusionTests.predictions(liveOut).map(\.time) == times)
    }
}
