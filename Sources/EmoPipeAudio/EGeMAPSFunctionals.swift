import Foundation

/// The 88 eGeMAPS v02 functionals (Eyben et al. 2016) over frame-aligned LLDs, named and
/// ordered as openSMILE's `eGeMAPSv02` functionals. Smoothing, voiced/unvoiced selection and
/// functionals follow its configuration: energy and spectral LLDs are smoothed over 3 frames;
/// F0, voice quality, formants and the voiced/unvoiced spectral copies over 3 frames of
/// non-zero values, with their functionals over non-zero frames only.
enum EGeMAPSFunctionals {
    /// The LLD columns needed (as `audio.spectral` and `audio.pitch` name them).
    static let requiredColumns = ["loudness", "alpha_ratio_db", "hammarberg_db", "slope_0_500", "slope_500_1500", "flux",
                                  "mfcc_1", "mfcc_2", "mfcc_3", "mfcc_4", "power", "f0_semitone",
                                  "jitter_local", "shimmer_local_db", "hnr_db", "h1_h2_db", "h1_a3_db",
                                  "f1_hz", "f1_bandwidth_hz", "f1_amplitude_db", "f2_hz", "f2_bandwidth_hz", "f2_amplitude_db",
                                  "f3_hz", "f3_bandwidth_hz", "f3_amplitude_db"]

    private static let contourFunctionals = ["amean", "stddevNorm", "percentile20.0", "percentile50.0", "percentile80.0",
                                             "pctlrange0-2", "meanRisingSlope", "stddevRisingSlope", "meanFallingSlope",
                                             "stddevFallingSlope"]
    /// openSMILE's name, and ours, for the LLDs with mean and stddevNorm.
    private static let energySpectral = [("spectralFlux", "flux"), ("mfcc1", "mfcc_1"), ("mfcc2", "mfcc_2"),
                                         ("mfcc3", "mfcc_3"), ("mfcc4", "mfcc_4")]
    private static let voiceQuality = [("jitterLocal", "jitter_local"), ("shimmerLocaldB", "shimmer_local_db"),
                                       ("HNRdBACF", "hnr_db"), ("logRelF0-H1-H2", "h1_h2_db"), ("logRelF0-H1-A3", "h1_a3_db"),
                                       ("F1frequency", "f1_hz"), ("F1bandwidth", "f1_bandwidth_hz"), ("F1amplitudeLogRelF0", "f1_amplitude_db"),
                                       ("F2frequency", "f2_hz"), ("F2bandwidth", "f2_bandwidth_hz"), ("F2amplitudeLogRelF0", "f2_amplitude_db"),
                                       ("F3frequency", "f3_hz"), ("F3bandwidth", "f3_bandwidth_hz"), ("F3amplitudeLogRelF0", "f3_amplitude_db")]
    private static let voicedSpectral = [("alphaRatioV", "alpha_ratio_db"), ("hammarbergIndexV", "hammarberg_db"),
                                         ("slopeV0-500", "slope_0_500"), ("slopeV500-1500", "slope_500_1500"),
                                         ("spectralFluxV", "flux"), ("mfcc1V", "mfcc_1"), ("mfcc2V", "mfcc_2"),
                                         ("mfcc3V", "mfcc_3"), ("mfcc4V", "mfcc_4")]
    private static let unvoicedSpectral = [("alphaRatioUV", "alpha_ratio_db"), ("hammarbergIndexUV", "hammarberg_db"),
                                           ("slopeUV0-500", "slope_0_500"), ("slopeUV500-1500", "slope_500_1500"),
                                           ("spectralFluxUV", "flux")]

