import EmoPipeCore

/// The sources this module provides, for the stage registry.
public enum MediaStages {
    public static let all: [StageDescriptor] = [MediaSource.descriptor, SoundFileSource.descriptor, RawPCMSource.descriptor]
}
