import EmoPipeCore
import Foundation

/// `source.transcript`: a transcript (SRT, WebVTT, JSON with word times, plain text) as a `text`
/// stream of segments: the input itself when it is a transcript file, else by default its
/// sidecar (`clip.srt`, `clip.vtt`, `clip.json` or `clip.txt` beside `clip.mp4`). A recording
/// without a transcript gives an empty stream, unless `required`.
public final class TranscriptSource: SourceStage {
    public static let descriptor = StageDescriptor(
        name: "source.transcript", role: .source,
        summary: "Reads SRT, WebVTT or JSON transcripts (segments, word times) into a text stream.",
        outputs: [PortSpec("text", [.text], "One packet per segment, at its start, with its end and words.")],
        parameters: [
            ParameterSpec("path", .string, default: .string("{sidecar}"),
                          "The transcript file; {sidecar} = the input's path with .srt, .vtt, .json or .txt in place of its extension (the first that exists); {stem} and {dir} expand too."),
            ParameterSpec("required", .boolean, default: .boolean(false),
                          "Fail the input when there is no transcript (otherwise the stream is empty)."),
        ],
        fileExtensions: TranscriptParser.extensions.sorted(),
        make: { .source(TranscriptSource(parameters: $0)) })

    private let sidecar: TranscriptSidecar
    private let required: Bool
    private var segments: [TranscriptParser.Segment] = []

    init(parameters: Parameters) {
        sidecar = TranscriptSidecar(template: parameters.string("path"))
        required = parameters.boolean("required")
    }

    public func open(context: StageContext) throws -> [StreamFormat] {
        let input = context.input
        guard let path = sidecar.find(for: input) else {
            if required { throw StageError("no transcript for \(input.path) (looked for \(sidecar.candidates(for: input).joined(separator: ", ")))") }
            return [.text]
        }
        segments = try TranscriptParser.read(path: path)
        if required, !segments.contains(where: { !$0.text.isEmpty || !$0.words.isEmpty }) {
            throw StageError("\(path): the transcript has no words (empty, or no cue with text), and this pipeline needs one")
        }
        return [.text]
    }

    public func run(output: Emitter, cancellation: CancellationFlag) throws {
        for segment in segments {
            if cancellation.isCancelled { return }
            let words = segment.words.map { TimedWord(start: Timestamp(seconds: $0.start), end: Timestamp(seconds: $0.end), text: $0.text) }
            try output.emit(.text(TextSegment(end: Timestamp(seconds: segment.end), text: segment.text, words: words, origin: "transcript")),
                            at: Timestamp(seconds: segment.start), duration: Timestamp(seconds: segment.end - segment.start))
        }
    }
}
