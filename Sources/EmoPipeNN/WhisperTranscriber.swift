import Foundation

/// Whisper's transcription of a stream, window by window, as faster-whisper and openai-whisper do
/// it with greedy decoding (`beam_size=1, temperature=0`):
///
/// - each window of up to 30 s of log-mel frames is encoded (padded with zeros to 30 s), and
///   decoded greedily with timestamps from a prompt of `<|startofprev|>`, the text tokens of the
///   windows before (at most 223; `conditionOnPreviousText`), and `<|startoftranscript|>`;
/// - the decoding rules: symbols and special tokens suppressed, no blank or end of text first,
///   the first token a timestamp of at most `maxInitialTimestamp`, timestamps in pairs and never
///   decreasing, and a timestamp whenever the timestamps together are likelier than any text
///   token;
/// - a window whose `<|nocaptions|>` probability exceeds `noSpeechThreshold` while its mean token
///   log probability is at most `logProbabilityThreshold` is silence: skipped whole;
/// - the tokens are cut into segments at consecutive timestamps; the window advances past its
///   last complete segment (all of it when the decoding ended on a single timestamp), so an
///   unfinished segment is decoded again at the start of the next window.
public final class WhisperTranscriber {
    /// One segment of recognised speech.
    public struct Segment: Sendable, Equatable {
        /// Start and end in seconds of the stream.
        public var start: Double
        public var end: Double
        /// The tokens (text and timestamps) and each one's probability under the decoding
        /// distribution.
        public var tokens: [Int]
        public var probabilities: [Float]
        public var text: String
    }

    /// A word of a segment: its text, time span (s) and confidence (mean token probability).
    public struct Word: Sendable, Equatable {
        public var text: String
        public var start: Double
        public var end: Double
        public var confidence: Float
    }

    /// What one window gave.
    public struct WindowResult: Sendable {
        public var segments: [Segment]
        /// Frames to advance the stream position by (at most the window's frames).
        public var advance: Int
        /// The window was judged silence (no-speech probability and log probability thresholds).
        public var silence: Bool
        public var noSpeechProbability: Float
        public var averageLogProbability: Double
    }

    /// The greedy decoding of one window.
    public struct Decoding: Sendable {
        /// The generated tokens (text and timestamps), end of text excluded.
        public var tokens: [Int]
        /// Each generated token's probability.
        public var probabilities: [Float]
        /// Sum of the generated tokens' log probabilities, end of text included.
        public var sumLogProbability: Double
        public var noSpeechProbability: Float
    }

    public let model: WhisperModel
    /// Decode each window after the text of the ones before (Whisper's default).
    public var conditionOnPreviousText = true
    public var noSpeechThreshold: Float = 0.6
    public var logProbabilityThreshold: Double = -1
    /// Threads the encoder may use (`WhisperModel.encode`'s `parts`): 1, or 2 for live runs.
    public var encoderParts = 1
    /// Latest first timestamp, in seconds.
    public var maxInitialTimestamp: Double = 1
    /// Text tokens of the windows so far (the prompt's source).
    public private(set) var previousTokens: [Int] = []

    /// Seconds per frame (10 ms) and per timestamp step (20 ms).
    public static let frameSeconds = 0.01
    public static let timestampSeconds = 0.02

    public init(model: WhisperModel) { self.model = model }

    /// Forgets the text so far (a new recording).
    public func reset() { previousTokens = [] }

    /// Decodes one window: `mel` holds `frames` normalised log-mel frames (frame-major, at most
    /// `model.windowFrames`), starting `offset` seconds into the stream. With `complete` (live
    /// decoding at a pause in speech) an unfinished last segment is kept too, ending at its last
    /// timestamp or the window's end, and the whole window is consumed.
    public func transcribe(window mel: [Float], frames: Int, offset: Double, complete: Bool = false) -> WindowResult {
        let mels = model.dimensions.mels, windowFrames = model.windowFrames
        precondition(frames > 0 && frames <= windowFrames && mel.count >= frames * mels)
        var padded = [Float](repeating: 0, count: windowFrames * mels)
        padded.replaceSubrange(0..<(frames * mels), with: mel[0..<(frames * mels)])
        let audio = model.encode(mel: padded, parts: encoderParts)
        var prompt: [Int] = []
        if conditionOnPreviousText, !previousTokens.isEmpty {
            prompt = [model.tokens.startOfPrevious] + previousTokens.suffix(model.dimensions.textContext / 2 - 1)
        }
        prompt.append(model.tokens.startOfTranscript)
        let decoding = decode(audio: audio, prompt: prompt)
        let average = decoding.sumLogProbability / Double(decoding.tokens.count + 1)
        if decoding.noSpeechProbability > noSpeechThreshold, !(average > logProbabilityThreshold) {
            return WindowResult(segments: [], advance: frames, silence: true, noSpeechProbability: decoding.noSpeechProbability, averageLogProbability: average)
        }
        var (segments, advance) = split(decoding, frames: frames, offset: offset, complete: complete)
        segments = segments.filter { $0.start != $0.end && !$0.text.trimmingCharacters(in: .whitespaces).isEmpty }
        for segment in segments { previousTokens += segment.tokens }
        return WindowResult(segments: segments, advance: advance, silence: false,
                            noSpeechProbability: decoding.noSpeechProbability, averageLogProbability: average)
    }

