import CSndfile
import EmoPipeCore
import Foundation

/// Standard input as a libsndfile virtual file. libsndfile's FLAC and Ogg readers seek while they
/// parse headers, which a pipe cannot do; this keeps the first `retainedBytes` in memory so those
/// seeks succeed, and reads forward only after that (memory stays bounded for live input).
final class ForwardInputStream {
    /// Where the bytes come from; its cancellation flag stops a read that waits for a live pipe.
    let input: CancellableInput
    private let retainedBytes: Int
    /// The first bytes read, up to `retainedBytes`.
    private var head: [UInt8] = []
    /// Bytes consumed from the descriptor so far.
    private var consumed: Int64 = 0
    /// libsndfile's read position.
    private var position: Int64 = 0

    init(input: CancellableInput = CancellableInput(), retainedBytes: Int = 1 << 20) {
        self.input = input
        self.retainedBytes = retainedBytes
    }

    /// Reads up to `count` bytes at the current position into `buffer`; returns how many.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        var copied = 0
        // Serve what is still retained.
        if position < Int64(head.count) {
            let available = min(count, head.count - Int(position))
            head.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + Int(position), byteCount: available) }
            position += Int64(available)
            copied = available
        }
        guard copied < count, position == consumed else { return copied }
        let got = readFromDescriptor(into: buffer + copied, count: count - copied)
        return copied + got
    }

    private func readFromDescriptor(into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        let total = input.readFully(into: buffer, count: count)
        if head.count < retainedBytes && Int64(head.count) == consumed {
            let keep = min(total, retainedBytes - head.count)
            head.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: keep))
        }
        consumed += Int64(total)
        position += Int64(total)
        return total
    }

    /// Moves the read position; returns the new position, or -1 when it is no longer reachable.
    func seek(offset: Int64, whence: Int32) -> Int64 {
        let target: Int64
        switch whence {
        case SEEK_SET: target = offset
        case SEEK_CUR: target = position + offset
        default: return -1 // SEEK_END: the length of a pipe is unknown
        }
        if target < 0 { return -1 }
        if target <= Int64(head.count) || target == consumed {
            position = target
            return position
        }
        guard target > consumed, position == consumed else { return -1 }
        // Forward beyond what was read: read and drop.
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        while consumed < target {
            let want = Int(min(Int64(scratch.count), target - consumed))
            let got = scratch.withUnsafeMutableBytes { readFromDescriptor(into: $0.baseAddress!, count: want) }
            if got == 0 { return -1 }
        }
        return position
    }

    var tell: Int64 { position }

    /// The callbacks libsndfile calls, with this object as user data.
    static var callbacks: SF_VIRTUAL_IO {
        SF_VIRTUAL_IO(
            get_filelen: { _ in sf_count_t(Int64.max) },
            seek: { offset, whence, user in
                Unmanaged<ForwardInputStream>.fromOpaque(user!).takeUnretainedValue().seek(offset: offset, whence: whence)
            },
            read: { buffer, count, user in
                sf_count_t(Unmanaged<ForwardInputStream>.fromOpaque(user!).takeUnretainedValue().read(into: buffer!, count: Int(count)))
            },
            write: { _, _, _ in -1 },
            tell: { user in Unmanaged<ForwardInputStream>.fromOpaque(user!).takeUnretainedValue().tell })
    }
}
