import CBLAS
import Foundation

/// Multinomial logistic regression with L2 regularisation and class weights, fitted by full-batch
/// gradient descent with Nesterov momentum on standardised features (the matrix products in BLAS):
/// small, deterministic, and about a second for ten thousand rows by a hundred features.
public struct LogisticRegression: Sendable {
    /// Coefficients per class (classes x features) and intercepts.
    public var coefficients: [[Double]]
    public var intercepts: [Double]

    /// Fits to rows `x` (already standardised) with labels `y` in 0..<classes.
    /// - Parameters:
    ///   - l2: penalty on the coefficients (not the intercepts), per sample: loss/n + l2/2 |W|^2.
    ///   - balanced: weight each class by n / (classes * n_class), as scikit-learn's "balanced".
    public static func fit(x: [[Double]], y: [Int], classes: Int, l2: Double = 0.01, balanced: Bool = true,
                           iterations: Int = 1500) -> LogisticRegression {
        let n = x.count, d = x.first?.count ?? 0
        var counts = [Double](repeating: 0, count: classes)
        for label in y { counts[label] += 1 }
        let classWeight = counts.map { balanced && $0 > 0 ? Double(n) / (Double(classes) * $0) : 1 }
        let rowWeight = y.map { classWeight[$0] }
        let totalWeight = rowWeight.reduce(0, +)
        // Row-major matrices for BLAS: X (n x d), W and its velocity (classes x d), logits (n x classes).
        let flat = x.flatMap { $0 }
        var w = [Double](repeating: 0, count: classes * d), vw = w, lookW = w, gw = w
        var b = [Double](repeating: 0, count: classes), vb = b
        var logits = [Double](repeating: 0, count: n * classes)
        let rate = 0.5, momentum = 0.9
        for _ in 0..<iterations {
            // Gradient at the look-ahead point.
            for index in w.indices { lookW[index] = w[index] + momentum * vw[index] }
            let lookB = (0..<classes).map { b[$0] + momentum * vb[$0] }
            // logits = X W^T
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(classes), Int32(d), 1, flat, Int32(d), lookW, Int32(d),
                        0, &logits, Int32(classes))
            // logits become the weighted errors: weight * (softmax - one-hot).
            var gb = [Double](repeating: 0, count: classes)
            for row in 0..<n {
                let base = row * classes
                var top = -Double.infinity
                for k in 0..<classes {
                    logits[base + k] += lookB[k]
                    top = max(top, logits[base + k])
                }
                var total = 0.0
                for k in 0..<classes {
                    logits[base + k] = exp(logits[base + k] - top)
                    total += logits[base + k]
                }
                for k in 0..<classes {
                    let error = rowWeight[row] * (logits[base + k] / total - (k == y[row] ? 1 : 0))
                    logits[base + k] = error
                    gb[k] += error
                }
            }
            // gw = errors^T X
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(classes), Int32(d), Int32(n), 1, logits, Int32(classes), flat, Int32(d),
                        0, &gw, Int32(d))
            for k in 0..<classes {
                vb[k] = momentum * vb[k] - rate * gb[k] / totalWeight
                b[k] += vb[k]
            }
            for index in w.indices {
                vw[index] = momentum * vw[index] - rate * (gw[index] / totalWeight + l2 * lookW[index])
                w[index] += vw[index]
            }
        }
        return LogisticRegression(coefficients: (0..<classes).map { Array(w[$0 * d..<($0 + 1) * d]) }, intercepts: b)
    }

    static func probabilities(_ row: [Double], w: [[Double]], b: [Double]) -> [Double] {
        softmax((0..<w.count).map { k in zip(w[k], row).reduce(b[k]) { $0 + $1.0 * $1.1 } })
    }

    /// Probabilities from logits or log-probabilities (shifted by their maximum, normalised).
    public static func softmax(_ values: [Double]) -> [Double] {
        let top = values.max() ?? 0
        let exps = values.map { exp($0 - top) }
        let total = exps.reduce(0, +)
        return exps.map { $0 / total }
    }

    /// Class probabilities of a standardised row.
    public func probabilities(_ row: [Double]) -> [Double] { Self.probabilities(row, w: coefficients, b: intercepts) }
}

/// Column means and standard deviations, for standardising features.
public struct Standardiser: Sendable {
    public var mean: [Double]
    public var scale: [Double]

    public init(fitting rows: [[Double]]) {
        let d = rows.first?.count ?? 0, n = Double(rows.count)
        mean = (0..<d).map { j in rows.reduce(0) { $0 + $1[j] } / n }
        scale = (0..<d).map { j in
            let m = rows.reduce(0) { $0 + $1[j] } / n
            let sd = (rows.reduce(0) { $0 + ($1[j] - m) * ($1[j] - m) } / n).squareRoot()
            return sd > 1e-12 ? sd : 1
        }
    }

    public func apply(_ row: [Double]) -> [Double] { zip(zip(row, mean), scale).map { ($0.0 - $0.1) / $1 } }
}
