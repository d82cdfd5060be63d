import EmoPipeCore
import EmoPipeFusion
import Foundation

/// The named pipelines (`Pipelines/NAME.yaml` in the pipeline store, `ModelStore.pipelines`),
/// and which one `emopipe run` uses for an input when no pipeline is given.
///
/// They are files, not compiled in, for the same reason as the models: one mechanism for all
/// shipped data, installed together (`make install`), readable and editable where they are
/// installed; the affect pipelines are of no use without the models beside them anyway.
public enum DefaultPipelines {
    /// Names of the stored pipelines (file names without `.yaml`), sorted.
    public static var names: [String] { ModelStore.pipelines.names(extension: "yaml") }

    /// The file of stored pipeline `name`, if there is one.
    public static func file(named name: String) -> URL? {
        guard !name.contains("/") else { return nil }
        return ModelStore.pipelines.locate(name + ".yaml")
    }

    /// The stored pipeline for an input: emotion and A/H for every type, by its extension
    /// (voice-affect for audio files, eeg-affect for EDF/BDF and EEG tables, text-affect for
    /// transcripts), or the
    /// audio-visual av-affect for videos, stills, standard input and unknown types (FFmpeg probes
    /// the content). The feature-only pipelines run when named.
    public static func name(for input: InputLocation) -> String {
        if eegExtensions.contains(input.fileExtension) { return "eeg-affect" }
        if TranscriptParser.extensions.contains(input.fileExtension) { return "text-affect" }
        return audioExtensions.contains(input.fileExtension) ? "voice-affect" : "av-affect"
    }

    /// Extensions of EEG recordings (CSV: an EEG table; a walk checks its shape,
    /// `InputDiscovery`).
    static let eegExtensions: Set<String> = ["edf", "bdf", "csv"]

    /// Extensions treated as audio-only files.
    static let audioExtensions: Set<String> = [
        "wav", "flac", "mp3", "m4a", "aac", "ogg", "oga", "opus", "wma", "aif", "aiff", "caf",
    ]

    /// Checks `overrides` for runs without a pipeline file: each must name a stage of at least
    /// one stored pipeline, and be valid there.
    public static func validate(overrides: [String], registry: StageRegistry) throws {
        for name in names { _ = try load(name, registry: registry, overrides: applicable(overrides, to: name, registry: registry)) }
        let ids = try Set(names.flatMap { try load($0, registry: registry).nodes.map(\.id) })
        for override in overrides {
            let id = String(override.prefix { $0 != "." && $0 != "=" })
            guard ids.contains(id) else {
                throw PipelineError(.unknownReference, at: SourceLocation(file: "--set \(override)"),
                                    "no named pipeline has a stage '\(id)'; stages: " + ids.sorted().joined(separator: ", "))
            }
        }
    }

    /// The overrides that name a stage of stored pipeline `name` (the others are for the
    /// defaults of other input types).
    public static func applicable(_ overrides: [String], to name: String, registry: StageRegistry) throws -> [String] {
        let ids = Set(try load(name, registry: registry).nodes.map(\.id))
        return overrides.filter { ids.contains(String($0.prefix { $0 != "." && $0 != "=" })) }
    }

    /// Loads stored pipeline `name` with `overrides`.
    public static func load(_ name: String, registry: StageRegistry, overrides: [String] = []) throws -> PipelineGraph {
        let file: URL
        do {
            file = try ModelStore.pipelines.require(name, extensions: [".yaml"])
        } catch let error as ModelStoreError {
            throw PipelineError(.unreadable, at: SourceLocation(file: name), error.description)
        }
        return try PipelineLoader(registry: registry).load(file: file.path, overrides: overrides)
    }
}
