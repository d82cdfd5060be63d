import Foundation

/// A pinhole camera: focal lengths and principal point in pixels.
public struct CameraIntrinsics: Sendable, Equatable {
    public var fx: Double
    public var fy: Double
    public var cx: Double
    public var cy: Double

    public init(fx: Double, fy: Double, cx: Double, cy: Double) {
        self.fx = fx
        self.fy = fy
        self.cx = cx
        self.cy = cy
    }

    /// OpenFace's guess when the camera is unknown: focal length 500 px per 640 px of width,
    /// principal point at the image centre.
    public init(width: Int, height: Int) {
        let focal = 500 * Double(width) / 640
        self.init(fx: focal, fy: focal, cx: Double(width) / 2, cy: Double(height) / 2)
    }

    func project(_ point: SIMD3<Double>) -> SIMD2<Double> {
        SIMD2(fx * point.x / point.z + cx, fy * point.y / point.z + cy)
    }
}

/// A head pose in camera coordinates (x right, y down, z away from the camera, as OpenCV and
/// OpenFace): the rotation and translation taking the mean face's model points to the camera.
public struct HeadPose: Sendable, Equatable {
    /// Rotation matrix rows.
    public var rotation: [SIMD3<Double>]
    /// Translation of the model origin (between the inner eye corners), millimetres.
    public var translation: SIMD3<Double>
    /// RMS distance between the landmarks and the posed model's projection, pixels.
    public var reprojectionError: Double

    /// Euler angles in radians with R = Rx(pitch) Ry(yaw) Rz(roll), OpenFace's convention:
    /// pitch > 0 looks down, yaw > 0 turns the face towards the image's left, roll > 0 tilts it
    /// clockwise in the image.
    public var euler: SIMD3<Double> {
        let r = rotation
        let yaw = asin(max(-1, min(1, r[0].z)))
        return SIMD3(atan2(-r[1].z, r[2].z), yaw, atan2(-r[0].y, r[0].x))
    }

    /// The rotation R = Rx(pitch) Ry(yaw) Rz(roll).
    public static func rotation(pitch: Double, yaw: Double, roll: Double) -> [SIMD3<Double>] {
        let (sa, ca, sb, cb, sc, cc) = (sin(pitch), cos(pitch), sin(yaw), cos(yaw), sin(roll), cos(roll))
        return [
            SIMD3(cb * cc, -cb * sc, sb),
            SIMD3(sa * sb * cc + ca * sc, -sa * sb * sc + ca * cc, -sa * cb),
            SIMD3(-ca * sb * cc + sa * sc, ca * sb * sc + sa * cc, ca * cb),
        ]
    }

    /// A model point (the mean face's millimetres, z towards the camera) in camera coordinates.
    public func transform(_ model: SIMD3<Double>) -> SIMD3<Double> {
        let p = SIMD3(model.x, model.y, -model.z)
        return SIMD3((rotation[0] * p).sum(), (rotation[1] * p).sum(), (rotation[2] * p).sum()) + translation
    }
}

/// Head pose from 68 landmarks: the rigid pose of `MeanFace` that best reprojects onto them
/// (perspective-n-point), started from a scaled-orthographic fit and refined by Levenberg-Marquardt
/// over a rotation vector and the translation.
public struct HeadPoseSolver: Sendable {
    public var camera: CameraIntrinsics
    private let model: [SIMD3<Double>]

    public init(camera: CameraIntrinsics) {
        self.camera = camera
        model = MeanFace.points.map { SIMD3($0.x, $0.y, -$0.z) }
    }

