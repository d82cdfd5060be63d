import Dispatch
import EmoPipeCore
import Foundation

/// SIGINT handling for runs: the first Ctrl-C stops the sources, lets every stage drain and
/// every sink flush; a second one exits at once.
enum SignalHandling {
    static func drainOnInterrupt(_ interruption: CancellationFlag) -> DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "emopipe.signals"))
        source.setEventHandler {
            if interruption.isCancelled { exit(130) }
            interruption.cancel()
            StandardError.write("emopipe: interrupted: finishing what was read (Ctrl-C again to quit at once)\n")
        }
        source.resume()
        return source
    }
}
