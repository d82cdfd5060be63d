/// Landmarks undone of head pose and face size: each landmark's position in the mean face's
/// plane, in the mean face's millimetres (`MeanFace`), for a face whose pose is known.
///
/// The posed mean face is projected; each landmark's offset from its projection is mapped back
/// through the rotation's in-plane part and the local image scale (focal length / depth), so a
/// mouth that opens 10 mm reads 10 mm whether the face is near or far, turned or not. Offsets out of
/// the face plane cannot be recovered from one view; beyond about 60 degrees of yaw or pitch the
/// mapping is too ill-conditioned and no frontal shape is given.
public struct FrontalFace: Sendable {
    /// The 68 frontalised points (x right, y down, millimetres).
    public var points: [SIMD2<Double>]

    /// `nil` when the head is turned too far for the face plane to be seen.
    public init?(landmarks: FaceLandmarks, pose: HeadPose, camera: CameraIntrinsics) {
        let r = pose.rotation
        // In-plane block of R: how the face plane's x and y map onto the image's.
        let a = r[0].x, b = r[0].y, c = r[1].x, d = r[1].y
        let determinant = a * d - b * c
        guard abs(determinant) > 0.25 else { return nil }
        var points: [SIMD2<Double>] = []
        points.reserveCapacity(landmarks.points.count)
        for (model, observed) in zip(MeanFace.points, landmarks.points) {
            let posed = pose.transform(model)
            guard posed.z > 1 else { return nil }
            let offset = observed - camera.project(posed)
            let scale = SIMD2(camera.fx / posed.z, camera.fy / posed.z)
            let image = offset / scale
            let planar = SIMD2((d * image.x - b * image.y) / determinant, (-c * image.x + a * image.y) / determinant)
            points.append(SIMD2(model.x, model.y) + planar)
        }
        self.points = points
    }

    func distance(_ i: Int, _ j: Int) -> Double {
        let delta = points[i] - points[j]
        return (delta * delta).sum().squareRoot()
    }

    func y(_ indices: Int...) -> Double { indices.reduce(0) { $0 + points[$1].y } / Double(indices.count) }
}