    /// Cuts the tokens at consecutive timestamps (faster-whisper's `_split_segments_by_timestamps`).
    func split(_ decoding: Decoding, frames: Int, offset: Double, complete: Bool = false) -> ([Segment], Int) {
        let tokens = decoding.tokens, begin = model.tokens.timestampBegin
        let framesPerStep = Int((Self.timestampSeconds / Self.frameSeconds).rounded())
        func segment(_ range: Range<Int>, start: Double, end: Double) -> Segment {
            let slice = Array(tokens[range])
            return Segment(start: start, end: end, tokens: slice, probabilities: Array(decoding.probabilities[range]), text: model.text(of: slice))
        }
        let singleTimestampEnding = tokens.count >= 2 && tokens[tokens.count - 2] < begin && tokens[tokens.count - 1] >= begin
        let consecutive = tokens.indices.filter { $0 > 0 && tokens[$0] >= begin && tokens[$0 - 1] >= begin }
        if !consecutive.isEmpty {
            var slices = consecutive
            if singleTimestampEnding { slices.append(tokens.count) }
            var segments: [Segment] = []
            var last = 0
            for current in slices {
                let start = offset + Double(tokens[last] - begin) * Self.timestampSeconds
                let end = offset + Double(tokens[current - 1] - begin) * Self.timestampSeconds
                segments.append(segment(last..<current, start: start, end: end))
                last = current
            }
            if singleTimestampEnding { return (segments, frames) }
            if complete, last < tokens.count {
                let start = offset + Double(tokens[last] - begin) * Self.timestampSeconds
                let closing = tokens[(last + 1)...].last { $0 >= begin }
                let end = closing.map { offset + Double($0 - begin) * Self.timestampSeconds } ?? offset + Double(frames) * Self.frameSeconds
                segments.append(segment(last..<tokens.count, start: start, end: max(start, end)))
                return (segments, frames)
            }
            let lastTimestamp = tokens[last - 1] - begin
            return (segments, min(frames, lastTimestamp * framesPerStep))
        }
        var duration = Double(frames) * Self.frameSeconds
        if let lastTimestamp = tokens.last(where: { $0 >= begin }), lastTimestamp != begin {
            duration = Double(lastTimestamp - begin) * Self.timestampSeconds
        }
        return ([segment(0..<tokens.count, start: offset, end: offset + duration)], frames)
    }

    /// Greedy decoding with Whisper's rules from `prompt` over the encoder output `audio`.
    public func decode(audio: [Float], prompt: [Int]) -> Decoding {
        let special = model.tokens, vocabulary = model.dimensions.vocabulary
        let state = WhisperDecoderState(model: model, audio: audio)
        let sotIndex = prompt.lastIndex(of: special.startOfTranscript) ?? prompt.count - 1
        var rows = [prompt.count - 1]
        if sotIndex != prompt.count - 1 { rows.append(sotIndex) }
        let first = state.forward(prompt, logitsAt: rows)
        var logits = first[0]
        let noSpeech = Self.softmax(sotIndex == prompt.count - 1 ? first[0] : first[1], at: special.noSpeech)
        var generated: [Int] = [], probabilities: [Float] = [], sum = 0.0
        while true {
            applyRules(to: &logits, generated: generated)
            var best = 0
            for id in 1..<vocabulary where logits[id] > logits[best] { best = id }
            let logProbability = logits[best] - logits.withUnsafeBufferPointer { Self.logSumExp($0) }
            sum += Double(logProbability)
            if best == special.endOfText { break }
            generated.append(best)
            probabilities.append(expf(logProbability))
            if state.remaining < 1 { break }
            logits = state.forward([best], logitsAt: [0])[0]
        }
        return Decoding(tokens: generated, probabilities: probabilities, sumLogProbability: sum, noSpeechProbability: noSpeech)
    }

