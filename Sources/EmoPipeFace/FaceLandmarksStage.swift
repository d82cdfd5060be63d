import DequeModule
import EmoPipeCore
import Foundation
import Synchronization

/// `face.landmarks`: faces found by dlib's HOG detector every `detect_every` frames, tracked in
/// between, with dlib's 68 landmarks on every frame.
///
/// A still image (a photograph) is searched thoroughly instead: every face down to
/// `still_min_face_px`, and with a border when none is found (`still_pad`).
///
/// One row per face per frame (OpenFace 2.0 columns: `frame`, `face_id`, `confidence`, `success`,
/// `x_0`..`x_67`, `y_0`..`y_67`, plus `detected`); a frame without a face gives one row with
/// `success` 0 and no landmarks, so every frame is accounted for. Key-frame detections run ahead on
/// other cores while landmarks are fitted in frame order (`lookahead`).
public final class FaceLandmarksStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "face.landmarks", role: .transform,
        summary: "Face detection (dlib HOG), tracking and 68 landmarks per frame, OpenFace column names.",
        inputs: [PortSpec("video", [.video], "Frames, gray or RGB (RGB is converted to luma).")],
        outputs: [PortSpec("landmarks", [.features],
                           "frame, face_id, confidence, success, detected, x_0..x_67, y_0..y_67 (pixels), one row per face per frame; attributes image_width, image_height (px), frame_rate.")],
        parameters: [
            ParameterSpec("model", .string, default: .string(ShapePredictor.defaultPath),
                          "dlib shape predictor file with the 68-point iBUG model."),
            ParameterSpec("detect_every", .integer, default: .integer(5), unit: "frames", range: 1...1000,
                          "Run the detector on every Nth frame (and when a face is lost); track in between. 1 detects on every frame."),
            ParameterSpec("full_scan_every", .integer, default: .integer(1), unit: "frames", range: 1...100_000,
                          "1: every key-frame detection scans the whole frame. N > 1: while max_faces faces are tracked, key frames search only around them (2.5 times their box, resampled so the face is ~120 px) and the whole frame every N frames: faster on large frames, but the boxes (and so the landmarks) differ a little from a whole-frame search (NME ~0.01 more)."),
            ParameterSpec("max_faces", .integer, default: .integer(1), range: 1...64,
                          "Video: 1 follows the largest face; K follows up to K faces, each with a stable face_id. (A still image reports every face: still_max_faces.)"),
            ParameterSpec("min_face_px", .number, default: .number(0), unit: "px", range: 0...4096,
                          "Smallest face (box side, input pixels) searched for; the image is resampled by 80/min_face_px for detection (dlib's window is 80 px): below 80 finds smaller faces, above 80 runs faster. 0 = automatic: 80, or a tenth of the shorter side when that is 1000 px or more (HD video is searched at a lower resolution)."),
            ParameterSpec("upsample", .integer, default: .integer(-1), range: -1...4,
                          "Extra doublings of the image before detection, as dlib's upsample_num_times; -1 = automatic: enough for the shorter side to reach 240 px (a 48x48 still is searched at 384x384)."),
            ParameterSpec("threshold", .number, default: .number(0), range: -2...4,
                          "Detection score threshold (dlib's adjust_threshold); raise it to drop weak boxes."),
            ParameterSpec("max_shape_error", .number, default: .number(0.2), unit: "inter-ocular distances", range: 0.01...1,
                          "A tracked face whose landmarks fit the mean face worse than this (RMS, normalised) is lost and re-detected at once."),
            ParameterSpec("min_similarity", .number, default: .number(0.5), range: -1...1,
                          "A tracked face whose box correlates less than this with its last detected view (normalised cross-correlation of 24x24 patches) is lost and re-detected at once."),
            ParameterSpec("still_min_face_px", .number, default: .number(40), unit: "px", range: 20...4096,
                          "In a still image (a photograph, one frame): the smallest face searched for (box side, image pixels); the image is resampled by 80/still_min_face_px (at least as much as upsample gives) however large it is."),
            ParameterSpec("still_max_faces", .integer, default: .integer(64), range: 1...256,
                          "In a still image: every face up to this many, largest first, each with its own face_id."),
            ParameterSpec("still_pad", .number, default: .number(0.5), unit: "shorter sides", range: 0...2,
                          "In a still image where no face is found: search again with this much border (fraction of the shorter side, each side, filled with the image's mean gray). A face crop that fills the image (as in FER2013) has no room around it for the detector's window; 0 does not retry."),
            ParameterSpec("live_lookahead", .integer, default: .integer(2), unit: "frames", range: 0...240,
                          "The lookahead in live runs (standard input, pipes, --realtime), where latency counts."),
            ParameterSpec("lookahead", .integer, default: .integer(12), unit: "frames", range: 0...240,
                          "Frames held so key-frame detection runs ahead on other cores (adds this many frames of latency); 0 detects inline (lowest latency, one core)."),
        ],
        make: { .stage(try FaceLandmarksStage(parameters: $0)) })

    /// Column names of the output rows.
    public static let columns = ["frame", "face_id", "confidence", "success", "detected"]
        + (0..<FaceLandmarks.count).map { "x_\($0)" } + (0..<FaceLandmarks.count).map { "y_\($0)" }

    private struct PendingFrame {
        var timestamp: Timestamp
        var duration: Timestamp
        var index: Int
        var image: GrayImage
        var detection: KeyFrameDetection.Job?
    }

    private let modelPath: String
    private let detectEvery: Int
    private let fullScanEvery: Int
    /// Boxes of the faces tracked in the last fitted frame, where key-frame detection looks.
    private var trackedBoxes: [FaceBox] = []
    private let maxFaces: Int
    private let minFace: Double
    private let upsample: Int
    private let threshold: Double
    private let maxShapeError: Double
    private let minSimilarity: Double
    private var lookahead: Int
    private let liveLookahead: Int
    private var tracker: FaceTracker?
    private var detection: KeyFrameDetection
    private var inlineDetector: FaceDetector?
    private var pending = Deque<PendingFrame>()
    private var frameCount = 0
    /// The input is a still image: searched thoroughly, without tracking.
    private var isStill = false
    private let stillMinFace: Double
    private let stillMaxFaces: Int
    private let stillPad: Double
    private var predictor: ShapePredictor?

    init(parameters: Parameters) throws {
        modelPath = parameters.string("model")
        detectEvery = parameters.integer("detect_every")
        fullScanEvery = parameters.integer("full_scan_every")
        maxFaces = parameters.integer("max_faces")
        minFace = parameters.number("min_face_px")
        upsample = parameters.integer("upsample")
        threshold = parameters.number("threshold")
        maxShapeError = parameters.number("max_shape_error")
        minSimilarity = parameters.number("min_similarity")
        lookahead = parameters.integer("lookahead")
        liveLookahead = parameters.integer("live_lookahead")
        stillMinFace = parameters.number("still_min_face_px")
        stillMaxFaces = parameters.integer("still_max_faces")
        stillPad = parameters.number("still_pad")
        detection = KeyFrameDetection(threshold: threshold)
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        do {
            _ = try MeanFace.require()
        } catch let error as ModelStoreError {
            throw StageError(error.description)
        }
        if context.live { lookahead = liveLookahead }
        do {
            // Both models take a while to deserialise (~0.8 s and ~0.4 s): load them side by side.
            let group = DispatchGroup()
            let detectorResult = Mutex<Result<FaceDetector, Error>?>(nil)
            DispatchQueue.global(qos: .userInitiated).async(group: group) {
                detectorResult.withLock { $0 = Result { try FaceDetector() } }
            }
            let predictor = Result { try ShapePredictor.shared(path: modelPath) }
            group.wait()
            inlineDetector = try detectorResult.withLock { $0! }.get()
            self.predictor = try predictor.get()
            tracker = FaceTracker(predictor: try predictor.get(), maxFaces: maxFaces,
                                  maxShapeError: maxShapeError, minSimilarity: minSimilarity)
        } catch let error as FaceModelError {
            throw StageError(error.description)
        }
        guard case .video(let format) = inputs[0] else { throw StageError("face.landmarks takes video") }
        isStill = format.isStill
        return [.features(FeatureSchema(Self.columns, attributes: [
            "image_width": Double(format.width), "image_height": Double(format.height), "frame_rate": format.frameRate,
        ]))]
    }

    /// How much the detector resamples an image of this size.
    func detectionScale(width: Int, height: Int) -> Double {
        var doublings = upsample
        if doublings < 0 {
            doublings = 0
            while min(width, height) << doublings < 240 { doublings += 1 }
        }
        if isStill { return max(80 / (minFace > 0 ? minFace : stillMinFace), Double(1 << doublings)) }
        let shorter = Double(min(width, height))
        let smallest = minFace > 0 ? minFace : shorter >= 1000 ? shorter / 10 : 80
        return 80 / smallest * Double(1 << doublings)
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .video(let frame) = packet.payload else { return }
        let image = GrayImage(frame)
        if isStill {
            frameCount += 1
            return try emit(stillFaces(image), index: frameCount - 1, at: packet.timestamp, duration: packet.duration, output: output)
        }
        let isKey = frameCount % detectEvery == 0
        var entry = PendingFrame(timestamp: packet.timestamp, duration: packet.duration, index: frameCount, image: image)
        frameCount += 1
        if isKey && lookahead > 0 {
            let plan = searchPlan(frame: entry.index, width: image.width, height: image.height)
            entry.detection = detection.start(image, region: plan.region, scale: plan.scale)
        }
        pending.append(entry)
        // Always exactly `lookahead` frames held: which frames are fitted when a key frame's search
        // region is chosen never depends on thread timing, so reruns give the same bytes.
        while pending.count > lookahead { try fit(pending.removeFirst(), output: output) }
    }

    public func finish(output: Emitter) throws {
        while let head = pending.popFirst() { try fit(head, output: output) }
    }

    /// Where a key frame's detection looks and at what scale: around the tracked faces while all
    /// wanted faces are tracked (except on full-scan frames), resampled so the smallest tracked face
    /// is about `trackedFacePixels` wide; the whole frame at the detection scale otherwise.
    private func searchPlan(frame: Int, width: Int, height: Int) -> (region: FaceBox?, scale: Double) {
        let full = detectionScale(width: width, height: height)
        guard frame % fullScanEvery >= detectEvery, trackedBoxes.count == maxFaces, !trackedBoxes.isEmpty else { return (nil, full) }
        var region = FaceBox(left: .infinity, top: .infinity, right: -.infinity, bottom: -.infinity)
        var smallest = Double.infinity
        for box in trackedBoxes {
            let side = max(box.width, box.height)
            smallest = min(smallest, side)
            region.left = min(region.left, box.centre.x - 1.25 * side)
            region.top = min(region.top, box.centre.y - 1.25 * side)
            region.right = max(region.right, box.centre.x + 1.25 * side)
            region.bottom = max(region.bottom, box.centre.y + 1.25 * side)
        }
        return (region, min(full, Self.trackedFacePixels / smallest))
    }

    /// Width a tracked face is resampled to for a search around it: comfortably above the ~80 px
    /// the HOG detector needs, so the search runs on as few pixels as finding it again allows.
    static let trackedFacePixels = 120.0

    private func fit(_ frame: PendingFrame, output: Emitter) throws {
        let isKey = frame.index % detectEvery == 0
        let scale = detectionScale(width: frame.image.width, height: frame.image.height)
        let detect = { [inlineDetector, threshold] in try inlineDetector!.detect(frame.image, scale: scale, threshold: threshold) }
        let faces: [TrackedFace]
        do {
            var boxes: [FaceBox]?
            if isKey {
                if let job = frame.detection {
                    boxes = try job.wait()
                } else {
                    let plan = searchPlan(frame: frame.index, width: frame.image.width, height: frame.image.height)
                    boxes = try inlineDetector!.detect(frame.image, region: plan.region, scale: plan.scale, threshold: threshold)
                }
            }
            faces = try tracker!.update(frame.image, detections: boxes, redetect: detect)
            trackedBoxes = tracker!.boxes
        } catch let error as FaceModelError {
            throw StageError(error.description)
        }
        try emit(faces, index: frame.index, at: frame.timestamp, duration: frame.duration, output: output)
    }

    /// Every face of a still image, largest first: detected down to `still_min_face_px`, and if
    /// none is found, detected again with a border (`still_pad`) so a face filling the image fits
    /// the detector's window.
    func stillFaces(_ image: GrayImage) throws -> [TrackedFace] {
        do {
            var source = image
            var offset = 0
            var boxes = try inlineDetector!.detect(image, scale: detectionScale(width: image.width, height: image.height), threshold: threshold)
            if boxes.isEmpty && stillPad > 0 {
                // The face sought fills the image, so it spans 1/(1 + 2 still_pad) of the padded
                // image's shorter side: search that at 480 px (the face 96-240 px, above dlib's
                // 80 px window), not at the still's fine scale (a padded 4000x3000 photo would be
                // 168 MP).
                offset = Int((Double(min(image.width, image.height)) * stillPad).rounded())
                source = image.padded(by: offset)
                boxes = try inlineDetector!.detect(source, scale: 480 / Double(min(source.width, source.height)), threshold: threshold)
            }
            boxes.sort { $0.width * $0.height > $1.width * $1.height }
            return try boxes.prefix(stillMaxFaces).enumerated().map { index, box in
                var landmarks = try predictor!.landmarks(in: source, box: box)
                let shift = SIMD2(Double(offset), Double(offset))
                landmarks.points = landmarks.points.map { $0 - shift }
                return TrackedFace(id: index, landmarks: landmarks, confidence: FaceTracker.confidence(score: box.score), detected: true)
            }
        } catch let error as FaceModelError {
            throw StageError(error.description)
        }
    }

    private func emit(_ faces: [TrackedFace], index: Int, at timestamp: Timestamp, duration: Timestamp, output: Emitter) throws {
        let number = Float(index + 1)
        if faces.isEmpty {
            var values = [Float](repeating: .nan, count: Self.columns.count)
            values[0] = number
            values[1] = 0
            values[2] = 0
            values[3] = 0
            values[4] = 0
            try output.emit(.features(FeatureRow(values)), at: timestamp, duration: duration)
        }
        for face in faces {
            var values = [number, Float(face.id), Float(face.confidence), 1, face.detected ? 1 : 0]
            values.reserveCapacity(Self.columns.count)
            values += face.landmarks.points.map { Float($0.x) }
            values += face.landmarks.points.map { Float($0.y) }
            try output.emit(.features(FeatureRow(values)), at: timestamp, duration: duration)
        }
    }
}
