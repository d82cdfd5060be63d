import Dispatch
import Foundation
import Synchronization

/// Runs face detection on key frames ahead of the landmark fitting, on other cores.
///
/// `face.landmarks` fits landmarks frame by frame in order (tracking needs the previous frame), but
/// a key frame's detection needs nothing from earlier frames, so it starts as soon as the frame
/// arrives and runs on a concurrent queue while earlier frames are fitted: the frames of one video
/// pipelined across cores. Each job borrows a detector copy from a small pool.
final class KeyFrameDetection: Sendable {
    /// One detection in flight; `wait()` returns its boxes (or rethrows its error).
    final class Job: Sendable {
        private let result = Mutex<Result<[FaceBox], Error>?>(nil)
        private let done = DispatchSemaphore(value: 0)

        fileprivate func complete(_ outcome: Result<[FaceBox], Error>) {
            result.withLock { $0 = outcome }
            done.signal()
        }

        /// The boxes, blocking until the detection has run.
        func wait() throws -> [FaceBox] {
            if let finished = result.withLock({ $0 }) { return try finished.get() }
            done.wait()
            done.signal()
            return try result.withLock { $0! }.get()
        }
    }

    private let pool = Mutex<[FaceDetector]>([])
    private let queue = DispatchQueue(label: "emopipe.face.detect", qos: .userInitiated, attributes: .concurrent)
    private let threshold: Double

    init(threshold: Double) { self.threshold = threshold }

    /// Starts detecting faces in `image` (in `region` only, when given), resampled by `scale`.
    func start(_ image: GrayImage, region: FaceBox?, scale: Double) -> Job {
        let job = Job()
        queue.async { [self] in
            job.complete(Result {
                let detector = try pool.withLock { $0.popLast() } ?? FaceDetector()
                defer { pool.withLock { $0.append(detector) } }
                return try detector.detect(image, region: region, scale: scale, threshold: threshold)
            })
        }
        return job
    }
}

// FaceDetector holds a dlib detector that is used by one thread at a time: the pool hands each copy
// to one job and takes it back when the job ends.
extension FaceDetector: @unchecked Sendable {}
