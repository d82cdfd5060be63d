import Foundation

/// Records the signal that kills a batch run (a Swift runtime trap is SIGILL or SIGTRAP, a bad
/// memory access SIGSEGV, an abort SIGABRT) in `<results database>.crash`, so the next run can
/// name it in the failure it records for the input the process died with. The handler only
/// calls `write` on a file opened beforehand with text prepared beforehand, then hands the signal
/// to whatever handled it before (Swift's backtracer), so the usual crash report still comes.
enum CrashNote {
    static let signals: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE]

    nonisolated(unsafe) private static var descriptor: Int32 = -1
    /// Per signal number: the text to write, prepared before any crash.
    nonisolated(unsafe) private static var texts: [UnsafeMutablePointer<CChar>?] = Array(repeating: nil, count: 65)
    nonisolated(unsafe) private static var previous: [sigaction] = Array(repeating: sigaction(), count: 65)

    /// The name a signal number is given in messages.
    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGILL: "SIGILL, a runtime trap"
        case SIGTRAP: "SIGTRAP, a runtime trap"
        case SIGSEGV: "SIGSEGV, a bad memory access"
        case SIGBUS: "SIGBUS, a bad memory access"
        case SIGABRT: "SIGABRT, an abort"
        case SIGFPE: "SIGFPE, an arithmetic fault"
        default: "signal \(signal)"
        }
    }

    /// The file beside the results database at `databasePath`.
    static func path(for databasePath: String) -> String { databasePath + ".crash" }

    /// What an earlier run left (`signal 4 (SIGILL, a runtime trap)`), if it was killed by one of
    /// the signals; the file is removed either way.
    static func take(databasePath: String) -> String? {
        let file = path(for: databasePath)
        defer { try? FileManager.default.removeItem(atPath: file) }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
              let number = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return "signal \(number) (\(name(number)))"
    }

    /// Opens the note file and installs the handlers for the rest of the process.
    static func install(databasePath: String) {
        let file = path(for: databasePath)
        descriptor = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        for signal in signals {
            texts[Int(signal)] = strdup("\(signal)\n")
            var action = sigaction()
            #if os(Linux)
            action.__sigaction_handler.sa_handler = { signal in CrashNote.handle(signal) }
            #else
            action.__sigaction_u.__sa_handler = { signal in CrashNote.handle(signal) }
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, &previous[Int(signal)])
        }
    }

    /// Removes the note file at the end of a run that was not killed.
    static func remove(databasePath: String) {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        try? FileManager.default.removeItem(atPath: path(for: databasePath))
    }

    private static func handle(_ signal: Int32) {
        if descriptor >= 0, let text = texts[Int(signal)] {
            _ = write(descriptor, text, strlen(text))
        }
        sigaction(signal, &previous[Int(signal)], nil)
        raise(signal)
    }
}
