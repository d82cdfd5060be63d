import CDlibShim
import Foundation
import Synchronization

/// dlib's shape predictor (an ensemble of regression trees), loaded once per process and file,
/// and shared: placing landmarks does not modify it, so any thread may use it.
public final class ShapePredictor: @unchecked Sendable {
    /// Debian's libdlib-data model: 68 iBUG 300-W points, trained by dlib on iBUG 300-W.
    public static let defaultPath = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

    private let handle: OpaquePointer
    /// Points the model places.
    public let parts: Int

    private init(handle: OpaquePointer) {
        self.handle = handle
        parts = Int(dlib_predictor_parts(handle))
    }

    deinit { dlib_predictor_free(handle) }

    private static let cache = Mutex<[String: ShapePredictor]>([:])

    /// The predictor in `path`, loading it on first use (about 0.8 s for the 68-point model).
    public static func shared(path: String = defaultPath) throws -> ShapePredictor {
        try cache.withLock { loaded in
            if let predictor = loaded[path] { return predictor }
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw FaceModelError("\(path): shape predictor file not found (Debian package libdlib-data installs the default)")
            }
            var message = [CChar](repeating: 0, count: 512)
            guard let handle = dlib_predictor_load(path, &message, message.count) else {
                throw FaceModelError("\(path): not a dlib shape predictor: \(decode(message))")
            }
            let predictor = ShapePredictor(handle: handle)
            guard predictor.parts == FaceLandmarks.count else {
                throw FaceModelError("\(path): the model places \(predictor.parts) points; EmoPipe needs the 68-point iBUG scheme")
            }
            loaded[path] = predictor
            return predictor
        }
    }

    /// The landmarks inside `box` of `image`.
    public func landmarks(in image: GrayImage, box: FaceBox) throws -> FaceLandmarks {
        var coordinates = [Float](repeating: 0, count: 2 * parts)
        var message = [CChar](repeating: 0, count: 512)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            dlib_predict(handle, pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(image.stride),
                         DlibFaceBox(left: box.left, top: box.top, right: box.right, bottom: box.bottom, score: box.score),
                         &coordinates, &message, message.count)
        }
        guard status == 0 else { throw FaceModelError("landmark fitting failed: \(decode(message))") }
        return FaceLandmarks(points: (0..<parts).map { SIMD2(Double(coordinates[2 * $0]), Double(coordinates[2 * $0 + 1])) })
    }
}
