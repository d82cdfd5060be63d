import EmoPipeCore
import EmoPipeFusion

/// The pipelines compiled into the binary, and which one `emopipe run` uses for an input when
/// no pipeline file is given.
public enum DefaultPipelines {
    /// Names of the embedded pipelines (file names without `.yaml`), sorted.
    public static var names: [String] {
        EmbeddedPipelines.files.keys.map { String($0.dropLast(5)) }.sorted()
    }

    /// The text of embedded pipeline `name`, if there is one.
    public static func text(named name: String) -> String? {
        EmbeddedPipelines.files[name + ".yaml"]
    }

    /// The embedded pipeline for an input: emotion and A/H for every type, by its extension
    /// (voice-affect for audio files, eeg-affect for EDF/BDF, text-affect for transcripts), or the
    /// audio-visual av-affect for videos, stills, standard input and unknown types (FFmpeg probes
    /// the content). The feature-only pipelines run when named.
    public static func name(for input: InputLocation) -> String {
        if eegExtensions.contains(input.fileExtension) { return "eeg-affect" }
        if TranscriptParser.extensions.contains(input.fileExtension) { return "text-affect" }
        return audioExtensions.contains(input.fileExtension) ? "voice-affect" : "av-affect"
    }

    /// Extensions a folder walk without a named pipeline passes over: JSON files are read as
    /// transcripts only when given by name, or when the pipeline reads transcripts (a folder of
    /// recordings often holds other JSON).
    public static let namedOnlyExtensions: Set<String> = ["json"]

    /// Extensions of EEG recordings.
    static let eegExtensions: Set<String> = ["edf", "bdf"]

    /// Extensions treated as audio-only files.
    static let audioExtensions: Set<String> = [
        "wav", "flac", "mp3", "m4a", "aac", "ogg", "oga", "opus", "wma", "aif", "aiff", "caf",
    ]

    /// Checks `overrides` for runs without a pipeline file: each must name a stage of at least
    /// one embedded pipeline, and be valid there.
    public static func validate(overrides: [String], registry: StageRegistry) throws {
        for name in names { _ = try load(name, registry: registry, overrides: applicable(overrides, to: name, registry: registry)) }
        let ids = try Set(names.flatMap { try load($0, registry: registry).nodes.map(\.id) })
        for override in overrides {
            let id = String(override.prefix { $0 != "." && $0 != "=" })
            guard ids.contains(id) else {
                throw PipelineError(.unknownReference, at: SourceLocation(file: "--set \(override)"),
                                    "no embedded pipeline has a stage '\(id)'; stages: " + ids.sorted().joined(separator: ", "))
            }
        }
    }

    /// The overrides that name a stage of embedded pipeline `name` (the others are for the
    /// defaults of other input types).
    public static func applicable(_ overrides: [String], to name: String, registry: StageRegistry) throws -> [String] {
        let ids = Set(try load(name, registry: registry).nodes.map(\.id))
        return overrides.filter { ids.contains(String($0.prefix { $0 != "." && $0 != "=" })) }
    }

    /// Loads embedded pipeline `name` with `overrides`.
    public static func load(_ name: String, registry: StageRegistry, overrides: [String] = []) throws -> PipelineGraph {
        guard let text = text(named: name) else {
            throw PipelineError(.unreadable, at: SourceLocation(file: name),
                                "no embedded pipeline '\(name)'; embedded: " + names.joined(separator: ", "))
        }
        return try PipelineLoader(registry: registry).load(text: text, file: "<embedded \(name).yaml>", overrides: overrides)
    }
}
