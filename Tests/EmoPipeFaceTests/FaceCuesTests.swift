import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFace

/// face.cues on synthetic pose and AU tracks with known answers.
@Suite struct FaceCuesTests {
    /// Rows shaped like face.actions output: a face every frame, the given pitch/yaw (degrees) and AU level.
    static func run(frames: Int, rate: Double = 30, pitch: (Double) -> Double, yaw: (Double) -> Double,
                    au: (Double) -> Double = { _ in 0 }) throws -> (names: [String], rows: [[Float]]) {
        let names = FaceLandmarksStage.columns + FacePoseStage.columns + FaceActionsStage.columns
        let harness = try StageHarness(FaceCuesStage.descriptor, inputs: [.features(FeatureSchema(names))])
        let points = MeanFace.points.map { SIMD2($0.x + 300, $0.y + 200) }
        var rows: [[Float]] = []
        for index in 0..<frames {
            let t = Double(index) / rate
            var values = [Float(index + 1), 0, 0.98, 1, 1] + points.map { Float($0.x) } + points.map { Float($0.y) }
            values += [0, 0, 600, Float(pitch(t) * .pi / 180), Float(yaw(t) * .pi / 180), 0, 1]
            values += [Float](repeating: Float(au(t)), count: ActionUnitEstimator.names.count) + [1, 0, 2, 0]
            for packet in try harness.push(Packet(timestamp: Timestamp(microseconds: Int64(t * 1e6)), payload: .features(FeatureRow(values)))) {
                if case .features(let row) = packet.payload { rows.append(row.values) }
            }
        }
        return (harness.outputFormats.first.flatMap { if case .features(let s) = $0 { s.names } else { nil } } ?? [], rows)
    }

    static func column(_ name: String, _ result: (names: [String], rows: [[Float]])) -> [Float] {
        let index = result.names.firstIndex(of: name)!
        return result.rows.map { $0[index] }
    }

    @Test func headShakeCountsYawSwingsNotPitch() throws {
        // Still for 1 s, then a 2 Hz, +-10 degree shake for 1.5 s.
        let result = try Self.run(frames: 75, pitch: { _ in 0 }, yaw: { t in t < 1 ? 0 : 10 * sin(2 * .pi * 2 * (t - 1)) })
        let shake = Self.column("head_shake", result), nod = Self.column("head_nod", result)
        #expect(shake[0..<30].allSatisfy { $0 == 0 })
        #expect(shake[74] >= 4, "a 2 Hz shake makes about 4 swings in 1.5 s: \(shake[74])")
        #expect(nod.allSatisfy { $0 == 0 })
    }

    @Test func smallJitterIsNoNod() throws {
        let result = try Self.run(frames: 60, pitch: { t in 1.0 * sin(2 * .pi * 3 * t) }, yaw: { _ in 0 })
        #expect(Self.column("head_nod", result).allSatisfy { $0 == 0 })
    }

    @Test func turningAwayFromTheUsualDirectionIsAversion() throws {
        // Facing the camera for 3 s, then turned 25 degrees away for 1 s.
        let result = try Self.run(frames: 120, pitch: { _ in 2 }, yaw: { t in t < 3 ? 0 : 25 })
        let offset = Self.column("gaze_offset_deg", result), aversion = Self.column("gaze_aversion", result)
        #expect(aversion[0..<90].allSatisfy { $0 == 0 })
        #expect(aversion[95..<120].allSatisfy { $0 == 1 })
        #expect(abs(offset[100] - 25) < 0.5)
    }

    @Test func expressionChangeIsTheRateOfAUChange() throws {
        // AUs ramp 0 -> 3 at 1.5 AU/s from t = 1 s; at 2.5 s the 1.5 s window lies inside the ramp.
        let result = try Self.run(frames: 90, pitch: { _ in 0 }, yaw: { _ in 0 }, au: { t in t < 1 ? 0 : min(3, 1.5 * (t - 1)) })
        let change = Self.column("expression_change", result)
        #expect(change[0..<30].allSatisfy { $0 == 0 })
        #expect(abs(change[75] - 1.5) < 0.05, "\(change[75])")
    }
}
