import EmoPipeCore
import Foundation

/// Whisper (Radford et al. 2022), an encoder-decoder transformer for speech recognition, run on
/// the CPU through oneDNN's sgemm: the weights of a model-store folder written by
/// scripts/speech/install_whisper.py (`whisper.json`, `model.safetensors` under CTranslate2's
/// tensor names, `vocabulary.txt`).
///
/// - Encoder: 80-band log-mel frames (`WhisperLogMel`), two 1-D convolutions (kernel 3, the second
///   with stride 2) with GELU, sinusoidal positions, pre-norm transformer blocks, a final norm:
///   3,000 frames (30 s) in, 1,500 vectors out.
/// - Decoder (`WhisperDecoderState`): token and learned position embeddings, pre-norm blocks of
///   causal self-attention (with a key/value cache), cross-attention over the encoder output and
///   a feed-forward layer, a final norm, and the token embedding as the output projection.
///
/// Immutable after loading: one instance serves any number of threads, each with its own
/// `WhisperDecoderState`.
public final class WhisperModel: @unchecked Sendable {
    /// The model's sizes (whisper.json `dims`, checked against the tensors).
    public struct Dimensions: Sendable, Equatable {
        public var mels: Int, audioContext: Int, textContext: Int, width: Int, vocabulary: Int
        public var audioLayers: Int, textLayers: Int, audioHeads: Int, textHeads: Int
    }

    /// Token ids with a meaning to the decoding rules.
    public struct SpecialTokens: Sendable, Equatable {
        /// End of text; also the first id that is not text.
        public var endOfText: Int
        public var startOfTranscript: Int
        public var startOfPrevious: Int
        public var noSpeech: Int
        public var noTimestamps: Int
        /// `<|0.00|>`: ids from here on are timestamps in steps of 20 ms.
        public var timestampBegin: Int
    }

    public let dimensions: Dimensions
    public let tokens: SpecialTokens
    /// Ids never generated (whisper.json `suppress`: symbols and special tokens).
    public let suppressed: [Int]
    /// Ids not generated as the first token (a blank, end of text).
    public let suppressedAtBegin: [Int]
    /// Token id -> bytes of its text (byte-level BPE undone); empty for special tokens.
    public let vocabulary: [[UInt8]]
    /// The folder the model came from (for messages and records).
    public let folder: String
    /// The `provenance` object of whisper.json, as text, for `emopipe models`.
    public let provenance: [String: String]

    struct Linear {
        /// [outputs, inputs], row-major (PyTorch's layout).
        let weight: [Float]
        let bias: [Float]
        let inputs: Int
        let outputs: Int
    }

    struct Norm {
        let gamma: [Float]
        let beta: [Float]
    }

    /// Pre-norm self-attention: its norm, the fused query/key/value projection, the output.
    struct SelfAttention {
        let norm: Norm, queryKeyValue: Linear, out: Linear
    }

    /// Pre-norm feed-forward: its norm, width -> 4 x width (GELU) -> width.
    struct FeedForward {
        let norm: Norm, input: Linear, output: Linear
    }

    struct EncoderLayer {
        let attention: SelfAttention
        let feedForward: FeedForward
    }

    struct DecoderLayer {
        let attention: SelfAttention
        let crossNorm: Norm, crossQuery: Linear, crossKeyValue: Linear, crossOut: Linear
        let feedForward: FeedForward
    }

    /// Convolution weights reordered to [outputs, kernel x inputs] (tap-major) for im2col rows.
    let conv1: Linear, conv2: Linear
    let encoderPositions: [Float]
    let encoderLayers: [EncoderLayer]
    let encoderNorm: Norm
    let embedding: [Float]
    let decoderPositions: [Float]
    let decoderLayers: [DecoderLayer]
    let decoderNorm: Norm

    /// Frames of one encoder window (30 s at 100 frames per second).
    public var windowFrames: Int { 2 * dimensions.audioContext }

