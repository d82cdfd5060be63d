import EmoPipeCore

/// The EEG stages this module provides, for the stage registry.
public enum EEGStages {
    public static let all: [StageDescriptor] = [EEGSource.descriptor, EEGFilterStage.descriptor, EEGBandsStage.descriptor]
}
