import Foundation

/// Where a recording's transcript is: the input itself when it is a transcript file, else its
/// sidecar (`clip.srt`, `clip.vtt`, `clip.json` or `clip.txt` beside `clip.mp4`, the first that
/// exists), or a path template. `source.transcript` reads it; `audio.transcribe` recognises
/// speech only when there is none.
public struct TranscriptSidecar: Sendable, Equatable {
    /// Transcript file extensions, in the order a sidecar is looked for.
    public static let extensions = ["srt", "vtt", "json", "txt"]
    /// The template that means "the input's sidecar".
    public static let sidecarTemplate = "{sidecar}"

    /// The path template: `{sidecar}`, or a path in which `{stem}` and `{dir}` expand.
    public var template: String

    public init(template: String = Self.sidecarTemplate) { self.template = template }

    /// The files that would be the input's transcript, in order.
    public func candidates(for input: InputLocation) -> [String] {
        let url = URL(fileURLWithPath: input.path)
        let stem = url.deletingPathExtension().lastPathComponent
        let dir = url.deletingLastPathComponent().path
        if template == Self.sidecarTemplate {
            if Self.extensions.contains(input.fileExtension) { return [input.path] }
            let base = url.deletingPathExtension().path
            return Self.extensions.map { base + "." + $0 }
        }
        return [template.replacingOccurrences(of: "{stem}", with: stem).replacingOccurrences(of: "{dir}", with: dir)]
    }

    /// The input's transcript file, when one exists (never for standard input).
    public func find(for input: InputLocation) -> String? {
        input.isStandardInput ? nil : candidates(for: input).first { FileManager.default.fileExists(atPath: $0) }
    }
}