    public func solve(_ landmarks: FaceLandmarks) -> HeadPose {
        var parameters = initialGuess(landmarks.points)
        var error = cost(parameters, landmarks.points)
        var damping = 1e-3
        for _ in 0..<30 {
            let (jtj, jtr) = normalEquations(parameters, landmarks.points)
            var improved = false
            for _ in 0..<8 {
                var a = jtj
                for i in 0..<6 { a[i][i] *= 1 + damping }
                guard let step = Self.solve6(a, jtr) else { damping *= 10; continue }
                let candidate = zip(parameters, step).map { $0 - $1 }
                let candidateError = cost(candidate, landmarks.points)
                if candidateError < error {
                    let gain = error - candidateError
                    parameters = candidate
                    error = candidateError
                    damping = max(damping / 10, 1e-9)
                    improved = gain > 1e-10 * error
                    break
                }
                damping *= 10
            }
            if !improved { break }
        }
        let rotation = Self.rotation(vector: SIMD3(parameters[0], parameters[1], parameters[2]))
        return HeadPose(rotation: rotation, translation: SIMD3(parameters[3], parameters[4], parameters[5]),
                        reprojectionError: (error / Double(landmarks.points.count)).squareRoot())
    }

    /// Scaled orthographic projection fitted by least squares, made a rotation.
    private func initialGuess(_ points: [SIMD2<Double>]) -> [Double] {
        let n = Double(points.count)
        let modelCentre = model.reduce(.zero, +) / n
        let imageCentre = points.reduce(.zero, +) / n
        // M (2x3) = (x^T X)(X^T X)^-1 over centred points.
        var xtx = [[Double]](repeating: [0, 0, 0], count: 3)
        var ux = [[Double]](repeating: [0, 0, 0], count: 2)
        for (p, q) in zip(model, points) {
            let a = p - modelCentre, b = q - imageCentre
            let av = [a.x, a.y, a.z]
            for i in 0..<3 { for j in 0..<3 { xtx[i][j] += av[i] * av[j] } }
            for j in 0..<3 { ux[0][j] += b.x * av[j]; ux[1][j] += b.y * av[j] }
        }
        let inverse = Self.invert3(xtx)
        let m = (0..<2).map { r in SIMD3((0..<3).map { c in (0..<3).reduce(0) { $0 + ux[r][$1] * inverse[$1][c] } }) }
        let s1 = (m[0] * m[0]).sum().squareRoot(), s2 = (m[1] * m[1]).sum().squareRoot()
        let r1 = m[0] / s1
        var r2 = m[1] - (m[1] * r1).sum() * r1
        r2 /= (r2 * r2).sum().squareRoot()
        let r3 = SIMD3(r1.y * r2.z - r1.z * r2.y, r1.z * r2.x - r1.x * r2.z, r1.x * r2.y - r1.y * r2.x)
        let scale = (s1 + s2) / 2
        let focal = (camera.fx + camera.fy) / 2
        let depth = focal / scale
        let rotation = [r1, r2, r3]
        let rotatedCentre = SIMD3((r1 * modelCentre).sum(), (r2 * modelCentre).sum(), (r3 * modelCentre).sum())
        let tx = (imageCentre.x - camera.cx) * depth / camera.fx - rotatedCentre.x
        let ty = (imageCentre.y - camera.cy) * depth / camera.fy - rotatedCentre.y
        let vector = Self.vector(rotation: rotation)
        return [vector.x, vector.y, vector.z, tx, ty, depth - rotatedCentre.z]
    }

    private func residuals(_ parameters: [Double], _ points: [SIMD2<Double>]) -> [Double] {
        let rotation = Self.rotation(vector: SIMD3(parameters[0], parameters[1], parameters[2]))
        let t = SIMD3(parameters[3], parameters[4], parameters[5])
        var out = [Double]()
        out.reserveCapacity(2 * points.count)
        for (p, q) in zip(model, points) {
            let c = SIMD3((rotation[0] * p).sum(), (rotation[1] * p).sum(), (rotation[2] * p).sum()) + t
            guard c.z > 1 else { out += [1e6, 1e6]; continue }
            let projected = camera.project(c)
            out.append(projected.x - q.x)
            out.append(projected.y - q.y)
        }
        return out
    }

    private func cost(_ parameters: [Double], _ points: [SIMD2<Double>]) -> Double {
        residuals(parameters, points).reduce(0) { $0 + $1 * $1 }
    }

