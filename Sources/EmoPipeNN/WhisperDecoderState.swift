import Foundation

/// Whisper's decoder over one encoder window: the cross-attention keys and values of the window
/// (computed once) and the self-attention key/value cache of the tokens run so far, so each new
/// token costs one row through the layers.
public final class WhisperDecoderState {
    let model: WhisperModel
    /// Per layer: [audioContext, 2 x width], keys then values of each encoder position.
    private var crossKeyValue: [[Float]]
    /// Per layer: [textContext, width] keys and values of the tokens run so far.
    private var selfKeys: [[Float]]
    private var selfValues: [[Float]]
    /// Tokens run so far (their positions are 0 ..< length).
    public private(set) var length = 0
    private var scores: [Float] = []

    /// Prepares the decoder for the encoder output `audio` (`WhisperModel.encode`).
    public init(model: WhisperModel, audio: [Float]) {
        self.model = model
        let dims = model.dimensions
        precondition(audio.count == dims.audioContext * dims.width, "the encoder output has \(dims.audioContext) x \(dims.width) values")
        crossKeyValue = model.decoderLayers.map { layer in
            var keyValue = [Float](repeating: 0, count: dims.audioContext * 2 * dims.width)
            model.apply(layer.crossKeyValue, to: audio, rows: dims.audioContext, into: &keyValue)
            return keyValue
        }
        selfKeys = Array(repeating: [Float](repeating: 0, count: dims.textContext * dims.width), count: dims.textLayers)
        selfValues = selfKeys
    }

    /// How many more tokens fit in the text context.
    public var remaining: Int { model.dimensions.textContext - length }

    /// Runs `ids` at positions `length ..< length + ids.count` (each sees itself and what came
    /// before), appends them to the cache, and returns the raw logits (one per vocabulary entry)
    /// after each of `rows` (indices into `ids`).
    public func forward(_ ids: [Int], logitsAt rows: [Int]) -> [[Float]] {
        let dims = model.dimensions, width = dims.width, count = ids.count
        precondition(count > 0 && count <= remaining, "the text context holds \(dims.textContext) tokens")
        var x = [Float](repeating: 0, count: count * width)
        model.embedding.withUnsafeBufferPointer { embedding in
            model.decoderPositions.withUnsafeBufferPointer { positions in
                for (row, id) in ids.enumerated() {
                    let token = embedding.baseAddress! + id * width, position = positions.baseAddress! + (length + row) * width
                    for index in 0..<width { x[row * width + index] = token[index] + position[index] }
                }
            }
        }
        var normed = [Float](repeating: 0, count: count * width)
        var qkv = [Float](repeating: 0, count: count * 3 * width)
        var query = [Float](repeating: 0, count: count * width)
        var attended = [Float](repeating: 0, count: count * width)
        var projected = [Float](repeating: 0, count: count * width)
        var inner = [Float](repeating: 0, count: count * 4 * width)
        for (index, layer) in model.decoderLayers.enumerated() {
            model.layerNorm(x, rows: count, layer.attention.norm, into: &normed)
            model.apply(layer.attention.queryKeyValue, to: normed, rows: count, into: &qkv)
            for row in 0..<count {
                let target = (length + row) * width
                for column in 0..<width {
                    selfKeys[index][target + column] = qkv[row * 3 * width + width + column]
                    selfValues[index][target + column] = qkv[row * 3 * width + 2 * width + column]
                }
            }
            qkv.withUnsafeBufferPointer { qkv in
                selfKeys[index].withUnsafeBufferPointer { keys in
                    selfValues[index].withUnsafeBufferPointer { values in
                        model.attention(queries: qkv.baseAddress!, queryStride: 3 * width, keys: keys.baseAddress!, values: values.baseAddress!,
                                        keyStride: width, queryCount: count, keyCount: length + count, causalOffset: length,
                                        heads: dims.textHeads, scores: &scores, into: &attended)
                    }
                }
            }
            model.apply(layer.attention.out, to: attended, rows: count, into: &projected)
            model.add(projected, into: &x)

            model.layerNorm(x, rows: count, layer.crossNorm, into: &normed)
            model.apply(layer.crossQuery, to: normed, rows: count, into: &query)
            query.withUnsafeBufferPointer { query in
                crossKeyValue[index].withUnsafeBufferPointer { keyValue in
                    model.attention(queries: query.baseAddress!, queryStride: width, keys: keyValue.baseAddress!, values: keyValue.baseAddress! + width,
                                    keyStride: 2 * width, queryCount: count, keyCount: dims.audioContext, causalOffset: nil,
                                    heads: dims.textHeads, scores: &scores, into: &attended)
                }
            }
            model.apply(layer.crossOut, to: attended, rows: count, into: &projected)
            model.add(projected, into: &x)

            model.feedForward(layer.feedForward, on: &x, rows: count, normed: &normed, inner: &inner, projected: &projected)
        }
        length += count
        return rows.map { row in
            let last = Array(x[(row * width)..<((row + 1) * width)])
            var final = [Float](repeating: 0, count: width)
            model.layerNorm(last, rows: 1, model.decoderNorm, into: &final)
            var logits = [Float](repeating: 0, count: dims.vocabulary)
            model.embedding.withUnsafeBufferPointer { embedding in
                final.withUnsafeBufferPointer { final in
                    logits.withUnsafeMutableBufferPointer { logits in
                        matrixVector(embedding.baseAddress!, final.baseAddress!, logits.baseAddress!, m: dims.vocabulary, n: width)
                    }
                }
            }
            return logits
        }
    }
}
