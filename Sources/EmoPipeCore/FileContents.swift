import Foundation

/// Reads a whole file given by path, including paths that are not regular files: a named pipe,
/// a process substitution (`--subjects <(grep ... list.csv)` gives `/dev/fd/63`) or a device.
/// `FileManager.contents(atPath:)` answers nil for those.
public enum FileContents {
    /// The file's bytes, or nil when it cannot be opened or read.
    public static func read(_ path: String) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            return nil
        }
    }
}
