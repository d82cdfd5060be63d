/// The mean of each frame's channels: interleaved `channels`-channel samples to mono.
public func downmixToMono(_ interleaved: ArraySlice<Float>, channels: Int) -> [Float] {
    guard channels > 1 else { return Array(interleaved) }
    let frames = interleaved.count / channels
    let scale = 1 / Float(channels)
    return interleaved.withUnsafeBufferPointer { samples in
        (0..<frames).map { frame in
            var sum: Float = 0
            for channel in 0..<channels { sum += samples[frame * channels + channel] }
            return sum * scale
        }
    }
}
