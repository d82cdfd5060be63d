@testable import EmoPipeCore
import Foundation
import Testing

/// Which inputs count as files (batched wakes) and which as live (standard input, named pipes,
/// devices, missing paths).
@Suite struct InputLocationTests {
    @Test func onlyRegularFilesAreFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emopipe-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("clip.wav").path
        try Data([0, 1, 2]).write(to: URL(fileURLWithPath: file))
        let link = folder.appendingPathComponent("link.wav").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: file)
        let pipe = folder.appendingPathComponent("live.wav").path
        #expect(mkfifo(pipe, 0o600) == 0)
        #expect(InputLocation(path: file).isRegularFile)
        #expect(InputLocation(path: link).isRegularFile)
        #expect(!InputLocation(path: pipe).isRegularFile)
        #expect(!InputLocation(path: "/dev/null").isRegularFile)
        #expect(!InputLocation(path: folder.appendingPathComponent("missing.wav").path).isRegularFile)
        #expect(!InputLocation.standardInput.isRegularFile)
    }
}
