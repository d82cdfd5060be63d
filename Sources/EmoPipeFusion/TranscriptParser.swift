import EmoPipeCore
import Foundation

/// Reads transcripts with timestamps: SubRip (.srt), WebVTT (.vtt) and JSON (Whisper-style
/// `{"segments": [{"start", "end", "text", "words": [{"start", "end", "word"}]}]}`, a bare array of
/// segments, or `{"words": [...]}`). Times in seconds (JSON) or `HH:MM:SS,mmm` / `HH:MM:SS.mmm`.
/// Plain text (.txt) is one untimed segment at 0 s.
public enum TranscriptParser {
    public struct Segment: Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var text: String
        public var words: [(start: Double, end: Double, text: String)]

        public static func == (a: Segment, b: Segment) -> Bool {
            a.start == b.start && a.end == b.end && a.text == b.text && a.words.map(\.text) == b.words.map(\.text)
        }
    }

    /// Extensions of the transcript files it reads.
    public static let extensions: Set<String> = ["srt", "vtt", "json", "txt"]

    /// The segments of the transcript file at `path` (UTF-8, or Latin-1; a byte-order mark is skipped).
    public static func read(path: String) throws -> [Segment] {
        guard let data = FileContents.read(path) else { throw StageError("\(path): cannot read") }
        guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
            throw StageError("\(path): not text")
        }
        let format = URL(fileURLWithPath: path).pathExtension.lowercased()
        return try parse(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text, format: format, file: path)
    }

    /// The segments of `text`, in time order; `format` is `srt`, `vtt`, `json` or `txt` (from the extension).
    public static func parse(_ text: String, format: String, file: String) throws -> [Segment] {
        let segments: [Segment]
        switch format {
        case "srt", "vtt": segments = try cues(text, file: file)
        case "json": segments = try json(text, file: file)
        case "txt":
            let body = text.trimmingCharacters(in: .whitespacesAndNewlines)
            segments = body.isEmpty ? [] : [Segment(start: 0, end: 0, text: body.split(whereSeparator: \.isNewline).joined(separator: " "), words: [])]
        default: throw StageError("\(file): transcripts are .srt, .vtt, .json or .txt, not .\(format)")
        }
        return segments.sorted { $0.start < $1.start }
    }

    /// SRT and WebVTT share the cue shape: an optional id line, `start --> end [settings]`, text lines.
    static func cues(_ text: String, file: String) throws -> [Segment] {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        var segments: [Segment] = []
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            guard line.contains("-->") else { index += 1; continue }
            let parts = line.components(separatedBy: "-->")
            let endField = parts[1].trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
            guard let start = seconds(parts[0].trimmingCharacters(in: .whitespaces)), let end = seconds(endField), end >= start else {
                throw StageError("\(file):\(index + 1): bad cue timing '\(line)'")
            }
            index += 1
            var body: [String] = []
            while index < lines.count, !lines[index].trimmingCharacters(in: .whitespaces).isEmpty {
                body.append(String(lines[index]))
                index += 1
            }
            // Drop markup (<i>, <v Speaker>, {\an8}).
            let textLine = body.joined(separator: " ")
                .replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
                .replacingOccurrences(of: "\\{[^}]*\\}", with: "", options: .regularExpression)
                .trimmingCharacters(in: .whitespaces)
            segments.append(Segment(start: start, end: end, text: textLine, words: []))
        }
        if segments.isEmpty && !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            && !text.hasPrefix("WEBVTT") {
            throw StageError("\(file): no timed cues found (expected SubRip or WebVTT)")
        }
        return segments
    }

    /// `HH:MM:SS,mmm`, `HH:MM:SS.mmm` or `MM:SS.mmm`.
    static func seconds(_ field: String) -> Double? {
        let parts = field.replacingOccurrences(of: ",", with: ".").split(separator: ":")
        guard (2...3).contains(parts.count) else { return nil }
        let numbers = parts.compactMap { Double($0) }
        guard numbers.count == parts.count, numbers.allSatisfy({ $0 >= 0 }) else { return nil }
        return numbers.reduce(0) { $0 * 60 + $1 }
    }

    static func json(_ text: String, file: String) throws -> [Segment] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw StageError("\(file): not valid JSON (\(error.localizedDescription))")
        }
        func number(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }
        func words(_ list: Any?) -> [(start: Double, end: Double, text: String)] {
            ((list as? [[String: Any]]) ?? []).compactMap { word in
                guard let start = number(word["start"]), let end = number(word["end"]),
                      let text = (word["word"] ?? word["text"]) as? String else { return nil }
                return (start, end, text.trimmingCharacters(in: .whitespaces))
            }
        }
        var list: [[String: Any]]?
        if let array = object as? [[String: Any]] { list = array }
        if let dictionary = object as? [String: Any] {
            list = dictionary["segments"] as? [[String: Any]]
            if list == nil, dictionary["words"] != nil {
                let all = words(dictionary["words"])
                guard let first = all.first, let last = all.last else { return [] }
                return [Segment(start: first.start, end: last.end, text: all.map(\.text).joined(separator: " "), words: all)]
            }
        }
        guard let list else { throw StageError("\(file): expected {\"segments\": [...]}, a list of segments, or {\"words\": [...]}") }
        return try list.enumerated().map { index, item in
            let itemWords = words(item["words"])
            guard let start = number(item["start"]) ?? itemWords.first?.start, let end = number(item["end"]) ?? itemWords.last?.end else {
                throw StageError("\(file): segment \(index + 1) has no start/end")
            }
            let text = (item["text"] as? String) ?? itemWords.map(\.text).joined(separator: " ")
            return Segment(start: start, end: end, text: text.trimmingCharacters(in: .whitespaces), words: itemWords)
        }
    }
}