    /// Loads the model in `folder`; every inconsistency is a `NetworkError` naming the file.
    public init(folder: String) throws {
        self.folder = folder
        let descriptionPath = folder + "/whisper.json"
        let json: [String: Any]
        do {
            let data = try FileContents.load(descriptionPath, maximumBytes: 1 << 20)
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw NetworkError("\(descriptionPath): not a JSON object")
            }
            json = object
        } catch let error as NetworkError {
            throw error
        } catch {
            throw NetworkError("\(descriptionPath): \(error)")
        }
        guard json["format"] as? String == "emopipe-whisper/1" else {
            throw NetworkError("\(descriptionPath): format is not emopipe-whisper/1 (write it with scripts/speech/install_whisper.py)")
        }
        func integer(_ object: [String: Any]?, _ key: String) throws -> Int {
            guard let value = object?[key] as? Int, (0...10_000_000).contains(value) else {
                throw NetworkError("\(descriptionPath): '\(key)' is missing or not a count")
            }
            return value
        }
        let dims = json["dims"] as? [String: Any]
        let dimensions = Dimensions(
            mels: try integer(dims, "n_mels"), audioContext: try integer(dims, "n_audio_ctx"), textContext: try integer(dims, "n_text_ctx"),
            width: try integer(dims, "n_state"), vocabulary: try integer(dims, "n_vocab"),
            audioLayers: try integer(dims, "n_audio_layer"), textLayers: try integer(dims, "n_text_layer"),
            audioHeads: try integer(dims, "n_audio_head"), textHeads: try integer(dims, "n_text_head"))
        guard dimensions.width > 0, dimensions.audioHeads > 0, dimensions.textHeads > 0,
              dimensions.width % dimensions.audioHeads == 0, dimensions.width % dimensions.textHeads == 0 else {
            throw NetworkError("\(descriptionPath): n_state \(dimensions.width) does not split into the heads")
        }
        self.dimensions = dimensions
        let special = json["tokens"] as? [String: Any]
        tokens = SpecialTokens(
            endOfText: try integer(special, "eot"), startOfTranscript: try integer(special, "sot"),
            startOfPrevious: try integer(special, "sot_prev"), noSpeech: try integer(special, "no_speech"),
            noTimestamps: try integer(special, "no_timestamps"), timestampBegin: try integer(special, "timestamp_begin"))
        let ids = [tokens.endOfText, tokens.startOfTranscript, tokens.startOfPrevious, tokens.noSpeech, tokens.noTimestamps, tokens.timestampBegin]
        guard ids.allSatisfy({ $0 < dimensions.vocabulary }), tokens.timestampBegin > tokens.endOfText else {
            throw NetworkError("\(descriptionPath): a special token lies outside the vocabulary of \(dimensions.vocabulary)")
        }
        suppressed = ((json["suppress"] as? [Int]) ?? []).filter { (0..<dimensions.vocabulary).contains($0) }
        suppressedAtBegin = ((json["suppress_at_begin"] as? [Int]) ?? []).filter { (0..<dimensions.vocabulary).contains($0) }
        provenance = ((json["provenance"] as? [String: Any]) ?? [:]).compactMapValues { $0 as? String }

        vocabulary = try Self.readVocabulary(folder + "/vocabulary.txt", count: dimensions.vocabulary, textTokens: tokens.endOfText)

