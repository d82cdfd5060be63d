import EmoPipeCore

/// The sinks this module provides, for the stage registry.
public enum SinkStages {
    public static let all: [StageDescriptor] = [JSONLinesSink.descriptor, CSVSink.descriptor, NullSink.descriptor]
}
