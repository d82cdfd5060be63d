import EmoPipeCore
import Foundation

/// Reads a model's features from the rows of a feature stream: each by column name, or as the
/// mean (`mean(glob)`) or mean log (`logmean(glob)`) of the columns matching a pattern with one `*`.
struct FeatureSelector {
    private enum Source {
        case column(Int)
        case mean([Int])
        case logMean([Int])
    }

    private let sources: [Source]

    init(features: [String], schema: FeatureSchema, model: String) throws {
        var sources: [Source] = []
        var missing: [String] = []
        for feature in features {
            if let (operation, pattern) = Self.aggregate(feature) {
                let columns = schema.names.indices.filter { Self.matches(schema.names[$0], pattern) }
                if columns.isEmpty { missing.append(feature); continue }
                sources.append(operation == "mean" ? .mean(columns) : .logMean(columns))
            } else if let index = schema.index(of: feature) {
                sources.append(.column(index))
            } else {
                missing.append(feature)
            }
        }
        guard missing.isEmpty else {
            let shown = missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", ... (\(missing.count) in all)" : "")
            throw StageError("model '\(model)' needs feature(s) the input lacks: \(shown)")
        }
        self.sources = sources
    }

    /// The feature values of `row` (NaN where a column is NaN).
    func values(_ row: FeatureRow) -> [Double] {
        sources.map { source in
            switch source {
            case .column(let index): return Double(row.values[index])
            case .mean(let columns): return columns.reduce(0) { $0 + Double(row.values[$1]) } / Double(columns.count)
            case .logMean(let columns): return columns.reduce(0) { $0 + log(Double(row.values[$1])) } / Double(columns.count)
            }
        }
    }

    static func aggregate(_ feature: String) -> (String, String)? {
        for operation in ["mean", "logmean"] where feature.hasPrefix(operation + "(") && feature.hasSuffix(")") {
            return (operation, String(feature.dropFirst(operation.count + 1).dropLast()))
        }
        return nil
    }

    static func matches(_ name: String, _ pattern: String) -> Bool {
        let parts = pattern.split(separator: "*", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return name == pattern }
        return name.count >= parts[0].count + parts[1].count && name.hasPrefix(parts[0]) && name.hasSuffix(parts[1])
    }
}
