import EmoPipeCore
import Synchronization

/// Models read once per process and shared by every input of a run, keyed by folder and by the
/// folder's contents (`PipelineGraph.fileFingerprint`), so a model rewritten on disk is read again.
final class ModelCache<Model: Sendable>: Sendable {
    private let entries = Mutex<[String: Model]>([:])

    /// The model in `folder`, read by `load` the first time.
    func model(in folder: String, load: (String) throws -> Model) throws -> Model {
        let key = folder + "#" + (PipelineGraph.fileFingerprint(folder) ?? "")
        if let known = entries.withLock({ $0[key] }) { return known }
        let model = try load(folder)
        entries.withLock { $0[key] = model }
        return model
    }
}
