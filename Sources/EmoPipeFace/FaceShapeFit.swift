/// How face-like a set of 68 landmarks is: the root-mean-square distance between the landmarks and
/// the frontal mean face after the best similarity transform (scale, rotation, shift), divided by
/// the mean face's outer-eye-corner distance. About 0.03-0.08 for real faces (expression and head
/// turn included); a shape predictor that lost the face drifts towards larger values.
public enum FaceShapeFit {
    private static let template: [SIMD2<Double>] = {
        let points = MeanFace.points.map { SIMD2($0.x, $0.y) }
        let centre = points.reduce(.zero, +) / Double(points.count)
        return points.map { $0 - centre }
    }()
    private static let templateNorm = template.reduce(0) { $0 + ($1 * $1).sum() }
    private static let templateInterocular: Double = {
        let points = MeanFace.points
        guard points.count == 68 else { return 1 }
        let d = points[36] - points[45]
        return (d.x * d.x + d.y * d.y).squareRoot()
    }()

    /// The normalised residual of `landmarks` against the mean face.
    public static func residual(_ landmarks: FaceLandmarks) -> Double {
        let count = Double(landmarks.points.count)
        let centre = landmarks.points.reduce(.zero, +) / count
        // Least-squares similarity from the template onto the landmarks (complex-number form).
        var a = 0.0, b = 0.0, norm = 0.0
        for (p, q) in zip(template, landmarks.points) {
            let y = q - centre
            a += p.x * y.x + p.y * y.y
            b += p.x * y.y - p.y * y.x
            norm += (y * y).sum()
        }
        guard norm > 0 else { return .infinity }
        // Residual of the fit in the landmarks' frame, scaled back to template units.
        let explained = (a * a + b * b) / templateNorm
        let residual = max(0, norm - explained)
        let scale = (a * a + b * b).squareRoot() / templateNorm
        guard scale > 0 else { return .infinity }
        return (residual / count).squareRoot() / scale / templateInterocular
    }
}
