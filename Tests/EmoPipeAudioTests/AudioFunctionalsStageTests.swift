@testable import EmoPipeAudio
import EmoPipeCore
import Foundation
import Testing

@Suite struct AudioFunctionalsStageTests {
    @Test func theEGeMAPSNamesAreOpenSMILEs() throws {
        let text = try String(contentsOf: AudioTestSupport.testsFolder.appendingPathComponent("Reference/egemaps_functional_names.txt"), encoding: .utf8)
        let names = text.split(whereSeparator: \.isNewline).map(String.init)
        #expect(names.count == 88)
        #expect(EGeMAPSFunctionals.names == names)
    }

    @Test func contourStatisticsHaveKnownValues() {
        #expect(ContourFunctionals.percentile(sorted: [1, 2, 3, 4, 5], 0.2) == 1.8)
        #expect(ContourFunctionals.percentile(sorted: [1, 2, 3, 4, 5], 0.5) == 3)
        #expect(ContourFunctionals.normalisedDeviation([2, 4]) == 1.0 / 3.0)
        #expect(ContourFunctionals.smooth3([0, 3, 6, 0, 9], skipZeros: true) == [0, 4.5, 4.5, 0, 9])
        #expect(ContourFunctionals.smooth3([3, 6, 9], skipZeros: false) == [4.5, 6, 7.5])
        #expect(ContourFunctionals.runs([1, 1, 0, 0, 0, 2, 0], where: { $0 > 0 }) == [2, 1])
        // A triangle wave rising 1 per frame for 10 frames and falling 2 per frame for 5: at
        // 10 ms frames, rising slopes of 100/s and falling slopes of 200/s.
        let period = (0..<10).map(Double.init) + (0..<5).map { 10 - 2 * Double($0) }
        let slopes = ContourFunctionals.slopes(period + period + period + [0], frameSeconds: 0.01)
        #expect(abs(slopes.meanRising - 100) < 1e-9 && abs(slopes.meanFalling - 200) < 1e-9)
        #expect(slopes.sdRising < 1e-9)
    }

    private func feed(_ parameters: [String: ParameterValue], rows: Int, names: [String] = ["a", "b"],
                      value: (Int) -> [Float]) throws -> [Packet] {
        let harness = try StageHarness(AudioFunctionalsStage.descriptor, parameters: parameters,
                                       inputs: [.features(FeatureSchema(names))], inputNames: ["lld"])
        for index in 0..<rows {
            _ = try harness.push(Packet(timestamp: Timestamp(microseconds: Int64(index) * 10_000), duration: Timestamp(microseconds: 10_000),
                                        payload: .features(FeatureRow(value(index)))))
        }
        try harness.finish()
        return harness.emitted(on: 0)
    }

    @Test func genericStatisticsOverFixedWindows() throws {
        // 3 s of rows, a = frame index within its second, b = 5: three 1 s windows.
        let packets = try feed(["set": .string("generic"), "window_s": .number(1)], rows: 300) { [Float($0 % 100), 5] }
        #expect(packets.map(\.timestamp.microseconds) == [0, 1_000_000, 2_000_000])
        for packet in packets {
            guard case .features(let row) = packet.payload else { Issue.record("not features"); continue }
            // a: mean 49.5, min 0, max 99, median 49.5; b: constant 5, deviation 0.
            #expect(row.values[0] == 49.5 && row.values[2] == 0 && row.values[3] == 99 && row.values[5] == 49.5)
            #expect(row.values[7] == 5 && row.values[8] == 0)
            #expect(packet.duration.microseconds == 1_000_000)
        }
    }

