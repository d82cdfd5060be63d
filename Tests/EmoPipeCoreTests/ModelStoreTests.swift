@testable import EmoPipeCore
import Foundation
import Testing

/// The model store's lookup: the environment's folders first, in order, then the installed
/// layout, then the checkout; names with extensions; paths as given; errors that say where.
@Suite struct ModelStoreTests {
    /// A temporary folder with `files` (relative path to contents) in it.
    private func folder(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        for (path, contents) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func theEnvironmentsFoldersComeFirstInOrderThenTheInstalledLayoutThenTheCheckout() throws {
        let first = try folder(["voice.json": "1"])
        let second = try folder(["voice.json": "2", "extra.json": "3", "net/graph.json": "{}"])
        defer { try? FileManager.default.removeItem(at: first); try? FileManager.default.removeItem(at: second) }
        let store = ModelStore(folder: "Models", environmentVariable: "EMOPIPE_MODELS", noun: "model",
                               environment: ["EMOPIPE_MODELS": first.path + "::" + second.path])
        let path = store.searchPath.map(\.path)
        #expect(path.prefix(2) == [first.path, second.path])
        let executable = ModelStore.executable.deletingLastPathComponent()
        #expect(path[2] == executable.appendingPathComponent("Models").path)
        #expect(path[3] == executable.appendingPathComponent("../share/emopipe/Models").standardized.path)
        #expect(path.last == ModelStore.checkout.appendingPathComponent("Models").path)
        #expect(FileManager.default.fileExists(atPath: ModelStore.checkout.appendingPathComponent("Package.swift").path))

        #expect(store.locate("voice", extensions: [".json"])?.path == first.appendingPathComponent("voice.json").path)
        #expect(store.locate("extra", extensions: ["", ".json"])?.path == second.appendingPathComponent("extra.json").path)
        #expect(store.locate("net")?.path == second.appendingPathComponent("net").path)
        #expect(store.locate("../voice.json") == nil && store.locate("/etc/passwd") == nil && store.locate("") == nil)
        // Names from every folder, each once, the first folder's file winning for a shared name.
        let names = store.names(extension: "json")
        #expect(names.contains("extra") && names.filter { $0 == "voice" }.count == 1)
        #expect(store.names(extension: "", folders: true).contains("net"))
    }

    @Test func aReferenceWithASlashOrTheExtensionIsAPathAndAMissingOneSaysWhereItLooked() throws {
        let root = try folder(["mine.json": "{}"])
        defer { try? FileManager.default.removeItem(at: root) }
        let store = ModelStore(folder: "Models", environmentVariable: "EMOPIPE_MODELS", noun: "model", environment: [:])
        #expect(try store.resolve(root.path + "/mine.json", extensions: [".json"]).path == root.path + "/mine.json")
        #expect(throws: ModelStoreError(description: "nowhere/x.json: no such model (file or folder)")) {
            _ = try store.resolve("nowhere/x.json", extensions: [".json"])
        }
        #expect(throws: ModelStoreError(description: "x.json: no such model (file or folder)")) { _ = try store.resolve("x.json", extensions: [".json"]) }
        let error = try #require(throws: ModelStoreError.self) { _ = try store.resolve("absent", extensions: ["", ".json"]) }
        #expect(error.description == "no model 'absent': looked for absent or absent.json in \(store.searchPathDescription)"
                + " (set EMOPIPE_MODELS to the folder that holds it, or install EmoPipe with `make install`)")
    }

    @Test func theStoresFindTheShippedModelsAndPipelines() {
        #expect(ModelStore.models.locate("face-expression/graph.json") != nil)
        #expect(ModelStore.models.locate("lexicons/vader.tsv") != nil)
        #expect(ModelStore.pipelines.locate("av-affect.yaml") != nil)
    }
}
