import Foundation
import Synchronization

/// Where a run's sinks write.
public enum OutputPlan: Sendable {
    /// Records stream to standard output, one line each, flushed per record. When a run has
    /// several inputs, each record names its input.
    case standardOutput(tagInputs: Bool)
    /// Files under a folder, mirroring each input's relative path (`OUT/talks/p01.jsonl`).
    case directory(String)
    /// Kept in memory, for tests and embedding.
    case memory(MemoryOutput)
    /// Written nowhere (a calibration pass, which keeps only what stages gather).
    case discard
}

/// A text destination for one sink. Records are whole lines; `write` may be called many times
/// per record, `endRecord` marks where a live reader may see the output.
public protocol SinkWriter: AnyObject {
    func write(_ text: String) throws
    /// Ends a record: standard output is flushed here, so live readers see it at once.
    func endRecord() throws
    /// When several inputs share this destination (standard output in a batch), the input's
    /// relative path, which every record must name; nil otherwise.
    var inputTag: String? { get }
}

extension SinkWriter {
    public var inputTag: String? { nil }
}

/// Collects sink output in memory: one string per (input relative path, sink id).
public final class MemoryOutput: Sendable {
    private let texts = Mutex<[String: String]>([:])

    public init() {}

    /// Everything the sink with id `sinkID` wrote for `input` (relative path).
    public func text(input: String, sink sinkID: String) -> String {
        texts.withLock { $0["\(input)#\(sinkID)"] ?? "" }
    }

    /// Every key written so far, `relativePath#sinkID`.
    public var keys: [String] { texts.withLock { $0.keys.sorted() } }

    fileprivate func append(_ text: String, key: String) {
        texts.withLock { $0[key, default: ""] += text }
    }
}

/// The outputs of one input's run. Files are written beside their final name with a `.partial`
/// suffix and renamed on `commit`, so a failed or interrupted input leaves no half-written result.
public final class OutputSession: @unchecked Sendable {
    // Mutable state is touched while the graph is prepared (one thread) and at commit/discard
    // after every stage has finished; the lock makes that explicit.
    private let lock = NSLock()
    private let plan: OutputPlan
    private let input: InputLocation
    private var files: [FileSinkWriter] = []
    private var takenPaths: Set<String> = []

    public init(plan: OutputPlan, input: InputLocation) {
        self.plan = plan
        self.input = input
    }

    /// Opens the destination of sink `sinkID`. `path` is the sink's `path` parameter: "-" means
    /// the run's output (stdout, or `OUT/<input stem>.<ext>` under `-o OUT`); anything else is a
    /// file path in which `{stem}` (input path without extension, relative to its folder) and
    /// `{name}` (file name without extension) are replaced, relative to `-o OUT` when given.
    public func writer(sinkID: String, fileExtension: String, path: String) throws -> SinkWriter {
        lock.lock()
        defer { lock.unlock() }
        switch plan {
        case .memory(let memory):
            return MemorySinkWriter(memory: memory, key: "\(input.relativePath)#\(sinkID)")
        case .discard:
            return DiscardingWriter()
        case .standardOutput(let tagInputs) where path == "-":
            return StandardOutputWriter(inputTag: tagInputs ? input.relativePath : nil)
        case .standardOutput:
            return try openFile(expand(path))
        case .directory(let root):
            var target: String
            if path == "-" {
                target = root + "/" + input.relativeStem + "." + fileExtension
                if takenPaths.contains(target) {
                    target = root + "/" + input.relativeStem + "." + sinkID + "." + fileExtension
                }
            } else {
                let expanded = expand(path)
                target = expanded.hasPrefix("/") ? expanded : root + "/" + expanded
            }
            return try openFile(target)
        }
    }

    private func expand(_ path: String) -> String {
        let name = input.relativeStem.split(separator: "/").last.map(String.init) ?? input.relativeStem
        return path.replacingOccurrences(of: "{stem}", with: input.relativeStem)
            .replacingOccurrences(of: "{name}", with: name)
    }

    private func openFile(_ path: String) throws -> SinkWriter {
        guard !takenPaths.contains(path) else {
            throw StageError("two sinks write to the same file \(path)")
        }
        takenPaths.insert(path)
        let writer = try FileSinkWriter(path: path)
        files.append(writer)
        return writer
    }

    /// Moves every finished file to its final name.
    public func commit() throws {
        lock.lock()
        defer { lock.unlock() }
        for file in files { try file.commit() }
    }

    /// Deletes every partial file (the input failed or was interrupted).
    public func discard() {
        lock.lock()
        defer { lock.unlock() }
        for file in files { file.discard() }
    }
}

/// Writes whole lines to standard output, one `write(2)` per record under a process-wide lock,
/// so records of concurrent inputs never interleave within a line.
final class StandardOutputWriter: SinkWriter {
    private static let lock = NSLock()
    let inputTag: String?
    private var pending = ""

    init(inputTag: String?) { self.inputTag = inputTag }

    func write(_ text: String) throws { pending += text }

    func endRecord() throws {
        guard !pending.isEmpty else { return }
        let data = Data(pending.utf8)
        pending = ""
        Self.lock.lock()
        defer { Self.lock.unlock() }
        FileHandle.standardOutput.write(data)
    }

}

/// Buffers a file's text and writes it to `<path>.partial` in large blocks.
final class FileSinkWriter: SinkWriter {
    private let path: String
    private let partialPath: String
    private let handle: FileHandle
    private var buffer = Data()

    init(path: String) throws {
        self.path = path
        partialPath = path + ".partial"
        let directory = PathText.parent(path)
        do {
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        } catch {
            throw StageError("cannot create folder \(directory): \(error.localizedDescription)")
        }
        guard FileManager.default.createFile(atPath: partialPath, contents: nil),
              let handle = FileHandle(forWritingAtPath: partialPath) else {
            throw StageError("cannot write \(partialPath)")
        }
        self.handle = handle
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try drain() }
    }

    func endRecord() throws {}

    private func drain() throws {
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw StageError("cannot write \(partialPath): \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func commit() throws {
        try drain()
        try? handle.close()
        if FileManager.default.fileExists(atPath: path) { try? FileManager.default.removeItem(atPath: path) }
        do {
            try FileManager.default.moveItem(atPath: partialPath, toPath: path)
        } catch {
            throw StageError("cannot move \(partialPath) to \(path): \(error.localizedDescription)")
        }
    }

    func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: partialPath)
    }
}

final class DiscardingWriter: SinkWriter {
    func write(_ text: String) throws {}
    func endRecord() throws {}
}

final class MemorySinkWriter: SinkWriter {
    private let memory: MemoryOutput
    private let key: String

    init(memory: MemoryOutput, key: String) {
        self.memory = memory
        self.key = key
    }

    func write(_ text: String) throws { memory.append(text, key: key) }
    func endRecord() throws {}
}
