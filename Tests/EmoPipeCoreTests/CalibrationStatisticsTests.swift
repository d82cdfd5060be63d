import EmoPipeCore
import Foundation
import Testing

/// The statistics subject calibration pools: merging per-input statistics must give what one
/// pass over all rows gives, and pooling must not depend on the order the inputs ran in.
@Suite struct CalibrationStatisticsTests {
    /// Deterministic rows: a random walk per feature.
    static func rows(_ count: Int, seed: UInt64) -> [[Double]] {
        var generator = seed
        func next() -> Double {
            generator = generator &* 6364136223846793005 &+ 1442695040888963407
            return Double(generator >> 11) / Double(1 << 53)
        }
        return (0..<count).map { _ in [next() * 10, next() - 0.5, 1000 + next()] }
    }

    @Test func mergedMomentsEqualOnePassOverEveryRow() {
        let a = Self.rows(37, seed: 1), b = Self.rows(5, seed: 2), c = Self.rows(120, seed: 3)
        var whole = FeatureMoments(names: ["x", "y", "z"])
        for row in a + b + c { whole.add(row) }
        var parts = [a, b, c].map { rows -> FeatureMoments in
            var moments = FeatureMoments(names: ["x", "y", "z"])
            for row in rows { moments.add(row) }
            return moments
        }
        parts[0].merge(parts[1])
        parts[0].merge(parts[2])
        #expect(parts[0].count == 162)
        for index in 0..<3 {
            #expect(abs(parts[0].mean[index] - whole.mean[index]) < 1e-9 * max(1, abs(whole.mean[index])))
            #expect(abs(parts[0].standardDeviation[index] - whole.standardDeviation[index]) < 1e-9)
        }
        // Known answer: the sample SD of 1...5 is sqrt(2.5).
        var known = FeatureMoments(names: ["v"])
        for value in 1...5 { known.add([Double(value)]) }
        #expect(known.mean == [3] && abs(known.standardDeviation[0] - 2.5.squareRoot()) < 1e-12)
    }

    @Test func mergedHistogramsGiveTheMedianOfEveryValue() {
        var left = RunningMedian(lower: 0, upper: 10, bins: 1000), right = left, whole = left
        for value in [1.0, 2, 3, 9, 9.5] { left.add(value); whole.add(value) }
        for value in [4.0, 5, 6, 7] { right.add(value); whole.add(value) }
        left.merge(right)
        #expect(left == whole)
        #expect(abs(left.median! - 5) <= 0.005)
    }

    /// The profile of the same inputs has the same bytes whatever order they are pooled in, and a
    /// baseline with too few rows is left out with the reason.
    @Test func poolingIsIndependentOfInputOrderAndNamesWhatItLeavesOut() throws {
        func statistics(_ seed: UInt64, rows: Int) -> [String: CalibrationStatistic] {
            var moments = FeatureMoments(names: ["x", "y", "z"])
            for row in Self.rows(rows, seed: seed) { moments.add(row) }
            var histograms = [RunningMedian(lower: 0, upper: 10, bins: 100)]
            for row in Self.rows(rows, seed: seed + 100) { histograms[0].add(row[0]) }
            return ["model:m": .moments(moments), "face.neutral.all": .medians(names: ["x"], histograms)]
        }
        let inputs = (0..<6).map { (relativePath: "p/\($0).wav", statistics: statistics(UInt64($0), rows: 3 + $0 * 7)) }
        let forward = SubjectProfile.pooling(inputs, subject: "p", pipeline: "test", configHash: "0")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            let shuffled = SubjectProfile.pooling(inputs.shuffled(using: &generator), subject: "p", pipeline: "test", configHash: "0")
            #expect(try shuffled.encoded() == forward.encoded())
        }
        #expect(forward.baselines["model:m"]?.count == inputs.reduce(0) { $0 + 3 + Int($1.relativePath.dropFirst(2).prefix(1))! * 7 })
        #expect(forward.inputs == inputs.map(\.relativePath))
        // Too little: one short input.
        let short = SubjectProfile.pooling([inputs[0]], subject: "q", pipeline: "test", configHash: "0")
        #expect(short.baselines.isEmpty)
        #expect(short.omitted["model:m"] == "3 feature rows over 1 input, fewer than 10")
        #expect(short.omitted["face.neutral.all"] == "3 face frames over 1 input, fewer than 50")
    }

    @Test func aProfileRoundTripsAndABrokenOneIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emopipe-profile-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let profile = SubjectProfile(subject: "p01", pipeline: "voice-affect", configHash: "abc", inputs: ["a.wav"],
                                     baselines: ["model:m": FeatureBaseline(names: ["x"], count: 12, centre: [0.25], spread: [2])])
        try profile.encoded().write(to: URL(fileURLWithPath: folder + "/p.profile"))
        #expect(try SubjectProfile.load(path: folder + "/p.profile") == profile)
        #expect(profile.baselines["model:m"]!.zScores([4.25]) == [2])
        try Data("{\"format\": 3}".utf8).write(to: URL(fileURLWithPath: folder + "/bad.profile"))
        #expect(throws: StageError.self) { try SubjectProfile.load(path: folder + "/bad.profile") }
        do {
            _ = try SubjectProfile.load(path: folder + "/bad.profile")
        } catch {
            #expect("\(error)".hasPrefix("\(folder)/bad.profile: not an EmoPipe subject profile"))
        }
        #expect(Calibration.none.configHash("0123") == "0123")
        #expect(Calibration.apply(profile).configHash("0123") != "0123")
    }
}
