import EmoPipeCore
@testable import EmoPipeEEG
import Foundation
import Testing

/// ../shared/data/eeg, beside the repository. Tests that need it fail, clearly, without it.
let sharedEEG = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/eeg").path

struct ExpectedRecording: CustomStringConvertible, Sendable {
    var file: String
    var channels: Int
    var rate: Double?
    var duration: Double?
    var annotations: Int
    var description: String { file }
}

/// The EDF/BDF rows of shared/data/eeg/files.csv (MNE's reading of each file).
func expectedRecordings() -> [ExpectedRecording] {
    guard let text = try? String(contentsOfFile: sharedEEG + "/files.csv", encoding: .utf8) else { return [] }
    return text.split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
        let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 6, ["EDF", "BDF"].contains(where: { fields[1].hasPrefix($0) }) else { return nil }
        return ExpectedRecording(file: fields[0], channels: Int(fields[2]) ?? 0, rate: Double(fields[3]),
                                 duration: Double(fields[4]), annotations: Int(fields[5]) ?? 0)
    }
}

/// Where EmoPipe deliberately differs from files.csv (MNE 1.13's reading).
/// MB0400FU.EDF (Nihon Kohden) writes `+1.0\x14\x14+1.14\x14A1+A2 OFF\x14` with no NUL between
/// the time-keeping TAL and the next; MNE reads "+1.140000" as a second annotation's text (4
/// annotations, "A1+A2 OFF" at 1.0 s); the file holds 2 (at 0 s and 1.14 s).
let annotationCountsDifferingFromMNE = ["mne-testing-data/NihonKohden/MB0400FU.EDF": 2]

private func read(_ path: String, _ parameters: [String: ParameterValue] = [:]) throws -> (formats: [StreamFormat], packets: [[Packet]]) {
    try SourceHarness.run(EEGSource.descriptor, parameters: parameters, input: InputLocation(path: path))
}

@Suite struct EEGSourceTests {
    @Test func theSharedEEGFilesArePresent() {
        #expect(FileManager.default.fileExists(atPath: sharedEEG + "/files.csv"), "../shared/data/eeg is missing")
        #expect(expectedRecordings().count == 18)
    }

