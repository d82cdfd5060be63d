import EmoPipeCore
@testable import EmoPipeEEG
import Foundation
import Testing

@Suite struct EEGBandsStageTests {
    /// Runs eeg.bands over `chunks` of a stream; returns the schema and the rows.
    private func bands(_ format: EEGFormat, _ chunks: [Packet], _ parameters: [String: ParameterValue] = [:]) throws
        -> (columns: [String], rows: [(Timestamp, [Float])]) {
        let harness = try StageHarness(EEGBandsStage.descriptor, parameters: parameters, inputs: [.eeg(format)])
        for chunk in chunks { try harness.push(chunk) }
        try harness.finish()
        guard case .features(let schema) = harness.outputFormats[0] else { return ([], []) }
        let rows = harness.emitted().map { packet -> (Timestamp, [Float]) in
            guard case .features(let row) = packet.payload else { return (packet.timestamp, []) }
            return (packet.timestamp, row.values)
        }
        return (schema.names, rows)
    }

    private func column(_ name: String, _ result: (columns: [String], rows: [(Timestamp, [Float])])) -> [Float] {
        guard let index = result.columns.firstIndex(of: name) else { Issue.record("no column \(name)"); return [] }
        return result.rows.map { $0.1[index] }
    }

    @Test func aSineHasItsPowerInItsBand() throws {
        // 10 Hz, amplitude 20 uV, at 128 Hz for 4 s, in chunks of 100 samples: alpha power = A^2 / 2.
        let rate = 128.0
        let samples = (0..<512).map { Float(20 * sin(2 * Double.pi * 10 * Double($0) / rate)) }
        let chunks = stride(from: 0, to: 512, by: 100).map { start in
            Packet(timestamp: Timestamp(sample: Int64(start), rate: 128),
                   payload: .eeg(EEGChunk(samples: Array(samples[start..<min(512, start + 100)]), channels: 1)))
        }
        let result = try bands(EEGFormat(labels: ["Oz"], units: ["uV"], sampleRate: rate), chunks)
        #expect(result.rows.count == 7, "1 s windows every 0.5 s over 4 s")
        #expect(result.rows.map(\.0) == (0..<7).map { Timestamp(microseconds: Int64($0) * 500_000) })
        for alpha in column("Oz_alpha", result) { #expect(abs(alpha - 200) / 200 < 0.01, "alpha \(alpha) uV^2") }
        for relative in column("Oz_alpha_rel", result) { #expect(relative > 0.99) }
        let de = column("Oz_alpha_de", result)[0]
        #expect(abs(Double(de) - 0.5 * log(2 * Double.pi * M_E * 200)) < 0.02)
        #expect(result.columns.contains("Oz_beta_alpha"))
    }

    @Test func bandPowersEqualMNEsWelchWithinOnePercent() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference/eeg_bands_reference.json")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let labels = try #require(reference["channels"] as? [String])
        let (formats, packets) = try SourceHarness.run(
            EEGSource.descriptor, parameters: ["channels": .string(labels.joined(separator: ","))],
            input: InputLocation(path: sharedEEG + "/physionet-eegmmidb/S001R02.edf"))
        guard case .eeg(let format) = formats[0] else { return }
        let bandNames = ["theta", "alpha", "beta", "gamma"]
        for config in try #require(reference["configs"] as? [[String: Any]]) {
            let result = try bands(format, packets[0], [
                "window_s": .number(config["window_s"] as! Double), "hop_s": .number(config["hop_s"] as! Double),
                "segment_s": .number(config["segment_s"] as! Double),
                "segment_overlap": .number(config["segment_overlap"] as! Double),
                "nfft": .integer(config["nfft"] as! Int),
            ])
            let windows = try #require(config["windows"] as? [[String: Any]])
            var worst = 0.0
            for (index, window) in windows.enumerated() {
                let expected = try #require(window["power_uV2"] as? [[Double]])
                for (channel, label) in labels.enumerated() {
                    for (band, name) in bandNames.enumerated() {
                        let value = Double(column("\(label)_\(name)", result)[index])
                        worst = max(worst, abs(value - expected[channel][band]) / expected[channel][band])
                    }
                }
            }
            #expect(worst < 0.01, "\(config["name"]!): largest relative difference \(worst)")
        }
    }

    /// Relative alpha (8-14 Hz over 4-49 Hz) of the whole recording, per occipital channel.
    private func occipitalRelativeAlpha(_ file: String) throws -> [Float] {
        let (formats, packets) = try SourceHarness.run(EEGSource.descriptor, parameters: ["channels": .string("O1..,Oz..,O2..")],
                                                       input: InputLocation(path: sharedEEG + "/physionet-eegmmidb/" + file))
        guard case .eeg(let format) = formats[0] else { return [] }
        let result = try bands(format, packets[0], ["window_s": .number(2), "hop_s": .number(1)])
        return ["O1..", "Oz..", "O2.."].map { label in
            let values = column(label + "_alpha_rel", result)
            return values.reduce(0, +) / Float(values.count)
        }
    }

    @Test func occipitalAlphaIsHigherWithEyesClosedOnEveryChannel() throws {
        let open = try occipitalRelativeAlpha("S001R01.edf")
        let closed = try occipitalRelativeAlpha("S001R02.edf")
        for (channel, (eyesOpen, eyesClosed)) in zip(["O1", "Oz", "O2"], zip(open, closed)) {
            #expect(eyesClosed > eyesOpen, "\(channel): eyes closed \(eyesClosed), open \(eyesOpen)")
        }
    }

    @Test func frontalAlphaAsymmetryIsLnRightMinusLnLeft() throws {
        let rate = 100.0
        // F4 carries twice F3's alpha amplitude: 4x the power, ln 4 asymmetry.
        let frames = (0..<200).flatMap { index -> [Float] in
            let value = Float(sin(2 * Double.pi * 10 * Double(index) / rate))
            return [value, 2 * value]
        }
        let result = try bands(EEGFormat(labels: ["EEG F3-Ref", "EEG F4-Ref"], units: ["uV", "uV"], sampleRate: rate),
                               [Packet(timestamp: .zero, payload: .eeg(EEGChunk(samples: frames, channels: 2)))])
        for value in column("faa_F4_F3", result) { #expect(abs(Double(value) - log(4)) < 1e-4) }
        #expect(!result.columns.contains("faa_F8_F7"))
        #expect(EEGBandsStage.electrode("Fp1.") == "FP1" && EEGBandsStage.electrode("f4") == "F4")
    }

    @Test func badBandListsAndWindowsAreRefused() throws {
        #expect(throws: StageError.self) { try FrequencyBand.parseList("alpha:14-8") }
        #expect(throws: StageError.self) { try FrequencyBand.parseList("alpha 8-14") }
        #expect(try FrequencyBand.parseList("delta:1-4, alpha:8-14") == [.init(name: "delta", low: 1, high: 4), .init(name: "alpha", low: 8, high: 14)])
        #expect(throws: StageError.self) {
            try StageHarness(EEGBandsStage.descriptor, parameters: ["segment_s": .number(5)],
                             inputs: [.eeg(EEGFormat(labels: ["C3"], units: ["uV"], sampleRate: 100))])
        }
    }
}