    /// JᵀJ and Jᵀr with a central-difference Jacobian (6 parameters, 136 residuals).
    private func normalEquations(_ parameters: [Double], _ points: [SIMD2<Double>]) -> ([[Double]], [Double]) {
        let r = residuals(parameters, points)
        var columns: [[Double]] = []
        for i in 0..<6 {
            let h = i < 3 ? 1e-6 : 1e-4
            var plus = parameters, minus = parameters
            plus[i] += h
            minus[i] -= h
            columns.append(zip(residuals(plus, points), residuals(minus, points)).map { ($0 - $1) / (2 * h) })
        }
        var jtj = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 6)
        var jtr = [Double](repeating: 0, count: 6)
        for i in 0..<6 {
            for j in i..<6 {
                let value = zip(columns[i], columns[j]).reduce(0) { $0 + $1.0 * $1.1 }
                jtj[i][j] = value
                jtj[j][i] = value
            }
            jtr[i] = zip(columns[i], r).reduce(0) { $0 + $1.0 * $1.1 }
        }
        return (jtj, jtr)
    }

    /// Rodrigues: rotation vector to matrix rows.
    static func rotation(vector: SIMD3<Double>) -> [SIMD3<Double>] {
        let angle = (vector * vector).sum().squareRoot()
        guard angle > 1e-12 else { return [SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1)] }
        let k = vector / angle
        let c = cos(angle), s = sin(angle), v = 1 - c
        return [
            SIMD3(c + k.x * k.x * v, k.x * k.y * v - k.z * s, k.x * k.z * v + k.y * s),
            SIMD3(k.y * k.x * v + k.z * s, c + k.y * k.y * v, k.y * k.z * v - k.x * s),
            SIMD3(k.z * k.x * v - k.y * s, k.z * k.y * v + k.x * s, c + k.z * k.z * v),
        ]
    }

    /// Inverse Rodrigues: matrix rows to rotation vector.
    static func vector(rotation r: [SIMD3<Double>]) -> SIMD3<Double> {
        let trace = r[0].x + r[1].y + r[2].z
        let angle = acos(max(-1, min(1, (trace - 1) / 2)))
        let axis = SIMD3(r[2].y - r[1].z, r[0].z - r[2].x, r[1].x - r[0].y)
        let norm = (axis * axis).sum().squareRoot()
        guard norm > 1e-9 else {
            if angle < 1e-6 { return .zero }
            // A half turn: the axis is the column of R + I with the largest norm.
            let columns: [SIMD3<Double>] = [SIMD3(r[0].x + 1, r[1].x, r[2].x), SIMD3(r[0].y, r[1].y + 1, r[2].y),
                                            SIMD3(r[0].z, r[1].z, r[2].z + 1)]
            let norms: [Double] = columns.map { ($0 * $0).sum() }
            let column = norms.indices.max { norms[$0] < norms[$1] }!
            let k: SIMD3<Double> = columns[column] / norms[column].squareRoot()
            return k * angle
        }
        return axis / norm * angle
    }

    static func invert3(_ m: [[Double]]) -> [[Double]] {
        let a = m[0][0], b = m[0][1], c = m[0][2], d = m[1][0], e = m[1][1], f = m[1][2], g = m[2][0], h = m[2][1], i = m[2][2]
        let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
        guard abs(det) > 1e-12 else { return [[0, 0, 0], [0, 0, 0], [0, 0, 0]] }
        return [
            [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
            [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
            [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
        ]
    }

    /// Solves a symmetric positive-definite 6x6 system by Cholesky; nil when it is not.
    static func solve6(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        var l = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 6)
        for i in 0..<6 {
            for j in 0...i {
                var sum = a[i][j]
                for k in 0..<j { sum -= l[i][k] * l[j][k] }
                if i == j {
                    guard sum > 0 else { return nil }
                    l[i][i] = sum.squareRoot()
                } else {
                    l[i][j] = sum / l[j][j]
                }
            }
        }
        var y = [Double](repeating: 0, count: 6)
        for i in 0..<6 { y[i] = (b[i] - (0..<i).reduce(0) { $0 + l[i][$1] * y[$1] }) / l[i][i] }
        var x = [Double](repeating: 0, count: 6)
        for i in stride(from: 5, through: 0, by: -1) { x[i] = (y[i] - ((i + 1)..<6).reduce(0) { $0 + l[$1][i] * x[$1] }) / l[i][i] }
        return x
    }
}
