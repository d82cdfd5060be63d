import EmoPipeCore

/// The video stages this module provides, for the stage registry.
public enum VideoStages {
    public static let all: [StageDescriptor] = [VideoMotionStage.descriptor]
}
