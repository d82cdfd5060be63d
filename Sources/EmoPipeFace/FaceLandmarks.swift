/// The 68 points of the iBUG 300-W scheme (0-based: jaw 0-16, brows 17-26, nose 27-35, eyes
/// 36-47, mouth 48-67), in image pixels.
public struct FaceLandmarks: Sendable, Equatable {
    public var points: [SIMD2<Double>]

    public init(points: [SIMD2<Double>]) { self.points = points }

    /// Number of points in the scheme.
    public static let count = 68
    /// Outer eye corners (the inter-ocular distance of 300-W's normalised mean error).
    public static let outerEyeCorners = (36, 45)

    /// Distance between the outer eye corners, in pixels.
    public var interocular: Double {
        let (a, b) = Self.outerEyeCorners
        let d = points[a] - points[b]
        return (d * d).sum().squareRoot()
    }

    /// The centroid of the points and their RMS distance from it (the face's position and size).
    public var centroidAndSpread: (centre: SIMD2<Double>, spread: Double) {
        let centre = points.reduce(.zero, +) / Double(points.count)
        let variance = points.reduce(0) { $0 + (($1 - centre) * ($1 - centre)).sum() } / Double(points.count)
        return (centre, variance.squareRoot())
    }

    /// Mean point-to-point distance to `other`, divided by `other`'s inter-ocular distance (NME).
    public func normalisedMeanError(to other: FaceLandmarks) -> Double {
        var total = 0.0
        for (a, b) in zip(points, other.points) {
            let d = a - b
            total += (d * d).sum().squareRoot()
        }
        return total / Double(points.count) / other.interocular
    }
}
