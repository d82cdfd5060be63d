import EmoPipeCore
import EmoPipeNN
import Foundation
import Testing
@testable import EmoPipeFace

/// The shipped expression network, face alignment, `face.expression`, and still images searched
/// thoroughly by `face.landmarks`.
@Suite struct FaceExpressionTests {
    struct Case: Decodable {
        var image: [Float]
        var probabilities: [Double]
    }

    struct Reference: Decodable { var cases: [Case] }

    /// The Swift forward pass of Models/face-expression (oneDNN, Winograd in its wide layers)
    /// against the training script's float64 forward pass of the same stored weights
    /// (scripts/models/train_face_expression.py), within 1e-4.
    @Test func shippedNetworkMatchesItsTrainingScript() throws {
        let folder = try #require(ModelStore.models.locate("face-expression")?.path)
        let network = try Network.load(folder: folder)
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference/face-expression.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        #expect(reference.cases.count == 3)
        for item in reference.cases {
            let got = network.predict(item.image)
            for (a, b) in zip(got, item.probabilities) { #expect(abs(Double(a) - b) <= 1e-4, "\(got) against \(item.probabilities)") }
        }
        #expect(network.classes.allSatisfy { EmotionCategory(rawValue: $0) != nil })
    }

    /// A face drawn with dark eye dots, rotated 20 degrees and four times larger than the crop: the
    /// aligned crop has the dots level, at the crop's eye places.
    @Test func alignmentPutsTheEyesWhereTheNetworkExpectsThem() {
        let alignment = FaceAlignment(size: 48, eyeMidpoint: SIMD2(23.5, 18.67), eyeDistance: 17.66)
        let angle = 20.0 * .pi / 180
        let centre = SIMD2(200.0, 180.0)
        let axis = SIMD2(cos(angle), sin(angle))
        let left = centre - axis * 35, right = centre + axis * 35
        var pixels = [UInt8](repeating: 200, count: 400 * 400)
        for y in 0..<400 {
            for x in 0..<400 {
                let p = SIMD2(Double(x), Double(y))
                for eye in [left, right] where ((p - eye) * (p - eye)).sum() < 36 { pixels[y * 400 + x] = 0 }
            }
        }
        let image = GrayImage(width: 400, height: 400, pixels: pixels)
        // Eye contours of six points around each centre; the rest of the face anywhere.
        var points = [SIMD2<Double>](repeating: centre, count: 68)
        for index in 0..<6 {
            let offset = SIMD2(cos(Double(index) * .pi / 3), sin(Double(index) * .pi / 3)) * 8
            points[36 + index] = left + offset
            points[42 + index] = right + offset
        }
        let crop = alignment.crop(image, landmarks: FaceLandmarks(points: points))
        func darkest(columns: Range<Int>) -> SIMD2<Double> {
            var best = (value: Float.infinity, at: SIMD2(0.0, 0.0))
            for y in 0..<48 {
                for x in columns where crop[y * 48 + x] < best.value { best = (crop[y * 48 + x], SIMD2(Double(x), Double(y))) }
            }
            return best.at
        }
        let leftEye = darkest(columns: 0..<24), rightEye = darkest(columns: 24..<48)
        #expect(abs(leftEye.x - (23.5 - 8.83)) <= 1 && abs(leftEye.y - 18.67) <= 1, "left eye at \(leftEye)")
        #expect(abs(rightEye.x - (23.5 + 8.83)) <= 1 && abs(rightEye.y - 18.67) <= 1, "right eye at \(rightEye)")
        // Background stays background (the sub-sampled average of a flat area is the area).
        #expect(crop[47 * 48 + 0] == 200)
    }

    /// FER2013 PublicTest faces of each class, read in place, as stills through face.landmarks and
    /// face.expression: most read as their class (the full 3,589 are scored by
    /// scripts/validation/face-expression.sh).
    @Test func publicTestStillsReadAsTheirClass() throws {
        let folders = ["angry": EmotionCategory.anger, "happy": .happiness, "surprise": .surprise, "neutral": .neutral, "sad": .sadness]
        var correct = 0, total = 0, wholeImage = 0
        for (folder, category) in folders.sorted(by: { $0.key < $1.key }) {
            let directory = FaceTestSupport.faces("fer2013/publictest/" + folder)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted().prefix(12)
            for file in files {
                let row = try Self.expressionRows(directory + "/" + file).first!
                total += 1
                if row.whole { wholeImage += 1 }
                if row.emotion == category { correct += 1 }
            }
        }
        print("FER2013 PublicTest sample: \(correct) of \(total) right, \(wholeImage) taken whole")
        #expect(total == 60)
        #expect(Double(correct) >= 0.6 * Double(total), "\(correct) of \(total)")
        #expect(wholeImage < total / 2, "most faces are found and aligned")
    }

    /// One still through face.landmarks (as a still) and face.expression: per face row, the
    /// emotion with the highest probability, the row's valence and whether the whole image was used.
    static func expressionRows(_ path: String, parameters: [String: ParameterValue] = [:])
        throws -> [(faceID: Int, emotion: EmotionCategory?, valence: Float, whole: Bool)] {
        let frames = try FaceTestSupport.frames(path)
        guard case .video(let first) = frames.first?.payload else { return [] }
        let format = VideoFormat(width: first.width, height: first.height, pixelFormat: first.format, frameRate: 25, isStill: true)
        let (schema, rows) = try expressionOutput(frames, format: format, landmarks: landmarkRows(frames, format: format), parameters: parameters)
        let start = schema.index(of: "expression_p_neutral")!
        return rows.map { row in
            let p = Array(row.values[start..<(start + EmotionCategory.allCases.count)])
            let best = p.allSatisfy(\.isFinite) ? p.indices.max { p[$0] < p[$1] } : nil
            return (Int(row.values[schema.index(of: "face_id")!]), best.map { EmotionCategory.allCases[$0] },
                    row.values[schema.index(of: "expression_valence")!], row.values[schema.index(of: "expression_whole_image")!] == 1)
        }
    }

    /// face.landmarks over `frames`: its rows and its output format.
    static func landmarkRows(_ frames: [Packet], format: VideoFormat) throws -> (rows: [Packet], format: StreamFormat) {
        let landmarks = try StageHarness(FaceLandmarksStage.descriptor, inputs: [.video(format)])
        var rows: [Packet] = []
        for frame in frames { rows += try landmarks.push(frame) }
        rows += try landmarks.finish()
        return (rows, landmarks.outputFormats[0])
    }

    /// face.expression over `frames` and face.landmarks' rows for them, each row pushed once its
    /// frame is in (as a pipeline delivers them): the output schema and feature rows.
    static func expressionOutput(_ frames: [Packet], format: VideoFormat, landmarks: (rows: [Packet], format: StreamFormat),
                                 parameters: [String: ParameterValue]) throws -> (schema: FeatureSchema, rows: [FeatureRow]) {
        let expression = try StageHarness(FaceExpressionStage.descriptor, parameters: parameters, inputs: [.video(format), landmarks.format])
        var out: [Packet] = []
        var pending = landmarks.rows[...]
        for frame in frames {
            out += try expression.push(frame, input: 0)
            while let row = pending.first, row.timestamp <= frame.timestamp {
                out += try expression.push(row, input: 1)
                pending = pending.dropFirst()
            }
        }
        for row in pending { out += try expression.push(row, input: 1) }
        out += try expression.finish()
        guard case .features(let schema) = expression.outputFormats[0] else { throw StageError("face.expression writes no feature rows") }
        return (schema, out.compactMap { packet in
            guard case .features(let row) = packet.payload else { return nil }
            return row
        })
    }

    /// Group photos as stills: every face down to about 40 px is found, each with its own id and an
    /// expression (dlib's nine example photos, 43 annotated faces of 37-120 px; before stills were
    /// searched thoroughly, one face per photo).
    @Test func groupPhotosGiveEveryFace() throws {
        var matched = 0, annotated = 0
        for file in ["training.xml", "testing.xml"] {
            for (name, faces) in try FaceTestSupport.dlibAnnotations(FaceTestSupport.faces("dlib-examples/" + file)) {
                let path = FaceTestSupport.faces("dlib-examples/" + name)
                let rows = try Self.expressionRows(path)
                #expect(Set(rows.map(\.faceID)).count == rows.count, "\(name): one id per face")
                #expect(rows.allSatisfy { $0.emotion != nil && !$0.whole }, "\(name)")
                let centres = try Self.faceCentres(path)
                annotated += faces.count
                matched += faces.filter { face in centres.contains { face.box.left <= $0.x && $0.x <= face.box.right && face.box.top <= $0.y && $0.y <= face.box.bottom } }.count
            }
        }
        print("dlib examples: \(matched) of \(annotated) annotated faces found as stills")
        #expect(annotated == 43)
        #expect(matched >= 41, "\(matched) of \(annotated)")
    }

    /// Landmark centroids of every face face.landmarks finds in a still.
    static func faceCentres(_ path: String) throws -> [SIMD2<Double>] {
        let frames = try FaceTestSupport.frames(path)
        guard case .video(let first) = frames.first?.payload else { return [] }
        let format = VideoFormat(width: first.width, height: first.height, pixelFormat: first.format, frameRate: 25, isStill: true)
        let harness = try StageHarness(FaceLandmarksStage.descriptor, inputs: [.video(format)])
        var rows: [Packet] = []
        for frame in frames { rows += try harness.push(frame) }
        return rows.compactMap { packet in
            guard case .features(let row) = packet.payload, row.values[3] == 1 else { return nil }
            let xs = row.values[5..<73], ys = row.values[73..<141]
            return SIMD2(Double(xs.reduce(0, +)) / 68, Double(ys.reduce(0, +)) / 68)
        }
    }

    /// With only the video connected every frame is one face crop: the same answer as
    /// `whole_image: always` on a still without a detectable face.
    @Test func cropModeRunsTheWholeFrame() throws {
        let path = FaceTestSupport.faces("fer2013/publictest/happy/" + (try FileManager.default.contentsOfDirectory(atPath: FaceTestSupport.faces("fer2013/publictest/happy")).sorted()[0]))
        let frames = try FaceTestSupport.frames(path)
        guard case .video(let first) = frames.first?.payload else { Issue.record("no frame"); return }
        let format = VideoFormat(width: first.width, height: first.height, pixelFormat: first.format, frameRate: 25, isStill: true)
        let harness = try StageHarness(FaceExpressionStage.descriptor, inputs: [.video(format)])
        var out: [Packet] = []
        for frame in frames { out += try harness.push(frame) }
        out += try harness.finish()
        #expect(out.count == 1)
        guard case .features(let schema) = harness.outputFormats[0], case .features(let row) = out.first?.payload else { return }
        #expect(Array(schema.names.prefix(4)) == ["frame", "face_id", "success", "confidence"])
        #expect(row.values[schema.index(of: "expression_whole_image")!] == 1)
        let always = try Self.expressionRows(path, parameters: ["whole_image": .string("always")])
        let p = schema.index(of: "expression_p_happiness")!
        #expect(abs(always[0].valence - row.values[schema.index(of: "expression_valence")!]) < 1e-6)
        let sum = row.values[(p - 4)..<(p + 3)].reduce(0, +)
        #expect(abs(sum - 1) < 1e-4, "probabilities sum to \(sum)")
    }

    /// contrast: match sets a crop's mean and standard deviation to the target's (clipped to
    /// 0...255); a flat crop only moves to the target mean.
    @Test func contrastMatchingGivesTheTrainingFacesMeanAndSpread() {
        var crop: [Float] = (0..<48 * 48).map { index in index % 2 == 0 ? 100 : 120 }
        FaceExpressionStage.matchContrast(&crop, to: (mean: 130, deviation: 50))
        let mean = crop.reduce(0, +) / Float(crop.count)
        let deviation = (crop.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(crop.count)).squareRoot()
        #expect(abs(mean - 130) < 1e-3 && abs(deviation - 50) < 1e-3, "mean \(mean), deviation \(deviation)")
        #expect(crop[0] == 80 && crop[1] == 180)
        var flat = [Float](repeating: 30, count: 16)
        FaceExpressionStage.matchContrast(&flat, to: (mean: 130, deviation: 50))
        #expect(flat.allSatisfy { $0 == 130 })
        var wide: [Float] = (0..<100).map { $0 % 2 == 0 ? 0 : 255 }
        FaceExpressionStage.matchContrast(&wide, to: (mean: 250, deviation: 100))
        #expect(wide.allSatisfy { (0...255).contains($0) })
    }

    /// lp_d0.mp4 (posed expression changes, 25 fps) as video through face.landmarks and
    /// face.expression with the defaults (the network every 2nd frame, smoothed): the smile, frames 25-60 (0-based),
    /// reads as happiness on at least 90% of its frames and the neutral start, frames 2-12, as
    /// neutral on at least 90%. Smoothing (smooth_s) lowers the frame-to-frame change of the
    /// probabilities and keeps the first frame's answer.
    @Test func aPosedSmileInVideoReadsAsHappiness() throws {
        let frames = Array(try FaceTestSupport.frames(FaceTestSupport.video("lp_d0.mp4")).prefix(64))
        guard case .video(let first) = frames.first?.payload else { Issue.record("no frame"); return }
        let format = VideoFormat(width: first.width, height: first.height, pixelFormat: first.format, frameRate: 25)
        let landmarks = try Self.landmarkRows(frames, format: format)
        func run(_ parameters: [String: ParameterValue]) throws -> [[Float]] {
            let (schema, rows) = try Self.expressionOutput(frames, format: format, landmarks: landmarks, parameters: parameters)
            let start = schema.index(of: "expression_p_neutral")!
            return rows.map { Array($0.values[start..<(start + EmotionCategory.allCases.count)]) }
        }
        let smoothed = try run([:]), raw = try run(["smooth_s": .number(0)])
        #expect(smoothed.count == frames.count && raw.count == frames.count)
        func best(_ p: [Float]) -> EmotionCategory? { p.allSatisfy(\.isFinite) ? EmotionCategory.allCases[p.indices.max { p[$0] < p[$1] }!] : nil }
        let smile = smoothed[25...60].filter { best($0) == .happiness }.count
        let neutral = smoothed[2...12].filter { best($0) == .neutral }.count
        print("lp_d0: smile frames read as happiness \(smile) of 36, neutral frames as neutral \(neutral) of 11")
        #expect(Double(smile) >= 0.9 * 36, "\(smile) of 36 smile frames")
        #expect(Double(neutral) >= 0.9 * 11, "\(neutral) of 11 neutral frames")
        func flicker(_ rows: [[Float]]) -> Float {
            var total: Float = 0
            for (a, b) in zip(rows, rows.dropFirst()) {
                var change: Float = 0
                for (x, y) in zip(a, b) { change += abs(x - y) }
                if change.isFinite { total += change }
            }
            return total
        }
        #expect(flicker(smoothed) < flicker(raw), "smoothed \(flicker(smoothed)), raw \(flicker(raw))")
        #expect(zip(smoothed[0], raw[0]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    /// A missing network is one clear error naming what was looked for.
    @Test func aMissingNetworkIsNamed() throws {
        let error = try #require(throws: StageError.self) {
            try StageHarness(FaceExpressionStage.descriptor, parameters: ["network": .string("/nonexistent/net")],
                             inputs: [.video(VideoFormat(width: 48, height: 48, pixelFormat: .gray8, frameRate: 25))])
        }
        #expect(error.message == "/nonexistent/net: no such model (file or folder)", "\(error.message)")
        let unknown = try #require(throws: StageError.self) {
            try StageHarness(FaceExpressionStage.descriptor, parameters: ["network": .string("no-such-network")],
                             inputs: [.video(VideoFormat(width: 48, height: 48, pixelFormat: .gray8, frameRate: 25))])
        }
        #expect(unknown.message.hasPrefix("no model 'no-such-network': looked for no-such-network in "), "\(unknown.message)")
    }
}
