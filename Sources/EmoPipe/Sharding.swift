import Foundation

/// A deterministic share of a batch's inputs: shard `index` (1-based) of `count`. An input
/// belongs to the shard its relative path hashes to (FNV-1a, 64 bit), so every input is in
/// exactly one shard, whatever the order inputs are listed in and whatever other inputs exist.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (1...count).contains(index) else { throw ShardError("shard \(index)/\(count): need 1 <= K <= N") }
        self.index = index
        self.count = count
    }

    /// `K/N`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else { throw ShardError("--shard takes K/N, e.g. 2/8, not '\(text)'") }
        try self.init(index: k, count: n)
    }

    /// From the environment of a job array: Slurm (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT,
    /// SLURM_ARRAY_TASK_MIN) or a Kubernetes indexed Job (JOB_COMPLETION_INDEX, 0-based, with the
    /// count from `count` or EMOPIPE_SHARD_COUNT). Nil when neither is set.
    public static func fromEnvironment(_ environment: [String: String], count: Int? = nil) throws -> Shard? {
        if let id = environment["SLURM_ARRAY_TASK_ID"].flatMap(Int.init),
           let total = environment["SLURM_ARRAY_TASK_COUNT"].flatMap(Int.init) {
            let minimum = environment["SLURM_ARRAY_TASK_MIN"].flatMap(Int.init) ?? 0
            return try Shard(index: id - minimum + 1, count: total)
        }
        if let index = environment["JOB_COMPLETION_INDEX"].flatMap(Int.init) {
            guard let total = count ?? environment["EMOPIPE_SHARD_COUNT"].flatMap(Int.init) else {
                throw ShardError("JOB_COMPLETION_INDEX is set: give the number of shards with --shard-count or EMOPIPE_SHARD_COUNT")
            }
            return try Shard(index: index + 1, count: total)
        }
        return nil
    }

    public func contains(_ relativePath: String) -> Bool {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in relativePath.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(count)) == index - 1
    }

    public var description: String { "\(index)/\(count)" }
}

public struct ShardError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
