import EmoPipeCore
import Foundation

/// The tensors of a safetensors file (Hugging Face's format: an 8-byte little-endian header
/// length, a JSON header naming each tensor's dtype, shape and byte range, then the raw
/// little-endian data). Float32 (`F32`) and float16 (`F16`, widened to float32 as it is read)
/// tensors are read.
public struct SafeTensors: Sendable {
    /// One tensor: its shape and values (row-major).
    public struct Tensor: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Float]
    }

    /// The largest magnitude a weight may have; beyond it (or NaN, infinity) the file is refused.
    /// Trained networks stay far below (the shipped ones: 1.5 and 61).
    public static let largestWeight: Float = 1e5

    /// The tensors by name.
    public var tensors: [String: Tensor]
    /// The file they came from (for messages).
    public var source: String

    /// Reads the file at `path`; every inconsistency is a `NetworkError` naming the file and,
    /// where one is at fault, the tensor. The file is read a tensor at a time (float16 ones in
    /// parts), straight into the tensors' storage: loading holds no second copy of the weights
    /// (Whisper's 75 MB file would otherwise sit in memory beside its 150 MB of float32).
    public init(path: String) throws {
        let size: Int
        do {
            size = try FileContents.regularFileSize(path, maximumBytes: 2 << 30)
        } catch let failure as FileContents.Failure {
            throw NetworkError("\(path): weight file: \(failure)")
        }
        // Non-blocking: a named pipe put in the file's place after the check cannot hang the open.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw NetworkError("\(path): weight file: cannot open (\(String(cString: strerror(errno))))") }
        defer { close(descriptor) }
        self.source = path
        self.tensors = try Self.parse(size: size, source: path) { offset, target in
            var done = 0
            while done < target.count {
                let got = pread(descriptor, target.baseAddress! + done, target.count - done, off_t(offset + done))
                if got < 0, errno == EINTR { continue }
                guard got > 0 else {
                    throw NetworkError("\(path): weight file: cannot read at byte \(offset + done) ("
                                       + (got < 0 ? String(cString: strerror(errno)) : "it ended early: changed while it was read?") + ")")
                }
                done += got
            }
        }
    }

    /// Parses safetensors bytes; `source` names them in errors.
    public init(data: Data, source: String) throws {
        self.source = source
        self.tensors = try data.withUnsafeBytes { bytes in
            try Self.parse(size: bytes.count, source: source) { offset, target in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + target.count)]))
            }
        }
    }

    /// Parses a safetensors file of `size` bytes that `read(offset, target)` reads from (filling
    /// all of `target` from byte `offset`, which the checks keep inside the file).
    private static func parse(size fileSize: Int, source: String,
                              read: (Int, UnsafeMutableRawBufferPointer) throws -> Void) throws -> [String: Tensor] {
        guard fileSize >= 8 else { throw NetworkError("\(source): not a safetensors file (\(fileSize) bytes, no header length)") }
        var prefix = [UInt8](repeating: 0, count: 8)
        try prefix.withUnsafeMutableBytes { try read(0, $0) }
        var length = 0
        for index in 0..<8 { length |= Int(prefix[index]) << (8 * index) }
        guard length > 0, length <= fileSize - 8 else {
            throw NetworkError("\(source): truncated or not a safetensors file (header of \(length) bytes, file of \(fileSize))")
        }
        var headerBytes = Data(count: length)
        try headerBytes.withUnsafeMutableBytes { try read(8, $0) }
        guard let header = try? JSONSerialization.jsonObject(with: headerBytes) as? [String: Any] else {
            throw NetworkError("\(source): the safetensors header is not a JSON object")
        }
        let body = 8 + length
        var tensors: [String: Tensor] = [:]
        // In file order, so that the tensor a message names is the first one at fault in the
        // file, the same on every run (a dictionary's order is not).
        func start(_ entry: Any) -> Int { ((entry as? [String: Any])?["data_offsets"] as? [Int])?.first ?? Int.max }
        let entries = header.filter { $0.key != "__metadata__" }.sorted {
            (start($0.value), $0.key) < (start($1.value), $1.key)
        }
        for (name, entry) in entries {
            guard let entry = entry as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw NetworkError("\(source): tensor '\(name)': header entry lacks dtype, shape or data_offsets")
            }
            guard dtype == "F32" || dtype == "F16" else { throw NetworkError("\(source): tensor '\(name)' is \(dtype); only F32 and F16 are read") }
            let width = dtype == "F32" ? 4 : 2
            var count = 1
            for size in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: size)
                guard size >= 0, !overflow, product <= (fileSize - body) / width else {
                    throw NetworkError("\(source): tensor '\(name)': shape \(shape) is larger than the file")
                }
                count = product
            }
            guard offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] - offsets[0] == width * count else {
                throw NetworkError("\(source): tensor '\(name)': shape \(shape) does not match its \(offsets[1] - offsets[0]) bytes")
            }
            guard body + offsets[1] <= fileSize else {
                throw NetworkError("\(source): tensor '\(name)' runs past the end of the file (truncated: \(fileSize) bytes, needs \(body + offsets[1]))")
            }
            let values = try readValues(count: count, float16: width == 2, at: body + offsets[0], read: read)
            if let bad = values.firstIndex(where: { !$0.isFinite || abs($0) > Self.largestWeight }) {
                throw NetworkError("\(source): tensor '\(name)' holds \(values[bad]) at index \(bad): weights must be finite and within ±\(Int(Self.largestWeight)) (a broken or wrongly converted file)")
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        return tensors
    }

    /// `count` little-endian float32 (or float16, widened) values from byte `start`: float32 read
    /// straight into the array, float16 through a buffer of 512 KiB.
    private static func readValues(count: Int, float16: Bool, at start: Int,
                                   read: (Int, UnsafeMutableRawBufferPointer) throws -> Void) throws -> [Float] {
        try [Float](unsafeUninitializedCapacity: count) { target, initialised in
            guard count > 0 else { return }
            if !float16 {
                try read(start, UnsafeMutableRawBufferPointer(target))
                #if _endian(big)
                for index in 0..<count { target[index] = Float(bitPattern: UInt32(littleEndian: target[index].bitPattern)) }
                #endif
            } else {
                var halves = [UInt16](repeating: 0, count: min(count, 1 << 18))
                var done = 0
                while done < count {
                    let part = min(halves.count, count - done)
                    try halves.withUnsafeMutableBytes { try read(start + 2 * done, UnsafeMutableRawBufferPointer(rebasing: $0[0..<(2 * part)])) }
                    for index in 0..<part { target[done + index] = halfToFloat(UInt16(littleEndian: halves[index])) }
                    done += part
                }
            }
            initialised = count
        }
    }

    /// The tensor `name` with the shape a layer needs; a missing tensor or another shape is an
    /// error naming the file, the tensor and the layer.
    public func tensor(_ name: String, shape: [Int], layer: String) throws -> [Float] {
        guard let tensor = tensors[name] else { throw NetworkError("\(source): tensor '\(name)' (layer \(layer)) is missing") }
        guard tensor.shape == shape else {
            throw NetworkError("\(source): tensor '\(name)' (layer \(layer)) has shape \(tensor.shape), the graph needs \(shape)")
        }
        return tensor.values
    }

    /// The shape of tensor `name`, or an error naming the file, the tensor and the layer.
    public func shape(of name: String, layer: String) throws -> [Int] {
        guard let tensor = tensors[name] else { throw NetworkError("\(source): tensor '\(name)' (layer \(layer)) is missing") }
        return tensor.shape
    }
}

/// IEEE 754 half precision (binary16) bits as a Float: normal, subnormal, zero, infinity, NaN.
@inline(__always)
func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int((bits >> 10) & 0x1f)
    let mantissa = UInt32(bits & 0x03ff)
    if exponent == 0 {
        // Zero or subnormal: mantissa x 2^-24.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
}
