import EmoPipeCore

/// The EEG stages this module provides, for the stage registry.
public enum EEGStages {
    public static let all: [StageDescriptor] = [EEGFileSource.descriptor, EEGBandsStage.descriptor]
}
