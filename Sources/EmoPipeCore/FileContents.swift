import Foundation

/// Reads whole files. `load` takes only regular files (models, transcripts, sidecars): a named
/// pipe or a device where a file is expected is refused at once (opening one would block until a
/// writer came), and so is a file larger than the caller allows. `read` also reads a pipe to its
/// end, for what is meant to come from one (`--labels <(...)`).
public enum FileContents {
    /// Why a file could not be read.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String

        public init(description: String) { self.description = description }
    }

    /// The bytes of the file or pipe at `path`, or nil when it cannot be opened or read.
    public static func read(_ path: String) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return try? handle.readToEnd() ?? Data()
    }

    /// The bytes of the regular file at `path`, at most `maximumBytes` of them.
    public static func load(_ path: String, maximumBytes: Int = 1 << 30) throws -> Data {
        _ = try regularFileSize(path, maximumBytes: maximumBytes)
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(description: "cannot open") }
        defer { try? handle.close() }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw Failure(description: "cannot read (\(error.localizedDescription))")
        }
    }

    /// The size in bytes of the regular file at `path`, after the checks `load` makes: it exists,
    /// is a regular file (not a folder, device, socket or named pipe) and has at most
    /// `maximumBytes` bytes. For readers that take a large file in parts.
    public static func regularFileSize(_ path: String, maximumBytes: Int) throws -> Int {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw Failure(description: FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file")
        }
        let type = attributes[.type] as? FileAttributeType
        switch type {
        case .typeRegular?: break
        case .typeDirectory?: throw Failure(description: "a folder, not a file")
        case .typeCharacterSpecial?, .typeBlockSpecial?: throw Failure(description: "a device, not a regular file")
        case .typeSocket?: throw Failure(description: "a socket, not a regular file")
        default:
            // A named pipe (FileManager reports it as .typeUnknown on Linux).
            throw Failure(description: "not a regular file (a named pipe?): give a file")
        }
        let size = attributes[.size] as? Int ?? 0
        if size > maximumBytes {
            throw Failure(description: "\(size) bytes, more than the \(maximumBytes) this file may have")
        }
        return size
    }
}
