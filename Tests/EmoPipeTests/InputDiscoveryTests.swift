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

    /// With the default pipelines a walk takes files by content: transcripts that parse, CSV files
    /// shaped like an EEG table, a .txt only as a recording's sidecar; what it passes over is
    /// listed with the reason. A file named explicitly is taken whatever it holds.
    @Test func defaultWalksTakeRecordingsAndTranscriptsByContent() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let contents: [String: String] = [
            "talk.wav": "x", "talk.txt": "the sidecar", "lone.txt": "abc  talk.wav",
            "answer.srt": "1\n00:00:00,000 --> 00:00:01,000\nWell, maybe.\n",
            "words.json": #"{"segments": [{"start": 0, "end": 1, "text": "maybe"}]}"#,
            "meta.json": #"{"name": "a data set"}"#,
            "eeg.csv": "time,Fp1,Fp2\n0,1.5,2\n0.004,1.25,-3e-1\n",
            "subject-info.csv": "Subject,Age,Gender\nSubject00,21,F\n",
            "RECORDS": "talk.wav\n",
            // A subtitle file with a broken time is still a transcript: taken, to fail naming it.
            "broken.srt": "1\n9999999999:00:00,000 --> 9999999999:00:01,000\nhi\n",
            "notes.srt": "just some notes, no timing\n",
        ]
        for (name, text) in contents { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        let extensions: Set<String> = ["wav", "srt", "vtt", "json", "txt", "csv"]
        let found = InputDiscovery.discover([folder], extensions: extensions, byContent: true)
        #expect(found.items.compactMap { if case .input(let location) = $0 { location.relativePath } else { nil } }
                == ["answer.srt", "broken.srt", "eeg.csv", "talk.wav", "words.json"])
        #expect(found.passedOver.map { ($0.path as NSString).lastPathComponent } == ["RECORDS", "lone.txt", "meta.json", "notes.srt", "subject-info.csv"])
        #expect(found.passedOver[0].reason == "a file without an extension: not a type the pipeline reads")
        #expect(found.passedOver[2].reason == "not a transcript: JSON without \"segments\" or \"words\"")
        #expect(found.passedOver[3].reason == "not a transcript: no 'start --> end' timing line (not SubRip or WebVTT)")
        #expect(found.passedOver[4].reason == "not an EEG table: row 2, column 'Subject': 'Subject00' is not a number")
        // A named pipeline's walk goes by extension, as before; a named file is always taken.
        let byExtension = InputDiscovery.discover([folder], extensions: extensions)
        #expect(byExtension.items.count == 9 && byExtension.passedOver.count == 1)
        #expect(InputDiscovery.expand([folder + "/lone.txt"], extensions: [], byContent: true)
                == [.input(InputLocation(path: folder + "/lone.txt"))])
    }
}
