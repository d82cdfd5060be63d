import EmoPipeCore
import Foundation

/// EmoPipe's 3D mean face in the iBUG 68-point order (0-based), millimetres: x to the image's
/// right, y down, z towards the camera, origin between the inner eye corners. It lives in the
/// model store (`Models/mean-face.json`, made by scripts/face/make_mean_face.py: the symmetric
/// Procrustes mean of 46 annotated faces scaled to an 88 mm outer-eye-corner distance, with
/// anthropometric design depths). The face stages call `require()` when they are made, so a
/// missing or broken file stops a run there with a message naming it.
public enum MeanFace {
    /// The points, or why they could not be read.
    static let loaded: Result<[SIMD3<Double>], ModelStoreError> = load(from: .models)

    private struct File: Decodable {
        var format: String
        var points: [[Double]]
    }

    /// The mean face of `store`'s `mean-face.json`, checked: 68 finite points of three values.
    static func load(from store: ModelStore) -> Result<[SIMD3<Double>], ModelStoreError> {
        Result {
            let (path, data) = try store.read("mean-face", extensions: [".json"], inStore: true, maximumBytes: 1 << 20)
            let file: File
            do {
                file = try JSONDecoder().decode(File.self, from: data)
            } catch {
                throw ModelStoreError(description: "\(path): not a mean face (\(JSONErrorText.describe(error, in: data)))")
            }
            guard file.format == "emopipe-mean-face/1", file.points.count == 68,
                  file.points.allSatisfy({ $0.count == 3 && $0.allSatisfy { $0.isFinite && abs($0) < 1000 } }) else {
                throw ModelStoreError(description: "\(path): a mean face is emopipe-mean-face/1 with 68 points of 3 finite millimetre values")
            }
            return file.points.map { SIMD3($0[0], $0[1], $0[2]) }
        }.mapError { $0 as? ModelStoreError ?? ModelStoreError(description: "\($0)") }
    }

    /// The 68 points, or the error naming the missing or broken file.
    public static func require() throws -> [SIMD3<Double>] {
        try loaded.get()
    }

    /// The 68 points as (x, y, z) in millimetres (empty when the file could not be read: the
    /// stages call `require()` first).
    public static var points: [SIMD3<Double>] { (try? loaded.get()) ?? [] }
}
