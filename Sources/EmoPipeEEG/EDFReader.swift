import EmoPipeCore
import Foundation

/// Reads EDF, EDF+ (continuous and discontinuous), BDF and BDF+ files record by record.
///
/// EmoPipe's own reader rather than EDFlib (libedf-dev 1.23), which cannot serve three of the
/// shared test files that MNE reads (it refuses EDF+D, and one file for a header quirk, and reads a
/// legacy EDF's annotation channel as data), keeps one global handle table (a file cannot be open
/// twice, as parallel batches need), and cannot read a stream.
final class EDFReader {
    let header: EDFHeader
    private let handle: FileHandle
    private let name: String
    /// Byte offset of each signal inside a record.
    private let signalOffsets: [Int]

    init(path: String) throws {
        name = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file"
            throw StageError("cannot open \(path): \(reason)")
        }
        self.handle = handle
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        header = try EDFHeader(handle: handle, fileSize: size, name: path)
        var offsets: [Int] = []
        var offset = 0
        for signal in header.signals {
            offsets.append(offset)
            offset += signal.samplesPerRecord * header.bytesPerSample
        }
        signalOffsets = offsets
    }

    deinit { try? handle.close() }

    /// The raw bytes of record `index`.
    func record(_ index: Int) throws -> [UInt8] {
        try handle.seek(toOffset: UInt64(header.headerBytes + index * header.recordBytes))
        guard let data = try handle.read(upToCount: header.recordBytes), data.count == header.recordBytes else {
            throw StageError("\(name): data record \(index + 1) is cut short")
        }
        return [UInt8](data)
    }

    /// The digital samples of signal `signal` in a record's bytes.
    func digitalSamples(of signal: Int, in record: [UInt8]) -> [Int32] {
        let count = header.signals[signal].samplesPerRecord
        let start = signalOffsets[signal]
        return record.withUnsafeBufferPointer { bytes in
            if header.isBDF {
                return (0..<count).map { index in
                    let at = start + index * 3
                    let value = Int32(bytes[at]) | Int32(bytes[at + 1]) << 8 | Int32(bytes[at + 2]) << 16
                    return (value << 8) >> 8 // sign-extend 24 bits
                }
            }
            return (0..<count).map { index in
                Int32(Int16(bitPattern: UInt16(bytes[start + index * 2]) | UInt16(bytes[start + index * 2 + 1]) << 8))
            }
        }
    }

    /// The bytes of an annotation signal in a record.
    func annotationBytes(of signal: Int, in record: [UInt8]) -> ArraySlice<UInt8> {
        let start = signalOffsets[signal]
        return record[start..<(start + header.signals[signal].samplesPerRecord * header.bytesPerSample)]
    }

    /// Every record's start (seconds from the first record) and every annotation, onsets made
    /// relative to the first record, sorted by onset. One pass over the annotation signals.
    ///
    /// EDF+ and BDF+ require every record to open with a time-keeping TAL; a record without one,
    /// or (in a continuous file) one off the record grid, means the data is misaligned (a
    /// text-mode transfer inserts bytes), and the file is refused.
    func timeline() throws -> (recordStarts: [Double], annotations: [EDFAnnotationParser.Annotation]) {
        let annotationSignals = header.signals.indices.filter { header.signals[$0].isAnnotation }
        let isPlus = header.reserved.hasPrefix("EDF+") || header.reserved.hasPrefix("BDF+")
        var starts: [Double] = []
        var annotations: [EDFAnnotationParser.Annotation] = []
        var origin: Double?
        for index in 0..<header.recordCount {
            var recordStart: Double?
            if !annotationSignals.isEmpty {
                let bytes = try record(index)
                for signal in annotationSignals {
                    let parsed = EDFAnnotationParser.parse(annotationBytes(of: signal, in: bytes))
                    recordStart = recordStart ?? parsed.recordStart
                    annotations += parsed.annotations
                }
            }
            if isPlus && !annotationSignals.isEmpty {
                guard let start = recordStart else {
                    throw StageError("\(name) is damaged: data record \(index + 1) has no time-keeping annotation (EDF+ requires one; a text-mode transfer or truncation misaligns the data)")
                }
                if let origin, !header.isDiscontinuous,
                   abs(start - origin - Double(index) * header.recordDuration) > 0.001 + header.recordDuration * 1e-6 {
                    throw StageError("\(name) is damaged: data record \(index + 1) says it starts at \(start - origin) s, but a continuous file puts it at \(Double(index) * header.recordDuration) s")
                }
            }
            if origin == nil { origin = recordStart ?? 0 }
            let nominal = Double(index) * header.recordDuration
            // Continuous files follow the nominal grid; EDF+D records carry their own start.
            starts.append(header.isDiscontinuous ? (recordStart.map { $0 - origin! } ?? nominal) : nominal)
        }
        let shift = origin ?? 0
        let relative = annotations.map { EDFAnnotationParser.Annotation(onset: $0.onset - shift, duration: $0.duration, text: $0.text) }
        let sorted = relative.enumerated().sorted { ($0.element.onset, $0.offset) < ($1.element.onset, $1.offset) }.map(\.element)
        return (starts, sorted)
    }
}
