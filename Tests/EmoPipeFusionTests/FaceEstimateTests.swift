import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFusion

/// `estimate.affect` with the default face model on rows that carry face.expression's columns:
/// the network answers alone where the action units say nothing, the two are pooled where both
/// speak, and subject calibration maps the person's mean network output onto the population's.
@Suite struct FaceEstimateTests {
    static let auNames = ["AU01_r", "AU02_r", "AU04_r", "AU05_r", "AU06_r", "AU07_r", "AU09_r", "AU10_r", "AU12_r", "AU14_r",
                          "AU15_r", "AU17_r", "AU20_r", "AU23_r", "AU25_r", "AU26_r", "AU45_r"]
    static let categories = EmotionCategory.allCases
    static let network: [Double] = [0.2, 0.05, 0.05, 0.1, 0.4, 0.1, 0.1]  // neutral .. surprise
    static let reference: [Double] = [-1.2, -2.5, -3.5, -2.0, -1.5, -1.8, -2.2]

    static var schema: StreamFormat {
        var attributes: [String: Double] = [:]
        for (category, value) in zip(categories, reference) { attributes["expression_reference_" + category.rawValue] = value }
        return .features(FeatureSchema(auNames + categories.map { "expression_p_" + $0.rawValue } + ["expression_confidence"], attributes: attributes))
    }

    static func row(aus: [Float]) -> Packet {
        Packet(timestamp: .zero, payload: .features(FeatureRow(aus + network.map(Float.init) + [0.8])))
    }

    static func estimate(_ harness: StageHarness, aus: [Float]) throws -> AffectEstimate {
        let out = try harness.push(row(aus: aus))
        guard case .features(let row) = out[0].payload, let estimate = AffectEstimate(row: row.values) else {
            throw StageError("no estimate")
        }
        return estimate
    }

    @Test func theNetworkAnswersAloneWhereTheActionUnitsSayNothing() throws {
        let harness = try StageHarness(AffectEstimateStage.descriptor, inputs: [Self.schema])
        let estimate = try Self.estimate(harness, aus: [Float](repeating: .nan, count: Self.auNames.count))
        for (a, b) in zip(estimate.probabilities, Self.network) { #expect(abs(a - b) < 1e-6) }
        #expect(abs(estimate.confidence - 0.8) < 1e-6)
        let point = EmotionSpace.point(of: Self.network)
        #expect(abs(estimate.valence - point.x) < 1e-6 && abs(estimate.arousal - point.y) < 1e-6)
    }

    @Test func actionUnitEvidenceIsPooledWithTheNetwork() throws {
        // A strong smile (AU06 + AU12) in the action units.
        var aus = [Float](repeating: 0, count: Self.auNames.count)
        aus[Self.auNames.firstIndex(of: "AU06_r")!] = 3
        aus[Self.auNames.firstIndex(of: "AU12_r")!] = 4
        let alone = try StageHarness(AffectEstimateStage.descriptor, inputs: [.features(FeatureSchema(Self.auNames))])
        let out = try alone.push(Packet(timestamp: .zero, payload: .features(FeatureRow(aus))))
        guard case .features(let auRow) = out[0].payload, let au = AffectEstimate(row: auRow.values) else { Issue.record("no AU estimate"); return }
        for weight in [0.5, 1.0] {
            let pooled = try StageHarness(AffectEstimateStage.descriptor, parameters: ["au_weight": .number(weight), "au_after_frames": .integer(0)],
                                            inputs: [Self.schema])
            let estimate = try Self.estimate(pooled, aus: aus)
            let raw = zip(Self.network, au.probabilities).map { $0 * pow(max($1, 1e-6), weight) }
            let total = raw.reduce(0, +)
            for (a, b) in zip(estimate.probabilities, raw.map { $0 / total }) { #expect(abs(a - b) < 1e-6) }
            #expect(estimate.probabilities[4] > Self.network[4], "the smile raises happiness")
        }
        let off = try StageHarness(AffectEstimateStage.descriptor, parameters: ["au_weight": .number(0)], inputs: [Self.schema])
        for (a, b) in zip(try Self.estimate(off, aus: aus).probabilities, Self.network) { #expect(abs(a - b) < 1e-6) }
        // By default the AUs join only once the running neutral has 50 frames: the first 50 rows
        // are the network's alone, the 51st is pooled.
        let waiting = try StageHarness(AffectEstimateStage.descriptor, inputs: [Self.schema])
        for _ in 0..<50 {
            for (a, b) in zip(try Self.estimate(waiting, aus: aus).probabilities, Self.network) { #expect(abs(a - b) < 1e-6) }
        }
        #expect(try Self.estimate(waiting, aus: aus).probabilities[4] > Self.network[4])
    }

    @Test func subjectCalibrationMapsThePersonsMeanOntoThePopulations() throws {
        // This person's faces read sadder than the population's on average (a resting face).
        var centre = Self.reference
        centre[5] += 1.0
        let names = Self.categories.map { "log_p_" + $0.rawValue }
        let profile = SubjectProfile(subject: "p", pipeline: "t", configHash: "0", inputs: ["a.mp4"],
                                     baselines: ["expression:face-emfacs": FeatureBaseline(names: names, count: 100, centre: centre, spread: nil)])
        let harness = try StageHarness(AffectEstimateStage.descriptor, parameters: ["expression_calibration": .boolean(true)],
                                       inputs: [Self.schema], calibration: .apply(profile))
        let estimate = try Self.estimate(harness, aus: [Float](repeating: .nan, count: Self.auNames.count))
        var expected = Self.network
        expected[5] *= exp(-1.0)
        let total = expected.reduce(0, +)
        for (a, b) in zip(estimate.probabilities, expected.map { $0 / total }) { #expect(abs(a - b) < 1e-6) }
        // Off by default: the profile leaves the network's output as it is.
        let plain = try StageHarness(AffectEstimateStage.descriptor, inputs: [Self.schema], calibration: .apply(profile))
        let unshifted = try Self.estimate(plain, aus: [Float](repeating: .nan, count: Self.auNames.count))
        for (a, b) in zip(unshifted.probabilities, Self.network) { #expect(abs(a - b) < 1e-6) }

        // The calibration pass hands over the mean log-probabilities of the network.
        let collector = CalibrationCollector()
        let pass = try StageHarness(AffectEstimateStage.descriptor, inputs: [Self.schema], calibration: .collect(collector))
        for _ in 0..<3 { _ = try pass.push(Self.row(aus: [Float](repeating: .nan, count: Self.auNames.count))) }
        _ = try pass.finish()
        guard case .moments(let moments)? = collector.take()["expression:face-emfacs"] else { Issue.record("nothing collected"); return }
        #expect(moments.count == 3)
        for (a, b) in zip(moments.mean, Self.network) { #expect(abs(a - log(b)) < 1e-6) }
    }
}
