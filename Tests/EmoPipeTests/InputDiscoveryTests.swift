import EmoPipeCore
@testable import EmoPipe
import Foundation
import Testing

/// Folder walks: sorted relative paths, hidden files skipped, symbolic links followed (a dataset is
/// often a tree of links), each folder once however links loop, dangling links skipped.
@Suite struct InputDiscoveryTests {
    @Test func walksFoldersFollowingLinksOnceAndSkippingHiddenAndDanglingOnes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = FileManager.default
        for path in ["data/b/two.wav", "data/a/one.wav", "data/a/.hidden.wav", "data/a/notes.txt", "elsewhere/p01/three.wav"] {
            try files.createDirectory(atPath: folder + "/" + (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            files.createFile(atPath: folder + "/" + path, contents: Data("x".utf8))
        }
        try files.createSymbolicLink(atPath: folder + "/data/linked", withDestinationPath: folder + "/elsewhere/p01")
        try files.createSymbolicLink(atPath: folder + "/data/b/four.wav", withDestinationPath: folder + "/elsewhere/p01/three.wav")
        try files.createSymbolicLink(atPath: folder + "/data/b/loop", withDestinationPath: folder + "/data")
        try files.createSymbolicLink(atPath: folder + "/data/b/gone.wav", withDestinationPath: folder + "/nowhere.wav")
        let items = InputDiscovery.expand([folder + "/data"], extensions: ["wav"])
        let relative = items.compactMap { item -> String? in
            guard case .input(let location) = item else { return nil }
            return location.relativePath
        }
        #expect(relative == ["a/one.wav", "b/four.wav", "b/two.wav", "linked/three.wav"])
        // A link to a folder given as the argument is walked too.
        try files.createSymbolicLink(atPath: folder + "/shortcut", withDestinationPath: folder + "/elsewhere")
        #expect(InputDiscovery.expand([folder + "/shortcut"], extensions: ["wav"]) == [
            .input(InputLocation(path: folder + "/shortcut/p01/three.wav", relativePath: "p01/three.wav")),
        ])
    }
}