    /// `statistics` picks the generic statistics; mean and stddev alone are summed in place and
    /// equal the full computation's.
    @Test func chosenStatisticsEqualTheFullSet() throws {
        let value: (Int) -> [Float] = { [Float(($0 * 37) % 101) / 7, Float($0 % 13)] }
        let full = try feed(["set": .string("generic"), "window_s": .number(1), "step_s": .number(0.5)], rows: 250, value: value)
        let chosen = try feed(["set": .string("generic"), "window_s": .number(1), "step_s": .number(0.5), "statistics": .string("mean,stddev")],
                              rows: 250, value: value)
        #expect(full.count == chosen.count && full.count == 4)
        for (a, b) in zip(full, chosen) {
            guard case .features(let all) = a.payload, case .features(let two) = b.payload else { Issue.record("not features"); continue }
            #expect(two.values.count == 4)
            for (column, stat) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                #expect(abs(two.values[column * 2 + stat] - all.values[column * 7 + stat]) < 1e-4)
            }
        }
        #expect(throws: StageError.self) {
            _ = try StageHarness(AudioFunctionalsStage.descriptor, parameters: ["statistics": .string("mean,median")],
                                 inputs: [.features(FeatureSchema(["a"]))], inputNames: ["lld"])
        }
        #expect(throws: StageError.self) {
            _ = try StageHarness(AudioFunctionalsStage.descriptor, parameters: ["statistics_of": .string("encoder")],
                                 inputs: [.features(FeatureSchema(["a"]))], inputNames: ["lld"])
        }
    }

    /// Sliding windows: the ones that fit, then one full window ending at the input's end (not
    /// ever shorter windows of the last seconds); an input shorter than a window gives one row.
    @Test func slidingWindowsEndWithOneFullWindowAtTheEnd() throws {
        let windows = ["set": ParameterValue.string("generic"), "window_s": .number(3), "step_s": .number(0.5)]
        let clip = try feed(windows, rows: 375) { [Float($0), 1] }
        #expect(clip.map(\.timestamp.microseconds) == [0, 500_000, 750_000])
        #expect(clip.allSatisfy { $0.duration.microseconds == 3_000_000 })
        guard case .features(let last) = clip.last?.payload else { Issue.record("not features"); return }
        #expect(last.values[3] == 374, "the last window reaches the last frame")
        let short = try feed(windows, rows: 120) { [Float($0), 1] }
        #expect(short.map(\.timestamp.microseconds) == [0] && short[0].duration.microseconds == 1_200_000)
    }

    @Test func eGeMAPSNeedsItsLLDsAndSaysWhichAreMissing() {
        do {
            _ = try feed([:], rows: 1) { _ in [0, 0] }
            Issue.record("accepted LLDs without eGeMAPS's columns")
        } catch {
            #expect("\(error)".contains("loudness") && "\(error)".contains("f0_semitone"))
        }
    }

    @Test func eGeMAPSOfAKnownContour() throws {
        // 2 s: voiced (F0 at 40 semitones) for the first second, unvoiced after; loudness 1.
        let names = EGeMAPSFunctionals.requiredColumns
        let packets = try feed([:], rows: 200, names: names) { index in
            names.map { name -> Float in
                switch name {
                case "f0_semitone": index < 100 ? 40 : 0
                case "loudness": 1
                case "power": 0.01
                default: 0
                }
            }
        }
        let row = try #require(packets.first.flatMap { if case .features(let row) = $0.payload { row.values } else { nil } })
        let value = Dictionary(uniqueKeysWithValues: zip(EGeMAPSFunctionals.names, row))
        #expect(value["F0semitoneFrom27.5Hz_sma3nz_amean"] == 40)
        #expect(value["F0semitoneFrom27.5Hz_sma3nz_stddevNorm"] == 0)
        #expect(value["loudness_sma3_amean"] == 1)
        #expect(value["VoicedSegmentsPerSec"] == 0.5)
        #expect(abs(value["MeanVoicedSegmentLengthSec"]! - 1) < 1e-6)
        #expect(abs(value["MeanUnvoicedSegmentLength"]! - 1) < 1e-6)
        #expect(abs(value["equivalentSoundLevel_dBp"]! - -20) < 1e-4)
    }
}

/// Live sliding windows: causal, every live_step_s, stamped at their end; NaN until live_min_s.
@Suite struct AudioFunctionalsLiveTests {
    @Test func liveWindowsTrailAndAreStampedAtTheirEnd() throws {
        let stage = try StageHarness(AudioFunctionalsStage.descriptor,
                                     parameters: ["set": .string("generic"), "window_s": .number(2), "live_step_s": .number(0.5),
                                                  "live_min_s": .number(1)],
                                     inputs: [.features(FeatureSchema(["x"]))], live: true)
        // 3 s of frames every 10 ms with x = the frame's time in seconds.
        for index in 0..<300 {
            try stage.push(Packet(timestamp: Timestamp(microseconds: Int64(index) * 10_000),
                                  payload: .features(FeatureRow([Float(index) / 100]))))
        }
        try stage.finish()
        let rows = stage.emitted()
        let times = rows.map { Double($0.timestamp.microseconds) / 1e6 }
        #expect(times == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0], "every 0.5 s, then the last frame's end")
        #expect(rows.allSatisfy { $0.duration == Timestamp(seconds: 0.5) })
        func mean(_ packet: Packet) -> Float { if case .features(let row) = packet.payload { row.values[0] } else { .nan } }
        #expect(mean(rows[0]).isNaN, "less than live_min_s of input: no estimate yet")
        #expect(abs(mean(rows[1]) - 0.495) < 1e-4, "frames 0-0.99 s")
        #expect(abs(mean(rows[3]) - 0.995) < 1e-4, "the trailing 2 s: 0-1.99 s")
        #expect(abs(mean(rows[5]) - 1.995) < 1e-4, "the trailing 2 s: 1-2.99 s")
    }
}
