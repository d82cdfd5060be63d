import EmoPipeCore
import EmoPipeMedia
import Foundation
@testable import EmoPipeFace

/// Paths and decoding shared by the face tests.
enum FaceTestSupport {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// ../shared/data beside the repository (read in place; tests that need it fail clearly without it).
    static let sharedData = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    static func faces(_ name: String) -> String { sharedData.appendingPathComponent("faces/" + name).path }
    static func video(_ name: String) -> String { sharedData.appendingPathComponent("video/" + name).path }
    static func fixture(_ name: String) -> String { repositoryRoot.appendingPathComponent("Fixtures/" + name).path }

    /// Every video frame of `path` (a still image is one frame), gray, through source.media.
    static func frames(_ path: String, parameters: [String: ParameterValue] = [:]) throws -> [Packet] {
        let (_, packets) = try SourceHarness.run(MediaSource.descriptor, parameters: parameters,
                                                 input: InputLocation(path: path), connected: [false, true])
        return packets[1]
    }

    static func image(_ path: String) throws -> GrayImage {
        guard let packet = try frames(path).first, case .video(let frame) = packet.payload else {
            throw FaceModelError("\(path): no frame")
        }
        return GrayImage(frame)
    }

    /// 68 points from a menpo/iBUG .pts file (x y per line, 1-based scheme order).
    static func pts(_ path: String) throws -> FaceLandmarks {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let rows = text.split(separator: "\n").compactMap { line -> SIMD2<Double>? in
            let fields = line.split(separator: " ").compactMap { Double($0) }
            return fields.count == 2 ? SIMD2(fields[0], fields[1]) : nil
        }
        return FaceLandmarks(points: rows)
    }

    /// Faces of a dlib imglab XML file: per image, boxes with their 68 parts.
    static func dlibAnnotations(_ path: String) throws -> [(file: String, faces: [(box: FaceBox, landmarks: FaceLandmarks)])] {
        let text = try String(contentsOfFile: path, encoding: .isoLatin1)
        var images: [(file: String, faces: [(box: FaceBox, landmarks: FaceLandmarks)])] = []
        for chunk in text.components(separatedBy: "<image file='").dropFirst() {
            let file = String(chunk.prefix { $0 != "'" })
            var faces: [(box: FaceBox, landmarks: FaceLandmarks)] = []
            for boxText in chunk.components(separatedBy: "<box ").dropFirst() {
                func attribute(_ name: String, in text: Substring) -> Double {
                    let start = text.range(of: name + "='")!.upperBound
                    return Double(text[start...].prefix { $0 != "'" })!
                }
                let header = boxText.prefix { $0 != ">" }
                let top = attribute("top", in: header), left = attribute("left", in: header)
                let width = attribute("width", in: header), height = attribute("height", in: header)
                let points = boxText.components(separatedBy: "<part ").dropFirst().map { part in
                    SIMD2(attribute("x", in: Substring(part)), attribute("y", in: Substring(part)))
                }
                faces.append((FaceBox(left: left, top: top, right: left + width, bottom: top + height), FaceLandmarks(points: points)))
            }
            images.append((file, faces))
        }
        return images
    }
}

/// One `face.landmarks` row, decoded.
struct LandmarkRow {
    var time: Double
    var frame: Int
    var faceID: Int
    var confidence: Double
    var success: Bool
    var detected: Bool
    var landmarks: FaceLandmarks?
}

extension FaceTestSupport {
    /// Runs `face.landmarks` over `frames` and decodes its rows.
    static func landmarkRows(_ frames: [Packet], parameters: [String: ParameterValue] = [:]) throws -> [LandmarkRow] {
        guard case .video(let first) = frames.first?.payload else { return [] }
        let format = VideoFormat(width: first.width, height: first.height, pixelFormat: first.format, frameRate: 25)
        let harness = try StageHarness(FaceLandmarksStage.descriptor, parameters: parameters, inputs: [.video(format)])
        var packets: [Packet] = []
        for frame in frames { packets += try harness.push(frame) }
        packets += try harness.finish()
        return packets.compactMap { packet in
            guard case .features(let row) = packet.payload else { return nil }
            let v = row.values
            let success = v[3] == 1
            let landmarks = success ? FaceLandmarks(points: (0..<68).map { SIMD2(Double(v[5 + $0]), Double(v[73 + $0])) }) : nil
            return LandmarkRow(time: Double(packet.timestamp.microseconds) / 1e6, frame: Int(v[0]), faceID: Int(v[1]),
                               confidence: Double(v[2]), success: success, detected: v[4] == 1, landmarks: landmarks)
        }
    }

    /// The square region (`left`, `top`, `side` in pixels) of `image`, area-averaged to `size` x `size`.
    static func resample(_ image: GrayImage, left: Double, top: Double, side: Double, to size: Int) -> GrayImage {
        var pixels = [UInt8](repeating: 0, count: size * size)
        let step = side / Double(size)
        for y in 0..<size {
            for x in 0..<size {
                var sum = 0.0, count = 0.0
                for sy in Int(top + Double(y) * step)..<Int(top + Double(y + 1) * step) {
                    for sx in Int(left + Double(x) * step)..<Int(left + Double(x + 1) * step)
                    where sx >= 0 && sy >= 0 && sx < image.width && sy < image.height {
                        sum += Double(image.pixels[sy * image.stride + sx])
                        count += 1
                    }
                }
                pixels[y * size + x] = UInt8(count > 0 ? (sum / count).rounded() : 0)
            }
        }
        return GrayImage(width: size, height: size, pixels: pixels)
    }
}

extension FaceTestSupport {
    /// Runs face.landmarks and then `stages` (each fed by the previous) over `frames`; returns the
    /// last stage's schema and rows.
    static func runChain(_ frames: [Packet], format: VideoFormat, stages: [StageDescriptor],
                         parameters: [[String: ParameterValue]] = [], landmarkParameters: [String: ParameterValue] = [:])
        throws -> (schema: FeatureSchema, rows: [[Float]], times: [Double]) {
        let first = try StageHarness(FaceLandmarksStage.descriptor, parameters: landmarkParameters, inputs: [.video(format)])
        var packets: [Packet] = []
        for frame in frames { packets += try first.push(frame) }
        packets += try first.finish()
        var format = first.outputFormats[0]
        for (index, descriptor) in stages.enumerated() {
            let harness = try StageHarness(descriptor, parameters: index < parameters.count ? parameters[index] : [:], inputs: [format])
            var next: [Packet] = []
            for packet in packets { next += try harness.push(packet) }
            next += try harness.finish()
            packets = next
            format = harness.outputFormats[0]
        }
        guard case .features(let schema) = format else { throw FaceModelError("not features") }
        let rows = packets.compactMap { packet -> [Float]? in if case .features(let row) = packet.payload { row.values } else { nil } }
        return (schema, rows, packets.map { Double($0.timestamp.microseconds) / 1e6 })
    }
}
