/// Every stage a pipeline can `use:`, by name. Built-in stages register here; a new stage is one
/// new file plus one line in its module's list.
public struct StageRegistry: Sendable {
    public private(set) var descriptors: [String: StageDescriptor] = [:]

    public init(_ descriptors: [StageDescriptor] = []) {
        for descriptor in descriptors { register(descriptor) }
    }

    /// Adds a stage; a second stage with the same name is a programming error.
    public mutating func register(_ descriptor: StageDescriptor) {
        precondition(descriptors[descriptor.name] == nil, "stage \(descriptor.name) registered twice")
        descriptors[descriptor.name] = descriptor
    }

    public subscript(name: String) -> StageDescriptor? { descriptors[name] }

    /// Stage names, sorted.
    public var names: [String] { descriptors.keys.sorted() }
}
