import Foundation

/// Binary logistic regression on sparse rows with an L2 penalty and balanced class weights,
/// fitted by Nesterov-accelerated gradient descent with a step of 1/L (L bounds the loss's
/// curvature): deterministic, and fast for bag-of-words rows of a few hundred non-zeros.
///
/// Minimises `sum_i w_i loss_i / sum_i w_i + l2/2 |coefficients|^2` (the intercept is not
/// penalised), with `w_i = n / (2 n_class)` as scikit-learn's `class_weight="balanced"`.
public struct SparseLogisticRegression: Sendable {
    /// A sparse row: (column, value) pairs.
    public typealias Row = [(index: Int, value: Double)]

    public var coefficients: [Double]
    public var intercept: Double

    public static func fit(rows: [Row], labels: [Bool], columns: Int, l2: Double, iterations: Int = 3000) -> SparseLogisticRegression {
        let n = rows.count
        let positives = labels.filter { $0 }.count
        let weightOf = { (label: Bool) -> Double in
            let members = label ? positives : n - positives
            return members > 0 ? Double(n) / (2 * Double(members)) : 0
        }
        let weights = labels.map(weightOf)
        let totalWeight = max(weights.reduce(0, +), 1e-12)
        // Curvature bound: 1/4 of the largest squared row norm (the intercept's column counts 1).
        let maxNorm = rows.map { $0.reduce(1) { $0 + $1.value * $1.value } }.max() ?? 1
        let step = 1 / (0.25 * maxNorm + l2)
        var w = [Double](repeating: 0, count: columns), b = 0.0
        var previousW = w, previousB = b
        var gradient = [Double](repeating: 0, count: columns)
        var lookW = w
        for iteration in 1...max(iterations, 1) {
            let momentum = Double(iteration - 1) / Double(iteration + 2)
            for j in 0..<columns { lookW[j] = w[j] + momentum * (w[j] - previousW[j]) }
            let lookB = b + momentum * (b - previousB)
            for j in 0..<columns { gradient[j] = l2 * lookW[j] }
            var gradientB = 0.0
            for (row, (label, weight)) in zip(rows, zip(labels, weights)) {
                var z = lookB
                for entry in row { z += lookW[entry.index] * entry.value }
                let error = weight * (1 / (1 + exp(-z)) - (label ? 1 : 0)) / totalWeight
                gradientB += error
                for entry in row { gradient[entry.index] += error * entry.value }
            }
            previousW = w
            previousB = b
            for j in 0..<columns { w[j] = lookW[j] - step * gradient[j] }
            b = lookB - step * gradientB
        }
        return SparseLogisticRegression(coefficients: w, intercept: b)
    }

    /// The probability of the positive class for a row.
    public func probability(_ row: Row) -> Double {
        var z = intercept
        for entry in row { z += coefficients[entry.index] * entry.value }
        return 1 / (1 + exp(-z))
    }
}
