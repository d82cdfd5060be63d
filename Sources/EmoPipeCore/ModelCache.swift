import Synchronization

/// Models read once per process and shared by every input of a run (a batch of thousands of
/// recordings reads the weights once), keyed by folder and by the folder's contents
/// (`PipelineGraph.fileFingerprint`), so a model rewritten on disk is read again.
public final class ModelCache<Model: Sendable>: Sendable {
    private let entries = Mutex<[String: Model]>([:])

    public init() {}

    /// The model in `folder`, read by `load` the first time.
    public func model(in folder: String, load: (String) throws -> Model) throws -> Model {
        let key = folder + "#" + (PipelineGraph.fileFingerprint(folder) ?? "")
        if let known = entries.withLock({ $0[key] }) { return known }
        let model = try load(folder)
        entries.withLock { $0[key] = model }
        return model
    }
}
