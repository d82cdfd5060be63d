import EmoPipeAudio
import EmoPipeCore
import Foundation
import Testing

/// EmoPipe's eGeMAPS LLDs against openSMILE's eGeMAPSv02 on four RAVDESS utterances
/// (Reference/egemaps_lld_reference.csv, from scripts/reference/egemaps_lld_reference.py).
/// EmoPipe's rows are smoothed as eGeMAPS smooths (3 frames; non-zero values only for F0 and
/// HNR) and aligned by time: openSMILE stamps a frame at its start, EmoPipe at its centre, so
/// openSMILE's 20 ms frame k is EmoPipe's k + 1 and its 60 ms frame k is EmoPipe's k + 3.
/// Pearson r >= 0.9 over all frames, and over frames voiced in both for F0 and HNR.
@Suite struct EGeMAPSAgreementTests {
    static let columns: [(reference: String, ours: String, port: Int, voiced: Bool)] = [
        ("Loudness_sma3", "loudness", 2, false), ("alphaRatio_sma3", "alpha_ratio_db", 2, false),
        ("hammarbergIndex_sma3", "hammarberg_db", 2, false), ("slope0-500_sma3", "slope_0_500", 2, false),
        ("mfcc1_sma3", "mfcc_1", 1, false), ("mfcc2_sma3", "mfcc_2", 1, false), ("mfcc3_sma3", "mfcc_3", 1, false),
        ("mfcc4_sma3", "mfcc_4", 1, false), ("F0semitoneFrom27.5Hz_sma3nz", "f0_semitone", 0, true),
        ("HNRdBACF_sma3nz", "hnr_db", 1, true),
    ]
    static let descriptorNames = ["centroid_hz", "rolloff_hz", "flux", "slope_0_500", "slope_500_1500", "alpha_ratio_db",
                                  "hammarberg_db", "loudness", "power"]

    private func smooth(_ x: [Double], skipZeros: Bool) -> [Double] {
        x.indices.map { index in
            if skipZeros, x[index] == 0 { return 0 }
            let window = x[max(0, index - 1)...min(x.count - 1, index + 1)].filter { !skipZeros || $0 != 0 }
            return window.reduce(0, +) / Double(window.count)
        }
    }

    @Test func lowLevelDescriptorsCorrelateWithOpenSMILE() throws {
        let text = try String(contentsOf: AudioTestSupport.testsFolder.appendingPathComponent("Reference/egemaps_lld_reference.csv"), encoding: .utf8)
        let lines = text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("#") }
        let header = lines[0].split(separator: ",").map(String.init)
        var reference: [String: [[Double]]] = [:]
        var files: [String] = []
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",").map(String.init)
            if reference[fields[0]] == nil { files.append(fields[0]) }
            reference[fields[0], default: []].append(fields.dropFirst(2).map { Double($0)! })
        }
        var pairs = [String: (ours: [Double], theirs: [Double])]()
        for file in files {
            let samples = try AudioTestSupport.decode(AudioTestSupport.sharedData.appendingPathComponent("speech/ravdess/" + file).path)
            let spectral = try AudioTestSupport.run(AudioSpectralStage.descriptor, SpectralDescriptorTests.parameters, samples: samples)
            let pitch = try AudioTestSupport.run(AudioPitchStage.descriptor, samples: samples)
            let theirsRows = reference[file]!
            for column in Self.columns {
                let series: [Double]
                switch column.port {
                case 2: series = spectral[2].rows.map { Double($0[Self.descriptorNames.firstIndex(of: column.ours)!]) }
                case 1 where column.ours.hasPrefix("mfcc"): series = spectral[1].rows.map { Double($0[Int(column.ours.dropFirst(5))!]) }
                case 1: series = pitch[1].rows.map { Double($0[2]) }
                default: series = pitch[0].rows.map { Double($0[1]) }
                }
                let ours = smooth(series, skipZeros: column.voiced)
                let offset = column.voiced ? 3 : 1
                let referenceIndex = header.firstIndex(of: column.reference)! - 2
                for (k, row) in theirsRows.enumerated() where k + offset < ours.count {
                    let a = ours[k + offset], b = row[referenceIndex]
                    if column.voiced, a == 0 || b == 0 { continue }
                    pairs[column.reference, default: ([], [])].ours.append(a)
                    pairs[column.reference, default: ([], [])].theirs.append(b)
                }
            }
        }
        for column in Self.columns {
            let pair = try #require(pairs[column.reference])
            #expect(pair.ours.count > 200)
            let r = AudioTestSupport.pearson(pair.ours, pair.theirs)
            #expect(r >= 0.9, "\(column.reference): r = \(r) over \(pair.ours.count) frames")
        }
    }
}
