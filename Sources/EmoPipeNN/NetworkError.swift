/// A network that cannot be loaded or run: a missing, truncated or inconsistent graph or weight
/// file, named with the file and, where one is at fault, the layer or tensor.
public struct NetworkError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
