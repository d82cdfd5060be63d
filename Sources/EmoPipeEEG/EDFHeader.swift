import EmoPipeCore
import Foundation

/// The header of an EDF, EDF+, BDF or BDF+ file (European Data Format; BioSemi's 24-bit variant),
/// parsed and checked field by field, so that a damaged file is refused with the field at fault.
struct EDFHeader {
    /// One signal (channel) as the header declares it.
    struct Signal {
        var label: String
        var physicalDimension: String
        var physicalMinimum: Double
        var physicalMaximum: Double
        var digitalMinimum: Int
        var digitalMaximum: Int
        var samplesPerRecord: Int
        /// "EDF Annotations" / "BDF Annotations": a TAL channel, not a signal.
        var isAnnotation: Bool { label == "EDF Annotations" || label == "BDF Annotations" }
        /// Physical value = digital * gain + offset.
        var gain: Double { (physicalMaximum - physicalMinimum) / Double(digitalMaximum - digitalMinimum) }
        var offset: Double { physicalMinimum - Double(digitalMinimum) * gain }
    }

    /// True for BDF (24-bit samples), false for EDF (16-bit).
    var isBDF: Bool
    /// The reserved field: "EDF+C", "EDF+D", "BDF+C", "24BIT", or empty for plain EDF.
    var reserved: String
    var headerBytes: Int
    var recordCount: Int
    /// Seconds per data record (0 for annotation-only files).
    var recordDuration: Double
    var signals: [Signal]

    var bytesPerSample: Int { isBDF ? 3 : 2 }
    var recordBytes: Int { signals.reduce(0) { $0 + $1.samplesPerRecord } * bytesPerSample }
    var isDiscontinuous: Bool { reserved.hasPrefix("EDF+D") || reserved.hasPrefix("BDF+D") }

    /// Reads and checks the header of `path`, whose size is `fileSize` bytes.
    init(handle: FileHandle, fileSize: Int, name: String) throws {
        func fail(_ problem: String) -> StageError { StageError("\(name) is not a valid EDF/BDF file: \(problem)") }
        guard let fixed = try handle.read(upToCount: 256), fixed.count == 256 else {
            throw fail("shorter than the 256-byte header")
        }
        let bytes = [UInt8](fixed)
        if bytes[0] == 0xFF && Array(bytes[1..<8]) == Array("BIOSEMI".utf8) {
            isBDF = true
        } else if bytes[0] == UInt8(ascii: "0") && bytes[1..<8].allSatisfy({ $0 == 0x20 }) {
            isBDF = false
        } else {
            throw fail("the version field is neither EDF's \"0\" nor BDF's \"\\xFFBIOSEMI\"")
        }
        func field(_ data: [UInt8], _ start: Int, _ length: Int) -> String {
            String(decoding: data[start..<(start + length)], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        func number(_ data: [UInt8], _ start: Int, _ length: Int, _ what: String) throws -> Double {
            let text = field(data, start, length)
            guard let value = Double(text), value.isFinite else { throw fail("\(what) is '\(text)', not a number") }
            return value
        }
        func integer(_ data: [UInt8], _ start: Int, _ length: Int, _ what: String) throws -> Int {
            let text = field(data, start, length)
            guard let value = Int(text) else { throw fail("\(what) is '\(text)', not an integer") }
            return value
        }
        headerBytes = try integer(bytes, 184, 8, "the header size")
        reserved = field(bytes, 192, 44)
        recordCount = try integer(bytes, 236, 8, "the number of data records")
        recordDuration = try number(bytes, 244, 8, "the data record duration")
        let count = try integer(bytes, 252, 4, "the number of signals")
        guard count >= 0, count <= 4096 else { throw fail("it declares \(count) signals") }
        guard headerBytes == 256 * (count + 1) else {
            throw fail("the header size is \(headerBytes) bytes, but \(count) signals need \(256 * (count + 1))")
        }
        guard let rest = try handle.read(upToCount: 256 * count), rest.count == 256 * count else {
            throw fail("the file ends inside the signal headers")
        }
        let signalBytes = [UInt8](rest)
        // Fields are stored column by column: all labels, then all transducers, ...
        func column(_ offset: Int, _ length: Int, _ index: Int) -> Int { offset * count + index * length }
        var signals: [Signal] = []
        for index in 0..<count {
            let label = field(signalBytes, column(0, 16, index), 16)
            let name = "signal \(index + 1) ('\(label)')"
            signals.append(Signal(
                label: label,
                physicalDimension: field(signalBytes, column(96, 8, index), 8),
                physicalMinimum: try number(signalBytes, column(104, 8, index), 8, "the physical minimum of \(name)"),
                physicalMaximum: try number(signalBytes, column(112, 8, index), 8, "the physical maximum of \(name)"),
                digitalMinimum: try integer(signalBytes, column(120, 8, index), 8, "the digital minimum of \(name)"),
                digitalMaximum: try integer(signalBytes, column(128, 8, index), 8, "the digital maximum of \(name)"),
                samplesPerRecord: try integer(signalBytes, column(216, 8, index), 8, "the samples per record of \(name)")))
            guard signals[index].samplesPerRecord >= 0 else { throw fail("\(name) has a negative sample count") }
            guard signals[index].digitalMaximum > signals[index].digitalMinimum else {
                throw fail("\(name) has digital maximum <= digital minimum")
            }
        }
        self.signals = signals
        let dataBytes = fileSize - headerBytes
        if recordCount == -1, recordBytes > 0 {
            // Still being recorded when written: count the complete records.
            recordCount = dataBytes / recordBytes
        }
        guard recordCount >= 0 else { throw fail("it declares \(recordCount) data records") }
        guard dataBytes == recordCount * recordBytes else {
            throw fail("the header promises \(recordCount) records of \(recordBytes) bytes after a \(headerBytes)-byte header (\(headerBytes + recordCount * recordBytes) bytes), but the file has \(fileSize)")
        }
        guard recordDuration > 0 || signals.allSatisfy({ $0.isAnnotation || $0.samplesPerRecord == 0 }) else {
            throw fail("the data record duration is \(recordDuration) s")
        }
    }
}