        let weights = try SafeTensors(path: folder + "/model.safetensors")
        let width = dimensions.width
        func linear(_ name: String, outputs: Int, inputs: Int) throws -> Linear {
            let weight = try weights.tensor(name + "/weight", shape: [outputs, inputs], layer: name)
            let bias = weights.tensors[name + "/bias"] == nil
                ? [Float](repeating: 0, count: outputs) : try weights.tensor(name + "/bias", shape: [outputs], layer: name)
            return Linear(weight: weight, bias: bias, inputs: inputs, outputs: outputs)
        }
        func norm(_ name: String) throws -> Norm {
            Norm(gamma: try weights.tensor(name + "/gamma", shape: [width], layer: name),
                 beta: try weights.tensor(name + "/beta", shape: [width], layer: name))
        }
        func convolution(_ name: String, inputs: Int) throws -> Linear {
            let raw = try weights.tensor(name + "/weight", shape: [width, inputs, 3], layer: name)
            var reordered = [Float](repeating: 0, count: raw.count)
            for output in 0..<width {
                for input in 0..<inputs {
                    for tap in 0..<3 { reordered[output * 3 * inputs + tap * inputs + input] = raw[(output * inputs + input) * 3 + tap] }
                }
            }
            return Linear(weight: reordered, bias: try weights.tensor(name + "/bias", shape: [width], layer: name), inputs: 3 * inputs, outputs: width)
        }
        conv1 = try convolution("encoder/conv1", inputs: dimensions.mels)
        conv2 = try convolution("encoder/conv2", inputs: width)
        encoderPositions = try weights.tensor("encoder/position_encodings/encodings", shape: [dimensions.audioContext, width], layer: "encoder")
        func selfAttention(_ prefix: String) throws -> SelfAttention {
            SelfAttention(norm: try norm(prefix + "self_attention/layer_norm"),
                          queryKeyValue: try linear(prefix + "self_attention/linear_0", outputs: 3 * width, inputs: width),
                          out: try linear(prefix + "self_attention/linear_1", outputs: width, inputs: width))
        }
        func feedForward(_ prefix: String) throws -> FeedForward {
            FeedForward(norm: try norm(prefix + "ffn/layer_norm"),
                        input: try linear(prefix + "ffn/linear_0", outputs: 4 * width, inputs: width),
                        output: try linear(prefix + "ffn/linear_1", outputs: width, inputs: 4 * width))
        }
        encoderLayers = try (0..<dimensions.audioLayers).map { index in
            let prefix = "encoder/layer_\(index)/"
            return EncoderLayer(attention: try selfAttention(prefix), feedForward: try feedForward(prefix))
        }
        encoderNorm = try norm("encoder/layer_norm")
        embedding = try weights.tensor("decoder/embeddings/weight", shape: [dimensions.vocabulary, width], layer: "decoder")
        decoderPositions = try weights.tensor("decoder/position_encodings/encodings", shape: [dimensions.textContext, width], layer: "decoder")
        decoderLayers = try (0..<dimensions.textLayers).map { index in
            let prefix = "decoder/layer_\(index)/"
            return DecoderLayer(
                attention: try selfAttention(prefix),
                crossNorm: try norm(prefix + "attention/layer_norm"),
                crossQuery: try linear(prefix + "attention/linear_0", outputs: width, inputs: width),
                crossKeyValue: try linear(prefix + "attention/linear_1", outputs: 2 * width, inputs: width),
                crossOut: try linear(prefix + "attention/linear_2", outputs: width, inputs: width),
                feedForward: try feedForward(prefix))
        }
        decoderNorm = try norm("decoder/layer_norm")
    }

    /// GPT-2's byte-level alphabet: each byte is written as one printable character; the
    /// vocabulary's tokens are strings over it.
    static let byteOfCharacter: [UInt32: UInt8] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var characters = printable.map { UInt32($0) }
        var extra: UInt32 = 0
        for byte in 0..<256 where !printable.contains(byte) {
            printable.append(byte)
            characters.append(256 + extra)
            extra += 1
        }
        var table: [UInt32: UInt8] = [:]
        for (byte, character) in zip(printable, characters) { table[character] = UInt8(byte) }
        return table
    }()

    /// One token per line, id = line number; text tokens (below `textTokens`) mapped back to bytes.
    static func readVocabulary(_ path: String, count: Int, textTokens: Int) throws -> [[UInt8]] {
        let data: Data
        do { data = try FileContents.load(path, maximumBytes: 64 << 20) } catch { throw NetworkError("\(path): \(error)") }
        guard let text = String(data: data, encoding: .utf8) else { throw NetworkError("\(path): not UTF-8") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard lines.count == count else { throw NetworkError("\(path): \(lines.count) tokens, the model has \(count)") }
        return try lines.enumerated().map { id, line in
            guard id < textTokens else { return [] }
            return try line.unicodeScalars.map { character in
                guard let byte = byteOfCharacter[character.value] else { throw NetworkError("\(path): token \(id) has a character outside the byte alphabet") }
                return byte
            }
        }
    }

    /// The text of `ids` (special and timestamp tokens skipped); invalid UTF-8 is repaired.
    public func text(of ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids where id >= 0 && id < tokens.endOfText { bytes += vocabulary[id] }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Encoder

    /// The encoder's output for one window of log-mel frames: `mel` holds `windowFrames` frames
    /// of `dimensions.mels` values each (frame-major, as `WhisperLogMel` normalises them).
    /// Returns `audioContext` x `width` values, row-major.
    ///
    /// `parts` > 1 splits the large matrix products (by rows) and the attention (by heads) over
    /// that many threads (`concurrently`), each part a single-threaded product: for live runs,
    /// where a window's words wait on its encoder and a core is often idle. The result equals the
    /// one-thread result to float rounding (the split products are blocked differently).
    public func encode(mel: [Float], parts: Int = 1) -> [Float] {
        precondition(mel.count == windowFrames * dimensions.mels, "a Whisper window is \(windowFrames) frames of \(dimensions.mels) mels")
        let width = dimensions.width, frames = windowFrames, context = dimensions.audioContext
        var hidden = [Float](repeating: 0, count: frames * width)
        convolve(mel, channels: dimensions.mels, frames: frames, stride: 1, with: conv1, into: &hidden, parts: parts)
        gelu(&hidden)
        var x = [Float](repeating: 0, count: context * width)
        convolve(hidden, channels: width, frames: frames, stride: 2, with: conv2, into: &x, parts: parts)
        gelu(&x)
        add(encoderPositions, into: &x)
        var normed = [Float](repeating: 0, count: context * width)
        var qkv = [Float](repeating: 0, count: context * 3 * width)
        var attended = [Float](repeating: 0, count: context * width)
        var projected = [Float](repeating: 0, count: context * width)
        var inner = [Float](repeating: 0, count: context * 4 * width)
        var scores = [Float](repeating: 0, count: context * context)
        for layer in encoderLayers {
            layerNorm(x, rows: context, layer.attention.norm, into: &normed)
            apply(layer.attention.queryKeyValue, to: normed, rows: context, into: &qkv, parts: parts)
            qkv.withUnsafeBufferPointer { qkv in
                attention(queries: qkv.baseAddress!, queryStride: 3 * width, keys: qkv.baseAddress! + width, values: qkv.baseAddress! + 2 * width,
                          keyStride: 3 * width, queryCount: context, keyCount: context, causalOffset: nil,
                          heads: dimensions.audioHeads, scores: &scores, into: &attended, parts: parts)
            }
            apply(layer.attention.out, to: attended, rows: context, into: &projected, parts: parts)
            add(projected, into: &x)
            feedForward(layer.feedForward, on: &x, rows: context, normed: &normed, inner: &inner, projected: &projected, parts: parts)
        }
        layerNorm(x, rows: context, encoderNorm, into: &normed)
        return normed
    }

    /// A 1-D convolution (kernel 3, padding 1) over frame-major input [frames, channels] as
    /// im2col + one matrix product; output [frames / stride, width].
    private func convolve(_ input: [Float], channels: Int, frames: Int, stride: Int, with conv: Linear, into output: inout [Float], parts: Int) {
        let outFrames = frames / stride
        var columns = [Float](repeating: 0, count: outFrames * 3 * channels)
        input.withUnsafeBufferPointer { input in
            columns.withUnsafeMutableBufferPointer { columns in
                for frame in 0..<outFrames {
                    let centre = frame * stride
                    for tap in 0..<3 {
                        let source = centre + tap - 1
                        guard source >= 0, source < frames else { continue }
                        (columns.baseAddress! + (frame * 3 + tap) * channels).update(from: input.baseAddress! + source * channels, count: channels)
                    }
                }
            }
        }
        apply(conv, to: columns, rows: outFrames, into: &output, parts: parts)
    }

    // MARK: - Shared layers

    /// x += FFN(LayerNorm(x)) for `rows` rows, in the given scratch arrays.
    func feedForward(_ block: FeedForward, on x: inout [Float], rows: Int, normed: inout [Float], inner: inout [Float], projected: inout [Float],
                     parts: Int = 1) {
        layerNorm(x, rows: rows, block.norm, into: &normed)
        apply(block.input, to: normed, rows: rows, into: &inner, parts: parts)
        gelu(&inner)
        apply(block.output, to: inner, rows: rows, into: &projected, parts: parts)
        add(projected, into: &x)
    }

    /// y = x W^T + b for `rows` rows (in `parts` row blocks side by side).
    func apply(_ linear: Linear, to x: [Float], rows: Int, into y: inout [Float], parts: Int = 1) {
        x.withUnsafeBufferPointer { x in
            linear.weight.withUnsafeBufferPointer { w in
                y.withUnsafeMutableBufferPointer { y in
                    linear.bias.withUnsafeBufferPointer { b in
                        let (x, w, y, b) = (x.baseAddress!, w.baseAddress!, y.baseAddress!, b.baseAddress!)
                        if rows == 1 {
                            matrixVector(w, x, y, m: linear.outputs, n: linear.inputs)
                            for column in 0..<linear.outputs { y[column] += b[column] }
                            return
                        }
                        Self.split(rows, parts: parts) { block in
                            matrixMultiplyTransposed(x + block.lowerBound * linear.inputs, w, y + block.lowerBound * linear.outputs,
                                                     m: block.count, n: linear.outputs, k: linear.inputs)
                            for row in block {
                                let target = y + row * linear.outputs
                                for column in 0..<linear.outputs { target[column] += b[column] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Runs `body` on `parts` contiguous blocks of 0..<count, side by side when `parts` > 1 (each
    /// block at least 64 long), else on the caller's thread.
    static func split(_ count: Int, parts: Int, _ body: (Range<Int>) -> Void) {
        let parts = max(1, min(parts, count / 64))
        guard parts > 1 else { return body(0..<count) }
        concurrently(parts) { part in body((count * part / parts)..<(count * (part + 1) / parts)) }
    }

    /// `body(0) ... body(iterations - 1)` side by side: iteration 0 on the caller's thread, the
    /// others on helper queues of their own (serial queues, which always get a thread: Dispatch's
    /// concurrentPerform spun when called from a Swift concurrency thread); returns when all have.
    /// The callers give each iteration its own rows or heads of their buffers.
    static func concurrently(_ iterations: Int, _ body: (Int) -> Void) {
        guard iterations > 1 else { return body(0) }
        struct Unchecked: @unchecked Sendable { let body: (Int) -> Void }
        withoutActuallyEscaping(body) { body in
            let box = Unchecked(body: body)
            let group = DispatchGroup()
            for iteration in 1..<iterations {
                helpers[(iteration - 1) % helpers.count].async(group: group) { box.body(iteration) }
            }
            box.body(0)
            group.wait()
        }
    }

    private static let helpers = (0..<3).map { DispatchQueue(label: "emopipe.nn.helper.\($0)") }

    /// Layer normalisation (epsilon 1e-5) of each `width`-wide row.
    func layerNorm(_ x: [Float], rows: Int, _ norm: Norm, into y: inout [Float]) {
        let width = dimensions.width
        x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                norm.gamma.withUnsafeBufferPointer { gamma in
                    norm.beta.withUnsafeBufferPointer { beta in
                        for row in 0..<rows {
                            let source = x.baseAddress! + row * width, target = y.baseAddress! + row * width
                            var mean: Float = 0
                            for index in 0..<width { mean += source[index] }
                            mean /= Float(width)
                            var variance: Float = 0
                            for index in 0..<width { let d = source[index] - mean; variance += d * d }
                            let scale = 1 / (variance / Float(width) + 1e-5).squareRoot()
                            for index in 0..<width { target[index] = (source[index] - mean) * scale * gamma[index] + beta[index] }
                        }
                    }
                }
            }
        }
    }

    /// GELU, the erf form Whisper was trained with (erf to 1.5e-7).
    func gelu(_ x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { VectorMath.gelu($0.baseAddress!, count: $0.count) }
    }

    func add(_ source: [Float], into target: inout [Float]) {
        let count = min(source.count, target.count)
        source.withUnsafeBufferPointer { source in
            target.withUnsafeMutableBufferPointer { target in
                for index in 0..<count { target[index] += source[index] }
            }
        }
    }

    /// Multi-head scaled dot-product attention. Queries, keys and values are `width`-wide rows at
    /// the given strides (head h reads columns h x d ..< (h + 1) x d); the output has rows of
    /// `width`. With `causalOffset` p, query i sees keys 0 ... p + i.
    func attention(queries: UnsafePointer<Float>, queryStride: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                   keyStride: Int, queryCount: Int, keyCount: Int, causalOffset: Int?, heads: Int,
                   scores: inout [Float], into output: inout [Float], parts: Int = 1) {
        let width = dimensions.width, depth = width / heads
        let groups = max(1, min(parts, heads))
        if scores.count < groups * queryCount * keyCount { scores = [Float](repeating: 0, count: groups * queryCount * keyCount) }
        let scale = 1 / Float(depth).squareRoot()
        scores.withUnsafeMutableBufferPointer { scores in
            output.withUnsafeMutableBufferPointer { output in
                let (scores, output) = (scores.baseAddress!, output.baseAddress!)
                // Group g takes heads g, g + groups, ... in its own scores block.
                let run = { (group: Int) in
                    let s = scores + group * queryCount * keyCount
                    for head in stride(from: group, to: heads, by: groups) {
                        let column = head * depth
                        matrixMultiplyStrided(queries + column, lda: queryStride, keys + column, ldb: keyStride, transposeB: true,
                                              s, ldc: keyCount, m: queryCount, n: keyCount, k: depth, alpha: scale)
                        for row in 0..<queryCount {
                            let line = s + row * keyCount
                            let visible = causalOffset.map { min(keyCount, $0 + row + 1) } ?? keyCount
                            let largest = VectorMath.maximum(line, count: visible)
                            let sum = VectorMath.exponentiate(line, count: visible, shift: largest)
                            VectorMath.scale(line, count: visible, by: 1 / sum)
                            for index in visible..<keyCount { line[index] = 0 }
                        }
                        matrixMultiplyStrided(s, lda: keyCount, values + column, ldb: keyStride, transposeB: false,
                                              output + column, ldc: width, m: queryCount, n: depth, k: keyCount)
                    }
                }
                if groups > 1 { Self.concurrently(groups, run) } else { run(0) }
            }
        }
    }
}
