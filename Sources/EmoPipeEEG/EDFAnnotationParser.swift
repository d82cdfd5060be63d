import EmoPipeCore

/// Time-stamped annotation lists (TALs) of EDF+/BDF+ annotation signals:
/// `+onset[\x15duration]\x14text\x14[text\x14...]\x00`. The first TAL of every record has an
/// empty text and gives the record's start time (the time-keeping TAL).
enum EDFAnnotationParser {
    struct Annotation: Equatable {
        /// Seconds from the file's start time.
        var onset: Double
        /// Seconds; 0 when absent.
        var duration: Double
        var text: String
    }

    /// The record's start time (from its time-keeping TAL, if any) and its annotations.
    ///
    /// Tolerates TALs that are not separated by a NUL (Nihon Kohden's EDF+ export writes
    /// `+0\x14\x14+0\x14text\x14`): a field shaped like an onset right after an empty field
    /// starts a new TAL.
    static func parse(_ bytes: ArraySlice<UInt8>) -> (recordStart: Double?, annotations: [Annotation]) {
        var recordStart: Double?
        var annotations: [Annotation] = []
        func finish(_ timing: ArraySlice<UInt8>, _ texts: [String]) {
            let times = timing.split(separator: 0x15, omittingEmptySubsequences: false)
            guard let onset = Double(String(decoding: times[0], as: UTF8.self)) else { return }
            let duration = times.count > 1 ? Double(String(decoding: times[1], as: UTF8.self)) ?? 0 : 0
            let texts = texts.filter { !$0.isEmpty }
            if texts.isEmpty {
                if recordStart == nil { recordStart = onset }
                return
            }
            for text in texts { annotations.append(Annotation(onset: onset, duration: duration, text: text)) }
        }
        for chunk in bytes.split(separator: 0, omittingEmptySubsequences: true) {
            let fields = chunk.split(separator: 0x14, omittingEmptySubsequences: false)
            guard let first = fields.first else { continue }
            var timing = first
            var texts: [String] = []
            for (position, field) in fields.enumerated().dropFirst() {
                if fields[position - 1].isEmpty && position > 1 && isOnset(field) {
                    finish(timing, texts)
                    timing = field
                    texts = []
                } else {
                    texts.append(String(decoding: field, as: UTF8.self))
                }
            }
            finish(timing, texts)
        }
        return (recordStart, annotations)
    }

    /// `+12.5` or `-0.2`, optionally with `\x15duration`.
    private static func isOnset(_ field: ArraySlice<UInt8>) -> Bool {
        guard let sign = field.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return false }
        let time = field.split(separator: 0x15, omittingEmptySubsequences: false)[0].dropFirst()
        return !time.isEmpty && time.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") }
    }
}
