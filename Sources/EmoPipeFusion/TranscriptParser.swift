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

    /// The largest time a transcript may give, in seconds (about 31 years): a later one is an
    /// error naming it, never a trap in a timestamp.
    public static let maximumSeconds: Double = 1e9

    /// The largest transcript file read, in bytes.
    public static let maximumBytes = 256 << 20

    /// The segments of the transcript file at `path`: UTF-8 (with or without a byte-order mark),
    /// UTF-16 with a byte-order mark, or else Latin-1 text; binary data and named pipes are
    /// refused with the reason.
    public static func read(path: String) throws -> [Segment] {
        let data: Data
        do {
            data = try FileContents.load(path, maximumBytes: maximumBytes)
        } catch {
            throw StageError("\(path): \(error)")
        }
        let format = URL(fileURLWithPath: path).pathExtension.lowercased()
        return try parse(decode(data, file: path), format: format, file: path)
    }

    /// Whether the file at `path` has a transcript's shape, for folder walks that take files by
    /// content: SubRip/WebVTT text with a `start --> end` line (or a WEBVTT header) in its first
    /// 64 KiB; JSON whose top level holds `segments` or `words`, or is a list of segment objects.
    /// nil when it has; else why not. The values are not judged here: a transcript with a bad
    /// time is taken, and its run fails naming it.
    public static func shapeProblem(path: String) -> String? {
        let format = URL(fileURLWithPath: path).pathExtension.lowercased()
        if format == "json" {
            let data: Data
            do {
                data = try FileContents.load(path, maximumBytes: maximumBytes)
            } catch {
                return "\(error)"
            }
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: data)
            } catch {
                return "not valid JSON (\(JSONErrorText.describe(error, in: data)))"
            }
            if let dictionary = object as? [String: Any], dictionary["segments"] != nil || dictionary["words"] != nil { return nil }
            if let list = object as? [Any], list.allSatisfy({ item in
                (item as? [String: Any]).map { $0["start"] != nil || $0["text"] != nil || $0["words"] != nil } ?? false
            }) { return nil }
            return "JSON without \"segments\" or \"words\""
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { return "cannot open" }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64 << 10)) ?? Data()
        guard let text = try? decode(head, file: path) else { return "not text" }
        if text.contains("-->") || text.hasPrefix("WEBVTT") { return nil }
        return "no 'start --> end' timing line (not SubRip or WebVTT)"
    }

    /// The text of a transcript file's bytes, by its byte-order mark, else UTF-8, else Latin-1
    /// (Windows subtitle files); data with NUL or other control bytes is not text.
    static func decode(_ data: Data, file: String) throws -> String {
        let bytes = [UInt8](data)
        func decoded(_ body: ArraySlice<UInt8>, _ encoding: String.Encoding, _ name: String) throws -> String {
            guard let text = String(data: Data(body), encoding: encoding) else { throw StageError("\(file): not valid \(name) after its byte-order mark") }
            return text
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return try decoded(bytes.dropFirst(3), .utf8, "UTF-8") }
        if bytes.starts(with: [0xFF, 0xFE]) { return try decoded(bytes.dropFirst(2), .utf16LittleEndian, "UTF-16") }
        if bytes.starts(with: [0xFE, 0xFF]) { return try decoded(bytes.dropFirst(2), .utf16BigEndian, "UTF-16") }
        if bytes.contains(0) { throw StageError("\(file): not text (it holds NUL bytes; UTF-16 needs a byte-order mark)") }
        if let text = String(data: data, encoding: .utf8) { return text }
        if bytes.contains(where: { $0 < 0x20 && ![0x09, 0x0A, 0x0C, 0x0D].contains($0) }) {
            throw StageError("\(file): not text (control bytes, and not UTF-8)")
        }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
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
                throw StageError("\(file):\(index + 1): bad cue timing '\(line.prefix(200))'")
            }
            guard end <= maximumSeconds else {
                throw StageError("\(file):\(index + 1): cue time \(end) s is beyond the largest a transcript may give (\(Int(maximumSeconds)) s)")
            }
            index += 1
            var body: [String] = []
            while index < lines.count, !lines[index].trimmingCharacters(in: .whitespaces).isEmpty {
                body.append(String(lines[index]))
                index += 1
            }
            // Drop markup (<i>, <v Speaker>, {\an8}).
            let textLine = withoutMarkup(body.joined(separator: " ")).trimmingCharacters(in: .whitespaces)
            segments.append(Segment(start: start, end: end, text: textLine, words: []))
        }
        if segments.isEmpty && !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            && !text.hasPrefix("WEBVTT") {
            throw StageError("\(file): no timed cues found (expected SubRip or WebVTT)")
        }
        return segments
    }

    /// `text` without `<...>` tags and `{...}` override blocks, in linear time: each opening mark
    /// runs to the first closing one after it (the next ones are found in one pass from the end);
    /// an opening mark with none after it stays as it is.
    static func withoutMarkup(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var nextAngle = [Int](repeating: -1, count: scalars.count + 1)
        var nextBrace = [Int](repeating: -1, count: scalars.count + 1)
        for index in stride(from: scalars.count - 1, through: 0, by: -1) {
            nextAngle[index] = scalars[index] == ">" ? index : nextAngle[index + 1]
            nextBrace[index] = scalars[index] == "}" ? index : nextBrace[index + 1]
        }
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<", nextAngle[index + 1] >= 0 {
                index = nextAngle[index + 1] + 1
            } else if scalar == "{", nextBrace[index + 1] >= 0 {
                index = nextBrace[index + 1] + 1
            } else {
                result.append(scalar)
                index += 1
            }
        }
        return String(result)
    }

    /// `HH:MM:SS,mmm`, `HH:MM:SS.mmm` or `MM:SS.mmm`: digits only (no sign, exponent or
    /// `inf`), a fraction on the seconds alone; nil when malformed or not finite.
    static func seconds(_ field: String) -> Double? {
        let parts = field.replacingOccurrences(of: ",", with: ".").split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count) else { return nil }
        var total = 0.0
        for (position, part) in parts.enumerated() {
            let fraction = position == parts.count - 1
            guard !part.isEmpty, part.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || (fraction && $0 == 46) }),
                  part.utf8.filter({ $0 == 46 }).count <= 1, part.first != ".", let value = Double(part) else { return nil }
            total = total * 60 + value
        }
        return total.isFinite ? total : nil
    }

    static func json(_ text: String, file: String) throws -> [Segment] {
        let data = Data(text.utf8)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw StageError("\(file): not valid JSON: \(JSONErrorText.describe(error, in: data))")
        }
        /// A time field: absent (nil), or a finite number of seconds in 0...maximumSeconds.
        func time(_ value: Any?, _ field: String) throws -> Double? {
            guard let value, !(value is NSNull) else { return nil }
            guard let number = value as? NSNumber, !"\(type(of: value))".contains("Boolean") else { throw StageError("\(file): \(field): expected a number of seconds") }
            let seconds = number.doubleValue
            guard seconds.isFinite, seconds >= 0, seconds <= maximumSeconds else {
                throw StageError("\(file): \(field): \(seconds) is not a time in 0...\(Int(maximumSeconds)) s")
            }
            return seconds
        }
        func words(_ list: Any?, _ field: String) throws -> [(start: Double, end: Double, text: String)] {
            guard let list, !(list is NSNull) else { return [] }
            guard let items = list as? [Any] else { throw StageError("\(file): \(field): expected a list of words") }
            var result: [(start: Double, end: Double, text: String)] = []
            for (index, item) in items.enumerated() {
                let place = "\(field)[\(index)]"
                guard let word = item as? [String: Any] else { throw StageError("\(file): \(place): expected an object") }
                guard let text = (word["word"] ?? word["text"]) as? String else { throw StageError("\(file): \(place): no \"word\" text") }
                // A word without times (an aligner could not place it) keeps to the segment's text.
                guard let start = try time(word["start"], place + ".start"), let end = try time(word["end"], place + ".end") else { continue }
                guard end >= start else { throw StageError("\(file): \(place): end \(end) s is before start \(start) s") }
                result.append((start, end, text.trimmingCharacters(in: .whitespaces)))
            }
            return result
        }
        var list: [Any]?
        var listField = ""
        if let array = object as? [Any] { list = array }
        if let dictionary = object as? [String: Any] {
            if let segments = dictionary["segments"] {
                guard let array = segments as? [Any] else { throw StageError("\(file): segments: expected a list") }
                list = array
                listField = "segments"
            } else if dictionary["words"] != nil {
                let all = try words(dictionary["words"], "words")
                guard let first = all.first, let last = all.last else { return [] }
                return [Segment(start: first.start, end: max(last.end, first.start), text: all.map(\.text).joined(separator: " "), words: all)]
            }
        }
        guard let list else { throw StageError("\(file): expected {\"segments\": [...]}, a list of segments, or {\"words\": [...]}") }
        return try list.enumerated().map { index, element in
            let place = "\(listField)[\(index)]"
            guard let item = element as? [String: Any] else { throw StageError("\(file): \(place): expected a segment object") }
            let itemWords = try words(item["words"], place + ".words")
            guard let start = try time(item["start"], place + ".start") ?? itemWords.first?.start,
                  let end = try time(item["end"], place + ".end") ?? itemWords.last?.end else {
                throw StageError("\(file): \(place): no start/end")
            }
            guard end >= start else { throw StageError("\(file): \(place): end \(end) s is before start \(start) s") }
            let text: String
            if let given = item["text"], !(given is NSNull) {
                guard let string = given as? String else { throw StageError("\(file): \(place).text: expected a string") }
                text = string
            } else {
                text = itemWords.map(\.text).joined(separator: " ")
            }
            return Segment(start: start, end: end, text: text.trimmingCharacters(in: .whitespaces), words: itemWords)
        }
    }
}
