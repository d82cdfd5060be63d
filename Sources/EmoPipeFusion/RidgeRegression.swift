import CBLAS

/// Ridge regression on standardised features (closed form, Gaussian elimination with partial
/// pivoting): for continuous labels such as valence or arousal ratings.
public struct RidgeRegression: Sendable {
    public var coefficients: [Double]
    public var intercept: Double

    /// Fits y ~ w.x + b with penalty `lambda` |w|^2 (the intercept is not penalised).
    public static func fit(x: [[Double]], y: [Double], lambda: Double) -> RidgeRegression {
        let d = x.first?.count ?? 0, n = Double(x.count)
        let meanY = y.reduce(0, +) / n
        let meanX = (0..<d).map { j in x.reduce(0) { $0 + $1[j] } / n }
        // The centred Gram matrix and right-hand side in BLAS: [Xc | yc]^T [Xc | yc].
        let width = d + 1
        var centred = [Double](repeating: 0, count: x.count * width)
        for (r, (row, target)) in zip(x, y).enumerated() {
            for j in 0..<d { centred[r * width + j] = row[j] - meanX[j] }
            centred[r * width + d] = target - meanY
        }
        var gram = [Double](repeating: 0, count: width * width)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(width), Int32(width), Int32(x.count), 1, centred, Int32(width),
                    centred, Int32(width), 0, &gram, Int32(width))
        var a = (0..<d).map { i in Array(gram[i * width..<(i + 1) * width]) }
        for i in 0..<d { a[i][i] += lambda }
        // Gaussian elimination on the augmented matrix.
        for column in 0..<d {
            let pivot = (column..<d).max { abs(a[$0][column]) < abs(a[$1][column]) }!
            a.swapAt(column, pivot)
            let p = a[column][column]
            guard abs(p) > 1e-12 else { continue }
            for row in (column + 1)..<d where a[row][column] != 0 {
                let factor = a[row][column] / p
                for k in column...d { a[row][k] -= factor * a[column][k] }
            }
        }
        var w = [Double](repeating: 0, count: d)
        for i in stride(from: d - 1, through: 0, by: -1) {
            let rest = ((i + 1)..<d).reduce(a[i][d]) { $0 - a[i][$1] * w[$1] }
            w[i] = abs(a[i][i]) > 1e-12 ? rest / a[i][i] : 0
        }
        let b = meanY - zip(w, meanX).reduce(0) { $0 + $1.0 * $1.1 }
        return RidgeRegression(coefficients: w, intercept: b)
    }

    public func predict(_ row: [Double]) -> Double { zip(coefficients, row).reduce(intercept) { $0 + $1.0 * $1.1 } }
}