    /// Whisper's decoding rules on the logits of the next token after `generated` (the tokens
    /// generated so far, prompt excluded): suppressed tokens, no blank or end of text first,
    /// the timestamp rules, and a timestamp when the timestamps together are likelier than any
    /// text token. Excluded tokens get -infinity.
    func applyRules(to logits: inout [Float], generated: [Int]) {
        let special = model.tokens, vocabulary = model.dimensions.vocabulary
        let begin = special.timestampBegin, endOfText = special.endOfText
        let maxInitial = Int((maxInitialTimestamp / Self.timestampSeconds).rounded())
        logits.withUnsafeMutableBufferPointer { logits in
            let negative = -Float.infinity
            for id in model.suppressed { logits[id] = negative }
            if generated.isEmpty { for id in model.suppressedAtBegin { logits[id] = negative } }
            logits[special.noTimestamps] = negative
            let count = generated.count
            let lastWasTimestamp = count >= 1 && generated[count - 1] >= begin
            let penultimateWasTimestamp = count < 2 || generated[count - 2] >= begin
            if lastWasTimestamp {
                if penultimateWasTimestamp {
                    for id in begin..<vocabulary { logits[id] = negative }
                } else {
                    for id in 0..<endOfText { logits[id] = negative }
                }
            }
            if let lastTimestamp = generated.last(where: { $0 >= begin }) {
                let limit = lastWasTimestamp && !penultimateWasTimestamp ? lastTimestamp : lastTimestamp + 1
                for id in begin..<min(limit, vocabulary) { logits[id] = negative }
            }
            if count == 0 {
                for id in 0..<begin { logits[id] = negative }
                for id in min(vocabulary, begin + maxInitial + 1)..<vocabulary { logits[id] = negative }
            }
            // A timestamp when the timestamps together are likelier than any one text token.
            let total = Self.logSumExp(UnsafeBufferPointer(rebasing: logits[0..<vocabulary]))
            let timestamps = Self.logSumExp(UnsafeBufferPointer(rebasing: logits[begin..<vocabulary])) - total
            var bestText = -Float.infinity
            for id in 0..<begin { bestText = max(bestText, logits[id]) }
            if timestamps > bestText - total { for id in 0..<begin { logits[id] = negative } }
        }
    }

    /// The words of a segment: a token beginning with a space starts a word; each word's time is
    /// its share of the segment by characters; its confidence the mean probability of its tokens.
    public func words(of segment: Segment) -> [Word] {
        var pieces: [(bytes: [UInt8], probabilities: [Float])] = []
        for (token, probability) in zip(segment.tokens, segment.probabilities) where token < model.tokens.endOfText {
            let bytes = model.vocabulary[token]
            if pieces.isEmpty || bytes.first == 0x20 {
                pieces.append((bytes, [probability]))
            } else {
                pieces[pieces.count - 1].bytes += bytes
                pieces[pieces.count - 1].probabilities.append(probability)
            }
        }
        let texts = pieces.map { String(decoding: $0.bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces) }
        let kept = zip(texts, pieces).filter { !$0.0.isEmpty }
        let characters = kept.reduce(0) { $0 + $1.0.count }
        guard characters > 0 else { return [] }
        let span = segment.end - segment.start
        var consumed = 0
        return kept.map { text, piece in
            let start = segment.start + span * Double(consumed) / Double(characters)
            consumed += text.count
            let end = segment.start + span * Double(consumed) / Double(characters)
            let confidence = piece.probabilities.reduce(0, +) / Float(piece.probabilities.count)
            return Word(text: text, start: start, end: end, confidence: confidence)
        }
    }

    static func logSumExp(_ values: UnsafeBufferPointer<Float>) -> Float {
        guard let base = values.baseAddress else { return -.infinity }
        let largest = VectorMath.maximum(base, count: values.count)
        guard largest.isFinite else { return largest }
        // A copy to exponentiate in place: the vectorised loop writes; a summing loop without the
        // copy measured slower (0.91 s against 0.78 s of CPU on a 22 s clip).
        var scratch = [Float](values)
        let sum = scratch.withUnsafeMutableBufferPointer { VectorMath.exponentiate($0.baseAddress!, count: $0.count, shift: largest) }
        return largest + logf(sum)
    }

    static func softmax(_ logits: [Float], at index: Int) -> Float {
        let total = logits.withUnsafeBufferPointer { logSumExp($0) }
        return expf(logits[index] - total)
    }
}