    /// The 88 output names, in openSMILE's order.
    static let names: [String] = {
        var names = contourFunctionals.map { "F0semitoneFrom27.5Hz_sma3nz_\($0)" }
        names += contourFunctionals.map { "loudness_sma3_\($0)" }
        for (name, _) in energySpectral { names += ["\(name)_sma3_amean", "\(name)_sma3_stddevNorm"] }
        for (name, _) in voiceQuality + voicedSpectral { names += ["\(name)_sma3nz_amean", "\(name)_sma3nz_stddevNorm"] }
        for (name, _) in unvoicedSpectral { names.append("\(name)_sma3nz_amean") }
        return names + ["loudnessPeaksPerSec", "VoicedSegmentsPerSec", "MeanVoicedSegmentLengthSec",
                        "StddevVoicedSegmentLengthSec", "MeanUnvoicedSegmentLength", "StddevUnvoicedSegmentLength",
                        "equivalentSoundLevel_dBp"]
    }()

    /// The functionals of `columns` (each a contour over the same frames, by LLD name) with
    /// frames `frameSeconds` apart.
    static func compute(_ columns: [String: [Double]], frameSeconds: Double) -> [Double] {
        let count = columns["loudness"]?.count ?? 0
        func column(_ name: String) -> [Double] { columns[name] ?? [Double](repeating: 0, count: count) }
        let semitone = column("f0_semitone")
        let voiced = semitone.map { $0 > 0 }
        func masked(_ name: String, voicedOnly: Bool) -> [Double] {
            zip(column(name), voiced).map { value, isVoiced in isVoiced == voicedOnly ? value : 0 }
        }
        func nonZero(_ x: [Double]) -> [Double] { x.filter { $0 != 0 } }
        func contour(_ x: [Double], dropZeros: Bool) -> [Double] {
            let values = dropZeros ? nonZero(x) : x
            let sorted = values.sorted()
            let p20 = ContourFunctionals.percentile(sorted: sorted, 0.2), p80 = ContourFunctionals.percentile(sorted: sorted, 0.8)
            let slopes = ContourFunctionals.slopes(values, frameSeconds: frameSeconds)
            return [ContourFunctionals.mean(values), ContourFunctionals.normalisedDeviation(values), p20,
                    ContourFunctionals.percentile(sorted: sorted, 0.5), p80, p80 - p20,
                    slopes.meanRising, slopes.sdRising, slopes.meanFalling, slopes.sdFalling]
        }
        let f0 = ContourFunctionals.smooth3(semitone, skipZeros: true)
        let loudness = ContourFunctionals.smooth3(column("loudness"), skipZeros: false)
        var values = contour(f0, dropZeros: true) + contour(loudness, dropZeros: false)
        for (_, ours) in energySpectral {
            let x = ContourFunctionals.smooth3(column(ours), skipZeros: false)
            values += [ContourFunctionals.mean(x), ContourFunctionals.normalisedDeviation(x)]
        }
        for (_, ours) in voiceQuality + voicedSpectral {
            let x = nonZero(ContourFunctionals.smooth3(masked(ours, voicedOnly: true), skipZeros: true))
            values += [ContourFunctionals.mean(x), ContourFunctionals.normalisedDeviation(x)]
        }
        for (_, ours) in unvoicedSpectral {
            values.append(ContourFunctionals.mean(nonZero(ContourFunctionals.smooth3(masked(ours, voicedOnly: false), skipZeros: true))))
        }
        let seconds = max(frameSeconds, Double(count) * frameSeconds)
        let peaks = ContourFunctionals.extrema(loudness).filter(\.isPeak).count
        let voicedRuns = ContourFunctionals.runs(semitone) { $0 > 0 }.map { Double($0) * frameSeconds }
        let unvoicedRuns = ContourFunctionals.runs(semitone) { $0 == 0 }.map { Double($0) * frameSeconds }
        let power = ContourFunctionals.mean(column("power"))
        values += [Double(peaks) / seconds, Double(voicedRuns.count) / seconds,
                   ContourFunctionals.mean(voicedRuns), ContourFunctionals.standardDeviation(voicedRuns),
                   ContourFunctionals.mean(unvoicedRuns), ContourFunctionals.standardDeviation(unvoicedRuns),
                   power > 0 ? 10 * log10(power) : -200]
        return values
    }
}
