import EmoPipeCore

/// A named frequency band [low, high) in Hz.
struct FrequencyBand: Equatable {
    var name: String
    var low: Double
    var high: Double

    /// Parses `name:low-high` items separated by commas (`theta:4-8,alpha:8-14`).
    static func parseList(_ text: String) throws -> [FrequencyBand] {
        let bands = try text.split(separator: ",").map { item -> FrequencyBand in
            let parts = item.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            let edges = parts.count == 2 ? parts[1].split(separator: "-").compactMap { Double($0) } : []
            guard parts.count == 2, !parts[0].isEmpty, edges.count == 2, edges.allSatisfy(\.isFinite), edges[0] >= 0, edges[1] > edges[0], edges[1] <= 1e6 else {
                throw StageError("a band is name:low-high in Hz with 0 <= low < high (finite), like alpha:8-14; got '\(item)'")
            }
            return FrequencyBand(name: parts[0], low: edges[0], high: edges[1])
        }
        guard !bands.isEmpty else { throw StageError("give at least one band") }
        return bands
    }
}
