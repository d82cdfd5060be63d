import Foundation

/// FFTW's planner is one global, non-thread-safe object: every plan made or destroyed in this
/// process goes through this one lock, whatever kind of transform it is. Executing plans needs
/// no lock.
enum FFTWPlanner {
    static let lock = NSLock()
}