    @Test(arguments: expectedRecordings())
    func opensWithTheChannelsRateDurationAndAnnotationsMNEFinds(_ expected: ExpectedRecording) throws {
        let (formats, packets) = try read(sharedEEG + "/" + expected.file)
        guard case .eeg(let format) = formats[0] else { Issue.record("no EEG format"); return }
        #expect(format.labels.count == expected.channels)
        if let rate = expected.rate { #expect(abs(format.sampleRate - rate) < 1e-6) }
        if let duration = expected.duration {
            let decoded = packets[0].reduce(0) { $0 + $1.duration.seconds }
            #expect(abs(decoded - duration) < 0.01, "decoded \(decoded) s")
            let frames = packets[0].reduce(0) { total, packet in
                if case .eeg(let chunk) = packet.payload { total + chunk.frameCount } else { total }
            }
            #expect(abs(Double(frames) - duration * format.sampleRate) < 1)
        }
        #expect(packets[1].count == annotationCountsDifferingFromMNE[expected.file] ?? expected.annotations)
        let onsets = packets[1].map(\.timestamp)
        #expect(onsets == onsets.sorted())
    }

    @Test(arguments: ["corrupt/S001R01.edf", "corrupt/S001R03.edf"])
    func damagedFilesAreRefusedNamingTheFieldAtFault(_ name: String) {
        do {
            _ = try read(sharedEEG + "/" + name)
            Issue.record("\(name) was accepted")
        } catch let error as StageError {
            #expect(error.message.hasPrefix("\(sharedEEG)/\(name) is "), "\(error)")
            #expect(error.message.contains("not a valid EDF/BDF file") || error.message.contains("is damaged"), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aGDFFileIsRefusedClearly() {
        let path = sharedEEG + "/mne-testing-data/GDF/test_1ch.gdf"
        #expect(throws: StageError("\(path) is not a valid EDF/BDF file: the version field is neither EDF's \"0\" nor BDF's \"\\xFFBIOSEMI\"")) {
            try read(path)
        }
    }

    /// Every generator file's sines, with the amplitude its generator writes: EDFbrowser's
    /// "sine F Hz" at 100 uV, pyedflib's "sine FHz" at 1000 uV (its record-duration variants
    /// label the frequency the declared rate gives).
    @Test(arguments: [
        ("pyedflib/test_generator.edf", 100.0), ("mne-testing-data/EDF/test_generator_2.edf", 100.0),
        ("mne-testing-data/BDF/test_generator_2.bdf", 100.0), ("pyedflib/test_generator.bdf", 1000.0),
        ("pyedflib/test_generator_datarec_generator_0_5.bdf", 1000.0), ("pyedflib/test_generator_datarec_generator_2.bdf", 1000.0),
    ])
    func generatorSinesHaveTheirFrequencyAndAmplitude(_ name: String, _ amplitude: Double) throws {
        let (formats, packets) = try read(sharedEEG + "/" + name)
        guard case .eeg(let format) = formats[0] else { return }
        var columns = Array(repeating: [Float](), count: format.labels.count)
        for packet in packets[0] {
            guard case .eeg(let chunk) = packet.payload else { continue }
            for frame in 0..<chunk.frameCount {
                for channel in 0..<chunk.channels { columns[channel].append(chunk.samples[frame * chunk.channels + channel]) }
            }
        }
        let sines = format.labels.indices.filter { format.labels[$0].hasPrefix("sine ") }
        #expect(sines.count >= 1)
        for index in sines {
            let label = format.labels[index], signal = columns[index]
            #expect(format.units[index] == "uV")
            // Amplitude from the RMS over the whole recording (exact for a sine away from Nyquist).
            let rms = (signal.reduce(0.0) { $0 + Double($1 * $1) } / Double(signal.count)).squareRoot()
            #expect(abs(rms * 2.0.squareRoot() - amplitude) < amplitude / 100, "\(label): amplitude \(rms * 2.0.squareRoot()) uV, not \(amplitude)")
            // Frequency from upward zero crossings (needs several samples per period: below 20 Hz here).
            let frequency = Double(label.dropFirst(5).replacingOccurrences(of: "Hz", with: "").trimmingCharacters(in: .whitespaces))!
            guard frequency < 20 else { continue }
            var crossings: [Int] = []
            for i in 1..<signal.count where signal[i - 1] < 0 && signal[i] >= 0 { crossings.append(i) }
            let measured = Double(crossings.count - 1) * format.sampleRate / Double(crossings.last! - crossings.first!)
            #expect(abs(measured - frequency) / frequency < 0.01, "\(label): \(measured) Hz")
        }
    }

    @Test func channelsAreSelectedAndRenamedAndMixedRatesCanBeRefused() throws {
        let path = sharedEEG + "/mne-testing-data/EDF/test_reduced.edf"
        let (formats, packets) = try read(path, ["channels": .string("A10, A3"), "rename": .string("A3=C3")])
        guard case .eeg(let format) = formats[0] else { Issue.record("no EEG format"); return }
        #expect(format.labels == ["A10", "C3"] && format.sampleRate == 512)
        #expect(packets[0].count == 6)
        #expect(throws: StageError.self) { try read(path, ["channels": .string("A1,Nope")]) }
        do {
            _ = try read(path, ["mixed_rates": .string("reject")])
            Issue.record("mixed rates were accepted")
        } catch let error as StageError {
            #expect(error.message.contains("mixes sample rates (A1 1.0 Hz, A2 2.0 Hz"))
        }
    }

    @Test func slowerChannelsAreInterpolatedLinearly() {
        #expect(EEGSource.stretch([0, 2, 4], to: 6) == [0, 1, 2, 3, 4, 4])
        #expect(EEGSource.stretch([5], to: 3) == [5, 5, 5])
        #expect(EEGSource.stretch([1, 2], to: 2) == [1, 2])
    }

    @Test func bdfTriggerChangesBecomeEvents() throws {
        let (_, packets) = try read(sharedEEG + "/mne-testing-data/BDF/test_bdf_stim_channel.bdf")
        #expect(!packets[2].isEmpty)
        for packet in packets[2] {
            guard case .text(let segment) = packet.payload else { continue }
            #expect(segment.text.hasPrefix("trigger "))
        }
    }

    @Test func talsGiveRecordStartsAndAnnotations() {
        let bytes: [UInt8] = Array("+0.25\u{14}\u{14}\u{0}+1.5\u{15}2\u{14}Eyes closed\u{14}Move\u{14}\u{0}\u{0}".utf8)
        let parsed = EDFAnnotationParser.parse(bytes[...])
        #expect(parsed.recordStart == 0.25)
        #expect(parsed.annotations == [.init(onset: 1.5, duration: 2, text: "Eyes closed"), .init(onset: 1.5, duration: 2, text: "Move")])
        let unseparated = EDFAnnotationParser.parse(Array("+1.0\u{14}\u{14}+1.14\u{14}A1+A2 OFF\u{14}\u{0}".utf8)[...])
        #expect(unseparated.recordStart == 1.0)
        #expect(unseparated.annotations == [.init(onset: 1.14, duration: 0, text: "A1+A2 OFF")])
    }
}

@Suite struct EEGTableAndRawTests {
    private func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("emopipe-\(UUID()).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aCSVTableWithATimeColumnGivesItsRateAndChunks() throws {
        let rows = (0..<250).map { "\(Double($0) / 100),\($0),\(-$0)" }
        let path = try write("time,C3,C4\n" + rows.joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (formats, packets) = try SourceHarness.run(EEGSource.descriptor, parameters: ["rename": .string("C4=Cz")],
                                                       input: InputLocation(path: path))
        guard case .eeg(let format) = formats[0] else { Issue.record("no format"); return }
        #expect(format.labels == ["C3", "Cz"] && abs(format.sampleRate - 100) < 1e-9 && format.units == ["uV", "uV"])
        #expect(packets[0].map(\.timestamp.microseconds) == (0..<10).map { Int64($0) * 250_000 })
        guard case .eeg(let last) = packets[0].last?.payload else { return }
        #expect(Array(last.samples.suffix(2)) == [249, -249])
    }

    @Test func aCSVTableWithoutTimesNeedsARateAndNumbers() throws {
        let path = try write("Fz,Pz\n1,2\n3,4\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: StageError("\(path) has no time column; give the sample rate with the 'rate' parameter")) {
            try SourceHarness.run(EEGSource.descriptor, input: InputLocation(path: path))
        }
        let (formats, _) = try SourceHarness.run(EEGSource.descriptor, parameters: ["rate": .number(250)], input: InputLocation(path: path))
        #expect(formats[0] == .eeg(EEGFormat(labels: ["Fz", "Pz"], units: ["uV", "uV"], sampleRate: 250)))
        let bad = try write("Fz,Pz\n1,2\n3,x\n")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        #expect(throws: StageError("\(bad):3: 'x' in column 'Pz' is not a number")) {
            try SourceHarness.run(EEGSource.descriptor, parameters: ["rate": .number(250)], input: InputLocation(path: bad))
        }
    }
}
