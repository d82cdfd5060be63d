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
    /// where one is at fault, the tensor.
    public init(path: String) throws {
        let data: Data
        do {
            data = try FileContents.load(path, maximumBytes: 2 << 30)
        } catch let failure as FileContents.Failure {
            throw NetworkError("\(path): weight file: \(failure)")
        }
        try self.init(data: data, source: path)
    }

    /// Parses safetensors bytes; `source` names them in errors.
    public init(data: Data, source: String) throws {
        self.source = source
        self.tensors = try data.withUnsafeBytes { try Self.parse($0, source: source) }
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer, source: String) throws -> [String: Tensor] {
        guard bytes.count >= 8 else { throw NetworkError("\(source): not a safetensors file (\(bytes.count) bytes, no header length)") }
        var length = 0
        for index in 0..<8 { length |= Int(bytes[index]) << (8 * index) }
        guard length > 0, length <= bytes.count - 8 else {
            throw NetworkError("\(source): truncated or not a safetensors file (header of \(length) bytes, file of \(bytes.count))")
        }
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any] else {
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
                guard size >= 0, !overflow, product <= (bytes.count - body) / width else {
                    throw NetworkError("\(source): tensor '\(name)': shape \(shape) is larger than the file")
                }
                count = product
            }
            guard offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] - offsets[0] == width * count else {
                throw NetworkError("\(source): tensor '\(name)': shape \(shape) does not match its \(offsets[1] - offsets[0]) bytes")
            }
            guard body + offsets[1] <= bytes.count else {
                throw NetworkError("\(source): tensor '\(name)' runs past the end of the file (truncated: \(bytes.count) bytes, needs \(body + offsets[1]))")
            }
            let start = body + offsets[0]
            let values = [Float](unsafeUninitializedCapacity: count) { target, initialised in
                if width == 4 {
                    for index in 0..<count {
                        target[index] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 4 * index, as: UInt32.self)))
                    }
                } else {
                    for index in 0..<count {
                        target[index] = halfToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 2 * index, as: UInt16.self)))
                    }
                }
                initialised = count
            }
            if let bad = values.firstIndex(where: { !$0.isFinite || abs($0) > Self.largestWeight }) {
                throw NetworkError("\(source): tensor '\(name)' holds \(values[bad]) at index \(bad): weights must be finite and within ±\(Int(Self.largestWeight)) (a broken or wrongly converted file)")
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        return tensors
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
