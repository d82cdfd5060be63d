import Foundation

/// Reads a file descriptor (standard input) without blocking past a stop request: it waits
/// for data with `poll` in short slices and checks the cancellation flag between them, so a
/// live pipe that stays open (a microphone, an amplifier) can still be stopped by Ctrl-C.
public final class CancellableInput: @unchecked Sendable {
    // `cancellation` is set once, by the source's run loop, before reads that may block forever.
    private let descriptor: Int32
    public var cancellation: CancellationFlag?

    public init(descriptor: Int32 = STDIN_FILENO) { self.descriptor = descriptor }

    /// Reads up to `count` bytes; returns how many, 0 at end of input or once cancelled, -1 on error.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        while true {
            if cancellation?.isCancelled == true { return 0 }
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&request, 1, 50)
            if ready < 0 && errno != EINTR { return -1 }
            guard ready > 0 else { continue }
            let got = Foundation.read(descriptor, buffer, count)
            if got < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            return got
        }
    }

    /// Fills `count` bytes unless the input ends or is cancelled first; returns how many.
    public func readFully(into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        var total = 0
        while total < count {
            let got = read(into: buffer + total, count: count - total)
            if got <= 0 { break }
            total += got
        }
        return total
    }
}
