/// One face in one frame: who (a stable id while tracked), where (68 landmarks), how sure.
public struct TrackedFace: Sendable, Equatable {
    /// Stable while the face stays tracked; a face lost and found again gets a new id.
    public var id: Int
    public var landmarks: FaceLandmarks
    /// In [0, 1]: the detection score through a logistic on detection frames; on tracked frames,
    /// that times the shape fit and the correlation with the face's detected view.
    public var confidence: Double
    /// True when the detector confirmed the face in this frame, false when it was tracked.
    public var detected: Bool
}

/// Detect-then-track over a sequence of frames of one input: the state machine behind
/// `face.landmarks`, free of threads so tests can drive it frame by frame.
///
/// On a key frame the caller passes the detector's boxes: tracked faces are matched to them by
/// overlap (keeping their ids), new faces take free slots up to `maxFaces` (largest first), and a
/// face no detection confirms survives one key frame if its shape still fits. Between key frames
/// each face is fitted in its last detection box carried along with its landmarks (`AnchoredBox`),
/// refitted once when the face moved by more than a tenth of its size. A face whose fitted shape stops looking like a face, or leaves
/// the picture, is lost, and the caller's `redetect` runs on that frame at once.
public struct FaceTracker {
    private struct Track {
        var id: Int
        var landmarks: FaceLandmarks
        var anchor: AnchoredBox
        /// The face as the detector last confirmed it.
        var patch: FacePatch
        var detectionConfidence: Double
        var unconfirmedKeyFrames: Int
    }

    public let maxFaces: Int
    /// Shape residual (`FaceShapeFit`) above which a tracked face counts as lost.
    public let maxShapeError: Double
    /// Normalised cross-correlation with the last confirmed view of the face below which a tracked
    /// face counts as lost (the box no longer shows it).
    public let minSimilarity: Double
    private let predictor: ShapePredictor
    private var tracks: [Track] = []
    private var nextID = 0
    private var size: (width: Int, height: Int)?

    public init(predictor: ShapePredictor, maxFaces: Int, maxShapeError: Double, minSimilarity: Double) {
        self.predictor = predictor
        self.maxFaces = maxFaces
        self.maxShapeError = maxShapeError
        self.minSimilarity = minSimilarity
    }

    /// Minimum overlap (intersection over union) between a tracked face and a detection for them
    /// to be the same face.
    static let matchOverlap = 0.3

    /// Number of faces being tracked.
    public var trackedCount: Int { tracks.count }

    /// The boxes of the faces being tracked, as of the last frame.
    public var boxes: [FaceBox] { tracks.map { $0.anchor.box(for: $0.landmarks) } }

    /// The faces in `image`. `detections` are the detector's boxes on a key frame, nil between key
    /// frames; `redetect` detects on this frame when a tracked face is lost.
    public mutating func update(_ image: GrayImage, detections: [FaceBox]?,
                                redetect: () throws -> [FaceBox]) throws -> [TrackedFace] {
        if let size, size != (image.width, image.height) { tracks.removeAll() }
        size = (image.width, image.height)
        if let detections { return try keyFrame(image, detections: detections) }
        var faces: [TrackedFace] = []
        for index in tracks.indices {
            guard let (landmarks, fit) = try follow(tracks[index], in: image) else {
                return try keyFrame(image, detections: redetect())
            }
            tracks[index].landmarks = landmarks
            faces.append(TrackedFace(id: tracks[index].id, landmarks: landmarks,
                                     confidence: tracks[index].detectionConfidence * fit, detected: false))
        }
        return faces
    }

    private mutating func keyFrame(_ image: GrayImage, detections: [FaceBox]) throws -> [TrackedFace] {
        var unmatched = detections.sorted { $0.width * $0.height > $1.width * $1.height }
        var faces: [TrackedFace] = []
        var kept: [Track] = []
        for var track in tracks {
            let framing = track.anchor.box(for: track.landmarks)
            let best = unmatched.indices.max { framing.overlap(unmatched[$0]) < framing.overlap(unmatched[$1]) }
            if let best, framing.overlap(unmatched[best]) >= Self.matchOverlap {
                let box = unmatched.remove(at: best)
                track.landmarks = try predictor.landmarks(in: image, box: box)
                track.anchor = AnchoredBox(box: box, landmarks: track.landmarks)
                track.patch = FacePatch(image, box: box)
                track.detectionConfidence = Self.confidence(score: box.score)
                track.unconfirmedKeyFrames = 0
                faces.append(TrackedFace(id: track.id, landmarks: track.landmarks,
                                         confidence: track.detectionConfidence, detected: true))
                kept.append(track)
            } else if track.unconfirmedKeyFrames == 0, let (landmarks, fit) = try follow(track, in: image) {
                track.landmarks = landmarks
                track.unconfirmedKeyFrames += 1
                faces.append(TrackedFace(id: track.id, landmarks: landmarks,
                                         confidence: track.detectionConfidence * fit, detected: false))
                kept.append(track)
            }
        }
        for box in unmatched where kept.count < maxFaces {
            let landmarks = try predictor.landmarks(in: image, box: box)
            let track = Track(id: nextID, landmarks: landmarks, anchor: AnchoredBox(box: box, landmarks: landmarks),
                              patch: FacePatch(image, box: box), detectionConfidence: Self.confidence(score: box.score),
                              unconfirmedKeyFrames: 0)
            nextID += 1
            faces.append(TrackedFace(id: track.id, landmarks: landmarks, confidence: track.detectionConfidence, detected: true))
            kept.append(track)
        }
        tracks = kept
        return faces.sorted { $0.id < $1.id }
    }

    /// Fits the face in its box carried from the previous frame; nil when it is lost.
    private func follow(_ track: Track, in image: GrayImage) throws -> (FaceLandmarks, Double)? {
        var box = track.anchor.box(for: track.landmarks)
        var landmarks = try predictor.landmarks(in: image, box: box)
        let moved = track.anchor.box(for: landmarks)
        let shift = moved.centre - box.centre
        if (shift * shift).sum().squareRoot() > 0.1 * box.width || abs(moved.width / box.width - 1) > 0.1 {
            box = moved
            landmarks = try predictor.landmarks(in: image, box: box)
        }
        let tracked = track.anchor.box(for: landmarks)
        let centre = tracked.centre
        guard centre.x >= 0, centre.y >= 0, centre.x < Double(image.width), centre.y < Double(image.height) else { return nil }
        let similarity = FacePatch(image, box: tracked).similarity(to: track.patch)
        guard similarity >= minSimilarity else { return nil }
        let residual = FaceShapeFit.residual(landmarks)
        guard residual <= maxShapeError else { return nil }
        // The shape fit: 1 up to half the allowed residual, falling linearly to 0 at the limit;
        // times the correlation with the detected view.
        return (landmarks, min(1, max(0, 2 - 2 * residual / maxShapeError)) * similarity)
    }

    /// Detection confidence in [0, 1] from dlib's HOG score: a logistic centred half a unit below
    /// dlib's default threshold (score 0 gives 0.82, a clear frontal face at 1.5 gives 0.998).
    static func confidence(score: Double) -> Double { 1 / (1 + exp(-3 * (score + 0.5))) }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
