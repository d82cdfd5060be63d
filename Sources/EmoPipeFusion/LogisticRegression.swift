import Foundation

/// Multinomial logistic regression with L2 regularisation and class weights, fitted by full-batch
/// gradient descent with Nesterov momentum on standardised features: small, deterministic, and
/// enough for a few hundred recordings by a hundred features.
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
        var w = [[Double]](repeating: [Double](repeating: 0, count: d), count: classes)
        var b = [Double](repeating: 0, count: classes)
        var vw = w, vb = b
        let rate = 0.5, momentum = 0.9
        for _ in 0..<iterations {
            // Gradient at the look-ahead point.
            let lw = (0..<classes).map { k in (0..<d).map { w[k][$0] + momentum * vw[k][$0] } }
            let lb = (0..<classes).map { b[$0] + momentum * vb[$0] }
            var gw = [[Double]](repeating: [Double](repeating: 0, count: d), count: classes)
            var gb = [Double](repeating: 0, count: classes)
            var totalWeight = 0.0
            for (row, label) in zip(x, y) {
                let p = probabilities(row, w: lw, b: lb)
                let weight = classWeight[label]
                totalWeight += weight
                for k in 0..<classes {
                    let error = weight * (p[k] - (k == label ? 1 : 0))
                    gb[k] += error
                    for j in 0..<d { gw[k][j] += error * row[j] }
                }
            }
            for k in 0..<classes {
                vb[k] = momentum * vb[k] - rate * gb[k] / totalWeight
                b[k] += vb[k]
                for j in 0..<d {
                    vw[k][j] = momentum * vw[k][j] - rate * (gw[k][j] / totalWeight + l2 * lw[k][j])
                    w[k][j] += vw[k][j]
                }
            }
        }
        return LogisticRegression(coefficients: w, intercepts: b)
    }

    static func probabilities(_ row: [Double], w: [[Double]], b: [Double]) -> [Double] {
        let logits = (0..<w.count).map { k in zip(w[k], row).reduce(b[k]) { $0 + $1.0 * $1.1 } }
        let top = logits.max() ?? 0
        let exps = logits.map { exp($0 - top) }
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
